// What the harness needs from each engine: build from a workload, then, per request, a
// ready-to-call decision. Translating a request into the engine's own input happens in
// `prepare`, outside the timed region, so a peer is never charged for our adapter.

import type { Workload } from './index.js';
import type { BenchRequest } from './requests.js';

export const ENGINE_NAMES = [
  'mge', 'mge-oracle', 'cedar-wasm', 'json-rules-engine', 'casbin', 'opa-wasm',
] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

/**
 * Rows the tables show beside the engines (not keys of the --json line): `mge-evaluator` is
 * MGE's compiled policy alone — field extraction, one VM call, outcome — without the request
 * shape check, decision object, decision id and SHA-256 action_hash that `mge` includes.
 */
export const EXTRA_ROWS = ['mge-evaluator'] as const;
export type RowName = EngineName | (typeof EXTRA_ROWS)[number];

/** One decision: `true` when the request is approved. */
export type Decide = () => boolean | Promise<boolean>;

export interface BenchEngine {
  readonly name: RowName;
  prepare(request: BenchRequest): Decide;
}

/** Builds an engine for a workload, or says why it cannot be measured here. */
export type EngineFactory = (workload: Workload) => Promise<BenchEngine | { skipped: string }>;

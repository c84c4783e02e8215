// What the harness needs from each engine: build from a workload, then, per request, a
// ready-to-call decision. Translating a request into the engine's own input happens in
// `prepare`, outside the timed region, so a peer is never charged for our adapter.

import type { Workload } from './index.js';
import type { BenchRequest } from './requests.js';

export const ENGINE_NAMES = [
  'mge', 'mge-oracle', 'cedar-wasm', 'json-rules-engine', 'casbin', 'opa-wasm',
] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

/** One decision: `true` when the request is approved. */
export type Decide = () => boolean | Promise<boolean>;

export interface BenchEngine {
  readonly name: EngineName;
  prepare(request: BenchRequest): Decide;
}

/** Builds an engine for a workload, or says why it cannot be measured here. */
export type EngineFactory = (workload: Workload) => Promise<BenchEngine | { skipped: string }>;

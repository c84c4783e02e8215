// Engine plumbing shared by the property files: build an engine on generated files, decide one
// request, compare decisions without their unique id.

import fc from 'fast-check';
import { createEngine, type EngineDecision } from '../../src/engine/engine.js';
import { policy, request, tenant, writePolicy, type GenRule } from './policy-gen.js';

export const NOW = Date.parse('2026-11-24T10:30:00.000Z');

/**
 * Each property keeps to ≥ 1000 runs (the bar); one file takes ~30 s on an idle core.
 * For a bug hunt: MGE_PROPERTY_RUNS=20000 npx vitest run test/properties/expressions
 */
export const RUNS = { numRuns: Math.max(1000, Number(process.env.MGE_PROPERTY_RUNS) || 0) };

/** Generous, so a busy shared machine slows a property down without failing it. */
export const TIMEOUT = 240_000;

export type Files = { path: string; text: string }[];

export async function decideFiles(files: Files, evaluator: 'oracle' | 'vm', req: unknown, tenant: string): Promise<EngineDecision> {
  const engine = await createEngine({ rules: files, evaluator, now: () => NOW });
  return engine.evaluate(structuredClone(req), { tenant });
}

/** The rules one per YAML file. */
export function decide(rules: GenRule[], evaluator: 'oracle' | 'vm', req: unknown, tenant: string): Promise<EngineDecision> {
  return decideFiles(writePolicy(rules, 'yaml'), evaluator, req, tenant);
}

export function withoutId(d: EngineDecision): Omit<EngineDecision, 'decision_id'> {
  const { decision_id: _id, ...rest } = d;
  return rest;
}

/** A rule that applies to and is violated by every request. */
export function alwaysViolated(effect: 'deny' | 'warn'): GenRule {
  return {
    rule_id: `zz-always-${effect}`,
    effect,
    conditions: [],
    prohibited: [{ message: `always ${effect}`, when: 'action.type == action.type' }],
    required: [],
    advisory: [],
  };
}

/** Asserts `body` on RUNS generated (policy, request, tenant) triples. */
export function forAllPolicies(body: (rules: GenRule[], req: Record<string, unknown>, tenant: string) => Promise<void>): Promise<void> {
  return fc.assert(fc.asyncProperty(policy, request, tenant, body), RUNS);
}

/** The VM's decisions for one request under two policies. */
export function decidePair(a: GenRule[], b: GenRule[], req: unknown, tenant: string): Promise<EngineDecision[]> {
  return Promise.all([decide(a, 'vm', req, tenant), decide(b, 'vm', req, tenant)]);
}

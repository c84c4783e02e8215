// Engine plumbing shared by the property files: build an engine on generated files, decide one
// request, compare decisions without their unique id.

import { createEngine, type EngineDecision } from '../../src/engine/engine.js';
import { writePolicy, type GenRule } from './policy-gen.js';

export const NOW = Date.parse('2026-11-24T10:30:00.000Z');

/** Each property keeps to ≥ 1000 runs (the bar); one test file stays well under a minute. */
export const RUNS = { numRuns: 1000 };

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

// The three workloads of the peer bench (and the rule counts of the engine bench).

import { requestSet, type BenchRequest } from './requests.js';
import { generatedRules, w1Rules, type RuleSpec } from './rules.js';

export type WorkloadName = 'W1' | 'W2' | 'W3';

export interface Workload {
  name: WorkloadName;
  rules: RuleSpec[];
  requests: BenchRequest[];
}

/** W1: the 5 rules of the issue. W2, W3: 100 and 10 000 generated rules, one governing each request. */
export function workload(name: WorkloadName): Workload {
  const rules = name === 'W1' ? w1Rules() : generatedRules(name === 'W2' ? 100 : 10_000);
  return { name, rules, requests: requestSet(rules) };
}

/** A workload of `n` generated rules (engine bench sizes, tests). */
export function generatedWorkload(name: WorkloadName, n: number): Workload {
  const rules = generatedRules(n);
  return { name, rules, requests: requestSet(rules) };
}

export const WORKLOAD_NAMES: readonly WorkloadName[] = ['W1', 'W2', 'W3'];

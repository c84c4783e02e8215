// A tenant's compiled policy: its effective rules, the evaluator over them, and the version
// (hash of the compiled bundle). Immutable: a rule change builds a new one aside and swaps it in.

import { byRuleId, compileBundle } from '../compile/bundle.js';
import { createOracleEvaluator } from '../ir/evaluate.js';
import { ruleJson } from '../ir/rule-json.js';
import type { Rule } from '../ir/types.js';
import { sha256Hex } from '../receipt/hash.js';
import type { Evaluator } from '../ir/outcome.js';
import { limitsOf, rateLimitClauses, type RateLimitClause } from './rate-limit.js';
import type { Limits } from '../state/rate-limiter.js';
import { createBundleEvaluator } from './vm-evaluator.js';
import type { Vm } from './wasm.js';

export type EvaluatorKind = 'vm' | 'oracle';

export interface TenantPolicy {
  readonly tenant: string;
  readonly rules: readonly Rule[];
  readonly rulesById: ReadonlyMap<string, Rule>;
  readonly evaluator: Evaluator;
  readonly policyVersion: string;
  /** The rate_limit_check clauses of each rule that has any: the host takes those tokens after the VM. */
  readonly rateLimited: ReadonlyMap<string, readonly RateLimitClause[]>;
  /** The same clauses' limits by bucket suffix: what the rate limiter judges idle buckets by. */
  readonly rateLimits: ReadonlyMap<string, Limits>;
  /**
   * Why every check of this tenant is denied, when its rules cannot stand as they are (an API
   * rule whose id a file rule took since: tenant-policies.ts buildTenantPolicy). Its rules are then the others.
   */
  readonly refusal?: string;
  /** With `refusal`: the tenant's API rules held out of force (their ids, or their compile, clash). */
  readonly heldOut?: readonly Rule[];
}

/**
 * `policy` with every check refused for `refusal`, `heldOut` the API rules left out; its
 * version is another, a hash of the policy's and of the rules held out (in id order, each as
 * its normalized content), so decisions under it never share a version with the policy as it
 * was, and the same rules give the same version whatever the order they came in.
 */
export async function refusedPolicy(policy: TenantPolicy, refusal: string, heldOut: readonly Rule[]): Promise<TenantPolicy> {
  const held = [...heldOut].sort(byRuleId);
  const text = `${policy.policyVersion}\nrefused, held out: ${JSON.stringify(held.map(ruleJson))}`;
  return { ...policy, refusal, heldOut: held, policyVersion: 'sha256:' + (await sha256Hex(new TextEncoder().encode(text))) };
}

export interface PolicyBuildOptions {
  evaluator: EvaluatorKind;
  /** The VM module, compiled once per engine and shared by every tenant's policy. */
  vm?: Vm;
}

/** Compiles `rules` for `tenant`. Both evaluator kinds hash the same bundle, so versions agree. */
export async function buildPolicy(tenant: string, rules: readonly Rule[], opts: PolicyBuildOptions): Promise<TenantPolicy> {
  const bundle = compileBundle(rules);
  const policyVersion = 'sha256:' + (await sha256Hex(bundle.bytes));
  const evaluator = opts.evaluator === 'oracle'
    ? createOracleEvaluator(bundle.rules)
    : await createBundleEvaluator(bundle, { vm: opts.vm });
  const rulesById = new Map(bundle.rules.map((r) => [r.rule_id, r] as const));
  const rateLimited = new Map<string, readonly RateLimitClause[]>();
  for (const rule of bundle.rules) {
    const clauses = rateLimitClauses(rule);
    if (clauses.length > 0) rateLimited.set(rule.rule_id, clauses);
  }
  return { tenant, rules: bundle.rules, rulesById, evaluator, policyVersion, rateLimited, rateLimits: limitsOf(rateLimited) };
}

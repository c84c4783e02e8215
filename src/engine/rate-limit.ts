// rate_limit_check (SPEC §3.4) is stateful, so the host runs it after the (pure) evaluator,
// for applicable rules only: every check a rule applies to takes one token from the bucket of
// (tenant, rule, key). A store that fails denies (fail closed).
//
// What does not depend on the request (the clause name, the bucket's rule part, the denial
// message) is worked out once per policy (`rateLimitClauses`), so a check only evaluates the
// key and takes the token: this runs on every check a rate-limited rule applies to.

import { formatEvalError } from '../ir/eval-errors.js';
import { evaluateExpr } from '../ir/evaluate.js';
import { GlobWork, OverBudgetError } from '../ir/glob-work.js';
import { conditionMessage } from '../ir/messages.js';
import type { CheckRequest, Condition, Rule } from '../ir/types.js';
import { canonicalize } from '../receipt/jcs.js';
import { withinDeadline } from '../state/deadline.js';
import type { Limits, RateLimiter } from '../state/rate-limiter.js';
import type { ClauseOutcome, EvaluationEnv } from '../ir/outcome.js';

type RateLimitCondition = Extract<Condition, { type: 'rate_limit_check' }>;

/** One rate_limit_check condition of a rule, with its request-independent parts precomputed. */
export interface RateLimitClause {
  readonly ruleId: string;
  /** `conditions[i]` */
  readonly clause: string;
  readonly cond: RateLimitCondition;
  /**
   * The bucket name after the tenant: `\0<rule_id>\0<n>\0`, then the key's canonical JSON; `n`
   * counts the rule's rate_limit_check conditions only, so a condition of another type added
   * before it does not start a new, full bucket (as it would by condition index).
   */
  readonly bucketSuffix: string;
  readonly limitedMessage: string;
  readonly unavailableMessage: string;
}

/** The rate_limit_check clauses of `rule`, in condition order (none: an empty list). */
export function rateLimitClauses(rule: Rule): RateLimitClause[] {
  const clauses: RateLimitClause[] = [];
  rule.conditions.forEach((cond, i) => {
    if (cond.type !== 'rate_limit_check') return;
    clauses.push({
      ruleId: rule.rule_id,
      clause: `conditions[${i}]`,
      cond,
      bucketSuffix: `\u0000${rule.rule_id}\u0000${clauses.length}\u0000`,
      limitedMessage: conditionMessage('rate_limited', cond, undefined),
      unavailableMessage: conditionMessage('state_unavailable', cond, undefined),
    });
  });
  return clauses;
}

/**
 * Takes a token for every clause in `clauses` (those of the applicable rules), appending
 * violations to `out`. Returns a promise only if the store answered with one.
 */
export function applyRateLimits(
  clauses: readonly RateLimitClause[],
  request: CheckRequest,
  env: EvaluationEnv,
  limiter: RateLimiter,
  nowMs: number,
  out: ClauseOutcome[],
): void | Promise<void> {
  // Every key first, under one glob budget (docs/semantics.md "Cost"): a check that goes over
  // it is denied as a whole (OverBudgetError), and must not have taken any token before.
  const keyEnv = { ...env, globWork: new GlobWork() };
  const keys = clauses.map((c) => {
    try {
      return evaluateExpr(c.cond.key.expr, request, keyEnv);
    } catch (err) {
      if (err instanceof OverBudgetError) err.ruleId ??= c.ruleId;
      throw err;
    }
  });
  let pending: Promise<void>[] | undefined;
  clauses.forEach((c, i) => {
    const key = keys[i];
    if (!key.ok) {
      out.push({ rule_id: c.ruleId, clause: c.clause, code: 'eval_error', message: formatEvalError(key.error) });
      return;
    }
    const bucket = env.tenant + c.bucketSuffix + canonicalize(key.value);
    try {
      const taken = limiter.take(bucket, c.cond.burst_limit, c.cond.requests_per_minute / 60, nowMs, c.bucketSuffix);
      if (typeof taken === 'boolean') {
        if (!taken) out.push(denial(c, 'rate_limited'));
      } else {
        // Only `true` approves: a store's promise of `1` or `"false"`, or a thenable read as a
        // promise without waiting for it, approved. An answer that never comes is a
        // store not reached.
        (pending ??= []).push(withinDeadline(Promise.resolve(taken)).then(
          (allowed) => void (allowed !== true && out.push(denial(c, allowed === false ? 'rate_limited' : 'state_unavailable'))),
          () => void out.push(denial(c, 'state_unavailable')),
        ));
      }
    } catch {
      out.push(denial(c, 'state_unavailable'));
    }
  });
  if (pending !== undefined) return Promise.all(pending).then(() => undefined);
}

/** Each rate-limited clause's limits in one tenant's policy, by its bucket suffix (RateLimiter.limitsNow). */
export function limitsOf(rateLimited: ReadonlyMap<string, readonly RateLimitClause[]>): Map<string, Limits> {
  const out = new Map<string, Limits>();
  for (const clauses of rateLimited.values()) {
    for (const c of clauses) out.set(c.bucketSuffix, { capacity: c.cond.burst_limit, refillPerSecond: c.cond.requests_per_minute / 60 });
  }
  return out;
}

function denial(c: RateLimitClause, code: 'rate_limited' | 'state_unavailable'): ClauseOutcome {
  return { rule_id: c.ruleId, clause: c.clause, code, message: code === 'rate_limited' ? c.limitedMessage : c.unavailableMessage };
}

/** The rate_limit_check clauses of the applicable rules, or undefined if there are none. */
export function rateLimitClausesOf(rateLimited: ReadonlyMap<string, readonly RateLimitClause[]>, applicable: readonly string[]): readonly RateLimitClause[] | undefined {
  let found: readonly RateLimitClause[] | undefined;
  let merged: RateLimitClause[] | undefined;
  for (const id of applicable) {
    const clauses = rateLimited.get(id);
    if (clauses === undefined) continue;
    if (found === undefined) found = clauses;
    else for (const c of clauses) (merged ??= found.slice()).push(c);
  }
  return merged ?? found;
}

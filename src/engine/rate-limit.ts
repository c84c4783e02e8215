// rate_limit_check (SPEC §3.4) is stateful, so the host runs it after the (pure) evaluator,
// for applicable rules only: every check a rule applies to takes one token from the bucket of
// (tenant, rule, key). A store that fails denies (fail closed).

import { formatEvalError } from '../ir/eval-errors.js';
import { evaluateExpr } from '../ir/evaluate.js';
import { conditionMessage } from '../ir/messages.js';
import type { CheckRequest, Json, Rule } from '../ir/types.js';
import { canonicalize } from '../receipt/jcs.js';
import type { RateLimiter } from '../state/rate-limiter.js';
import type { ClauseOutcome, EvaluationEnv } from './outcome.js';

/**
 * Takes a token for every rate_limit_check condition of every applicable rule in `rules`,
 * appending violations to `out`. Returns a promise only if the store answered with one.
 */
export function applyRateLimits(
  rules: Iterable<Rule>,
  request: CheckRequest,
  env: EvaluationEnv,
  limiter: RateLimiter,
  nowMs: number,
  out: ClauseOutcome[],
): void | Promise<void> {
  const pending: Promise<void>[] = [];
  for (const rule of rules) {
    rule.conditions.forEach((cond, i) => {
      if (cond.type !== 'rate_limit_check') return;
      const clause = `conditions[${i}]`;
      const key = evaluateExpr(cond.key.expr, request, env);
      if (!key.ok) {
        out.push({ rule_id: rule.rule_id, clause, code: 'eval_error', message: formatEvalError(key.error) });
        return;
      }
      const bucket = `${env.tenant}\u0000${rule.rule_id}\u0000${i}\u0000${canonicalize(key.value)}`;
      const settle = (allowed: boolean) => {
        if (!allowed) out.push({ rule_id: rule.rule_id, clause, code: 'rate_limited', message: conditionMessage('rate_limited', cond, key.value) });
      };
      const fail = () => {
        out.push({ rule_id: rule.rule_id, clause, code: 'state_unavailable', message: conditionMessage('state_unavailable', cond, key.value as Json) });
      };
      try {
        const taken = limiter.take(bucket, cond.burst_limit, cond.requests_per_minute / 60, nowMs);
        if (typeof taken === 'boolean') settle(taken);
        else pending.push(taken.then(settle, fail));
      } catch {
        fail();
      }
    });
  }
  if (pending.length > 0) return Promise.all(pending).then(() => undefined);
}

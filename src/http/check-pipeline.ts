// The path of one check from parsed body to answer: evaluate, sign, append to the tenant's
// audit log, and only then answer (SPEC §6: a decision the client received is never lost).
// `explanation` is split off before signing and logging: it is neither signed nor logged.

import { RequestError, type EngineDecision } from '../engine/engine.js';
import type { Decision, ExplanationEntry, Json } from '../ir/types.js';
import type { SignedDecision } from '../receipt/sign.js';
import type { AppContext } from './deps.js';
import { BadRequest, InternalError, StoreUnavailable } from './problem.js';

export type Answer = Decision & { explanation?: ExplanationEntry[] };

/** Evaluates one request; a bad shape is 400 (`where` prefixes the detail, e.g. `requests[3]`). */
export async function evaluate(ctx: AppContext, tenant: string, body: Json, explain: boolean, where = ''): Promise<EngineDecision> {
  try {
    return await ctx.engine.evaluate(body, { tenant, explain });
  } catch (err) {
    throw badShape(err, where);
  }
}

/** Checks one request's shape only, as `evaluate` would: a 400, and nothing decided. */
export function validate(ctx: AppContext, body: Json, where: string): void {
  try {
    ctx.engine.validate(body);
  } catch (err) {
    throw badShape(err, where);
  }
}

function badShape(err: unknown, where: string): unknown {
  return err instanceof RequestError ? new BadRequest(where === '' ? err.detail : `${where}: ${err.detail}`) : err;
}

/** A logged decision as answered: whether it approved (for the metrics), and its JSON text. */
export interface Recorded {
  approved: boolean;
  /**
   * Without `explanation`, the audit line itself (C(decision), exactly the logged entry): not
   * serialized again, and byte for byte what the log stores and exports.
   */
  json: string;
}

// "May": a write that failed part way can still reach the disk, and after a crash the next
// start keeps what it finds whole; a later reopen without one trims it.
const logUnavailable = (ctx: AppContext, tenant: string): StoreUnavailable =>
  new StoreUnavailable('the audit log is unavailable; the decision is not given (and may not be recorded)', ctx.audit.retryAfterSeconds(tenant));

/**
 * Before a check is evaluated: while the tenant's log is failed (and not yet due to be tried
 * again) the check is refused at once, as its append would be. Evaluated, it took rate-limit
 * tokens for a 503, so an agent retrying through an outage was denied `rate_limited` once the
 * log was back.
 */
export function refuseWhileLogFailing(ctx: AppContext, tenant: string): void {
  if (ctx.audit.failing(tenant)) throw logUnavailable(ctx, tenant);
}

/**
 * Signs and logs decisions, in order, and returns the answers. If signing or the log fails
 * nothing is answered: a 500 or 503 problem, never an unlogged decision.
 */
export async function signAndRecord(ctx: AppContext, tenant: string, decisions: readonly EngineDecision[]): Promise<Recorded[]> {
  const signed: SignedDecision<Decision>[] = [];
  const explanations: Array<ExplanationEntry[] | undefined> = [];
  for (const d of decisions) {
    // Most checks ask for no explanation: then the decision is signed as it is, not copied.
    let decision: Decision = d;
    if (d.explanation !== undefined) {
      const { explanation: _e, ...rest } = d;
      decision = rest;
    }
    explanations.push(d.explanation);
    try {
      // One canonicalization serves the decision hash and the audit line.
      signed.push(await ctx.signer.signAudited(decision));
    } catch (err) {
      ctx.logRepeated(`sign:${tenant}`, 'signing failed', { tenant, error: err });
      throw new InternalError('the decision could not be signed; nothing was approved');
    }
  }
  try {
    await ctx.audit.appendSigned(tenant, signed);
  } catch (err) {
    ctx.logRepeated(`audit:${tenant}`, 'audit append failed', { tenant, error: err });
    throw logUnavailable(ctx, tenant);
  }
  return signed.map((s, i) => {
    const explanation = explanations[i];
    const approved = s.unsigned.approved;
    if (explanation === undefined) return { approved, json: s.auditLine };
    const answer: Answer = { ...s.decision, explanation };
    return { approved, json: JSON.stringify(answer) };
  });
}

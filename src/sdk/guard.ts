// The guard puts the SPEC §1 protocol around a function: describe → check → deny or verify the
// receipt → run. The function runs only after both the decision and its receipt hold, so an
// agent cannot act on a forged, replayed or mismatched approval.

import { ActionDenied, MGEConfigError, ReceiptRejected } from './errors.js';
import { jsonText } from './json-text.js';
import type { Action, CheckInput, CheckResult, Context, Decision } from './types.js';

/** Says, for one call's arguments, what action it is about to perform. */
export type Describe<A extends unknown[]> = (...args: A) => CheckInput | Promise<CheckInput>;

export type GuardedFn<A extends unknown[], R> = (...args: A) => Promise<R>;

/**
 * Checks a receipt for the action about to run; `{valid: false, reason}` refuses it, and so
 * does an `approved` other than `true` (the verified decision was a denial). An
 * `audience` on the check (offlineReceiptCheck's) is the one the guard asks MGE to bind the
 * receipt to, when the description names none.
 */
export type ReceiptCheck = ((
  decision: Decision,
  input: { action: Action; context?: Context; audience?: string },
) => Promise<{ valid: boolean; reason?: string; approved?: boolean }>) & {
  audience?: string;
  /** Rejects when the check cannot work (its keys do not import): the guard asks it before MGE. */
  ready?: () => Promise<void>;
};

export interface GuardOptions {
  /**
   * How the receipt is checked before `fn` runs. Default `'server'`: `POST /receipts/verify`,
   * which also consumes the nonce. Pass `offlineReceiptCheck({ jwks, tenant })` to verify locally.
   */
  verify?: 'server' | ReceiptCheck;
  explain?: boolean;
}

/** The part of MGEClient the guard uses (kept narrow so tests can see what it depends on). */
export interface GuardClient {
  checkCompliance(action: Action, context?: Context, opts?: { explain?: boolean; audience?: string }): Promise<CheckResult>;
  verify(decision: Decision, opts?: { action?: Action; context?: Context; audience?: string }): Promise<{ valid: boolean; reason?: string }>;
}

/**
 * `client.guard(...)` as a free function. What is checked is the description of the call's
 * arguments when it is made; `fn` then gets the same arguments, read again. Pass values that
 * do not change while the check is in flight (plain data, not objects another task mutates or
 * with getters): the receipt binds the description, not what `fn` later reads.
 * @example const send = guard(client, (to: string) => ({ action: { type: 'email.send', to } }), sendMail)
 */
export function guard<A extends unknown[], R>(
  client: GuardClient,
  describe: Describe<A>,
  fn: (...args: A) => R | Promise<R>,
  opts: GuardOptions = {},
): GuardedFn<A, R> {
  const verify = opts?.verify;
  const explain = opts?.explain;
  // Checked here, not after the server approved: `{ verify: 'offline' }` failed every call
  // with a raw "check is not a function".
  if (verify !== undefined && verify !== 'server' && typeof verify !== 'function') {
    throw new MGEConfigError("guard: `verify` is 'server' (the default) or a receipt check such as offlineReceiptCheck({ jwks, tenant })");
  }
  if (typeof verify === 'function' && verify.ready !== undefined && typeof verify.ready !== 'function') {
    throw new MGEConfigError('guard: the receipt check\'s `ready`, when given, is a function that rejects when the check cannot work');
  }
  const check: ReceiptCheck =
    verify === undefined || verify === 'server'
      ? (d, input) => client.verify(d, { action: input.action, context: input.context, audience: input.audience })
      : verify;
  return async (...args: A): Promise<R> => {
    await check.ready?.();
    const described = await describe(...args);
    // The receipt is asked for the audience the check verifies (else an offline
    // check with its own audience refuses every receipt of a description naming none), and
    // checked against the action as the server is sent it (below).
    const input = { ...asSent(described), audience: described.audience ?? check.audience };
    const decision = await client.checkCompliance(input.action, input.context, { explain, audience: input.audience });
    if (!decision.approved) throw new ActionDenied(decision);
    const result = await check(decision, input);
    // Only a literal `true` runs fn: a custom check answering anything else refuses (fail closed).
    if (result?.valid !== true) throw new ReceiptRejected(result?.reason ?? 'invalid', decision);
    // What the verifier read from the decision it verified: a denial there is a denial, and so is
    // anything but `true` when it says (a custom check's `approved: "no"` ran fn until 11-29).
    if (result.approved !== undefined && result.approved !== true) throw new ActionDenied(decision);
    return fn(...args);
  };
}

/**
 * The action and context as the check sends them (JSON text), so an offline receipt check
 * hashes what the server hashed: a `Date` in the description was judged as its ISO string but
 * hashed offline as a Date, and refused; an undefined member is dropped as
 * JSON drops it. A number JSON cannot hold (NaN, Infinity: sent as `null`, so MGE would judge
 * another value than `fn` gets) is refused before anything is asked.
 */
function asSent(described: CheckInput): Pick<CheckInput, 'action' | 'context'> {
  return JSON.parse(jsonText({ action: described.action, context: described.context }, 'guard: the description')) as Pick<CheckInput, 'action' | 'context'>;
}

// verifyReceipt (SPEC §5): the one check the server's verify endpoint and the SDK share, so it
// uses web standards only. Checks run in a fixed order and the first failure names the reason;
// the nonce is consumed last, only when everything else passed, so a bad attempt cannot burn
// a good receipt's nonce.

import type { Json } from '../ir/types.js';
import type { NonceStore } from '../state/nonce-store.js';
import { withinDeadline } from '../state/deadline.js';
import { webCryptoBackend, type CryptoBackend } from './backend.js';
import { base64urlDecode } from './base64url.js';
import { computeActionHash, computeDecisionHash } from './decision-hash.js';
import { CanonicalizationError, jsonCopy } from './jcs.js';
import { toKeyRing, type VerificationKeys } from './keys.js';
import { verifySignedObject } from './signed-object.js';
import { isObject } from '../json/is-object.js';
import { MAX_TTL_MS } from './sign.js';

export type ReasonCode =
  | 'malformed' | 'unknown_kid' | 'bad_signature' | 'decision_mismatch' | 'tenant_mismatch' | 'action_mismatch'
  | 'audience_mismatch' | 'expired' | 'replayed' | 'nonce_store_full' | 'nonce_store_unavailable';

export interface VerifyResult {
  valid: boolean;
  reason?: ReasonCode;
  /**
   * With `valid`: the verified decision's `approved`. A denial's receipt is genuine too (it
   * proves the denial), so an executor runs the action only when `valid && approved`; read
   * here, from the copy that was verified, not again from the object passed in.
   */
  approved?: boolean;
  /** True only when a nonce store was given: without one, a receipt could be replayed. */
  singleUseChecked: boolean;
}

export interface VerifyOptions {
  keys: VerificationKeys;
  /** The action about to be executed, exactly as sent to the check; enables action_mismatch. */
  action?: Json;
  /** The check's context (absent: `{}`); only with `action`, alone it fails as action_mismatch. */
  context?: Json;
  /** The verifier's own id; a receipt bound to another audience is refused. */
  audience?: string;
  nonceStore?: NonceStore;
  /**
   * The tenant whose decisions the verifier accepts: a decision of another tenant, or naming
   * none, fails as `tenant_mismatch`. One server's key signs every tenant's receipts, so
   * without it an approval got under another tenant's rules verifies too.
   */
  tenant?: string;
  /** Epoch ms; default Date.now(). */
  now?: number;
  /** Clock skew allowance in ms, default 5 000. */
  skewMs?: number;
  backend?: CryptoBackend;
}

export const DEFAULT_SKEW_MS = 5_000;

/**
 * Why a verification clock setting cannot be used, or undefined when it can. Every comparison
 * with NaN is false, so an unchecked `NaN` (`Number(process.env.UNSET)`, `new Date('x')`) or
 * an infinite skew would switch the expiry check off.
 */
export function badVerifyClock(opts: { now?: unknown; skewMs?: unknown }): string | undefined {
  if (opts.now !== undefined && !(typeof opts.now === 'number' && Number.isFinite(opts.now))) {
    return `\`now\` must be a finite time in epoch milliseconds (or a valid Date), got ${describe(opts.now)}`;
  }
  const skew = opts.skewMs;
  // Capped as the server caps MGE_CLOCK_SKEW_SECONDS (at the longest receipt life): a skew of
  // 30 days verified a receipt 30 days expired (a review, 11-29).
  if (skew !== undefined && !(typeof skew === 'number' && Number.isSafeInteger(skew) && skew >= 0 && skew <= MAX_TTL_MS)) {
    return `\`skewMs\` must be a whole number of milliseconds from 0 to ${MAX_TTL_MS} (an hour), got ${describe(skew)}`;
  }
  return undefined;
}

function describe(v: unknown): string {
  return typeof v === 'number' ? String(v) : typeof v === 'string' ? JSON.stringify(v) : typeof v;
}

const RECEIPT_FIELDS = ['alg', 'decision_hash', 'expires_at', 'issued_at', 'kid', 'nonce', 'signature'].join();
// Exactly the form Date.prototype.toISOString writes, so a time has one spelling.
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function parseTime(s: unknown): number | undefined {
  if (typeof s !== 'string' || !ISO.test(s)) return undefined;
  const t = Date.parse(s);
  return Number.isFinite(t) && new Date(t).toISOString() === s ? t : undefined;
}

interface Parsed {
  decision: Record<string, unknown>;
  receipt: Record<string, unknown>;
  issuedMs: number;
  expiresMs: number;
  nonce: string;
}

function parse(given: unknown): Parsed | undefined {
  // Judged on one reading: a copy made from its canonical text. Read field by field, an object
  // whose getters (or a Proxy) answered one tenant or action_hash to the hash and another to the
  // comparisons passed as the other.
  const decision = jsonCopy(given); // undefined: a non-JSON value, or a getter that threw
  if (!isObject(decision) || !isObject(decision.receipt)) return undefined;
  const r = decision.receipt;
  if (Object.keys(r).sort().join() !== RECEIPT_FIELDS) return undefined;
  if (r.alg !== 'HS256' && r.alg !== 'Ed25519') return undefined;
  if (typeof r.kid !== 'string' || r.kid === '') return undefined;
  if (typeof r.decision_hash !== 'string' || !/^[0-9a-f]{64}$/.test(r.decision_hash)) return undefined;
  if (typeof r.nonce !== 'string' || typeof r.signature !== 'string') return undefined;
  if (typeof decision.action_hash !== 'string') return undefined;
  const issuedMs = parseTime(r.issued_at);
  const expiresMs = parseTime(r.expires_at);
  if (issuedMs === undefined || expiresMs === undefined || expiresMs < issuedMs) return undefined;
  try {
    if (base64urlDecode(r.nonce).length !== 16) return undefined;
  } catch {
    return undefined; // Base64UrlError: not a receipt we can judge
  }
  return { decision, receipt: r, issuedMs, expiresMs, nonce: r.nonce };
}

const fail = (reason: ReasonCode, singleUseChecked: boolean): VerifyResult => ({ valid: false, reason, singleUseChecked });

/**
 * Order: malformed → unknown_kid → bad_signature → decision_mismatch → tenant_mismatch →
 * action_mismatch → audience_mismatch → expired → replayed (the nonce is consumed only here).
 *
 * @example
 * const r = await verifyReceipt(decision, { keys: { secrets: [secret] }, action, context, nonceStore })
 * if (!r.valid) throw new Error(`receipt refused: ${r.reason}`)
 * if (!r.approved) throw new Error('denied') // a denial's receipt is valid too
 */
export async function verifyReceipt(decision: unknown, opts: VerifyOptions): Promise<VerifyResult> {
  const single = opts.nonceStore !== undefined;
  const backend = opts.backend ?? webCryptoBackend;
  const p = parse(decision);
  if (p === undefined) return fail('malformed', single);

  const sig = await verifySignedObject(p.receipt, await toKeyRing(opts.keys), backend);
  if (sig !== 'ok') return fail(sig, single);

  if ((await computeDecisionHash(p.decision, backend)) !== p.receipt.decision_hash) return fail('decision_mismatch', single);
  if (opts.tenant !== undefined && p.decision.tenant !== opts.tenant) return fail('tenant_mismatch', single);

  // `context` alone cannot be checked (action_hash covers both): refused rather than ignored,
  // so a caller who meant to bind the context is never told it was checked.
  if (opts.action === undefined && opts.context !== undefined) return fail('action_mismatch', single);
  if (opts.action !== undefined) {
    let actionHash: string;
    try {
      actionHash = await computeActionHash(opts.action, opts.context, backend);
    } catch (e) {
      if (e instanceof CanonicalizationError) return fail('action_mismatch', single);
      throw e;
    }
    if (actionHash !== p.decision.action_hash) return fail('action_mismatch', single);
  }

  if (opts.audience !== undefined && p.decision.audience !== opts.audience) return fail('audience_mismatch', single);

  const clock = badVerifyClock(opts);
  if (clock !== undefined) throw new RangeError(`verifyReceipt: ${clock}`);
  const now = opts.now ?? Date.now();
  const skew = opts.skewMs ?? DEFAULT_SKEW_MS;
  // Inside [issued − skew, expires + skew], both ends inclusive, or refused: a receipt from the
  // future is as unusable as an old one. Written as "not inside" so nothing unforeseen passes.
  if (!(now <= p.expiresMs + skew && now >= p.issuedMs - skew)) return fail('expired', single);

  if (opts.nonceStore !== undefined) {
    // The store forgets a nonce once its receipt has expired by the store's clock: judged at an
    // earlier `now` (a job's queue time), a receipt past that could be used once more after
    // any other verification let the store drop it (a review, 11-29). Single use is checked
    // only while the store still remembers.
    let forgets: number;
    try {
      forgets = typeof opts.nonceStore.forgetClock === 'function' ? opts.nonceStore.forgetClock() : Date.now();
    } catch {
      return fail('nonce_store_unavailable', true);
    }
    if (!Number.isFinite(forgets)) return fail('nonce_store_unavailable', true);
    if (forgets > p.expiresMs + skew) return fail('expired', true);
    // The signed tenant (the one `tenant` asked for, when given): a receipt cannot be replayed
    // once per namespace.
    const tenant = typeof p.decision.tenant === 'string' ? p.decision.tenant : '';
    let r: Awaited<ReturnType<NonceStore['consumeOnce']>>;
    try {
      // Promise.resolve follows a thenable; an answer that never comes is a store not reached.
      r = await withinDeadline(Promise.resolve(opts.nonceStore.consumeOnce(tenant, p.nonce, p.expiresMs + skew, p.issuedMs - skew)));
    } catch {
      return fail('nonce_store_unavailable', true); // fail closed
    }
    if (r === 'replayed') return fail('replayed', true);
    if (r === 'full') return fail('nonce_store_full', true);
    // Anything but a clear 'ok' (a custom store's bug) is no proof of first use: fail closed.
    if (r !== 'ok') return fail('nonce_store_unavailable', true);
  }
  return { valid: true, approved: p.decision.approved === true, singleUseChecked: single };
}

// Offline receipt verification for execution layers (SPEC §5). This is the server's own
// verifier (src/receipt/verify.ts) with SDK-shaped options: a shared HS256 secret or the JWKS
// served by GET /api/v1/keys. Single use is enforced only with a nonce store, and the result's
// `singleUseChecked` says whether it was.

import { KeyRing, toKeyRing } from '../receipt/keys.js';
import { badVerifyClock, verifyReceipt as verifyWithKeys, type ReasonCode, type VerifyResult } from '../receipt/verify.js';
import type { NonceStore } from '../state/nonce-store.js';
import { MGEConfigError } from './errors.js';
import type { ReceiptCheck } from './guard.js';
import type { Action, Context, Jwks } from './types.js';

export type { ReasonCode, VerifyResult, NonceStore };
export { KeyRing };

/** An HS256 secret; with an explicit `kid` when the server was given one. */
export type Secret = string | { secret: string; kid: string };

export interface VerifierKeys {
  /** The server's HS256 secret(s): one trust domain, whoever holds it can also sign. */
  secret?: Secret | Secret[];
  /** Public Ed25519 keys, as served by `GET /api/v1/keys`. */
  jwks?: Jwks;
}

export interface VerifyReceiptOptions extends VerifierKeys {
  /**
   * The tenant whose decisions this executor accepts (`default` for a server in the open
   * mode). Required: one server's key signs every tenant's receipts, so an approval got under
   * another tenant's rules would verify too; a decision of another tenant is `tenant_mismatch`.
   */
  tenant: string;
  /** The action about to be executed, exactly as sent to the check (enables `action_mismatch`). */
  action?: Action;
  /** The check's context (absent: `{}`); only together with `action`. */
  context?: Context;
  /** This executor's id: a receipt bound to another audience is refused. */
  audience?: string;
  /** Where seen nonces are kept; without one a receipt is not checked for replay. */
  nonceStore?: NonceStore;
  /** The time to judge expiry at (default: now). */
  now?: Date | number;
  /** Clock skew allowance, default 5 000 ms. */
  skewMs?: number;
  /** Keys imported once with `importVerifierKeys`, used instead of `secret` / `jwks`. */
  keyRing?: KeyRing;
}

/** Why verification cannot start without keys (importVerifierKeys, and offlineReceiptCheck where it is set up). */
const NEEDS_KEYS = 'needs keys: a `secret` (HS256) or a `jwks` with at least one key (Ed25519; a server signing with HS256 publishes none)';

/**
 * Imports the keys once; importing is the slow part of verification.
 * @example const keyRing = await importVerifierKeys({ jwks: await client.keys() })
 */
export async function importVerifierKeys(keys: VerifierKeys): Promise<KeyRing> {
  const secrets = keys.secret === undefined ? [] : Array.isArray(keys.secret) ? keys.secret : [keys.secret];
  const jwks = keys.jwks;
  if (jwks !== undefined && (typeof jwks !== 'object' || jwks === null || !Array.isArray(jwks.keys))) {
    throw new MGEConfigError('verification keys: `jwks` must be a JWKS, `{"keys": [...]}` (as GET /api/v1/keys serves it)');
  }
  if (secrets.length === 0 && (jwks?.keys.length ?? 0) === 0) throw new MGEConfigError(`verification ${NEEDS_KEYS}`);
  let ring: KeyRing;
  try {
    ring = await toKeyRing({ secrets, jwks });
  } catch (err) {
    // A short secret, a broken Ed25519 key: the caller's set-up, reported as the SDK's own error.
    throw new MGEConfigError(`verification keys: ${(err as Error).message}`);
  }
  if (ring.size === 0) throw new MGEConfigError('verification keys: the JWKS holds no Ed25519 key (keys of other types are skipped)');
  return ring;
}

/**
 * Verifies a decision's receipt offline, with the same checks, order and reason codes as the
 * server: malformed → unknown_kid → bad_signature → decision_mismatch → tenant_mismatch →
 * action_mismatch → audience_mismatch → expired → replayed.
 *
 * @example
 * const jwks = await client.keys()
 * const r = await verifyReceipt(decision, { jwks, tenant: 'acme', action, context, nonceStore })
 * if (!r.valid) throw new Error(`refusing to execute: ${r.reason}`)
 * if (!r.approved) throw new Error('refusing to execute: MGE denied it') // a denial's receipt is valid too
 */
export async function verifyReceipt(decision: unknown, opts: VerifyReceiptOptions): Promise<VerifyResult> {
  // Read once: what is checked here is what the verification uses (a getter on `tenant` that
  // answered once and then undefined switched the tenant check off).
  const { secret, jwks, tenant, action, context, audience, nonceStore, now: at, skewMs, keyRing } = opts ?? ({} as VerifyReceiptOptions);
  checkOptions('verifyReceipt', { tenant, audience, nonceStore });
  if (context !== undefined && action === undefined) {
    throw new MGEConfigError('verifyReceipt: `context` needs `action` (the receipt binds the two together; a context alone cannot be checked)');
  }
  const now = at instanceof Date ? at.getTime() : at;
  const clock = badVerifyClock({ now, skewMs });
  if (clock !== undefined) throw new MGEConfigError(`verifyReceipt: ${clock}`);
  const keys = keyRing ?? (await importVerifierKeys({ secret, jwks }));
  return verifyWithKeys(decision, { keys, tenant, action, context, audience, nonceStore, now, skewMs });
}

/**
 * The options every verification needs right, checked where they are given: `tenant` is
 * required (VerifyReceiptOptions.tenant says why); an empty `audience` or a `nonceStore` that
 * is none (`null`) would refuse every receipt with a reason that hides the set-up mistake.
 */
function checkOptions(fn: string, opts: { tenant?: unknown; audience?: unknown; nonceStore?: unknown }): void {
  if (typeof opts?.tenant !== 'string' || opts.tenant === '') {
    throw new MGEConfigError(`${fn}: give \`tenant\`, the tenant whose decisions this executor accepts (\`default\` in the open mode): one server's key signs every tenant's receipts, so without it another tenant's approval would verify`);
  }
  if (opts.audience !== undefined && (typeof opts.audience !== 'string' || opts.audience === '')) {
    throw new MGEConfigError(`${fn}: \`audience\` is this executor's id, a non-empty string; leave it out to accept any`);
  }
  const store = opts.nonceStore as { consumeOnce?: unknown } | null | undefined;
  if (store !== undefined && typeof store?.consumeOnce !== 'function') {
    throw new MGEConfigError(`${fn}: \`nonceStore\` must have a \`consumeOnce\` method (a MemoryNonceStore, or a shared store); leave it out to skip the replay check`);
  }
}

/**
 * A receipt check for `client.guard(..., { verify })` that verifies locally, keys imported once.
 * @example client.guard(describe, run, { verify: offlineReceiptCheck({ jwks, tenant: 'acme', nonceStore: new MemoryNonceStore() }) })
 */
export function offlineReceiptCheck(opts: VerifierKeys & { tenant: string; audience?: string; nonceStore?: NonceStore; skewMs?: number; keyRing?: KeyRing }): ReceiptCheck {
  // Read once, at set-up: every check uses what was checked here.
  const { secret, jwks, tenant, audience, nonceStore, skewMs, keyRing } = opts ?? ({} as typeof opts);
  // Refused when set up, not at the first receipt: a bad skew would otherwise fail every action.
  checkOptions('offlineReceiptCheck', { tenant, audience, nonceStore });
  // A JWKS with no key is what `client.keys()` gives for an HS256 server: refused here too.
  const jwksKeys = Array.isArray(jwks?.keys) ? jwks.keys.length : 0;
  if (secret === undefined && keyRing === undefined && jwksKeys === 0) throw new MGEConfigError(`offlineReceiptCheck: verification ${NEEDS_KEYS}`);
  const clock = badVerifyClock({ skewMs });
  if (clock !== undefined) throw new MGEConfigError(`offlineReceiptCheck: ${clock}`);
  // Imported now; a guard waits for it (ReceiptCheck.ready) before it asks MGE, so a key that
  // does not import (a short secret, a private JWK) stops each call before a decision is
  // logged for it (until 11-29 every call asked MGE, then failed; a review).
  const ring = keyRing !== undefined ? Promise.resolve(keyRing) : importVerifierKeys({ secret, jwks });
  ring.catch(() => undefined); // reported by ready() and each check, not as an unhandled rejection
  const check: ReceiptCheck = async (decision, input) =>
    verifyReceipt(decision, { keyRing: await ring, tenant, action: input.action, context: input.context, audience, nonceStore, skewMs });
  check.ready = async () => void (await ring);
  // The guard asks MGE for a receipt bound to this audience (GuardOptions.verify).
  if (audience !== undefined) check.audience = audience;
  return check;
}

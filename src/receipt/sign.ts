// Signing decisions (receipts, SPEC §5) and checkpoints (SPEC §6). Both sign
// C(object without "signature") with the one active key; the result carries that key's alg/kid.

import type { Decision, Receipt } from '../ir/types.js';
import type { Checkpoint, UnsignedCheckpoint } from '../audit/checkpoint.js';
import { webCryptoBackend, type CryptoBackend, type MaybePromise } from './backend.js';
import { base64urlEncode } from './base64url.js';
import { hashCanonicalText } from './decision-hash.js';
import { decisionText, flat, joinDecisionText } from './decision-text.js';
import { IsoTimeCache, wholeIsoMs } from './iso-time.js';
import { randomBytes } from './random-pool.js';
import { canonicalize } from './jcs.js';
import {
  KeyError, KeyRing, importEd25519Private, importHs256Secret,
  type Alg, type Ed25519PrivateJwk, type SigningKey, type VerificationKey,
} from './keys.js';

export const DEFAULT_TTL_MS = 60_000;
/** Receipts are meant to be used at once; a long TTL widens the replay window a nonce store must cover. */
export const MAX_TTL_MS = 3_600_000;

export class TtlError extends KeyError {
  override readonly name = 'TtlError';
}

export interface SignerOptions {
  /** HS256 secret (≥ 32 UTF-8 bytes), e.g. MGE_SECRET_KEY. */
  hs256Secret?: string;
  /** Ed25519 private key; its kid defaults to the JWK's `kid` or its RFC 7638 thumbprint. */
  ed25519?: { privateJwk: Ed25519PrivateJwk };
  /** Which key signs when both are given; default Ed25519 when given, else HS256. */
  alg?: Alg;
  /** Kid of the signing key (default derived from the key). */
  kid?: string;
  /** Receipt lifetime, 1 ms to MAX_TTL_MS; default 60 s. */
  ttlMs?: number;
  now?: () => number;
  /** Source of the 16 nonce bytes; tests and vector generation fix it. */
  randomBytes?: (n: number) => Uint8Array;
  /** Older keys still accepted for verification during rotation. */
  extraVerificationKeys?: VerificationKey[];
  /** Default: WebCrypto. The Node adapter offers a synchronous node:crypto path. */
  backend?: CryptoBackend;
}

/**
 * A signed decision: its receipt and its audit line, exactly `auditLine(decision)`
 * (src/audit/log.ts). The decision object with the receipt is built only when asked for:
 * `mge serve` answers with the audit line and never needs it, and copying a decision's dozen
 * members was about a tenth of a signed, audited check. The decision given to signAudited must
 * not change afterwards (the engine's decisions are fresh objects).
 */
export class SignedDecision<D extends Decision = Decision> {
  #decision: (D & { receipt: Receipt }) | undefined;
  readonly auditLine: string;

  constructor(
    /** The decision as given, without its receipt. */
    readonly unsigned: D,
    readonly receipt: Receipt,
    /**
     * "\0" + the audit line: what its RFC 9162 leaf hash is computed over. The line is a view
     * of this text (a slice shares its characters), so the log hashes the line without copying
     * a kilobyte into a new "\0"-prefixed string first.
     */
    readonly leafInput: string,
  ) {
    // Flat once, so the slice and the hash share one text.
    this.auditLine = flat(leafInput).slice(1);
  }

  get decision(): D & { receipt: Receipt } {
    return (this.#decision ??= { ...this.unsigned, receipt: this.receipt });
  }
}

/** Signs decisions and checkpoints with one active key. Build with createSigner. */
export class Signer {
  constructor(
    readonly key: SigningKey,
    /** Every key this instance accepts, its own included. */
    readonly keys: KeyRing,
    private readonly backend: CryptoBackend,
    private readonly ttlMs: number,
    private readonly now: () => number,
    private readonly randomBytes: (n: number) => Uint8Array,
  ) {
    this.head = `{"alg":${canonicalize(key.alg)},"decision_hash":"`;
    this.kidText = canonicalize(key.kid);
  }

  // C(unsigned receipt) is written out directly from three parts: the head (C(alg), fixed with
  // the key), the times with C(kid) (the same for every receipt of one millisecond), and the
  // hash and nonce. Every member but alg and kid is base64url, hex or an ISO time: nothing to
  // escape. test/receipt/sign.test.ts checks the text against canonicalize.
  private readonly head: string;
  private readonly kidText: string;
  private readonly issuedAt = new IsoTimeCache();
  private readonly expiresAt = new IsoTimeCache();
  private timesMs = NaN;
  private timesText = '';

  get kid(): string {
    return this.key.kid;
  }

  get alg(): Alg {
    return this.key.alg;
  }

  /** `decision` with its receipt; decision_hash covers all but `receipt` and `explanation`. */
  async sign<D extends Decision>(decision: D): Promise<D & { receipt: Receipt }> {
    return (await this.signAudited(decision)).decision;
  }

  /**
   * Like sign, and also returns the decision's audit line (C(signed decision without
   * `explanation`)), built from the canonical text already computed for decision_hash, so the
   * audit log does not canonicalize the decision a second time (AuditLog.appendSigned).
   */
  async signAudited<D extends Decision>(decision: D): Promise<SignedDecision<D>> {
    const text = decisionText(decision);
    // A synchronous backend's results are used as they come: an `await` costs a turn each.
    const hashed = hashCanonicalText(joinDecisionText(text), this.backend);
    const decision_hash = typeof hashed === 'string' ? hashed : await hashed;
    const issued = this.clock();
    const nonce = base64urlEncode(this.nonceBytes());
    const issued_at = this.issuedAt.format(issued);
    const expires_at = this.expiresAt.format(issued + this.ttlMs);
    if (issued !== this.timesMs) {
      this.timesText = `","expires_at":"${expires_at}","issued_at":"${issued_at}","kid":${this.kidText},"nonce":"`;
      this.timesMs = issued;
    }
    const unsignedHead = this.head + decision_hash + this.timesText + nonce;
    const signingText = unsignedHead + '"}';
    const signed = this.signText(signingText);
    const signature = typeof signed === 'string' ? signed : await signed;
    const receipt: Receipt = { alg: this.key.alg, kid: this.key.kid, nonce, issued_at, expires_at, decision_hash, signature };
    // C(receipt): "signature" sorts after every other member, so it closes the signing text.
    const receiptText = unsignedHead + '","signature":"' + signature + '"}';
    return new SignedDecision(decision, receipt, joinDecisionText(text, receiptText, '\0'));
  }

  /**
   * The issue time in whole milliseconds, or a TypeError naming the clock: a receipt must be
   * one `verifyReceipt` reads (a clock in year 10000 wrote `+010000-…`, and every receipt of
   * that signer was `malformed`, logged and dead; a review, 11-29).
   */
  private clock(): number {
    const ms = this.now();
    const whole = wholeIsoMs(ms, this.ttlMs);
    if (whole !== undefined) return whole;
    throw new TypeError(`the signer's clock (option \`now\`) gave ${typeof ms === 'number' ? String(ms) : `no number (${typeof ms})`}, not milliseconds since the epoch a receipt can carry (years 0000–9999)`);
  }

  /** A receipt's 16 random nonce bytes, or a TypeError naming `randomBytes` (a short nonce is `malformed` at every verifier). */
  private nonceBytes(): Uint8Array {
    const bytes: unknown = this.randomBytes(16);
    // Read through the typed arrays' own getters, which see the object's internal slots: a
    // Uint8Array of another realm (a vm context, a test runner's sandbox) is one, and a view
    // that claims the tag or a length it does not have is not (re-reviews, 11-29: refused at
    // every signature; a Float64Array tagged Uint8Array signed an all-zero nonce). The bytes
    // are copied, so the nonce is what was checked.
    const kind = ArrayBuffer.isView(bytes) && !(bytes instanceof DataView) ? (TYPED_ARRAY_TAG.call(bytes) as string | undefined) : undefined;
    if ((kind === 'Uint8Array' || kind === 'Uint8ClampedArray') && TYPED_ARRAY_LENGTH.call(bytes) === 16) {
      return new Uint8Array(TYPED_ARRAY_BUFFER.call(bytes) as ArrayBuffer, TYPED_ARRAY_OFFSET.call(bytes) as number, 16).slice();
    }
    const what = kind === undefined ? 'no typed array' : kind === 'Uint8Array' || kind === 'Uint8ClampedArray' ? `${TYPED_ARRAY_LENGTH.call(bytes) as number} bytes` : `${/^[AEIOU]/.test(kind) ? 'an' : 'a'} ${kind}`;
    throw new TypeError(`the signer's \`randomBytes\` gave ${what}, not a Uint8Array of the 16 bytes asked for`);
  }

  /** The base64url signature of `text`; at once from a backend that signs synchronously. */
  private signText(text: string): MaybePromise<string> {
    if (this.backend.signBase64url) return this.backend.signBase64url(this.key, text);
    const mac = this.backend.sign(this.key, text);
    return mac instanceof Promise ? mac.then(base64urlEncode) : base64urlEncode(mac);
  }

  /** A checkpoint signed like a receipt (SPEC §6). */
  async signCheckpoint(cp: UnsignedCheckpoint): Promise<Checkpoint> {
    const unsigned = { ...cp, alg: this.key.alg, kid: this.key.kid };
    const signature = await this.signText(canonicalize(unsigned));
    return { ...unsigned, signature };
  }

  /**
   * A keyed fingerprint of `text` (32 hex digits): the SHA-256 of this key's signature over it,
   * in a domain no receipt or checkpoint takes (theirs are JSON objects). HMAC and Ed25519 sign
   * deterministically, so one key gives one fingerprint; without the key none can be computed,
   * so a published fingerprint confirms no guess of `text` (`/metrics` shows rule sets so).
   */
  async fingerprint(text: string): Promise<string> {
    const signature = await this.signText(`mge fingerprint\n${text}`);
    return (await hashCanonicalText(signature, this.backend)).slice(0, 32);
  }

  /** Public keys for `GET /api/v1/keys`. */
  jwks(): { keys: JsonWebKey[] } {
    return this.keys.jwks();
  }
}

/**
 * @example
 * const signer = await createSigner({ hs256Secret: process.env.MGE_SECRET_KEY })
 * const signed = await signer.sign(decision)
 */
// The intrinsic %TypedArray%.prototype getters: they read a typed array's internal slots, of
// any realm, and throw for anything else (ArrayBuffer.isView is checked first).
const TYPED_ARRAY = Object.getPrototypeOf(Uint8Array.prototype) as object;
const getter = (name: PropertyKey): ((this: unknown) => unknown) => Object.getOwnPropertyDescriptor(TYPED_ARRAY, name)!.get!;
const TYPED_ARRAY_TAG = getter(Symbol.toStringTag);
const TYPED_ARRAY_LENGTH = getter('length');
const TYPED_ARRAY_BUFFER = getter('buffer');
const TYPED_ARRAY_OFFSET = getter('byteOffset');

export async function createSigner(opts: SignerOptions): Promise<Signer> {
  const ttlMs = opts.ttlMs ?? DEFAULT_TTL_MS;
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 1 || ttlMs > MAX_TTL_MS) {
    throw new TtlError(`receipt TTL \`${ttlMs}\` ms must be an integer from 1 to ${MAX_TTL_MS}`);
  }
  // A kid that is not a non-empty string made receipts every verifier reads as `malformed`.
  if (opts.kid !== undefined && (typeof opts.kid !== 'string' || opts.kid === '')) {
    throw new KeyError(`\`kid\` must be a non-empty string, got ${typeof opts.kid === 'string' ? 'an empty one' : typeof opts.kid}`);
  }
  const ring = new KeyRing(opts.extraVerificationKeys ?? []);
  let hs: SigningKey | undefined;
  let ed: SigningKey | undefined;
  const wantsHs = opts.alg === 'HS256' || (opts.alg === undefined && opts.ed25519 === undefined);
  if (opts.hs256Secret !== undefined) {
    const k = await importHs256Secret(opts.hs256Secret, wantsHs ? opts.kid : undefined);
    ring.add(k.verification);
    hs = k.signing;
  }
  if (opts.ed25519 !== undefined) {
    const k = await importEd25519Private(opts.ed25519.privateJwk, wantsHs ? undefined : opts.kid);
    ring.add(k.verification);
    ed = k.signing;
  }
  const key = wantsHs ? hs : ed;
  if (key === undefined) throw new KeyError(`no ${wantsHs ? 'HS256 secret' : 'Ed25519 key'} given to sign with`);
  return new Signer(key, ring, opts.backend ?? webCryptoBackend, ttlMs, opts.now ?? Date.now, opts.randomBytes ?? randomBytes);
}

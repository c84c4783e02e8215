// Key ring for receipts and checkpoints (SPEC §5): keys imported once as non-extractable
// CryptoKeys, one usage each (on Node, node/crypto.ts keeps a KeyObject beside each, from the
// same material: docs/trust.md). The algorithm belongs to the key a `kid` names; a receipt's
// own `alg` field is only ever compared with it, never trusted.

import { base64urlDecode, base64urlEncode } from './base64url.js';
import { canonicalize } from './jcs.js';
import { bufferSource, sha256, subtle, toHex } from './hash.js';

export type Alg = 'HS256' | 'Ed25519';

/** A key that signs. `key` has the single usage `sign`. */
export interface SigningKey {
  readonly kid: string;
  readonly alg: Alg;
  readonly key: CryptoKey;
}

/** A key that verifies. `key` has the single usage `verify`; `publicJwk` only for Ed25519. */
export interface VerificationKey {
  readonly kid: string;
  readonly alg: Alg;
  readonly key: CryptoKey;
  readonly publicJwk?: JsonWebKey;
  /**
   * Tells two keys apart under one kid (never shown): the public key for Ed25519, a hash of
   * the secret for HS256.
   */
  readonly fingerprint: string;
}

/** A private Ed25519 key as stored in the data dir or given by the operator. */
export interface Ed25519PrivateJwk extends JsonWebKey {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  d: string;
  kid?: string;
}

export class KeyError extends Error {
  override readonly name: string = 'KeyError';
}

/** HS256 secrets below this many UTF-8 bytes are refused at start-up (SPEC §5). */
const MIN_SECRET_BYTES = 32;

export class WeakSecretError extends KeyError {
  override readonly name = 'WeakSecretError';
}

const encoder = new TextEncoder();

/** The verification keys accepted at once (several during rotation). */
export class KeyRing {
  private readonly byKid = new Map<string, VerificationKey>();

  constructor(keys: Iterable<VerificationKey> = []) {
    for (const k of keys) this.add(k);
  }

  add(key: VerificationKey): void {
    const old = this.byKid.get(key.kid);
    if (old !== undefined && old.alg !== key.alg) throw new KeyError(`kid \`${key.kid}\` names two keys of different algorithms`);
    // The second quietly replaced the first, so the order keys were given in decided which
    // receipts verified (merged JWKS files, say). The same key twice is fine.
    if (old !== undefined && old.fingerprint !== key.fingerprint) throw new KeyError(`kid \`${key.kid}\` names two different keys`);
    this.byKid.set(key.kid, key);
  }

  get(kid: string): VerificationKey | undefined {
    return this.byKid.get(kid);
  }

  get size(): number {
    return this.byKid.size;
  }

  values(): IterableIterator<VerificationKey> {
    return this.byKid.values();
  }

  /** Public keys only (Ed25519); HS256 secrets never leave the process. */
  jwks(): { keys: JsonWebKey[] } {
    const keys: JsonWebKey[] = [];
    for (const k of this.byKid.values()) if (k.publicJwk !== undefined) keys.push(k.publicJwk);
    return { keys };
  }
}

/**
 * The verification keys of a comma-separated list of HS256 secrets (MGE_PREVIOUS_SECRET_KEYS:
 * those used before a rotation; none may contain a comma), each held to the signing minimum.
 * @example for (const k of await hs256VerificationKeys(process.env.MGE_PREVIOUS_SECRET_KEYS)) ring.add(k)
 */
/** A secret as `openssl rand -base64|-hex` or the data dir's secret.key write it: base64(url) or hex, of signing length. */
const GENERATED_SECRET = new RegExp(`^[A-Za-z0-9+/_-]{${MIN_SECRET_BYTES},}={0,2}$`);

export async function hs256VerificationKeys(list: string | undefined): Promise<VerificationKey[]> {
  const secrets = (list ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  return Promise.all(secrets.map(async (s, i) => {
    // Two secrets joined another way (`;`, a space, a newline) were one secret nobody signed
    // with, and what the old ones signed stopped verifying, without a word.
    // Only generated secrets (base64 or hex, as `openssl rand` and secret.key are) are told
    // apart: a secret of any printable text, as MGE_SECRET_KEY takes, is one secret.
    const parts = s.split(/[;|:\s]+/);
    if (parts.length > 1 && parts.every((p) => GENERATED_SECRET.test(p))) {
      const mark = /[;|:]/.exec(s);
      throw new KeyError(`MGE_PREVIOUS_SECRET_KEYS entry ${i + 1} reads as ${parts.length} secrets joined by ${mark !== null ? `\`${mark[0]}\`` : /\n/.test(s) ? 'a newline' : 'white space'}; separate secrets with commas`);
    }
    try {
      return (await importHs256Secret(s)).verification;
    } catch (err) {
      // Named, or the operator looks for the short secret in MGE_SECRET_KEY.
      if (err instanceof WeakSecretError) throw new WeakSecretError(`MGE_PREVIOUS_SECRET_KEYS entry ${i + 1}: ${err.message}`);
      throw err;
    }
  }));
}

/**
 * Imports an HS256 secret (UTF-8 bytes of `secret`) twice: once to sign, once to verify.
 * The default kid is derived from the secret so every instance sharing it agrees; it reveals
 * no more than any receipt's MAC already does.
 *
 * @example const { signing, verification } = await importHs256Secret(process.env.MGE_SECRET_KEY!)
 */
export async function importHs256Secret(secret: string, kid?: string): Promise<{ signing: SigningKey; verification: VerificationKey }> {
  // A number or object was encoded as text of its own ("has 0 bytes" for some).
  if (typeof secret !== 'string') throw new KeyError(`HS256 secret must be a string, got ${secret === null ? 'null' : typeof secret}`);
  const raw = encoder.encode(secret);
  if (raw.length < MIN_SECRET_BYTES) {
    throw new WeakSecretError(`HS256 secret has ${raw.length} bytes; at least ${MIN_SECRET_BYTES} are required (make one: \`openssl rand -base64 48\`)`);
  }
  // 38 spaces would pass the length check: a variable filled from an empty command
  // substitution padded out, or a template left blank.
  if (secret.trim() === '') throw new WeakSecretError('HS256 secret is only white space (make one: `openssl rand -base64 48`)');
  const id = kid ?? 'hs256-' + toHex(await sha256(encoder.encode('mge-hs256-kid:' + secret))).slice(0, 16);
  return importHmacRaw(raw, id);
}

/** The material a key was imported from: HMAC bytes, or an Ed25519 JWK (private with `d`). */
export type KeyMaterial = { raw: Uint8Array } | { jwk: JsonWebKey };

const importObservers: Array<(key: CryptoKey, material: KeyMaterial) => void> = [];

/**
 * Hears each key as it is imported, with its material, so a backend can keep a handle of its
 * own: node/crypto.ts makes a KeyObject here, since Node deprecates making one from a
 * non-extractable CryptoKey (DEP0204, a runtime warning from Node 26, an error later). The
 * CryptoKeys stay non-extractable.
 */
export function observeKeyImports(observer: (key: CryptoKey, material: KeyMaterial) => void): void {
  importObservers.push(observer);
}

function imported(key: CryptoKey, material: KeyMaterial): CryptoKey {
  for (const observe of importObservers) observe(key, material);
  return key;
}

/**
 * HMAC-SHA256 keys from raw bytes with no length policy: for test vectors (RFC 4231 keys are
 * binary and as short as 4 bytes). Configured secrets go through importHs256Secret.
 */
export async function importHmacRaw(raw: Uint8Array, kid: string): Promise<{ signing: SigningKey; verification: VerificationKey }> {
  const alg = { name: 'HMAC', hash: 'SHA-256' };
  const [s, v] = await Promise.all([
    subtle().importKey('raw', bufferSource(raw), alg, false, ['sign']),
    subtle().importKey('raw', bufferSource(raw), alg, false, ['verify']),
  ]);
  imported(s, { raw });
  imported(v, { raw });
  const fingerprint = 'hs256:' + toHex(await sha256(raw));
  return { signing: { kid, alg: 'HS256', key: s }, verification: { kid, alg: 'HS256', key: v, fingerprint } };
}

/** RFC 7638 thumbprint of an Ed25519 public key, used as its default kid. */
async function ed25519Thumbprint(x: string): Promise<string> {
  const c = canonicalize({ crv: 'Ed25519', kty: 'OKP', x });
  return base64urlEncode(await sha256(encoder.encode(c)));
}

/** A fresh Ed25519 key pair as a private JWK (with its kid), to be kept in the data dir. */
export async function generateEd25519Jwk(): Promise<Ed25519PrivateJwk> {
  const pair = (await subtle().generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  const jwk = await subtle().exportKey('jwk', pair.privateKey);
  if (typeof jwk.x !== 'string' || typeof jwk.d !== 'string') throw new KeyError('runtime exported an Ed25519 key without `x` or `d`');
  return { kty: 'OKP', crv: 'Ed25519', x: jwk.x, d: jwk.d, kid: await ed25519Thumbprint(jwk.x) };
}

/** The field prime of Ed25519, 2^255 − 19. */
const P = 2n ** 255n - 19n;
/** The y of an order-8 point (the other is P − Y8); 0, 1 and P − 1 are the points of order 4, 1 and 2. */
const Y8 = 0x7a03ac9277fdc74ec6cc392cfa53202a0f67100d760b3cba4fd84d3d706a17c7n;
const SMALL_ORDER_Y = new Set([0n, 1n, P - 1n, Y8, P - Y8]);

/**
 * Why a public key's encoding is refused, if it is: a point of small order (a signature with
 * R the identity and S 0 verifies under it for any message) or a y not below p (a second
 * encoding of a point). A JWKS with such an `x` would verify a forged receipt.
 */
function weakPublicKey(x: Uint8Array): string | undefined {
  let y = 0n;
  for (let i = 31; i >= 0; i--) y = (y << 8n) | BigInt(i === 31 ? x[i] & 0x7f : x[i]);
  if (y >= P) return 'is not canonically encoded (its y is not below 2^255 − 19)';
  if (SMALL_ORDER_Y.has(y)) return 'is a point of small order, under which forged signatures verify';
  return undefined;
}

function checkOkp(jwk: JsonWebKey, needPrivate: boolean): { x: string; d?: string } {
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519') throw new KeyError('JWK is not an Ed25519 key (`kty` OKP, `crv` Ed25519)');
  const x = typeof jwk.x === 'string' ? jwk.x : ''; // none decodes to no bytes: refused below
  const xBytes = base64urlDecode(x);
  if (xBytes.length !== 32) throw new KeyError('Ed25519 JWK `x` must be 32 bytes base64url');
  const weak = weakPublicKey(xBytes);
  if (weak !== undefined) throw new KeyError(`Ed25519 JWK \`x\` ${weak}`);
  if (needPrivate && (typeof jwk.d !== 'string' || base64urlDecode(jwk.d).length !== 32)) {
    throw new KeyError('Ed25519 JWK `d` must be 32 bytes base64url');
  }
  return { x, d: jwk.d };
}

/** A verification key from a public (or private: `d` is ignored) Ed25519 JWK. */
export async function importEd25519Public(jwk: JsonWebKey & { kid?: string }, kid?: string): Promise<VerificationKey> {
  const { x } = checkOkp(jwk, false);
  // A number or an empty string signed every receipt with a kid no verifier matches.
  if (jwk.kid !== undefined && (typeof jwk.kid !== 'string' || jwk.kid === '')) throw new KeyError(`Ed25519 JWK \`kid\` is a non-empty string (got ${JSON.stringify(jwk.kid)})`);
  const id = kid ?? jwk.kid ?? (await ed25519Thumbprint(x));
  const pub = { kty: 'OKP', crv: 'Ed25519', x };
  const key = imported(await subtle().importKey('jwk', pub, { name: 'Ed25519' }, false, ['verify']), { jwk: pub });
  return { kid: id, alg: 'Ed25519', key, publicJwk: { ...pub, kid: id, alg: 'Ed25519', use: 'sig' } as JsonWebKey, fingerprint: 'ed25519:' + x };
}

/**
 * The Ed25519 verification keys of a JWKS's `keys`. A key of another type (`kty` other than
 * OKP, or another OKP curve) is skipped, as RFC 7517 §5 asks (else one RSA key beside the
 * real one stops all verification); anything else wrong is an error that
 * names the key (`keys[i]`).
 */
export async function importJwks(keys: readonly unknown[]): Promise<VerificationKey[]> {
  const out: VerificationKey[] = [];
  for (const [i, k] of keys.entries()) {
    if (typeof k !== 'object' || k === null || Array.isArray(k)) throw new KeyError(`keys[${i}] is not a JWK`);
    const jwk = k as JsonWebKey;
    if (jwk.kty !== 'OKP' || (jwk.crv !== undefined && jwk.crv !== 'Ed25519')) continue;
    try {
      out.push(await importJwksKey(jwk));
    } catch (err) {
      throw new KeyError(`keys[${i}]: ${(err as Error).message}`);
    }
  }
  return out;
}

/**
 * A verification key from one key of a JWKS (`GET /api/v1/keys`, `--jwks`): public, for
 * signatures, EdDSA. A JWKS holding a private key (`d`) is refused, since whoever holds it can
 * sign; so is a key labelled for another use or algorithm, rather than used regardless.
 */
export async function importJwksKey(jwk: JsonWebKey & { kid?: string }): Promise<VerificationKey> {
  const what = `JWKS key${typeof jwk.kid === 'string' ? ` \`${jwk.kid}\`` : ''}`;
  if (jwk.d !== undefined) throw new KeyError(`${what} holds a private key (\`d\`): a verifier is given the public key only (as GET /api/v1/keys serves it)`);
  if (jwk.alg !== undefined && jwk.alg !== 'EdDSA' && jwk.alg !== 'Ed25519') throw new KeyError(`${what} is labelled \`alg\` ${JSON.stringify(jwk.alg)}, not EdDSA`);
  if (jwk.use !== undefined && jwk.use !== 'sig') throw new KeyError(`${what} is labelled \`use\` ${JSON.stringify(jwk.use)}, not sig`);
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify'))) throw new KeyError(`${what} has \`key_ops\` without verify`);
  return importEd25519Public(jwk);
}

/** Signing and verification keys from a private Ed25519 JWK. */
export async function importEd25519Private(jwk: Ed25519PrivateJwk, kid?: string): Promise<{ signing: SigningKey; verification: VerificationKey }> {
  const { x, d } = checkOkp(jwk, true);
  const verification = await importEd25519Public(jwk, kid);
  const priv = { kty: 'OKP', crv: 'Ed25519', x, d };
  let raw: CryptoKey;
  try {
    raw = await subtle().importKey('jwk', priv, { name: 'Ed25519' }, false, ['sign']);
  } catch {
    // The runtime's own text ("Invalid keyData") named neither the key nor why.
    throw new KeyError('Ed25519 JWK does not import as a private key: its `x` is not the public key of its `d`');
  }
  const key = imported(raw, { jwk: priv });
  return { signing: { kid: verification.kid, alg: 'Ed25519', key }, verification };
}

/** The forms a verifier may be given keys in: a ring, or secrets and JWKS to import. */
export type VerificationKeys = KeyRing | { secrets?: Array<string | { secret: string; kid: string }>; jwks?: { keys: JsonWebKey[] } };

/** Builds a ring once; import is the slow part, so servers should keep the result. */
export async function toKeyRing(keys: VerificationKeys): Promise<KeyRing> {
  if (keys instanceof KeyRing) return keys;
  const ring = new KeyRing();
  for (const s of keys.secrets ?? []) {
    const { verification } = typeof s === 'object' && s !== null ? await importHs256Secret(s.secret, s.kid) : await importHs256Secret(s);
    ring.add(verification);
  }
  for (const key of await importJwks(keys.jwks?.keys ?? [])) ring.add(key);
  return ring;
}

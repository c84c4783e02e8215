// The few primitives receipts and the audit log need, behind one small interface so the Node
// adapter can supply a synchronous `node:crypto` path (src/adapters/node/crypto.ts) while the
// WebCrypto one stays the portable default. Both must give byte-identical results.

import type { SigningKey, VerificationKey } from './keys.js';
import { bufferSource, bytesOf, sha256, subtle } from './hash.js';

/** A result now or later: the Node path answers synchronously and skips a thread-pool hop. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * Bytes, or a string standing for its UTF-8 bytes. Hashed and signed texts are canonical JSON,
 * which is well-formed (RFC 8785 refuses lone surrogates), so that encoding is unambiguous and
 * a backend that hashes text directly (node:crypto) skips the encode step.
 */
export type BytesOrText = Uint8Array | string;

export interface CryptoBackend {
  readonly name: string;
  sha256(data: BytesOrText): MaybePromise<Uint8Array>;
  /**
   * Optional: lower-case hex SHA-256 of a string's UTF-8 bytes, for backends that hash text
   * without an encode step (node:crypto: ~5× cheaper than TextEncoder + sha256 + toHex).
   */
  sha256HexOfText?(text: string): string;
  /** HMAC-SHA256 or Ed25519, as fixed by the key. */
  sign(key: SigningKey, data: BytesOrText): MaybePromise<Uint8Array>;
  /**
   * Optional: `sign`, answered at once as unpadded base64url (the receipt's form), for backends
   * that encode natively (node:crypto: ~1.5 µs less per receipt than bytes + base64urlEncode).
   */
  signBase64url?(key: SigningKey, text: string): string;
  /** Constant-time for MACs; false (never a throw) for a signature of the wrong length. */
  verify(key: VerificationKey, data: BytesOrText, signature: Uint8Array): MaybePromise<boolean>;
}

function algorithm(alg: SigningKey['alg']): AlgorithmIdentifier {
  return alg === 'HS256' ? 'HMAC' : 'Ed25519';
}

/** The portable path: runs unchanged on Node, Deno, Bun, Workers and browsers. */
export const webCryptoBackend: CryptoBackend = {
  name: 'webcrypto',
  sha256,
  async sign(key, data) {
    return new Uint8Array(await subtle().sign(algorithm(key.alg), key.key, bufferSource(bytesOf(data))));
  },
  async verify(key, data, signature) {
    // crypto.subtle.verify compares MACs in constant time. Some runtimes throw on a
    // signature of the wrong length; that is a bad signature, not an error.
    try {
      return await subtle().verify(algorithm(key.alg), key.key, bufferSource(signature), bufferSource(bytesOf(data)));
    } catch {
      return false;
    }
  },
};

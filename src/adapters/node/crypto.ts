// The Node fast path for receipts and audit hashes. WebCrypto on Node hops to a thread pool for
// every call (~25 µs HMAC, ~52 µs Ed25519 awaited one at a time); node:crypto answers
// synchronously in a few µs. Each key's KeyObject is made from the material it was imported
// from, and the results are byte-identical (test/receipt/crypto-vectors.test.ts). Receipt
// MACs (HS256) come from the key's pads with two one-shot hashes (node/hmac.ts).

import { KeyObject, createHash, createHmac, createPrivateKey, createPublicKey, createSecretKey, sign as edSign, timingSafeEqual, verify as edVerify } from 'node:crypto';
import type { CryptoBackend } from '../../receipt/backend.js';
import { bytesOf } from '../../receipt/hash.js';
import { observeKeyImports } from '../../receipt/keys.js';
import { HmacPads, oneShotHash } from './hmac.js';

const keyObjects = new WeakMap<CryptoKey, KeyObject>();

// Each key's KeyObject is made from its material as it is imported (src/receipt/keys.ts):
// KeyObject.from on a non-extractable CryptoKey is deprecated (DEP0204: a warning from Node 26,
// an error in a later version). It remains the way for a key imported before this module loaded.
observeKeyImports((key, material) => {
  if ('raw' in material) return void keyObjects.set(key, createSecretKey(material.raw));
  const jwk = { key: { ...material.jwk }, format: 'jwk' as const };
  keyObjects.set(key, material.jwk.d !== undefined ? createPrivateKey(jwk) : createPublicKey(jwk));
});

function keyObject(key: CryptoKey): KeyObject {
  let k = keyObjects.get(key);
  if (k === undefined) {
    k = KeyObject.from(key);
    keyObjects.set(key, k);
  }
  return k;
}

const hmacPads = new WeakMap<CryptoKey, HmacPads>();

/** The receipt MAC: from the key's pads (node/hmac.ts) where Node has one-shot hashing. */
function hmacBase64url(key: CryptoKey, text: string): string {
  if (HmacPads.available) {
    let pads = hmacPads.get(key);
    if (pads === undefined) {
      pads = new HmacPads(keyObject(key));
      hmacPads.set(key, pads);
    }
    const mac = pads.base64url(text);
    if (mac !== undefined) return mac;
  }
  return createHmac('sha256', keyObject(key)).update(text).digest('base64url');
}

function view(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

// A Buffer result is a fresh off-heap allocation that the GC must track: about 1 µs per call
// here, as much as hashing a decision. A digest read out as a latin1 string (one char per byte)
// and copied into a 32-byte Uint8Array stays on V8's heap (typed arrays up to 64 bytes do).
// `digest('binary')` is latin1 under its older name, the one @types/node accepts there.
function bytesOfLatin1(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

type Data = Uint8Array | string;

// One-shot `crypto.hash` (oneShotHash) where Node has it: about 2× faster than createHash for
// the few hundred bytes of a decision.

function sha256Bytes(data: Data): Uint8Array {
  return bytesOfLatin1(oneShotHash ? oneShotHash('sha256', data, 'latin1') : createHash('sha256').update(data).digest('binary'));
}

function sha256Hex(text: string): string {
  return oneShotHash ? oneShotHash('sha256', text, 'hex') : createHash('sha256').update(text, 'utf8').digest('hex');
}

export const nodeCryptoBackend: CryptoBackend = {
  name: 'node:crypto',
  sha256(data) {
    return sha256Bytes(data);
  },
  sha256HexOfText(text) {
    return sha256Hex(text);
  },
  sign(key, data) {
    if (key.alg === 'HS256') return bytesOfLatin1(createHmac('sha256', keyObject(key.key)).update(data).digest('binary'));
    return view(edSign(null, bytesOf(data), keyObject(key.key)));
  },
  signBase64url(key, text) {
    if (key.alg === 'HS256') return hmacBase64url(key.key, text);
    return edSign(null, bytesOf(text), keyObject(key.key)).toString('base64url');
  },
  verify(key, data, signature) {
    if (key.alg === 'HS256') {
      const mac = createHmac('sha256', keyObject(key.key)).update(data).digest();
      return signature.length === mac.length && timingSafeEqual(mac, signature);
    }
    try {
      return edVerify(null, bytesOf(data), keyObject(key.key), signature);
    } catch {
      return false;
    }
  },
};

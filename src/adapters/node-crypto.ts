// The Node fast path for receipts and audit hashes. WebCrypto on Node hops to a thread pool for
// every call (~25 µs HMAC, ~52 µs Ed25519 awaited one at a time); node:crypto answers
// synchronously in a few µs. The keys are the same non-extractable CryptoKeys, viewed once as
// KeyObjects, and the results are byte-identical (test/receipt/node-crypto.test.ts).

import * as nodeCrypto from 'node:crypto';
import { KeyObject, createHash, createHmac, sign as edSign, timingSafeEqual, verify as edVerify } from 'node:crypto';
import type { CryptoBackend } from '../receipt/backend.js';
import { bytesOf } from '../receipt/hash.js';

const keyObjects = new WeakMap<CryptoKey, KeyObject>();

function keyObject(key: CryptoKey): KeyObject {
  let k = keyObjects.get(key);
  if (k === undefined) {
    k = KeyObject.from(key);
    keyObjects.set(key, k);
  }
  return k;
}

function view(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

type Data = Uint8Array | string;

// `crypto.hash` (Node ≥ 20.12) hashes in one call without a Hash object: about 2× faster than
// createHash for the few hundred bytes of a decision. Strings are hashed as UTF-8.
const oneShot = (nodeCrypto as { hash?: (alg: string, data: Data, enc: 'hex' | 'buffer') => string | Buffer }).hash;

function sha256Buffer(data: Data): Buffer {
  return oneShot ? (oneShot('sha256', data, 'buffer') as Buffer) : createHash('sha256').update(data).digest();
}

function sha256Hex(text: string): string {
  return oneShot ? (oneShot('sha256', text, 'hex') as string) : createHash('sha256').update(text, 'utf8').digest('hex');
}

export const nodeCryptoBackend: CryptoBackend = {
  name: 'node:crypto',
  sha256(data) {
    return view(sha256Buffer(data));
  },
  sha256HexOfText(text) {
    return sha256Hex(text);
  },
  sign(key, data) {
    if (key.alg === 'HS256') return view(createHmac('sha256', keyObject(key.key)).update(data).digest());
    return view(edSign(null, bytesOf(data), keyObject(key.key)));
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

// The Node fast path for receipts and audit hashes. WebCrypto on Node hops to a thread pool for
// every call (~25 µs HMAC, ~52 µs Ed25519 awaited one at a time); node:crypto answers
// synchronously in a few µs. The keys are the same non-extractable CryptoKeys, viewed once as
// KeyObjects, and the results are byte-identical (test/receipt/node-crypto.test.ts).

import { KeyObject, createHash, createHmac, sign as edSign, timingSafeEqual, verify as edVerify } from 'node:crypto';
import type { CryptoBackend } from '../receipt/backend.js';

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

export const nodeCryptoBackend: CryptoBackend = {
  name: 'node:crypto',
  sha256(data) {
    return view(createHash('sha256').update(data).digest());
  },
  sha256HexOfText(text) {
    return createHash('sha256').update(text, 'utf8').digest('hex');
  },
  sign(key, data) {
    if (key.alg === 'HS256') return view(createHmac('sha256', keyObject(key.key)).update(data).digest());
    return view(edSign(null, data, keyObject(key.key)));
  },
  verify(key, data, signature) {
    if (key.alg === 'HS256') {
      const mac = createHmac('sha256', keyObject(key.key)).update(data).digest();
      return signature.length === mac.length && timingSafeEqual(mac, signature);
    }
    try {
      return edVerify(null, data, keyObject(key.key), signature);
    } catch {
      return false;
    }
  },
};

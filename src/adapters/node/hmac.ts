// HMAC-SHA256 (RFC 2104) for the receipt hot path: H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m)) with two
// one-shot `crypto.hash` calls over the key's pads. `createHmac` builds a stream-like Hmac
// object and has OpenSSL set the key up again on every call: profiled under load, that object
// was ~5 % of `mge serve`'s CPU, more than the hashing itself.
//
// The pads are key material. They live only in this module's off-heap Buffers (never a
// JavaScript string, so never in a heap snapshot's strings) next to the message being signed;
// the key itself stays a non-extractable CryptoKey for every other use.

import * as nodeCrypto from 'node:crypto';
import { createHash, type KeyObject } from 'node:crypto';

/**
 * `crypto.hash` (Node ≥ 20.12): one call, no Hash object; strings are hashed as UTF-8. Older
 * Node has none: then there are no pads (`HmacPads.available`) and node/crypto.ts hashes with
 * createHash.
 */
export const oneShotHash = (nodeCrypto as {
  hash?: (alg: string, data: Uint8Array | string, enc: 'hex' | 'latin1' | 'binary' | 'base64url') => string;
}).hash;

const BLOCK = 64;
/** Room for the message after the inner pad; a longer message goes to createHmac. */
const MESSAGE_ROOM = 4096;

export class HmacPads {
  static readonly available = oneShotHash !== undefined;

  /** ipad ‖ message: the inner hash's input, rewritten per call. */
  private readonly inner = Buffer.alloc(BLOCK + MESSAGE_ROOM);
  /** opad ‖ inner digest: the outer hash's input (96 bytes: off V8's heap, which holds ≤ 64). */
  private readonly outer = Buffer.alloc(BLOCK + 32);

  constructor(key: KeyObject) {
    let k = key.export();
    if (k.length > BLOCK) {
      const raw = k;
      k = createHash('sha256').update(raw).digest();
      raw.fill(0);
    }
    for (let i = 0; i < BLOCK; i++) {
      const b = i < k.length ? k[i] : 0;
      this.inner[i] = b ^ 0x36;
      this.outer[i] = b ^ 0x5c;
    }
    k.fill(0);
  }

  /**
   * HMAC-SHA256 of `text`'s UTF-8 bytes as unpadded base64url, or undefined when the text may
   * not fit the buffer (the caller then uses createHmac).
   */
  base64url(text: string): string | undefined {
    if (text.length * 3 > MESSAGE_ROOM) return undefined;
    const n = this.inner.write(text, BLOCK, 'utf8');
    const innerDigest = oneShotHash!('sha256', this.inner.subarray(0, BLOCK + n), 'binary');
    this.outer.write(innerDigest, BLOCK, 'latin1');
    return oneShotHash!('sha256', this.outer, 'base64url');
  }
}

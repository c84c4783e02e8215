// The receipt MAC from the key's pads (src/adapters/node/hmac.ts) against Node's own HMAC, for
// keys shorter than, equal to and longer than the block, and any text (non-ASCII, long).
import { createHmac, createSecretKey } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HmacPads } from '../../src/adapters/node/hmac.js';

const reference = (key: Uint8Array, text: string) => createHmac('sha256', key).update(text, 'utf8').digest('base64url');

describe('HmacPads', () => {
  it('is available on this Node (one-shot crypto.hash)', () => {
    expect(HmacPads.available).toBe(true);
  });

  it('gives createHmac\'s MAC for any key and text, call after call', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 200 }), fc.array(fc.string({ unit: 'binary', maxLength: 300 }), { minLength: 1, maxLength: 4 }), (key, texts) => {
        const pads = new HmacPads(createSecretKey(Buffer.from(key)));
        for (const text of texts) {
          const ours = pads.base64url(text);
          expect(ours).toBe(reference(key, text));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keys of exactly one block, and texts that fill the buffer to the last byte', () => {
    const key = new Uint8Array(64).map((_, i) => i * 7);
    const pads = new HmacPads(createSecretKey(Buffer.from(key)));
    const nearlyFull = '€'.repeat(1365); // 4 095 UTF-8 bytes of the 4 096 of room
    expect(pads.base64url(nearlyFull)).toBe(reference(key, nearlyFull));
    // 1 366 characters might need 4 098 bytes: not tried (the caller falls back to createHmac)
    expect(pads.base64url('a'.repeat(1366))).toBe(undefined);
    // a short text after a long one: nothing of the long one leaks into the MAC
    expect(pads.base64url('short')).toBe(reference(key, 'short'));
  });
});

import { describe, expect, it } from 'vitest';
import { randomBytes, randomUint32 } from '../../src/receipt/random-pool.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('random pool', () => {
  it('hands every byte out once, across refills and to both kinds of draw', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const nonce = randomBytes(16);
      expect(nonce.length).toBe(16);
      seen.add(hex(nonce));
      // interleaved 4-byte draws must not reuse the bytes of the next nonce
      const u = randomUint32();
      expect(Number.isInteger(u) && u >= 0 && u <= 0xffffffff).toBe(true);
      seen.add(u.toString(16).padStart(8, '0') + '#');
    }
    expect(seen.size).toBe(4000); // a repeated 16-byte nonce or 32-bit word would shrink it (odds ~1e-6)
  });

  it('copies: changing a drawn array changes nothing later drawn', () => {
    const a = randomBytes(16);
    a.fill(0);
    expect(hex(randomBytes(16))).not.toBe('0'.repeat(32));
  });

  it('serves draws larger than the pool', () => {
    const big = randomBytes(10_000);
    expect(big.length).toBe(10_000);
    expect(new Set(big).size).toBeGreaterThan(200);
  });
});

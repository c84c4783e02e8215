import { describe, expect, it } from 'vitest';
import { bucketKey, MemoryRateLimiter, tenantOfBucket } from '../../src/state/rate-limiter.js';

describe('MemoryRateLimiter', () => {
  it('allows a burst, then refills at the given rate', () => {
    const rl = new MemoryRateLimiter();
    const t0 = 1_000_000;
    expect([1, 2, 3].map(() => rl.take('k', 3, 1, t0))).toEqual([true, true, true]);
    expect(rl.take('k', 3, 1, t0)).toBe(false);
    expect(rl.take('k', 3, 1, t0 + 999)).toBe(false);
    expect(rl.take('k', 3, 1, t0 + 1999)).toBe(true); // 1.999 tokens refilled: one taken
    expect(rl.take('k', 3, 1, t0 + 1999)).toBe(false); // 0.999 left: not a whole token
  });

  // A review (11-29): a bucket stamped on a clock an hour ahead did not refill, once the clock
  // was set back, until the clock passed the stamp again: its key starved for the hour.
  it('refills from the moment of a clock set back, giving nothing for the step', () => {
    const rl = new MemoryRateLimiter();
    const t0 = 1_000_000;
    const ahead = t0 + 3_600_000;
    expect([1, 2, 3].map(() => rl.take('k', 2, 1, ahead))).toEqual([true, true, false]);
    expect(rl.take('k', 2, 1, t0)).toBe(false); // set back: no token for the step
    expect(rl.take('k', 2, 1, t0 + 1_000)).toBe(true); // a second later: one refilled
    expect(rl.take('k', 2, 1, t0 + 1_000)).toBe(false);
  });

  it('keeps buckets apart', () => {
    const rl = new MemoryRateLimiter();
    expect(rl.take('a', 1, 1, 0)).toBe(true);
    expect(rl.take('a', 1, 1, 0)).toBe(false);
    expect(rl.take('b', 1, 1, 0)).toBe(true);
  });

  it('evicts only buckets that are full again, and refuses when it cannot make room', () => {
    const rl = new MemoryRateLimiter(2);
    expect(rl.take('a', 1, 1, 0)).toBe(true);
    expect(rl.take('b', 1, 1, 0)).toBe(true);
    expect(() => rl.take('c', 1, 1, 0)).toThrow('rate limit store is full');
    // a and b are full again after a second: they are dropped to make room.
    expect(rl.take('c', 1, 1, 1000)).toBe(true);
  });

  it('at the cap, sweeps at most once a second, and not before some bucket can be full again', () => {
    const rl = new MemoryRateLimiter(2);
    rl.take('a', 2, 1, 0); // full again at 1 000 ms
    rl.take('b', 1, 0.1, 0); // full again at 10 000 ms
    expect(() => rl.take('c', 1, 1, 500)).toThrow('rate limit store is full'); // no bucket can be full yet: no sweep
    expect(rl.take('c', 1, 1, 1_000)).toBe(true); // swept: `a` dropped; `c` full again at 2 000
    expect(rl.take('d', 1, 0.5, 2_000)).toBe(true); // swept (a second later): `c` dropped; `d` full at 4 000
    expect(() => rl.take('e', 1, 10, 3_500)).toThrow('rate limit store is full');
    expect(rl.take('e', 1, 10, 4_000)).toBe(true); // swept: `d` dropped; `e` full again at 4 100
    // `e` could go at 4 100, but the last sweep at the cap was at 4 000: none before 5 000
    expect(() => rl.take('f', 1, 1, 4_500)).toThrow('rate limit store is full');
    expect(rl.take('f', 1, 1, 5_000)).toBe(true);
    expect(rl.size).toBe(2); // `b` (still refilling) and `f`
  });

  it('caps each tenant on its own: one tenant filling its store leaves the others their buckets', () => {
    const rl = new MemoryRateLimiter(2);
    // Buckets that never refill (rate 0), named as the engine names them: tenant, NUL, …
    expect(rl.take('acme\u0000flood\u00000\u0000"a"', 1, 0, 0)).toBe(true);
    expect(rl.take('acme\u0000flood\u00000\u0000"b"', 1, 0, 0)).toBe(true);
    expect(() => rl.take('acme\u0000flood\u00000\u0000"c"', 1, 0, 5_000)).toThrow('rate limit store is full');
    expect(rl.take('beta\u0000limit\u00000\u0000"victim"', 5, 1, 5_000)).toBe(true);
    expect(rl.take('beta\u0000limit\u00000\u0000"other"', 5, 1, 5_000)).toBe(true);
    expect(rl.size).toBe(4);
    expect(tenantOfBucket('beta\u0000limit\u00000\u0000"x"')).toBe('beta');
    expect(tenantOfBucket('no-nul')).toBe('');
  });

  it('keeps long bucket names apart, even names of one length that differ only at the end', () => {
    // (V8 hashes strings over 16 383 characters by length alone: kept raw, these would all
    // collide in one Map chain and each take would scan them.)
    const rl = new MemoryRateLimiter();
    const head = 'x'.repeat(20_000);
    for (let i = 0; i < 2_000; i++) expect(rl.take(`${head}${String(i).padStart(4, '0')}`, 1, 0, 0)).toBe(true);
    for (let i = 0; i < 2_000; i += 97) expect(rl.take(`${head}${String(i).padStart(4, '0')}`, 1, 0, 0)).toBe(false);
    expect(rl.size).toBe(2_000);
  });

  // A review (11-28): the digest (FNV, which a caller can make collide) covered the rule too, so
  // long names of two rules could share one bucket and the looser rule refill the stricter's.
  it('keeps a long name\'s rule condition in the clear: only keys of one condition can share a digest', () => {
    const A = '\u0000a\u00000\u0000';
    const B = '\u0000b\u00000\u0000';
    const long = (rule: string, key: string) => `acme${rule}"${key.repeat(300)}"`;
    expect(bucketKey(long(A, 'k'), A).startsWith(`\u0001${A}`)).toBe(true);
    expect(bucketKey(long(B, 'k'), B).startsWith(`\u0001${B}`)).toBe(true);
    expect(bucketKey(long(A, 'k'), A)).not.toBe(bucketKey(long(A, 'j'), A));
    expect(bucketKey(`acme${A}"short"`, A)).toBe(`acme${A}"short"`);
  });

  it('sweeps idle buckets as the map doubles, long before the cap: memory follows the active keys', () => {
    const rl = new MemoryRateLimiter();
    // 100 000 one-off keys, one a millisecond, each full again 10 ms after its take
    for (let i = 0; i < 100_000; i++) rl.take(`key-${i}`, 1, 100, i);
    expect(rl.size).toBeLessThan(20_001);
    // keys still refilling are kept: nothing of their state is lost
    const busy = new MemoryRateLimiter();
    for (let i = 0; i < 30_000; i++) busy.take(`k-${i}`, 2, 0.001, 0);
    expect(busy.size).toBe(30_000);
  });

  it('a sweep never refills a bucket whose rule limit changed: it is judged by the limit its rule has now too', () => {
    // A review: burst 100 spent at 6000 rpm, the rule lowered to 1 rpm, burst 5; 2.5 s later a
    // sweep judged the idle bucket full under the old rate and it came back with 5 tokens.
    const LIM = '\u0000lim\u00000\u0000';
    const OTHER = '\u0000other\u00000\u0000';
    const name = (rule: string, key: string) => `acme${rule}"${key}"`;
    const other = { capacity: 5, refillPerSecond: 1 };
    let now = new Map([[LIM, { capacity: 100, refillPerSecond: 100 }], [OTHER, other]]);
    const rl = new MemoryRateLimiter();
    rl.limitsNow(() => now);
    for (let i = 0; i < 100; i++) expect(rl.take(name(LIM, 'bot'), 100, 100, 0, LIM)).toBe(true);
    now = new Map([[LIM, { capacity: 5, refillPerSecond: 1 / 60 }], [OTHER, other]]); // the edit; no key of `lim` checked since
    for (let i = 0; i < 20_000; i++) rl.take(name(OTHER, `k-${i}`), 5, 1, 2500, OTHER); // enough new buckets to sweep
    expect([1, 2, 3].map(() => rl.take(name(LIM, 'bot'), 5, 1 / 60, 2500, LIM))).toEqual([false, false, false]);
    // Raised from burst 5 to 100: a bucket full at 5 gets no more at once, sweep or not.
    const up = new MemoryRateLimiter();
    now = new Map([[LIM, { capacity: 5, refillPerSecond: 1 / 60 }], [OTHER, other]]);
    up.limitsNow(() => now);
    up.take(name(LIM, 'bot'), 5, 1 / 60, 0, LIM); // 4 left; full (5) again a minute later
    now = new Map([[LIM, { capacity: 100, refillPerSecond: 1 / 60 }], [OTHER, other]]);
    for (let i = 0; i < 20_000; i++) up.take(name(OTHER, `k-${i}`), 5, 1, 120_000, OTHER);
    // 4 + two minutes at 1/min: 6 tokens, not a new bucket's 100
    expect(Array.from({ length: 8 }, () => up.take(name(LIM, 'bot'), 100, 1 / 60, 120_000, LIM))).toEqual([true, true, true, true, true, true, false, false]);
  });

  it("judges a tenant's buckets by its own rules' limits only (another tenant's rule of that id never keeps them)", () => {
    // A review: tenant alice's own rule `lim` at burst 1e15 kept bob's `lim` buckets from ever
    // being dropped, and bob's store filled up: his checks denied `state_unavailable`.
    const LIM = '\u0000lim\u00000\u0000';
    const rl = new MemoryRateLimiter(200);
    rl.limitsNow((tenant) => new Map([[LIM, tenant === 'alice' ? { capacity: 1e15, refillPerSecond: 1 / 60 } : { capacity: 1, refillPerSecond: 10 }]]));
    let denied = 0;
    for (let i = 0; i < 1000; i++) if (!rl.take(`bob${LIM}"t-${i}"`, 1, 10, i * 1000, LIM)) denied++;
    expect(denied).toBe(0);
  });
});

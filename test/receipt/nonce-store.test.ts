import { describe, expect, it } from 'vitest';
import { MemoryNonceStore } from '../../src/state/nonce-store.js';

describe('MemoryNonceStore', () => {
  it('answers ok once, then replayed; tenants are separate namespaces', async () => {
    const s = new MemoryNonceStore(10, () => 0);
    expect(await s.consumeOnce('a', 'n1', 100)).toBe('ok');
    expect(await s.consumeOnce('a', 'n1', 100)).toBe('replayed');
    expect(await s.consumeOnce('b', 'n1', 100)).toBe('ok');
    expect(await s.consumeOnce('a:n', '1', 100)).toBe('ok');
    expect(await s.consumeOnce('a', 'n:1', 100)).toBe('ok');
  });

  it('keeps every live nonce and refuses when full; expired entries make room', async () => {
    let now = 0;
    const s = new MemoryNonceStore(3, () => now);
    expect(await s.consumeOnce('t', 'a', 50)).toBe('ok');
    expect(await s.consumeOnce('t', 'b', 10)).toBe('ok');
    expect(await s.consumeOnce('t', 'c', 30)).toBe('ok');
    expect(await s.consumeOnce('t', 'd', 60)).toBe('full');
    now = 10; // `b` expires at 10: still live at 10
    expect(await s.consumeOnce('t', 'd', 60)).toBe('full');
    now = 11;
    expect(await s.consumeOnce('t', 'd', 60)).toBe('ok');
    expect(s.size).toBe(3);
    expect(await s.consumeOnce('t', 'a', 50)).toBe('replayed');
    now = 40; // only `c` (30) is past
    expect(await s.consumeOnce('t', 'e', 70)).toBe('ok');
    expect(await s.consumeOnce('t', 'a', 50)).toBe('replayed');
    expect(await s.consumeOnce('t', 'd', 60)).toBe('replayed');
  });

  it("caps each tenant on its own: one tenant's full store leaves the others room", async () => {
    const s = new MemoryNonceStore(2, () => 0);
    expect(await s.consumeOnce('acme', 'n1', 1e12)).toBe('ok');
    expect(await s.consumeOnce('acme', 'n2', 1e12)).toBe('ok');
    expect(await s.consumeOnce('acme', 'n3', 1e12)).toBe('full');
    expect(await s.consumeOnce('beta', 'n1', 1e12)).toBe('ok');
    expect(await s.consumeOnce('beta', 'n1', 1e12)).toBe('replayed');
    expect(s.size).toBe(3);
  });

  it('evicts in expiry order whatever the insertion order', async () => {
    const s = new MemoryNonceStore(1000, () => 0);
    const exps = Array.from({ length: 500 }, (_, i) => (i * 7919) % 1000);
    for (const [i, e] of exps.entries()) await s.consumeOnce('t', String(i), e);
    for (let now = 0; now <= 1000; now += 37) {
      s.evictExpired(now);
      expect(s.size).toBe(exps.filter((e) => e >= now).length);
    }
  });
});

// Rate buckets and used nonces in Redis (src/adapters/node/redis-state.ts), against a private
// redis-server: the same answers as the in-memory stores, shared by two connections (two
// instances), and fail closed when the server is down, paused or may evict.

import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedisState, RedisState } from '../../../src/adapters/node/redis-state.js';
import { SidecarConfigError } from '../../../src/adapters/node/sidecar-config-error.js';
import { createEngine } from '../../../src/engine/engine.js';
import { MemoryRateLimiter } from '../../../src/state/rate-limiter.js';
import { redisServerMissing, startRedis, type PrivateRedis } from './redis-server.js';

const missing = redisServerMissing();
if (missing !== undefined) console.warn(`\n!!! Redis shared-state tests SKIPPED: ${missing} !!!\n`);

const RULE = { path: 'limit.yaml', text: 'rule_id: per-agent\nconditions:\n  - type: rate_limit_check\n    parameters:\n      requests_per_minute: 60\n      burst_limit: 2\n' };
const request = { action: { type: 'api.call' }, context: { agent_id: 'a1' } };

describe.skipIf(missing !== undefined)('Redis shared state', () => {
  let redis: PrivateRedis;
  let a: RedisState;
  let b: RedisState;
  beforeAll(async () => {
    redis = await startRedis();
    a = await RedisState.connect(redis.url);
    b = await RedisState.connect(redis.url);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await redis?.stop();
  });

  it('takes tokens exactly as the in-memory limiter does (random takes, clocks and limit changes)', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({
          advanceMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5000 }), fc.double({ min: 0, max: 3000, noNaN: true })),
          capacity: fc.oneof(fc.constantFrom(0, 0.5, 1, 2, 3, 10), fc.double({ min: 0, max: 20, noNaN: true })),
          rpm: fc.oneof(fc.constantFrom(0, 1, 6, 60, 600), fc.double({ min: 0, max: 1000, noNaN: true })),
          // Two keys, each taken through one of two connections: one bucket, two instances.
          key: fc.constantFrom('k1', 'k2'),
          via: fc.constantFrom(0, 1),
        }), { minLength: 1, maxLength: 25 }),
        async (takes) => {
          const tenant = `prop${run++}`;
          const memory = new MemoryRateLimiter();
          let now = 1_700_000_000_000;
          for (const t of takes) {
            now += t.advanceMs;
            const name = `${tenant}\u0000rule\u00000\u0000"${t.key}"`;
            const expected = memory.take(name, t.capacity, t.rpm / 60, now, '\u0000rule\u00000\u0000');
            const got = await (t.via === 0 ? a : b).rateLimiter.take(name, t.capacity, t.rpm / 60, now, '\u0000rule\u00000\u0000');
            expect(got).toBe(expected);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('keeps a bucket only until it would be full again', async () => {
    const name = 'ttl\u0000r\u00000\u0000"k"';
    expect(await a.rateLimiter.take(name, 2, 1, 1_000)).toBe(true); // one token short: full again in 1 s
    const client = new Redis(redis.url);
    const pttl = await client.pttl(`mge:rl:${name}`).finally(() => client.disconnect());
    expect(pttl).toBeGreaterThan(1000);
    expect(pttl).toBeLessThanOrEqual(2000); // 1 s to refill the token, plus a second's margin
  });

  it('shares a rate limit between two engines (two instances)', async () => {
    const one = await createEngine({ rules: [RULE], rateLimiter: a.rateLimiter, now: () => 5_000 });
    const two = await createEngine({ rules: [RULE], rateLimiter: b.rateLimiter, now: () => 5_000 });
    const opts = { tenant: 'shared-limit' };
    expect((await one.evaluate(request, opts)).approved).toBe(true);
    expect((await two.evaluate(request, opts)).approved).toBe(true);
    const third = await one.evaluate(request, opts);
    expect(third.approved).toBe(false);
    expect(third.violations.map((v) => v.code)).toEqual(['rate_limited']);
    // Another tenant's bucket of the same rule and key is its own.
    expect((await two.evaluate(request, { tenant: 'other-tenant' })).approved).toBe(true);
  });

  it('consumes a nonce once across instances, per tenant, until it expires', async () => {
    const exp = Date.now() + 60_000;
    expect(await a.nonceStore.consumeOnce('acme', 'n-1', exp)).toBe('ok');
    expect(await b.nonceStore.consumeOnce('acme', 'n-1', exp)).toBe('replayed');
    expect(await a.nonceStore.consumeOnce('acme', 'n-1', exp)).toBe('replayed');
    expect(await b.nonceStore.consumeOnce('beta', 'n-1', exp)).toBe('ok'); // another tenant's namespace
    expect(await a.nonceStore.consumeOnce('acme', 'n-2', Date.now() + 150)).toBe('ok');
    await new Promise((r) => setTimeout(r, 400));
    expect(await b.nonceStore.consumeOnce('acme', 'n-2', Date.now() + 150)).toBe('ok'); // expired, so forgotten
  });

  it('refuses a server that may evict what it keeps', async () => {
    const lru = await startRedis('allkeys-lru');
    try {
      const err = await connectRedisState(lru.url).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SidecarConfigError);
      expect((err as Error).message).toMatch(/maxmemory-policy is `allkeys-lru`.*set `maxmemory-policy noeviction`/);
    } finally {
      await lru.stop();
    }
  });

  it('refuses a URL that is not Redis, and a server not there, without naming the password', async () => {
    await expect(connectRedisState('http://127.0.0.1:6379')).rejects.toThrow(/MGE_REDIS_URL is not a Redis URL/);
    const { port } = await startRedis().then(async (r) => (await r.stop(), r));
    const err = (await connectRedisState(`redis://user:s3cret@127.0.0.1:${port}/0`).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(SidecarConfigError);
    expect(err.message).toContain(`the Redis server at redis://127.0.0.1:${port}/0 cannot keep`);
    expect(err.message).not.toContain('s3cret');
  });

  it('refuses, within the connect deadline, a server that takes the connection and never answers', async () => {
    const own = await startRedis();
    own.pause();
    try {
      const started = performance.now();
      const err = (await connectRedisState(own.url).catch((e: unknown) => e)) as Error;
      expect(performance.now() - started).toBeLessThan(6000);
      expect(err).toBeInstanceOf(SidecarConfigError);
      expect(err.message).toMatch(/cannot keep the rate limits and used nonces: .*(timed out|no answer)/i);
    } finally {
      await own.stop();
    }
  });

  describe('fail closed', () => {
    it('denies a rate-limited check and refuses a nonce while the server is paused, then serves again', async () => {
      const own = await startRedis();
      const state = await RedisState.connect(own.url, { commandTimeoutMs: 300 });
      try {
        const engine = await createEngine({ rules: [RULE], rateLimiter: state.rateLimiter });
        expect((await engine.evaluate(request)).approved).toBe(true);
        own.pause();
        const paused = await engine.evaluate(request);
        expect(paused.approved).toBe(false);
        expect(paused.violations.map((v) => v.code)).toEqual(['state_unavailable']);
        await expect(state.nonceStore.consumeOnce('acme', 'n', Date.now() + 60_000)).rejects.toThrow();
        own.resume();
        // The paused take ran once the server woke: the check denied for want of an answer
        // still spent its token (more denials, never more approvals), so the burst of 2 is gone.
        const after = await engine.evaluate(request);
        expect(after.violations.map((v) => v.code)).toEqual(['rate_limited']);
        expect((await engine.evaluate({ ...request, context: { agent_id: 'a2' } })).approved).toBe(true);
      } finally {
        await state.close();
        await own.stop();
      }
    });

    it('denies at once while the server is down, and says it is not ready', async () => {
      const own = await startRedis();
      const state = await RedisState.connect(own.url);
      try {
        const engine = await createEngine({ rules: [RULE], rateLimiter: state.rateLimiter });
        expect(state.ready()).toBe(true);
        await own.stop();
        for (let i = 0; i < 100 && state.ready(); i++) await new Promise((r) => setTimeout(r, 10));
        expect(state.ready()).toBe(false);
        const started = performance.now();
        const down = await engine.evaluate(request);
        expect(down.approved).toBe(false);
        expect(down.violations.map((v) => v.code)).toEqual(['state_unavailable']);
        expect(performance.now() - started).toBeLessThan(900); // not held for the command timeout
        await expect(state.nonceStore.consumeOnce('acme', 'n', Date.now() + 60_000)).rejects.toThrow();
      } finally {
        await state.close();
      }
    });
  });
});

// Rate buckets and used nonces in Redis (src/adapters/node/redis-state.ts), against a private
// redis-server: the same answers as the in-memory stores, shared by two connections (two
// instances), and fail closed when the server is down, paused or may evict.

import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectRedisState, NONCE_MARGIN_MS, RedisState, type RedisStateOptions } from '../../../src/adapters/node/redis-state.js';
import { SidecarConfigError } from '../../../src/adapters/node/sidecar-config-error.js';
import { createEngine } from '../../../src/engine/engine.js';
import type { Decision } from '../../../src/ir/types.js';
import { createSigner } from '../../../src/receipt/sign.js';
import { verifyReceipt } from '../../../src/receipt/verify.js';
import { SECRET, decision } from '../../receipt/fixtures.js';
import { MemoryRateLimiter } from '../../../src/state/rate-limiter.js';
import { jsonLogger } from '../../../src/http/logger.js';
import { redisServerMissing, startRedis, type PrivateRedis } from './redis-server.js';

const missing = redisServerMissing();
if (missing !== undefined) console.warn(`\n!!! Redis shared-state tests SKIPPED: ${missing} !!!\n`);

const RULE = { path: 'limit.yaml', text: 'rule_id: per-agent\nconditions:\n  - type: rate_limit_check\n    parameters:\n      requests_per_minute: 60\n      burst_limit: 2\n' };
const request = { action: { type: 'api.call' }, context: { agent_id: 'a1' } };
/** Receipts here verify right after the epoch began; the margin itself has a test of its own. */
const NO_MARGIN = { marginMs: 0 };

describe.skipIf(missing !== undefined)('Redis shared state', () => {
  let redis: PrivateRedis;
  let a: RedisState;
  let b: RedisState;
  beforeAll(async () => {
    redis = await startRedis();
    a = await RedisState.connect(redis.url, NO_MARGIN);
    b = await RedisState.connect(redis.url, NO_MARGIN);
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

  it('consumes a nonce once across instances, per tenant', async () => {
    const exp = Date.now() + 60_000;
    const from = Date.now();
    expect(await a.nonceStore.consumeOnce('acme', 'n-1', exp, from)).toBe('ok');
    expect(await b.nonceStore.consumeOnce('acme', 'n-1', exp, from)).toBe('replayed');
    expect(await a.nonceStore.consumeOnce('acme', 'n-1', exp, from)).toBe('replayed');
    expect(await b.nonceStore.consumeOnce('beta', 'n-1', exp, from)).toBe('ok'); // another tenant's namespace
  });

  // A review (11-29): Redis kept a used nonce for its life as this host's clock counted it, and
  // verifyReceipt judged "forgotten" by that clock: one that ran ahead counted the life short,
  // and one set back took a receipt whose nonce Redis had dropped for unexpired. Twice valid.
  it('keeps and forgets used nonces by the server\'s clock: a host clock ahead, or set back, verifies no receipt twice', async () => {
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true }); // Date only: the steady clock and I/O stay real
    const state = await RedisState.connect(redis.url, NO_MARGIN);
    const client = new Redis(redis.url);
    try {
      const signer = await createSigner({ hs256Secret: SECRET, ttlMs: 1_000 });
      const verify = (d: Decision) => verifyReceipt(d, { keys: signer.keys, skewMs: 0, nonceStore: state.nonceStore });
      const nonceKey = (d: Decision) => `mge:nonce:default\u0000${(d.receipt as { nonce: string }).nonce}`;

      vi.setSystemTime(Date.now() + 2_000); // this host's clock runs 2 s ahead
      const ahead = await signer.sign(decision());
      expect((await verify(ahead)).valid).toBe(true);
      // A second of life by this clock, three by the server's (until the expiry): the later kept.
      expect(await client.pttl(nonceKey(ahead))).toBeGreaterThan(2_500);

      vi.setSystemTime(Date.now() - 2_000); // corrected
      const inStep = await signer.sign(decision());
      expect((await verify(inStep)).valid).toBe(true);
      await new Promise((r) => setTimeout(r, 1_300)); // its nonce's life (1 s) is over: Redis drops it
      vi.setSystemTime(Date.now() - 1_000); // set back: the receipt is within its validity again
      expect(await verify(inStep)).toMatchObject({ valid: false, reason: 'expired' });
    } finally {
      client.disconnect();
      await state.close();
      vi.useRealTimers();
    }
  });

  // A re-review (11-29): capped, the key of a host two hours ahead expired while its receipt
  // still verified for hosts in step. And (a second re-review) a host behind the server by more
  // than the margin must judge forgetting by the server's clock: by its own, it took a receipt
  // whose key was gone for remembered.
  it('refuses a receipt expiring too far past the server\'s clock, and judges forgetting by the server\'s clock', async () => {
    const behind = await RedisState.connect(redis.url, { ...NO_MARGIN, now: () => Date.now() - 90_000 });
    const ahead = await RedisState.connect(redis.url, { ...NO_MARGIN, now: () => Date.now() + 2 * 3_600_000 });
    try {
      expect(behind.nonceStore.forgetClock!()).toBeGreaterThan(Date.now() - 1_000); // not 90 s behind
      const aheadNow = Date.now() + 2 * 3_600_000;
      await expect(ahead.nonceStore.consumeOnce('acme', 'early-host', aheadNow + 60_000, aheadNow)).rejects.toThrow(/runs ahead of the server's/);
    } finally {
      await behind.close();
      await ahead.close();
    }
  });

  it('keeps a minute\'s margin for clocks: nonces a minute past expiry, receipts a minute past the epoch', async () => {
    const state = await RedisState.connect(redis.url);
    try {
      // The epoch began moments ago: a receipt valid from 30 s on may still predate it on some clock.
      await expect(state.nonceStore.consumeOnce('acme', 'm-1', Date.now() + 90_000, Date.now() + 30_000)).rejects.toThrow(/vouches for used nonces only since/);
      const from = Date.now() + NONCE_MARGIN_MS + 1_000;
      expect(await state.nonceStore.consumeOnce('acme', 'm-2', from + 60_000, from)).toBe('ok');
      const client = new Redis(redis.url);
      const pttl = await client.pttl('mge:nonce:acme\u0000m-2').finally(() => client.disconnect());
      const expected = from + 60_000 - Date.now() + NONCE_MARGIN_MS;
      expect(pttl).toBeGreaterThan(expected - 5_000);
      expect(pttl).toBeLessThanOrEqual(expected + 50);
    } finally {
      await state.close();
    }
  });

  it('refuses a receipt that could verify before the store\'s epoch began, and one that names no start', async () => {
    await expect(a.nonceStore.consumeOnce('acme', 'old', Date.now() + 60_000, Date.now() - 3_600_000)).rejects.toThrow(/vouches for used nonces only since/);
    await expect(a.nonceStore.consumeOnce('acme', 'none', Date.now() + 60_000)).rejects.toThrow(/vouches for used nonces only since/);
  });

  it('keeps the tenant in a long bucket name\'s key, so no digest reaches another tenant', async () => {
    const long = 'k'.repeat(400);
    expect(await a.rateLimiter.take(`t1\u0000r\u00000\u0000"${long}"`, 1, 0, 1_000, '\u0000r\u00000\u0000')).toBe(true);
    const client = new Redis(redis.url);
    const keys = await client.keys('mge:rl:t1\u0000\u0001*').finally(() => client.disconnect());
    expect(keys).toHaveLength(1);
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

  it('refuses a database that is no number, or one the server does not have', async () => {
    await expect(connectRedisState(`${redis.url}/abc`)).rejects.toThrow(/MGE_REDIS_URL names database `abc`: a database is a number/);
    await expect(connectRedisState(`${redis.url}/99`)).rejects.toThrow(/cannot keep the rate limits and used nonces: .*DB index is out of range/);
    const two = await connectRedisState(`${redis.url}/2`);
    await two.close();
  });

  it('refuses a user whose ACL forbids a command MGE needs', async () => {
    const client = new Redis(redis.url);
    await client.call('ACL', 'SETUSER', 'noscripts', 'on', '>pw-noscripts', '~*', '+@all', '-evalsha', '-eval');
    await client.call('ACL', 'SETUSER', 'nopersist', 'on', '>pw-nopersist', '~*', '+@all', '-persist').finally(() => client.disconnect());
    await expect(connectRedisState(`redis://noscripts:pw-noscripts@127.0.0.1:${redis.port}`)).rejects.toThrow(/NOPERM|no permissions/i);
    // PERSIST only runs for a bucket that never refills: tried at start all the same.
    await expect(connectRedisState(`redis://nopersist:pw-nopersist@127.0.0.1:${redis.port}`)).rejects.toThrow(/NOPERM|no permissions|can't run this command/i);
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

  describe('a server that forgets (restart, FLUSHALL, eviction)', () => {
    const until = async (what: string, done: () => boolean): Promise<void> => {
      for (const end = Date.now() + 5000; !done(); await new Promise((r) => setTimeout(r, 20))) {
        if (Date.now() > end) throw new Error(`not within 5 s: ${what}`);
      }
    };
    /** Until a receipt valid from `from` is refused as possibly used before the store's epoch. */
    const untilRefusedBeforeEpoch = (state: RedisState, nonce: string, from: number): Promise<void> => {
      let refused = false;
      return until('the new epoch', () => {
        void state.nonceStore.consumeOnce('acme', nonce, from + 60_000, from).then(() => undefined, (e: Error) => (refused = /vouches for used nonces only since/.test(e.message)));
        return refused;
      });
    };
    /** A private server, an instance on it and a plain client, all stopped after `test`. */
    const withOwnRedis = async (test: (own: PrivateRedis, state: RedisState, client: Redis) => Promise<void>, opts: RedisStateOptions = {}): Promise<void> => {
      const own = await startRedis();
      const state = await RedisState.connect(own.url, { ...NO_MARGIN, ...opts });
      const client = new Redis(own.url);
      try {
        await test(own, state, client);
      } finally {
        client.disconnect();
        await state.close();
        await own.stop();
      }
    };

    it('begins a new epoch after a restart: receipts that could verify before it are refused, later ones are not', async () => {
      const own = await startRedis();
      const one = await RedisState.connect(own.url, NO_MARGIN);
      const two = await RedisState.connect(own.url, NO_MARGIN);
      try {
        const before = Date.now();
        expect(await one.nonceStore.consumeOnce('acme', 'used', before + 60_000, before)).toBe('ok');
        await own.restart(); // empty: the used nonce is gone
        await until('both reconnected', () => one.ready() && two.ready());
        // Valid from before the new epoch: it may have been used (it was), so it is refused.
        await expect(two.nonceStore.consumeOnce('acme', 'used', before + 60_000, before)).rejects.toThrow(/vouches for used nonces only since/);
        await expect(one.nonceStore.consumeOnce('acme', 'used', before + 60_000, before)).rejects.toThrow(/vouches for used nonces only since/);
        const after = Date.now() + 1;
        expect(await one.nonceStore.consumeOnce('acme', 'new', after + 60_000, after)).toBe('ok');
        expect(await two.nonceStore.consumeOnce('acme', 'new', after + 60_000, after)).toBe('replayed');
      } finally {
        await one.close();
        await two.close();
        await own.stop();
      }
    });

    it('begins a new epoch when the keys go without a restart (FLUSHALL), within a second or so', async () => {
      const own = await RedisState.connect(redis.url, NO_MARGIN);
      try {
        const before = Date.now();
        expect(await own.nonceStore.consumeOnce('acme', 'flushed', before + 60_000, before)).toBe('ok');
        const client = new Redis(redis.url);
        await client.flushall().finally(() => client.disconnect());
        // At once, not at the next look: the nonce is recorded only under the epoch it holds.
        await expect(own.nonceStore.consumeOnce('acme', 'flushed', before + 60_000, before)).rejects.toThrow(/epoch changed/);
        await untilRefusedBeforeEpoch(own, 'flushed', before);
        const after = Date.now() + 1;
        expect(await own.nonceStore.consumeOnce('acme', 'later', after + 60_000, after)).toBe('ok');
      } finally {
        await own.close();
      }
    });

    it('dates the epoch by the server\'s clock, so an instance whose clock is behind cannot date it back', async () => {
      const own = await startRedis();
      try {
        const slow = await RedisState.connect(own.url, { ...NO_MARGIN, now: () => Date.now() - 30_000 }); // writes the epoch
        const right = await RedisState.connect(own.url, NO_MARGIN);
        // Valid from a second ago, by a right clock: before the epoch, so it may have been used.
        await expect(right.nonceStore.consumeOnce('acme', 'x', Date.now() + 60_000, Date.now() - 1000)).rejects.toThrow(/vouches for used nonces only since/);
        // The slow instance reads the epoch on its own clock: its receipts from after it verify.
        const slowNow = Date.now() - 30_000 + 50;
        expect(await slow.nonceStore.consumeOnce('acme', 'y', slowNow + 60_000, slowNow)).toBe('ok');
        await slow.close();
        await right.close();
      } finally {
        await own.stop();
      }
    });

    it('begins a new epoch when the one there turns out older than the one held (a failback to the old master)', () =>
      withOwnRedis(async (_own, state, client) => {
        const held = (await client.get('mge:epoch'))!;
        const [run, at, evicted] = held.split(' ');
        const older = `${run} ${Number(at) - 600_000} ${evicted}`; // that server's own older epoch
        await client.set('mge:epoch', older);
        let now: string | null = older;
        for (let i = 0; i < 250 && (now === older || now === held); i++) {
          await new Promise((r) => setTimeout(r, 20));
          now = await client.get('mge:epoch');
        }
        expect(now).not.toBe(older);
        expect(Number(now!.split(' ')[1])).toBeGreaterThanOrEqual(Number(at));
        // A receipt valid from under the held epoch is not vouched for by the older one.
        await expect(state.nonceStore.consumeOnce('acme', 'fb', Date.now() + 60_000, Number(at) + 1)).rejects.toThrow(/vouches for used nonces only since|epoch changed/);
      }));

    it('rewrites an epoch that begins in the future (a clock far ahead, a key written by hand)', async () => {
      const own = await startRedis();
      const client = new Redis(own.url);
      try {
        const run = /^run_id:(\S+)/m.exec(await client.info('server'))![1];
        await client.set('mge:epoch', `${run} 9999999999999999 0`);
        const state = await RedisState.connect(own.url, NO_MARGIN);
        expect(await client.get('mge:epoch')).not.toBe(`${run} 9999999999999999 0`);
        const from = Date.now() + 1;
        expect(await state.nonceStore.consumeOnce('acme', 'z', from + 60_000, from)).toBe('ok');
        await state.close();
      } finally {
        client.disconnect();
        await own.stop();
      }
    });

    it('begins a new epoch when keys were evicted, even for a moment', () =>
      withOwnRedis(async (_own, state, client) => {
        const before = Date.now();
        expect(await state.nonceStore.consumeOnce('acme', 'evicted', before + 60_000, before)).toBe('ok');
        // Evicting, and back, between two looks: only the count of evicted keys tells.
        await client.pipeline().config('SET', 'maxmemory-policy', 'volatile-random').config('SET', 'maxmemory', '1').set('filler', 'x', 'PX', 100_000)
          .config('SET', 'maxmemory', '0').config('SET', 'maxmemory-policy', 'noeviction').exec();
        expect(Number(/^evicted_keys:(\d+)/m.exec(await client.info('stats'))![1])).toBeGreaterThan(0);
        // At the very next verification, not the next look: the nonce script reads the count.
        await expect(state.nonceStore.consumeOnce('acme', 'evicted', before + 60_000, before)).rejects.toThrow(/epoch changed/);
        await untilRefusedBeforeEpoch(state, 'evicted', before);
      }));

    it('begins a new epoch at start when keys were evicted while no instance ran', () =>
      withOwnRedis(async (own, state, client) => {
        await state.close();
        const run = /^run_id:(\S+)/m.exec(await client.info('server'))![1];
        await client.pipeline().config('SET', 'maxmemory-policy', 'volatile-random').config('SET', 'maxmemory', '1').set('filler', 'x', 'PX', 100_000)
          .config('SET', 'maxmemory', '0').config('SET', 'maxmemory-policy', 'noeviction').exec();
        const evicted = /^evicted_keys:(\d+)/m.exec(await client.info('stats'))![1];
        expect(Number(evicted)).toBeGreaterThan(0);
        await client.set('mge:epoch', `${run} ${Date.now() - 120_000} 0`); // written before the eviction
        const late = await RedisState.connect(own.url, NO_MARGIN);
        expect(await client.get('mge:epoch')).toMatch(new RegExp(`^${run} \\d+ ${evicted}$`));
        await expect(late.nonceStore.consumeOnce('acme', 'x', Date.now() + 60_000, Date.now() - 60_000)).rejects.toThrow(/vouches for used nonces only since/);
        await late.close();
      }));

    it('is not ready while the server may evict; with nothing evicted meanwhile, its epoch stands', () =>
      withOwnRedis(async (_own, state, client) => {
        // Valid from 5 s on: each look dates the epoch by the server's reply and this clock read
        // after it, so a loaded machine's event-loop delay moves it a little later (a full run
        // of 11-29 refused a receipt valid from the test's start; the minute's margin covers
        // that where it is not taken away, as here).
        const before = Date.now() + 5_000;
        expect(await state.nonceStore.consumeOnce('acme', 'kept', before + 60_000, before)).toBe('ok');
        await client.config('SET', 'maxmemory-policy', 'allkeys-lru');
        await until('not ready', () => !state.ready());
        await expect(state.nonceStore.consumeOnce('acme', 'y', before + 60_000, Date.now())).rejects.toThrow(/maxmemory-policy is `allkeys-lru`/);
        await client.config('SET', 'maxmemory-policy', 'noeviction');
        await until('ready again', () => state.ready());
        // Nothing was evicted (its count did not move): what it held is there, and still used.
        expect(await state.nonceStore.consumeOnce('acme', 'kept', before + 60_000, before)).toBe('replayed');
      }));

    // A review (11-29): the Redis server's clock stepped 130 s ahead; Redis expires keys by its
    // own clock, so the used nonces went, and a receipt verified at one instance verified again.
    // The server's clock is measured against the process's steady clock, which the tests step
    // back: the server's clock then runs ahead of it, as after a step of its own.
    const epochOf = (state: RedisState): string => state['epochText'];
    /** This process's clocks, both set back by `back` (the server's clock then runs ahead of both, as after a step of its own). */
    const steadily = () => {
      const clock = {
        back: 0,
        both: { steadyNow: () => performance.timeOrigin + performance.now() - clock.back, now: () => Date.now() - clock.back },
      };
      return clock;
    };
    it('begins a new epoch when the server\'s clock runs ahead by more than half the margin, and refuses the verification that sees it', () => {
      const steady = steadily();
      const lines: string[] = [];
      return withOwnRedis(async (_own, state) => {
        const first = epochOf(state);
        const before = Date.now() - steady.back;
        expect(await state.nonceStore.consumeOnce('acme', 'used', before + 600_000, before)).toBe('ok');
        // 20 s: within half the margin, the epoch stands.
        steady.back = 20_000;
        await new Promise((r) => setTimeout(r, 1300));
        expect(epochOf(state)).toBe(first);
        expect(await state.nonceStore.consumeOnce('acme', 'used', before + 600_000, before)).toBe('replayed');
        // 100 s more: refused at once by the next verification (the script reads the server's
        // clock), then a new epoch, said.
        steady.back = 120_000;
        await expect(state.nonceStore.consumeOnce('acme', 'used', before + 600_000, before)).rejects.toThrow(/clock ran ahead/);
        await until('the new epoch', () => epochOf(state) !== first);
        expect(lines.map((l) => JSON.parse(l).msg)).toContain('the Redis server\'s clock ran ahead of where it was (a clock step): keys expire by its clock, so used nonces may be gone early; a new epoch begins');
        await untilRefusedBeforeEpoch(state, 'used', before - 120_000);
        const after = Date.now() - steady.back + 1;
        expect(await state.nonceStore.consumeOnce('acme', 'later', after + 60_000, after)).toBe('ok');
      }, { ...steady.both, logger: jsonLogger((l) => lines.push(l)) });
    });

    // A re-review (11-29): four steps of 25 s, each under the threshold, were never caught.
    it('sums the steps: several small ones past half the margin within a nonce\'s life begin a new epoch', () => {
      const steady = steadily();
      return withOwnRedis(async (_own, state) => {
        const first = epochOf(state);
        for (const back of [12_000, 24_000]) {
          steady.back = back;
          await new Promise((r) => setTimeout(r, 1300));
          expect(epochOf(state)).toBe(first);
        }
        steady.back = 36_000;
        await until('the new epoch', () => epochOf(state) !== first);
      }, steady.both);
    });

    // A re-review (11-29): a suspended host (its steady clock stood still) began a new epoch.
    it('keeps its epoch when this host\'s steady clock alone falls behind (a suspend)', () => {
      const steady = steadily();
      return withOwnRedis(async (_own, state) => {
        const first = epochOf(state);
        steady.back = 40_000;
        await new Promise((r) => setTimeout(r, 1300));
        expect(epochOf(state)).toBe(first);
        const at = Date.now() + 5_000;
        expect(await state.nonceStore.consumeOnce('acme', 'fine', at + 60_000, at)).toBe('ok');
      }, { steadyNow: steady.both.steadyNow });
    });

    // A re-review (11-29): a correction of the instance's own clock began a new epoch for every
    // instance (a minute of refused receipts), though it shortens no key's life.
    it('keeps its epoch when this host\'s wall clock is stepped and corrected', () => {
      let ahead = 0;
      return withOwnRedis(async (_own, state) => {
        const first = epochOf(state);
        ahead = 40_000;
        await new Promise((r) => setTimeout(r, 1300));
        ahead = 0;
        await new Promise((r) => setTimeout(r, 1300));
        expect(epochOf(state)).toBe(first);
      }, { now: () => Date.now() + ahead });
    });

    // A review (11-29): an instance allowing 120 s of skew beside one allowing 5 s verified a
    // receipt again after the other had used it and let its nonce go (kept for 5 s of skew); a
    // re-review did the same with the skew raised across a restart.
    it('refuses an instance whose receipt skew differs by more than 30 s from a running one\'s, or exceeds a stopped one\'s whose nonces live', async () => {
      const own = await startRedis();
      const five = await RedisState.connect(own.url, { ...NO_MARGIN, skewMs: 5_000 });
      try {
        await expect(RedisState.connect(own.url, { ...NO_MARGIN, skewMs: 120_000 })).rejects.toThrow(
          'another instance on this Redis allows a receipt clock skew of 5 s (MGE_CLOCK_SKEW_SECONDS), this one 120 s: a used nonce is kept for the skew of the instance that used it, so the one allowing more would verify it again once it is gone; instances sharing a Redis must agree on it within 30 s',
        );
        const near = await RedisState.connect(own.url, { ...NO_MARGIN, skewMs: 30_000 });
        await near.close();
        const at = Date.now();
        expect(await five.nonceStore.consumeOnce('acme', 'used-under-5', at + 60_000, at)).toBe('ok');
        // The nonce's script said at once how long it lives (a re-review: an instance killed before
        // its next look left a note saying 2 s).
        const admin = new Redis(own.url);
        const note = (await admin.hget('mge:skews', five['instance']).finally(() => admin.disconnect()))!.split(' ').map(Number);
        expect(note[2]).toBeGreaterThanOrEqual(at + 59_000);
        await five.close();
        // Stopped, its nonces still live: a larger skew is refused until they are gone; the same
        // or a smaller one starts.
        await expect(RedisState.connect(own.url, { ...NO_MARGIN, skewMs: 120_000, connectTimeoutMs: 5000 })).rejects.toThrow(
          /an instance that stopped used nonces under a receipt clock skew of 5 s \(MGE_CLOCK_SKEW_SECONDS\); this one allows 120 s and would verify those receipts again once their nonces are gone, for about \d+ s more/,
        );
        const same = await RedisState.connect(own.url, { ...NO_MARGIN, skewMs: 5_000 });
        await same.close();
      } finally {
        await five.close();
        await own.stop();
      }
    });

    // A re-review (11-29): a stopped instance that had verified nothing refused a larger skew
    // for as long as the new skew (up to an hour).
    it('starts a larger skew at once after a stopped instance that recorded no nonce', async () => {
      const own = await startRedis();
      try {
        const idle = await RedisState.connect(own.url, { ...NO_MARGIN, skewMs: 5_000 });
        await new Promise((r) => setTimeout(r, 1100)); // a look or two
        await idle.close();
        const larger = await RedisState.connect(own.url, { ...NO_MARGIN, skewMs: 3_600_000 });
        await larger.close();
      } finally {
        await own.stop();
      }
    });

    it('takes up a new instance on a server that restarted while no instance watched', async () => {
      const own = await startRedis();
      const client = new Redis(own.url);
      try {
        await client.set('mge:epoch', 'an-earlier-run 1000');
        const late = await RedisState.connect(own.url, NO_MARGIN);
        const from = Date.now() - 60_000; // before its own start, after 1000
        await expect(late.nonceStore.consumeOnce('acme', 'x', Date.now() + 60_000, from)).rejects.toThrow(/vouches for used nonces only since/);
        expect(await client.get('mge:epoch')).toMatch(/^\S+ \d+ \d+$/);
        expect(await client.get('mge:epoch')).not.toBe('an-earlier-run 1000');
        await late.close();
      } finally {
        client.disconnect();
        await own.stop();
      }
    });
  });

  describe('fail closed', () => {
    it('denies a rate-limited check and refuses a nonce while the server is paused, then serves again', async () => {
      const own = await startRedis();
      const state = await RedisState.connect(own.url, { ...NO_MARGIN, commandTimeoutMs: 300 });
      try {
        const engine = await createEngine({ rules: [RULE], rateLimiter: state.rateLimiter });
        expect((await engine.evaluate(request)).approved).toBe(true);
        own.pause();
        const paused = await engine.evaluate(request);
        expect(paused.approved).toBe(false);
        expect(paused.violations.map((v) => v.code)).toEqual(['state_unavailable']);
        await expect(state.nonceStore.consumeOnce('acme', 'n', Date.now() + 60_000, Date.now())).rejects.toThrow();
        // Not ready while it does not answer (the look each second times out).
        for (let i = 0; i < 150 && state.ready(); i++) await new Promise((r) => setTimeout(r, 20));
        expect(state.ready()).toBe(false);
        own.resume();
        for (let i = 0; i < 150 && !state.ready(); i++) await new Promise((r) => setTimeout(r, 20));
        expect(state.ready()).toBe(true);
        // Decided by the store again. The paused take may have run once the server woke (then
        // the check denied for want of an answer spent its token, and the burst of 2 is gone):
        // more denials, never more approvals.
        const after = await engine.evaluate(request);
        expect(after.violations.map((v) => v.code)).toEqual(after.approved ? [] : ['rate_limited']);
        expect((await engine.evaluate({ ...request, context: { agent_id: 'a2' } })).approved).toBe(true);
      } finally {
        await state.close();
        await own.stop();
      }
    });

    it('denies at once while the server is down, and says it is not ready', async () => {
      const own = await startRedis();
      const state = await RedisState.connect(own.url, NO_MARGIN);
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
        await expect(state.nonceStore.consumeOnce('acme', 'n', Date.now() + 60_000, Date.now())).rejects.toThrow(/connection to Redis is down/);
      } finally {
        await state.close();
      }
    });
  });
});

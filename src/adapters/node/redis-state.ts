// Rate buckets and used nonces kept in Redis (MGE_REDIS_URL), so that several `mge serve`
// instances behind one load balancer share them: a rate limit holds across all of them, and a
// receipt verified by one is refused as replayed by the others (SPEC §3.4, §5). Behind the same
// interfaces as the in-memory stores (src/state/); each instance keeps its own audit log.
//
// Fail closed: a command that fails or is not answered in time (no offline queue, a command
// timeout) rejects, and the engine denies with `state_unavailable`, the verify route answers
// 503 `nonce_store_unavailable`. Never an approval for want of an answer.

import { Redis } from 'ioredis';
import { bucketKey, type RateLimiter } from '../../state/rate-limiter.js';
import type { NonceStore } from '../../state/nonce-store.js';
import { STORE_DEADLINE_MS } from '../../state/deadline.js';
import { SidecarConfigError } from './sidecar-config-error.js';

/** Every key MGE writes starts with this. */
export const REDIS_KEY_PREFIX = 'mge:';

/**
 * One token bucket, taken atomically: the same arithmetic as MemoryRateLimiter's (in doubles,
 * stored with 17 significant digits, so a bucket reads back exactly as it was written). A bucket
 * left idle expires once it would be full again, which is what an absent bucket is. Times are
 * the instance's (its clock stamps the decision too); the key's lifetime is relative, so the
 * Redis server's clock does not matter, and a bucket stamped later by another instance's clock
 * does not refill until time passes it.
 */
const TAKE_TOKEN = `
local cap = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local held = redis.call('HMGET', KEYS[1], 't', 'u')
local tokens, updated
if held[1] then
  tokens = tonumber(held[1])
  updated = tonumber(held[2])
  if now > updated then
    tokens = tokens + ((now - updated) / 1000) * rate
    updated = now
  end
  if tokens > cap then tokens = cap end
else
  tokens = cap
  updated = now
end
local taken = 0
if tokens >= 1 then
  tokens = tokens - 1
  taken = 1
end
redis.call('HSET', KEYS[1], 't', string.format('%.17g', tokens), 'u', string.format('%.17g', updated))
-- Never full again (no refill, or not within 30 000 years): kept.
local ttl = 0
if rate > 0 then ttl = math.ceil(updated - now + ((cap - tokens) / rate) * 1000) + 1000 end
if ttl > 0 and ttl < 1e15 then
  redis.call('PEXPIRE', KEYS[1], ttl)
else
  redis.call('PERSIST', KEYS[1])
end
return taken
`;

type MgeRedis = Redis & { mgeTakeToken(key: string, capacity: string, rate: string, now: string): Promise<number> };

/** The Redis connection the two stores share. */
export class RedisState {
  /** Where it is, without credentials (redisLocation). */
  readonly location: string;

  private constructor(private readonly client: MgeRedis, url: string, private readonly now: () => number) {
    this.location = redisLocation(url);
  }

  /**
   * Connects (within `connectTimeoutMs`) and checks the server keeps what MGE writes: its
   * `maxmemory-policy` must be `noeviction`, since an evicted nonce is a receipt that verifies
   * twice and an evicted bucket a limit refilled at once. Rejects, saying why, otherwise.
   */
  static async connect(url: string, opts: { now?: () => number; connectTimeoutMs?: number; commandTimeoutMs?: number } = {}): Promise<RedisState> {
    const client = new Redis(url, {
      lazyConnect: true,
      // A command while the connection is down fails at once (fail closed), rather than
      // waiting in a queue for a server that may not come back.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: opts.commandTimeoutMs ?? STORE_DEADLINE_MS,
      connectTimeout: opts.connectTimeoutMs ?? 5000,
      // The ready check (an INFO) is the one below, under the same deadline.
      enableReadyCheck: false,
      // Reconnects in the background, forever, at most a second apart.
      retryStrategy: (times) => Math.min(times * 100, 1000),
    }) as MgeRedis;
    client.defineCommand('mgeTakeToken', { numberOfKeys: 1, lua: TAKE_TOKEN });
    // An 'error' event without a listener would end the process; each failed command says it.
    // The first one is kept for the start's message ("Connection is closed." alone says little).
    let firstError: Error | undefined;
    client.on('error', (err: Error) => void (firstError ??= err));
    const waitMs = opts.connectTimeoutMs ?? 5000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // A server that takes the connection and never answers (paused, a wrong port) is refused
    // in this time too, with a reason that says so.
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${waitMs / 1000} s`)), waitMs);
    });
    try {
      const policy = await Promise.race([late, (async () => {
        await client.connect();
        return /^maxmemory_policy:(\S+)/m.exec(await client.info('memory'))?.[1];
      })()]);
      if (policy !== 'noeviction') {
        throw new Error(`the Redis server's maxmemory-policy is \`${policy ?? 'not reported'}\`: it may evict a used nonce before its receipt expires (the receipt would verify again) or a rate bucket (its limit refilled at once); set \`maxmemory-policy noeviction\``);
      }
    } catch (err) {
      client.disconnect();
      const said = [firstError?.message, err instanceof Error ? err.message : String(err)].filter((m) => m !== undefined);
      throw new Error([...new Set(said)].join('; then: '));
    } finally {
      clearTimeout(timer);
    }
    return new RedisState(client, url, opts.now ?? Date.now);
  }

  /** Whether the connection is up (for /readyz). */
  ready(): boolean {
    return this.client.status === 'ready';
  }

  readonly rateLimiter: RateLimiter = {
    take: async (name, capacity, refillPerSecond, nowMs, rule = ''): Promise<boolean> => {
      if (typeof name !== 'string' || !(capacity >= 0) || !(refillPerSecond >= 0) || !Number.isFinite(nowMs)) {
        throw new TypeError(`rate limit: a bucket name and non-negative capacity and refill rate, at a finite time; got ${typeof name}, ${capacity}, ${refillPerSecond}, ${nowMs}`);
      }
      // Long names by their rule and digest, as in memory: a key's size is bounded whatever the caller's key.
      const taken = await this.client.mgeTakeToken(`${REDIS_KEY_PREFIX}rl:${bucketKey(name, rule)}`, String(capacity), String(refillPerSecond), String(nowMs));
      if (taken !== 0 && taken !== 1) throw new Error(`the Redis rate-limit script answered \`${String(taken)}\``);
      return taken === 1;
    },
  };

  readonly nonceStore: NonceStore = {
    consumeOnce: async (tenant, nonce, expiresAtMs) => {
      if (typeof tenant !== 'string' || typeof nonce !== 'string' || typeof expiresAtMs !== 'number' || Number.isNaN(expiresAtMs)) {
        throw new TypeError(`the nonce store takes a tenant and a nonce (strings) and an expiry (epoch ms); got ${typeof tenant}, ${typeof nonce}, ${typeof expiresAtMs}`);
      }
      // Kept for as long as the receipt could verify, counted from this instance's clock (PX,
      // not PXAT: the Redis server's clock may differ). Tenant names hold no NUL.
      const ttl = Math.max(1, Math.ceil(expiresAtMs - this.now()));
      const set = await this.client.set(`${REDIS_KEY_PREFIX}nonce:${tenant}\u0000${nonce}`, '1', 'PX', ttl, 'NX');
      return set === 'OK' ? 'ok' : 'replayed';
    },
  };

  /** Closes the connection (commands in flight are answered first). */
  async close(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

/** Where a Redis URL points, without its user name or password (for the banner and errors). */
export function redisLocation(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
}

/** `mge serve`'s connection for MGE_REDIS_URL; a start is refused, saying why, when it cannot be used. */
export async function connectRedisState(url: string): Promise<RedisState> {
  let where: string;
  try {
    if (!/^rediss?:$/.test(new URL(url).protocol)) throw new Error('not redis:');
    where = redisLocation(url);
  } catch {
    throw new SidecarConfigError('MGE_REDIS_URL is not a Redis URL (`redis://[user:password@]host[:port][/db]`, or `rediss://` for TLS)');
  }
  try {
    return await RedisState.connect(url);
  } catch (err) {
    throw new SidecarConfigError(`MGE_REDIS_URL: the Redis server at ${where} cannot keep the rate limits and used nonces: ${err instanceof Error ? err.message : String(err)}`);
  }
}

// Rate buckets and used nonces kept in Redis (MGE_REDIS_URL), so that several `mge serve`
// instances behind one load balancer share them: a rate limit holds across all of them, and a
// receipt verified by one is refused as replayed by the others (SPEC §3.4, §5). Behind the same
// interfaces as the in-memory stores (src/state/); each instance keeps its own audit log.
//
// Fail closed: a command that fails or is not answered in time (no offline queue, a command
// timeout) rejects, and the engine denies with `state_unavailable`, the verify route answers
// 503 `nonce_store_unavailable`. Never an approval for want of an answer.
//
// Redis can forget: a restart without persistence, a failover to a replica that lagged, a
// FLUSHALL, an eviction. The store therefore vouches for used nonces only since its *epoch*
// began: a key (`mge:epoch`) naming the server run it was written on, when (by the server's
// clock) and the server's count of evicted keys then. An instance that finds it gone, written on
// another run, with evictions since, or older than the one it held, begins a new epoch, and
// receipts that could have been verified before it (or within the clock margin after) are
// refused: they may have been used. Each instance looks after every reconnect (before any
// command is trusted) and every second; each nonce is recorded only while the epoch still holds
// (the scripts, with why each decides as it does, are in node/redis-scripts.ts).

import { Redis } from 'ioredis';
import { bucketKey, checkTakeArguments, tenantOfBucket, type RateLimiter } from '../../state/rate-limiter.js';
import { checkConsumeArguments, type NonceStore } from '../../state/nonce-store.js';
import { STORE_DEADLINE_MS, withinDeadline } from '../../state/deadline.js';
import type { Logger } from '../../http/logger.js';
import { SidecarConfigError } from './sidecar-config-error.js';
import { DEFAULT_SKEW_MS } from '../../receipt/verify.js';
import { MAX_TTL_MS } from '../../receipt/sign.js';
import { CONSUME_NONCE, epochStart, KEEP_EPOCH, NOTE_SKEW, TAKE_TOKEN } from './redis-scripts.js';
import { ServerClockOffsets, steadyNow } from './server-clock.js';

/** Every key MGE writes starts with this. */
export const REDIS_KEY_PREFIX = 'mge:';
const EPOCH_KEY = `${REDIS_KEY_PREFIX}epoch`;
/**
 * How far instances' clocks and MGE_CLOCK_SKEW_SECONDS may differ in all, or one step: a used
 * nonce is kept this much longer than its receipt can verify here, so another instance still
 * finds it; and a receipt that could verify less than this after the store's epoch began is
 * refused, as one that could have been used before it.
 */
export const NONCE_MARGIN_MS = 60_000;
/** How often each instance looks at the server (its epoch, run and eviction policy). */
const LOOK_EVERY_MS = 1000;
/**
 * How far the server's clock may run ahead of where it was within a nonce's life (steps summed),
 * against this process's steady clock, before a new epoch begins: half the nonce margin, so less
 * leaves at least half of it for clocks.
 */
const CLOCK_STEP_MS = NONCE_MARGIN_MS / 2;
/** A look whose round trip took longer measures the server's clock too loosely to compare. */
const TRUSTED_ROUND_TRIP_MS = 1000;
/** Each instance's skew, noted at every look; a note this old is a stopped instance's. */
const SKEWS_KEY = `${REDIS_KEY_PREFIX}skews`;
const SKEW_NOTE_STALE_MS = 10_000;
/** How far instances' MGE_CLOCK_SKEW_SECONDS may differ: the other half of the nonce margin. */
const SKEW_AGREEMENT_MS = NONCE_MARGIN_MS / 2;

type MgeRedis = Redis & {
  mgeTakeToken(key: string, capacity: string, rate: string, now: string): Promise<number>;
  mgeKeepEpoch(key: string, refused: string): Promise<[string, string, string]>;
  mgeConsumeNonce(epochKey: string, nonceKey: string, skewsKey: string, held: string, ttlMs: string, serverExpectedMs: string, stepMs: string, instance: string, skewMs: string, keepUntilServerMs: string, longestMs: string): Promise<number>;
  mgeNoteSkew(key: string, instance: string, skewMs: string, staleMs: string, agreementMs: string, marginMs: string, stopping: string, largestSkewMs: string): Promise<[string, string, string]>;
};

export interface RedisStateOptions {
  now?: () => number;
  connectTimeoutMs?: number;
  commandTimeoutMs?: number;
  /** Told when the connection goes and comes back, and when the store began a new epoch. */
  logger?: Logger;
  /** NONCE_MARGIN_MS by default (tests that do not wait a minute after an epoch begins give less). */
  marginMs?: number;
  /**
   * This instance's receipt clock skew (MGE_CLOCK_SKEW_SECONDS; 5 s by default): instances on
   * one server must agree on it within 30 s (a start is refused otherwise).
   */
  skewMs?: number;
  /** The steady clock the server's clock is measured against (tests step it; never the wall clock). */
  steadyNow?: () => number;
}

/** The Redis connection the two stores share. */
export class RedisState {
  /** Where it is, without credentials (redisLocation). */
  readonly location: string;
  /** Why no command is trusted now (the connection down, not yet looked at again, …), if so. */
  private problem: string | undefined;
  /**
   * The epoch this instance holds (its text as stored), and when it began by this instance's
   * clock (the server's time of it, moved by how far this clock is from the server's, measured
   * at each look, and taken late by the look's round trip).
   */
  private epochText = '';
  private epochAt = Infinity;
  /**
   * The server's clock against this process's steady clock and against its wall clock, over a
   * nonce's longest life: a step counts only when the server's clock ran ahead of both (this
   * host's own clock corrected moves only the wall one; a suspended host only the steady one).
   */
  private readonly serverClock: ServerClockOffsets;
  private readonly serverClockByWall: ServerClockOffsets;
  /** This instance, in the hash of skews. */
  private readonly instance = crypto.randomUUID();

  private looking: Promise<void> | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private closed = false;

  private constructor(
    private readonly client: MgeRedis,
    url: string,
    private readonly now: () => number,
    private readonly marginMs: number,
    private readonly skewMs: number,
    private readonly steady: () => number,
    private readonly logger?: Logger,
  ) {
    this.serverClock = new ServerClockOffsets(steady);
    this.serverClockByWall = new ServerClockOffsets(steady);
    this.location = redisLocation(url);
  }

  /**
   * Connects (within `connectTimeoutMs`), checks the server keeps what MGE writes (its
   * `maxmemory-policy` must be `noeviction`: an evicted nonce is a receipt that verifies twice,
   * an evicted bucket a limit refilled at once), takes up or begins the epoch, and tries each
   * command MGE uses (a user whose ACL forbids one is refused now, not at every check).
   * Rejects, saying why, otherwise.
   */
  static async connect(url: string, opts: RedisStateOptions = {}): Promise<RedisState> {
    const db = dbOf(url);
    const waitMs = opts.connectTimeoutMs ?? 5000;
    const client = new Redis(url, {
      lazyConnect: true,
      // A command while the connection is down fails at once (fail closed), rather than
      // waiting in a queue for a server that may not come back.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: opts.commandTimeoutMs ?? STORE_DEADLINE_MS,
      connectTimeout: waitMs,
      // The ready check (an INFO) is the look below, under the same deadline.
      enableReadyCheck: false,
      // A socket not closed this soon after a disconnect (a paused server) is destroyed: it
      // held a stopping process for two seconds.
      disconnectTimeout: 100,
      // Reconnects in the background, forever, at most a second apart.
      retryStrategy: (times) => Math.min(times * 100, 1000),
    }) as MgeRedis;
    client.defineCommand('mgeTakeToken', { numberOfKeys: 1, lua: TAKE_TOKEN });
    client.defineCommand('mgeKeepEpoch', { numberOfKeys: 1, lua: KEEP_EPOCH });
    client.defineCommand('mgeConsumeNonce', { numberOfKeys: 3, lua: CONSUME_NONCE });
    client.defineCommand('mgeNoteSkew', { numberOfKeys: 1, lua: NOTE_SKEW });
    // An 'error' event without a listener would end the process; each failed command says it.
    // The first one is kept for the start's message ("Connection is closed." alone says little).
    let firstError: Error | undefined;
    client.on('error', (err: Error) => void (firstError ??= err));
    const state = new RedisState(client, url, opts.now ?? Date.now, opts.marginMs ?? NONCE_MARGIN_MS, opts.skewMs ?? DEFAULT_SKEW_MS, opts.steadyNow ?? steadyNow, opts.logger);
    try {
      // A server that takes the connection and never answers (paused, a wrong port) is refused
      // in this time too, with a reason that says so.
      await withinDeadline((async () => {
        await client.connect();
        // Its own SELECT, awaited: one the server refuses (a db past its `databases`) refuses the start.
        if (db !== 0) await client.select(db);
        await state.look(true);
        if (state.problem !== undefined) throw new Error(state.problem);
        // Both branches of the bucket script (a rate of 0 keeps the key: PERSIST; then PEXPIRE).
        await client.mgeTakeToken(`${REDIS_KEY_PREFIX}probe`, '1', '0', String(state.now()));
        await client.mgeTakeToken(`${REDIS_KEY_PREFIX}probe`, '1', '1', String(state.now()));
        await client.mgeConsumeNonce(EPOCH_KEY, `${REDIS_KEY_PREFIX}probe-nonce`, SKEWS_KEY, state.epochText, '1000', String(state.serverNowAtMost()), String(CLOCK_STEP_MS), '', String(state.skewMs), '0', '1000');
      })(), waitMs);
    } catch (err) {
      client.disconnect();
      const said = [firstError?.message, err instanceof Error ? err.message : String(err)].filter((m) => m !== undefined);
      throw new Error([...new Set(said)].join('; then: '));
    }
    state.watch();
    return state;
  }

  /** Looks again at every reconnect, before any command is trusted, and every second. */
  private watch(): void {
    this.client.on('close', () => {
      if (this.closed) return;
      if (this.problem === undefined) this.logger?.error('shared state (Redis) connection lost: rate-limited checks are denied and receipts refused until it is back', { redis: this.location });
      this.problem = 'the connection to Redis is down';
    });
    this.client.on('ready', () => void this.lookNow());
    this.timer = setInterval(() => void this.lookNow(), LOOK_EVERY_MS);
    this.timer.unref();
  }

  private lookNow(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return (this.looking ??= this.look().finally(() => (this.looking = undefined)));
  }

  /**
   * Reads the server's eviction policy and run, and keeps or begins the epoch; notes this
   * instance's skew. Sets `problem` when the server cannot be trusted now; clears it otherwise.
   * `first`: the connect's look (the server's clock measured for the first time).
   */
  private async look(first = false): Promise<void> {
    const was = this.problem;
    try {
      let { text, serverNow, policy, offsets } = await this.readEpoch(first);
      // Another epoch that began before the one held: a server that did not see what was
      // recorded since (a failback to the old master, which kept its own older epoch). Its
      // nonces are not all there: a new epoch begins, unless another instance began one already.
      if (policy === 'noeviction' && this.epochText !== '' && text !== this.epochText && this.epochAtOf(text, serverNow) < this.epochAt) {
        [text, serverNow, policy] = await this.client.mgeKeepEpoch(EPOCH_KEY, text);
      }
      if (policy !== 'noeviction') {
        this.problem = `the Redis server's maxmemory-policy is \`${policy || 'not reported'}\`: it may evict a used nonce before its receipt expires (the receipt would verify again) or a rate bucket (its limit refilled at once); set \`maxmemory-policy noeviction\``;
        if (was !== this.problem) this.logger?.error(`shared state (Redis) not used: ${this.problem}`, { redis: this.location });
        return;
      }
      const at = this.epochAtOf(text, serverNow);
      if (this.epochText !== '' && text !== this.epochText) {
        this.logger?.warn('shared state (Redis) may have lost used nonces (the server restarted, failed over, was emptied or evicted keys): receipts that could verify before its new epoch began, or within a minute after, are refused at verification, and rate buckets start full', { redis: this.location, epoch: new Date(at).toISOString() });
      }
      // The same epoch never moves earlier: a step of the server's clock between two looks
      // would otherwise move it by the whole step.
      this.epochAt = text === this.epochText ? Math.max(this.epochAt, at) : at;
      if (offsets !== undefined) {
        if (text === this.epochText) {
          this.serverClock.note(offsets.steady);
          this.serverClockByWall.note(offsets.wall);
        } else {
          // A new epoch: receipts from before it are refused anyway.
          this.serverClock.reset(offsets.steady);
          this.serverClockByWall.reset(offsets.wall);
        }
      }
      this.epochText = text;
      const refused = await this.noteSkew(false);
      if (refused !== undefined) {
        this.problem = refused;
        if (was !== this.problem) this.logger?.error(`shared state (Redis) not used: ${this.problem}`, { redis: this.location });
        return;
      }
      this.problem = undefined;
      if (was !== undefined && this.timer !== undefined) this.logger?.info('shared state (Redis) usable again', { redis: this.location });
    } catch (err) {
      this.problem = `Redis did not answer as it should: ${err instanceof Error ? err.message : String(err)}`;
      if (was === undefined && this.timer !== undefined) this.logger?.error(`shared state (Redis) not used: ${this.problem}; rate-limited checks are denied and receipts refused until it answers`, { redis: this.location });
    }
  }

  /**
   * Reads the epoch (KEEP_EPOCH), measuring on the way the server's clock against this
   * process's steady and wall clocks (`offsets`: the server's ms less each, when the round trip
   * was short enough to trust). The server's clock ran ahead of where it was within a nonce's
   * life, against both (a step, or steps summed): Redis expires keys by its clock, so every used
   * nonce's life was cut by that much and some may be gone while their receipts still verify (a
   * review, 11-29: a 130 s step, and a receipt verified twice). A new epoch begins then, unless
   * another instance began one. A server that may evict answers no time: nothing is measured.
   */
  private async readEpoch(first: boolean): Promise<{ text: string; serverNow: string; policy: string; offsets?: { steady: number; wall: number } }> {
    const sent = this.steady();
    const sentWall = this.now();
    let [text, serverNow, policy] = await this.client.mgeKeepEpoch(EPOCH_KEY, '');
    const got = this.steady();
    const gotWall = this.now();
    if (policy !== 'noeviction' || (!first && got - sent > TRUSTED_ROUND_TRIP_MS)) return { text, serverNow, policy };
    const offsets = { steady: Number(serverNow) - (sent + got) / 2, wall: Number(serverNow) - (sentWall + gotWall) / 2 };
    const least = this.serverClock.least() ?? offsets.steady;
    const leastByWall = this.serverClockByWall.least() ?? offsets.wall;
    const ahead = Math.min(offsets.steady - least, offsets.wall - leastByWall);
    if (!first && text === this.epochText && ahead > CLOCK_STEP_MS) {
      this.logger?.warn('the Redis server\'s clock ran ahead of where it was (a clock step): keys expire by its clock, so used nonces may be gone early; a new epoch begins', { redis: this.location, step_ms: Math.round(ahead) });
      [text, serverNow, policy] = await this.client.mgeKeepEpoch(EPOCH_KEY, text);
    }
    return { text, serverNow, policy, offsets };
  }

  /**
   * Notes this instance's skew (`stopping`: as stopped, kept while its nonces live); returns why
   * it is refused, if it is: another's disagrees (NOTE_SKEW).
   */
  private async noteSkew(stopping: boolean): Promise<string | undefined> {
    const [why, skew, left] = await this.client.mgeNoteSkew(SKEWS_KEY, this.instance, String(this.skewMs), String(SKEW_NOTE_STALE_MS), String(SKEW_AGREEMENT_MS), String(this.marginMs), stopping ? '1' : '0', String(MAX_TTL_MS));
    if (why === '') return undefined;
    const other = Number(skew) / 1000;
    const mine = this.skewMs / 1000;
    return why === 'live'
      ? `another instance on this Redis allows a receipt clock skew of ${other} s (MGE_CLOCK_SKEW_SECONDS), this one ${mine} s: a used nonce is kept for the skew of the instance that used it, so the one allowing more would verify it again once it is gone; instances sharing a Redis must agree on it within ${SKEW_AGREEMENT_MS / 1000} s`
      // A re-review (11-29): 5 s raised to 120 s across a restart, and a receipt used under
      // 5 s verified again once its nonce was gone.
      : `an instance that stopped used nonces under a receipt clock skew of ${other} s (MGE_CLOCK_SKEW_SECONDS); this one allows ${mine} s and would verify those receipts again once their nonces are gone, for about ${Math.ceil(Number(left) / 1000)} s more: start it then, or with a skew within ${SKEW_AGREEMENT_MS / 1000} s of ${other} s`;
  }

  /**
   * Where the server's clock should be now at the most, by the steady clock and the least offset
   * seen within a nonce's life (the nonce script refuses past it by more than CLOCK_STEP_MS).
   */
  private serverNowAtMost(): number {
    return Math.max(this.steady() + (this.serverClock.least() ?? 0), this.now() + (this.serverClockByWall.least() ?? 0));
  }

  /** When epoch `text` began by this instance's clock: the server's `serverNow` read, at the latest, now. */
  private epochAtOf(text: string, serverNow: string): number {
    const atServer = epochStart(text);
    if (atServer === undefined) throw new Error(`\`${EPOCH_KEY}\` holds \`${text.slice(0, 100)}\`, not an epoch MGE wrote`);
    return atServer + (this.now() - Number(serverNow));
  }

  private usable(): void {
    if (this.problem !== undefined) throw new Error(this.problem);
  }

  /** Whether the connection is up and the server was found fit at the last look (for /readyz). */
  ready(): boolean {
    return this.client.status === 'ready' && this.problem === undefined;
  }

  readonly rateLimiter: RateLimiter = {
    take: async (name, capacity, refillPerSecond, nowMs, rule = ''): Promise<boolean> => {
      checkTakeArguments(name, capacity, refillPerSecond, nowMs);
      this.usable();
      const taken = await this.client.mgeTakeToken(`${REDIS_KEY_PREFIX}rl:${redisBucketKey(name, rule)}`, String(capacity), String(refillPerSecond), String(nowMs));
      if (taken !== 0 && taken !== 1) throw new Error(`the Redis rate-limit script answered \`${String(taken)}\``);
      return taken === 1;
    },
  };

  readonly nonceStore: NonceStore = {
    consumeOnce: async (tenant, nonce, expiresAtMs, validFromMs) => {
      checkConsumeArguments('the nonce store', tenant, nonce, expiresAtMs);
      this.usable();
      // Without its validity start (a caller of the interface that gives none), a receipt is
      // taken as valid from any time: refused, unless the epoch began at the dawn of time.
      // A minute's margin (NONCE_MARGIN_MS), for instances whose clocks differ (or one stepped).
      if (!((validFromMs ?? -Infinity) > this.epochAt + this.marginMs)) {
        throw new Error(`the shared store vouches for used nonces only since ${new Date(this.epochAt).toISOString()} (its epoch: Redis began it, or restarted, failed over, was emptied or evicted keys, then), with a minute's margin for clocks; a receipt that could verify before then may have been used, and is refused`);
      }
      // Kept for as long as the receipt could verify at any instance, counted from this
      // instance's clock (PX, not PXAT: the Redis server's clock may differ; a step of it
      // forward is caught by the script, -2). Tenant names hold no NUL.
      // And until the server's clock passes the expiry and the margin, whichever is later (past
      // the longest a receipt lives, refused: -3): forgetClock below reckons by the server's clock.
      const ttl = Math.max(1, Math.ceil(expiresAtMs - this.now() + this.marginMs));
      const keepUntil = Math.ceil(expiresAtMs + this.marginMs);
      const longest = MAX_TTL_MS + 2 * this.skewMs + this.marginMs;
      const r = await this.client.mgeConsumeNonce(EPOCH_KEY, `${REDIS_KEY_PREFIX}nonce:${tenant}\u0000${nonce}`, SKEWS_KEY, this.epochText, String(ttl), String(this.serverNowAtMost()), String(CLOCK_STEP_MS), this.instance, String(this.skewMs), String(keepUntil), String(longest));
      if (r === -1) {
        void this.lookNow();
        throw new Error('the shared store\'s epoch changed (its keys were emptied, or it restarted); looking at it again');
      }
      if (r === -2) {
        void this.lookNow(); // begins a new epoch: receipts that could verify before it are refused
        throw new Error('the Redis server\'s clock ran ahead of this instance\'s since its last look (a clock step ends keys early by it, used nonces too); looking at it again');
      }
      if (r === -3) {
        throw new Error(`the receipt expires more than ${Math.round(longest / 60_000)} min past the Redis server's clock, longer than any receipt lives: this host's clock, or its issuer's, runs ahead of the server's; its nonce could not be kept as long as it verifies, so it is refused (keep the clocks synchronized)`);
      }
      if (r !== 0 && r !== 1) throw new Error(`the Redis nonce script answered \`${String(r)}\``);
      return r === 1 ? 'ok' : 'replayed';
    },
    // Redis keeps a nonce until its clock passes the receipt's expiry and the margin (at least):
    // judged by this host's wall clock, a step back of it (an NTP correction of a clock that ran
    // ahead) took receipts whose nonces Redis had dropped for unexpired (a review, 11-29). The
    // server's clock is reckoned from the steady clock and the least offset seen (or the wall
    // clock's, whichever is later), so a step back of this host's does not count. A host behind
    // the server by more than the margin less the skew is refused the end of each receipt's
    // life (a re-review, 11-29: judged by the earlier of the two clocks instead, such a host
    // verified a receipt twice once the key was gone); keep the clocks within a minute.
    forgetClock: () => this.serverNowAtMost() - this.marginMs,
  };

  /** Closes the connection (commands in flight are answered first). */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    // QUIT only over a connection that answers, and not for long: a server gone or paused held
    // a stopping process for the command timeout and the client's disconnect wait.
    if (this.client.status === 'ready' && this.problem === undefined) {
      // Its skew note stays, marked stopped, while its nonces live: a restart with a skew larger
      // by more than 30 s is refused until then.
      await withinDeadline(this.noteSkew(true).then(() => this.client.quit()), 200).catch(() => undefined);
    }
    this.client.disconnect();
  }
}

/**
 * A bucket's key: its name, which begins with its tenant; a long name by its tenant, rule and
 * digest (bucketKey), so that a digest two keys were made to share can at worst join two
 * buckets of one tenant's rule (more denials), never another tenant's.
 */
function redisBucketKey(name: string, rule: string): string {
  const key = bucketKey(name, rule);
  return key === name ? name : `${tenantOfBucket(name)}\u0000${key}`;
}

/** The database a Redis URL names (`/N`), 0 if none; anything else is no Redis URL. */
function dbOf(url: string): number {
  const path = new URL(url).pathname;
  if (!/^\/?\d{0,5}$/.test(path)) throw new SidecarConfigError(`MGE_REDIS_URL names database \`${path.slice(1)}\`: a database is a number (\`redis://host:6379/2\`)`);
  return path.length > 1 ? Number(path.slice(1)) : 0;
}

/** Where a Redis URL points, without its user name or password (for the banner and errors). */
export function redisLocation(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
}

/** `mge serve`'s connection for MGE_REDIS_URL; a start is refused, saying why, when it cannot be used. */
export async function connectRedisState(url: string, logger?: Logger, skewMs?: number): Promise<RedisState> {
  let where: string;
  try {
    if (!/^rediss?:$/.test(new URL(url).protocol)) throw new Error('not redis:');
    where = redisLocation(url);
  } catch {
    throw new SidecarConfigError('MGE_REDIS_URL is not a Redis URL (`redis://[user:password@]host[:port][/db]`, or `rediss://` for TLS; a password with `%`, `@`, `:` or `/` percent-encoded)');
  }
  dbOf(url);
  try {
    return await RedisState.connect(url, { ...(logger === undefined ? {} : { logger }), ...(skewMs === undefined ? {} : { skewMs }) });
  } catch (err) {
    throw new SidecarConfigError(`MGE_REDIS_URL: the Redis server at ${where} cannot keep the rate limits and used nonces: ${err instanceof Error ? err.message : String(err)}`);
  }
}

// Token buckets for `rate_limit_check` (SPEC §3.4), behind a small interface so a shared store
// (Redis) can replace the in-memory one. A store may answer synchronously or with a promise.

import { detached } from './detached.js';

export interface RateLimiter {
  /**
   * Takes one token from `bucket` (capacity `capacity`, refilled at `refillPerSecond`).
   * Returns false when the bucket is empty. Throws (or rejects) when the store is unreachable:
   * the caller then denies with `state_unavailable`.
   */
  take(bucket: string, capacity: number, refillPerSecond: number, nowMs: number, rule?: string): boolean | Promise<boolean>;
  /**
   * How to look up the limits each of a tenant's rules has now, by its part of the bucket name
   * after the tenant (`rule` in take: `\0<rule_id>\0<n>\0`); the engine gives it once, and it
   * reads the rules serving at the time of each call. A store that drops idle buckets must not
   * drop one a changed limit would not call full.
   */
  limitsNow?(limitsOf: (tenant: string) => ReadonlyMap<string, Limits>): void;
}

/** A rule's token bucket parameters. */
export interface Limits {
  capacity: number;
  refillPerSecond: number;
}

/**
 * The engine names a bucket `<tenant>\0<rule_id>\0<n>\0<key as canonical JSON>` (n: which of the rule's rate_limit_check conditions)
 * (src/engine/rate-limit.ts); tenant names hold no NUL, so the tenant is the part before the
 * first one. A name without a NUL is the tenant `""`'s.
 */
export function tenantOfBucket(bucket: string): string {
  const cut = bucket.indexOf('\u0000');
  return cut < 0 ? '' : bucket.slice(0, cut);
}

interface Bucket {
  tokens: number;
  updatedMs: number;
  /** The parameters of its last take. */
  capacity: number;
  refillPerSecond: number;
  /** Its rule (take's `rule`: the engine's string, shared by the rule's buckets), or ''. */
  rule: string;
}

const NO_LIMITS: ReadonlyMap<string, Limits> = new Map();

/** Whether `b` would hold `limits.capacity` tokens at `nowMs` under `limits`. */
function fullUnder(b: Bucket, limits: Limits, nowMs: number): boolean {
  return Math.min(b.tokens, limits.capacity) + ((nowMs - b.updatedMs) / 1000) * limits.refillPerSecond >= limits.capacity;
}

/** When `b` is full again under `limits` (Infinity if it never refills). */
function fullAtUnder(b: Bucket, limits: Limits): number {
  const missing = limits.capacity - Math.min(b.tokens, limits.capacity);
  return missing <= 0 ? b.updatedMs : b.updatedMs + (missing / limits.refillPerSecond) * 1000;
}

const MIN_SWEEP = 10_000;
/** At the cap, at most one sweep a second: each scans every bucket (~20 ms at a million). */
const FULL_SWEEP_GAP_MS = 1_000;

/**
 * Bucket names longer than this are kept under a 64-bit digest of themselves. V8 hashes a
 * string longer than 16 383 characters by its length alone, so long names of one length all
 * collide in a Map and every lookup scanned them (22 ms a check after 4 000 16 KB
 * keys); a digest also keeps a bucket small whatever its key. The rule's part of the
 * name (take's `rule`) stays in the clear: FNV is no cryptographic hash, so a caller can make
 * two long keys collide, and names of two rules with one digest shared a bucket whose looser
 * rule refilled the stricter's. Two keys of one rule condition with one
 * digest share its bucket: more denials, never more approvals than its limit allows.
 */
const LONG_NAME = 256;

/** The Map key of bucket `name` of rule condition `rule` (take's): a long name by its rule and digest. */
export function bucketKey(name: string, rule: string): string {
  return name.length > LONG_NAME ? `\u0001${rule}${name.length}:${digest(name)}` : name;
}

/** Two 32-bit FNV-1a lanes with different offsets, over UTF-16 code units, as 16 hex digits. */
function digest(name: string): string {
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193) ^ (b >>> 15);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}

/**
 * Throws unless take's arguments are a bucket name and numbers a bucket can use. Every
 * comparison with NaN is false, so a NaN capacity or rate never ran out: a token taken every
 * time (the engine only passes checked numbers).
 */
export function checkTakeArguments(name: unknown, capacity: number, refillPerSecond: number, nowMs: number): void {
  if (typeof name !== 'string' || !(capacity >= 0) || !(refillPerSecond >= 0) || !Number.isFinite(nowMs)) {
    throw new TypeError(`rate limit: a bucket name and non-negative capacity and refill rate, at a finite time; got ${typeof name}, ${capacity}, ${refillPerSecond}, ${nowMs}`);
  }
}

/**
 * One process's buckets, kept per tenant: each tenant has a store of its own, with its own cap
 * of `maxBucketsPerTenant`, so one tenant's keys (a rule that refills slowly, keyed on values
 * its callers choose) can fill only its own store and never make another tenant's checks fail
 * closed (SPEC §7: a key never reaches another tenant's buckets).
 */
export class MemoryRateLimiter implements RateLimiter {
  private readonly tenants = new Map<string, TenantBuckets>();
  private limitsOf: (tenant: string) => ReadonlyMap<string, Limits> = () => NO_LIMITS;

  constructor(private readonly maxBucketsPerTenant = 1_000_000) {
    // NaN compared false with every size: no cap at all.
    if (!(Number.isSafeInteger(maxBucketsPerTenant) && maxBucketsPerTenant > 0)) {
      throw new TypeError(`MemoryRateLimiter's bucket cap must be a positive integer, got \`${String(maxBucketsPerTenant)}\``);
    }
  }

  limitsNow(limitsOf: (tenant: string) => ReadonlyMap<string, Limits>): void {
    this.limitsOf = limitsOf;
  }

  /** Buckets held now, every tenant's (for tests and metrics). */
  get size(): number {
    let n = 0;
    for (const t of this.tenants.values()) n += t.size;
    return n;
  }

  take(name: string, capacity: number, refillPerSecond: number, nowMs: number, rule = ''): boolean {
    checkTakeArguments(name, capacity, refillPerSecond, nowMs);
    const tenant = tenantOfBucket(name);
    let store = this.tenants.get(tenant);
    if (store === undefined) {
      store = new TenantBuckets(this.maxBucketsPerTenant, () => this.limitsOf(tenant));
      this.tenants.set(detached(tenant), store);
    }
    return store.take(name, capacity, refillPerSecond, nowMs, rule);
  }
}

/** One tenant's buckets. Idle full buckets are dropped so memory follows the active keys. */
class TenantBuckets {
  private readonly buckets = new Map<string, Bucket>();
  /**
   * Idle buckets are swept whenever the map has doubled since the last sweep (from 10 000 on),
   * not only at the cap: memory follows the keys still refilling, at O(1) amortized per take.
   */
  private sweepAt = MIN_SWEEP;
  /**
   * At the cap a new name is refused without a sweep until the later of a second after the
   * last sweep there and `nextFullMs`, the earliest a bucket can be full again (a lower bound:
   * set by each sweep and each new bucket; a take only puts a bucket's moment later). Without
   * this every new name scanned the whole map (20 ms a check once filled).
   */
  private capSweptMs = -Infinity;
  private nextFullMs = Infinity;

  /**
   * `limits`: this tenant's rules' limits now (limitsNow; another tenant's rules never count
   * here). A sweep drops a bucket only if it is full under its last take's parameters and under
   * its rule's limit now: else a bucket idle since its rule's limit was lowered is swept as
   * full under the old rate and comes back full at the new burst (five approvals at 1 rpm
   * right after a burst was spent), though a rule edit never refills one.
   */
  constructor(private readonly maxBuckets: number, private readonly limits: () => ReadonlyMap<string, Limits>) {}

  get size(): number {
    return this.buckets.size;
  }

  take(name: string, capacity: number, refillPerSecond: number, nowMs: number, rule: string): boolean {
    const bucket = bucketKey(name, rule);
    let b = this.buckets.get(bucket);
    if (b === undefined) {
      const atCap = this.buckets.size >= this.maxBuckets;
      if (atCap ? nowMs >= Math.max(this.capSweptMs + FULL_SWEEP_GAP_MS, this.nextFullMs) : this.buckets.size >= this.sweepAt) {
        this.nextFullMs = this.evictFull(nowMs);
        this.sweepAt = Math.max(MIN_SWEEP, 2 * this.buckets.size);
        if (atCap) this.capSweptMs = nowMs;
      }
      if (this.buckets.size >= this.maxBuckets) throw new Error('rate limit store is full');
      b = { tokens: capacity, updatedMs: nowMs, capacity, refillPerSecond, rule };
      // Kept while it refills: a copy, so no check request's body is held with it (detached.ts).
      this.buckets.set(detached(bucket), b);
      // Full again once the token taken below has refilled (at once if none can be taken).
      this.nextFullMs = Math.min(this.nextFullMs, capacity < 1 ? nowMs : nowMs + 1000 / refillPerSecond);
    } else {
      // A clock set back refills nothing for the step, and refilling goes on from then (else
      // the bucket stayed as it was until the clock passed its stamp again: an hour's step
      // starved its key for an hour; a review, 11-29).
      b.tokens += (Math.max(0, nowMs - b.updatedMs) / 1000) * refillPerSecond;
      b.updatedMs = nowMs;
      // A lowered burst caps what the bucket holds at once; the parameters are the latest.
      if (b.tokens > capacity) b.tokens = capacity;
      b.capacity = capacity;
      b.refillPerSecond = refillPerSecond;
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /**
   * Drops the buckets that would be full again now (they carry no state worth keeping) and
   * returns the earliest moment a bucket kept will be.
   */
  private evictFull(nowMs: number): number {
    let nextFullMs = Infinity;
    const limits = this.limits();
    for (const [key, b] of this.buckets) {
      const now = limits.get(b.rule) ?? b;
      if (fullUnder(b, b, nowMs) && fullUnder(b, now, nowMs)) {
        this.buckets.delete(key);
      } else {
        // Not full now, so a time to come, or Infinity for a bucket that never refills.
        const fullMs = Math.max(fullAtUnder(b, b), fullAtUnder(b, now));
        if (fullMs < nextFullMs) nextFullMs = fullMs;
      }
    }
    return nextFullMs;
  }
}

// Token buckets for `rate_limit_check` (SPEC §3.4), behind a small interface so a shared store
// (Redis) can replace the in-memory one. A store may answer synchronously or with a promise.

export interface RateLimiter {
  /**
   * Takes one token from `bucket` (capacity `capacity`, refilled at `refillPerSecond`).
   * Returns false when the bucket is empty. Throws (or rejects) when the store is unreachable:
   * the caller then denies with `state_unavailable`.
   */
  take(bucket: string, capacity: number, refillPerSecond: number, nowMs: number): boolean | Promise<boolean>;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
  capacity: number;
  refillPerSecond: number;
}

const MIN_SWEEP = 10_000;

/** One process's buckets. Idle full buckets are dropped so memory follows the active keys. */
export class MemoryRateLimiter implements RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  /**
   * Idle buckets are swept whenever the map has doubled since the last sweep (from 10 000 on),
   * not only at the cap: memory follows the keys still refilling, at O(1) amortized per take.
   */
  private sweepAt = MIN_SWEEP;

  constructor(private readonly maxBuckets = 1_000_000) {}

  /** Buckets held now (for tests and metrics). */
  get size(): number {
    return this.buckets.size;
  }

  take(bucket: string, capacity: number, refillPerSecond: number, nowMs: number): boolean {
    let b = this.buckets.get(bucket);
    if (b === undefined) {
      if (this.buckets.size >= Math.min(this.sweepAt, this.maxBuckets)) {
        this.evictFull(nowMs);
        this.sweepAt = Math.max(MIN_SWEEP, 2 * this.buckets.size);
      }
      if (this.buckets.size >= this.maxBuckets) throw new Error('rate limit store is full');
      b = { tokens: capacity, updatedMs: nowMs, capacity, refillPerSecond };
      this.buckets.set(bucket, b);
    } else if (nowMs > b.updatedMs) {
      b.tokens = Math.min(capacity, b.tokens + ((nowMs - b.updatedMs) / 1000) * refillPerSecond);
      b.updatedMs = nowMs;
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Buckets that would be full again now carry no state worth keeping. */
  private evictFull(nowMs: number): void {
    for (const [key, b] of this.buckets) {
      if (b.tokens + ((nowMs - b.updatedMs) / 1000) * b.refillPerSecond >= b.capacity) this.buckets.delete(key);
    }
  }
}

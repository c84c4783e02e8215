// Single-use nonces for receipts (SPEC §5). The verify endpoint consumes a receipt's nonce
// atomically; a shared store (Redis SET NX PX) can replace the in-memory one behind this interface.

import { detached } from './detached.js';

export interface NonceStore {
  /**
   * Records `nonce` for `tenant` until `expiresAtMs` (the receipt's expiry plus skew).
   * 'ok': first use; 'replayed': seen before; 'full': no room without evicting a live nonce
   * (the caller must refuse). Rejects when the store is unreachable.
   * `validFromMs`: the earliest moment the receipt could verify (its issue time less the skew).
   * A store that may have forgotten nonces recorded before some moment (a shared store that
   * restarted empty) rejects a receipt valid from before then: it may have been used already.
   */
  consumeOnce(tenant: string, nonce: string, expiresAtMs: number, validFromMs?: number): Promise<'ok' | 'replayed' | 'full'>;
  /**
   * The clock (epoch ms) this store forgets nonces by: one is kept at least until this passes
   * its `expiresAtMs`. `verifyReceipt` refuses a receipt past that (its nonce may be forgotten
   * already) whatever time it is judged at. Absent: the system clock.
   */
  forgetClock?(): number;
}

/** Throws unless consumeOnce's arguments are a tenant and a nonce (strings) and an expiry (a number). */
export function checkConsumeArguments(store: string, tenant: unknown, nonce: unknown, expiresAtMs: unknown): void {
  if (typeof tenant !== 'string' || typeof nonce !== 'string' || typeof expiresAtMs !== 'number' || Number.isNaN(expiresAtMs)) {
    throw new TypeError(`${store} takes a tenant and a nonce (strings) and an expiry (epoch ms); got ${typeof tenant}, ${typeof nonce}, ${typeof expiresAtMs}`);
  }
}

/**
 * One process's nonces, kept per tenant: each tenant has a store of its own with its own cap of
 * `maxEntries`, so one tenant verifying receipts by the million fills only its own store and
 * never gets another tenant's verifications refused (SPEC §7). Entries are dropped only once
 * past their expiry (a min-heap finds them in O(log n)); a live nonce is never evicted, so a
 * full store refuses instead.
 */
export class MemoryNonceStore implements NonceStore {
  private readonly tenants = new Map<string, TenantNonces>();
  /** The latest expiry among the nonces dropped (or never loaded): such a receipt may have been used. */
  private forgotten = -Infinity;

  constructor(readonly maxEntries = 1_000_000, private readonly now: () => number = Date.now) {
    // A NaN cap never filled (every comparison with it is false).
    if (!(Number.isSafeInteger(maxEntries) && maxEntries > 0)) throw new TypeError(`MemoryNonceStore's cap must be a positive integer, got \`${String(maxEntries)}\``);
  }

  /**
   * Never before the latest expiry dropped: a clock stepped back (an NTP correction of a clock
   * that ran ahead) would otherwise take the receipts of dropped nonces for unexpired, and
   * verify them again (a review, 11-29).
   */
  forgetClock(): number {
    return Math.max(this.now(), this.forgotten + 1);
  }

  /** Notes that a receipt expiring at `expiresAtMs` or before may have been used and forgotten. */
  noteForgotten(expiresAtMs: number): void {
    if (expiresAtMs > this.forgotten) this.forgotten = expiresAtMs;
  }

  /** The latest expiry among the nonces forgotten (-Infinity: none), for a store that keeps it on disk. */
  get forgottenUpTo(): number {
    return this.forgotten;
  }

  /** Nonces held now, every tenant's. */
  get size(): number {
    let n = 0;
    for (const t of this.tenants.values()) n += t.size;
    return n;
  }

  async consumeOnce(tenant: string, nonce: string, expiresAtMs: number): Promise<'ok' | 'replayed' | 'full'> {
    // A `new String('acme')` is a Map key of its own: a fresh store, where every nonce is new.
    // A rejection is a store not reached: the verification is refused.
    checkConsumeArguments('MemoryNonceStore.consumeOnce', tenant, nonce, expiresAtMs);
    let store = this.tenants.get(tenant);
    if (store === undefined) {
      store = new TenantNonces();
      this.tenants.set(detached(tenant), store); // kept for good: not a view of a request body
    }
    if (store.has(nonce)) return 'replayed';
    // Expired nonces go as soon as they can (a heap peek when none has): dropped only by a
    // full store or the file's compaction, up to 10 000 stayed held after verifications
    // slowed down.
    this.noteForgotten(store.evictExpired(this.now()));
    if (store.size >= this.maxEntries) return 'full';
    store.add(detached(nonce), expiresAtMs); // the verify body it was parsed from is let go (detached.ts)
    return 'ok';
  }

  /** Drops every entry whose expiry is strictly before `nowMs`. */
  evictExpired(nowMs: number): void {
    for (const t of this.tenants.values()) this.noteForgotten(t.evictExpired(nowMs));
  }

  /** Every nonce held, with its tenant and expiry (for a store that keeps them on disk). */
  *entries(): IterableIterator<{ tenant: string; nonce: string; expiresAtMs: number }> {
    for (const [tenant, t] of this.tenants) for (const [nonce, expiresAtMs] of t.entries()) yield { tenant, nonce, expiresAtMs };
  }
}

/** One tenant's nonces with a min-heap of their expiries. */
class TenantNonces {
  private readonly seen = new Map<string, number>();
  private readonly heapExp: number[] = [];
  private readonly heapKey: string[] = [];

  get size(): number {
    return this.seen.size;
  }

  has(nonce: string): boolean {
    return this.seen.has(nonce);
  }

  entries(): IterableIterator<[string, number]> {
    return this.seen.entries();
  }

  add(nonce: string, expiresAtMs: number): void {
    this.seen.set(nonce, expiresAtMs);
    this.push(expiresAtMs, nonce);
  }

  /** Drops the entries expired before `nowMs`; returns the latest expiry dropped (-Infinity: none). */
  evictExpired(nowMs: number): number {
    let latest = -Infinity;
    while (this.heapExp.length > 0 && this.heapExp[0] < nowMs) {
      latest = this.heapExp[0]; // popped in expiry order: the last is the latest
      this.seen.delete(this.heapKey[0]);
      this.pop();
    }
    return latest;
  }

  private push(exp: number, key: string): void {
    const e = this.heapExp;
    const k = this.heapKey;
    let i = e.length;
    e.push(exp);
    k.push(key);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (e[parent] <= exp) break;
      e[i] = e[parent];
      k[i] = k[parent];
      i = parent;
    }
    e[i] = exp;
    k[i] = key;
  }

  private pop(): void {
    const e = this.heapExp;
    const k = this.heapKey;
    const lastE = e.pop()!;
    const lastK = k.pop()!;
    const n = e.length;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const c = l + 1 < n && e[l + 1] < e[l] ? l + 1 : l;
      if (e[c] >= lastE) break;
      e[i] = e[c];
      k[i] = k[c];
      i = c;
    }
    e[i] = lastE;
    k[i] = lastK;
  }
}

// Single-use nonces for receipts (SPEC §5). The verify endpoint consumes a receipt's nonce
// atomically; a shared store (Redis SET NX PX) can replace the in-memory one behind this interface.

export interface NonceStore {
  /**
   * Records `nonce` for `tenant` until `expiresAtMs` (the receipt's expiry plus skew).
   * 'ok': first use; 'replayed': seen before; 'full': no room without evicting a live nonce
   * (the caller must refuse). Rejects when the store is unreachable.
   */
  consumeOnce(tenant: string, nonce: string, expiresAtMs: number): Promise<'ok' | 'replayed' | 'full'>;
}

/**
 * One process's nonces. Entries are dropped only once past their expiry (a min-heap finds
 * them in O(log n)); a live nonce is never evicted, so a full store refuses instead.
 */
export class MemoryNonceStore implements NonceStore {
  private readonly seen = new Map<string, number>();
  private readonly heapExp: number[] = [];
  private readonly heapKey: string[] = [];

  constructor(readonly maxEntries = 1_000_000, private readonly now: () => number = Date.now) {}

  get size(): number {
    return this.seen.size;
  }

  async consumeOnce(tenant: string, nonce: string, expiresAtMs: number): Promise<'ok' | 'replayed' | 'full'> {
    // JSON.stringify of the pair keeps `a:b`+`c` and `a`+`b:c` apart.
    const key = JSON.stringify([tenant, nonce]);
    if (this.seen.has(key)) return 'replayed';
    if (this.seen.size >= this.maxEntries) this.evictExpired(this.now());
    if (this.seen.size >= this.maxEntries) return 'full';
    this.seen.set(key, expiresAtMs);
    this.push(expiresAtMs, key);
    return 'ok';
  }

  /** Drops every entry whose expiry is strictly before `nowMs`. */
  evictExpired(nowMs: number): void {
    while (this.heapExp.length > 0 && this.heapExp[0] < nowMs) {
      this.seen.delete(this.heapKey[0]);
      this.pop();
    }
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

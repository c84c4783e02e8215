// An append-only RFC 9162 tree that answers roots and proofs for any earlier size. It keeps
// every complete aligned subtree (level k holds the hashes of leaves [i·2^k, (i+1)·2^k)), so an
// append costs one leaf hash plus, amortized, one node hash, and any root or proof costs
// O(log n) lookups plus at most O(log n) hashes along the right edge.

import type { BytesOrText, MaybePromise } from '../receipt/backend.js';
import { HASH_BYTES, leafHash, nodeHash, splitPoint, type Sha256 } from './merkle.js';
import { PagedArray } from './paged-array.js';

/** Hashes packed 32 bytes apart in pages of 2 048 (64 KiB): not one object per node. */
export const PAGE_HASHES = 2048;

class HashList {
  private readonly slots = new PagedArray((n) => new Uint8Array(n), HASH_BYTES, PAGE_HASHES);
  count = 0;

  push(h: Uint8Array): void {
    this.slots.grow(this.count);
    this.slots.page(this.count).set(h, this.slots.offset(this.count));
    this.count++;
  }

  get(i: number): Uint8Array {
    const at = this.slots.offset(i);
    return this.slots.page(i).subarray(at, at + HASH_BYTES);
  }
}

export class TreeSizeError extends Error {
  override readonly name = 'TreeSizeError';
}

export class MerkleTree {
  private readonly levels: HashList[] = [new HashList()];
  // Appends are serialized: with an asynchronous hash, two appends must not interleave.
  private queue: Promise<unknown> = Promise.resolve();
  private inflight = 0;

  constructor(private readonly sha256: Sha256) {}

  /** Leaves appended so far (including ones whose node hashes are still being computed). */
  get size(): number {
    return this.pending;
  }
  private pending = 0;

  /**
   * Appends a leaf by its entry (bytes, or text standing for its UTF-8). Gives its index at once
   * when the hash is synchronous and nothing is queued (the tree is then already updated),
   * otherwise a promise of it.
   */
  appendEntry(entry: BytesOrText): MaybePromise<number> {
    return this.appendLeaf(leafHash(this.sha256, entry));
  }

  /** Appends a leaf by its leaf hash. */
  appendLeafHash(leaf: Uint8Array): MaybePromise<number> {
    return this.appendLeaf(leaf);
  }

  private appendLeaf(leaf: MaybePromise<Uint8Array>): MaybePromise<number> {
    const index = this.pending++;
    if (this.inflight === 0 && !(leaf instanceof Promise)) {
      const r = this.push(leaf, 0);
      if (!(r instanceof Promise)) return index;
      return this.track(r.then(() => index));
    }
    return this.track(this.queue.then(async () => this.push(await leaf, 0)).then(() => index));
  }

  private track(p: Promise<number>): Promise<number> {
    this.inflight++;
    const done = p.finally(() => { this.inflight--; });
    this.queue = done.catch(() => undefined);
    return done;
  }

  private push(h: Uint8Array, from: number): MaybePromise<void> {
    for (let k = from; ; k++) {
      const level = (this.levels[k] ??= new HashList());
      level.push(h);
      if (level.count % 2 === 1) return;
      const next = nodeHash(this.sha256, level.get(level.count - 2), level.get(level.count - 1));
      if (next instanceof Promise) return next.then((n) => this.push(n, k + 1));
      h = next;
    }
  }

  /** Waits until every append so far is in the tree. */
  async settled(): Promise<number> {
    await this.queue;
    return this.levels[0].count;
  }

  private async check(...sizes: number[]): Promise<number> {
    const n = await this.settled();
    for (const s of sizes) {
      if (!Number.isSafeInteger(s) || s < 0 || s > n) throw new TreeSizeError(`tree size \`${s}\` is not between 0 and ${n}`);
    }
    return n;
  }

  /** MTH(D[a:b]); the range is always a complete subtree or a prefix of one. */
  private async hash(a: number, b: number): Promise<Uint8Array> {
    const n = b - a;
    if (n === 1) return this.levels[0].get(a);
    const k = Math.round(Math.log2(n));
    if (2 ** k === n && a % n === 0) return this.levels[k].get(a / n);
    const split = splitPoint(n);
    return nodeHash(this.sha256, await this.hash(a, a + split), await this.hash(a + split, b));
  }

  leaf(index: number): Uint8Array {
    return this.levels[0].get(index).slice();
  }

  /** The root of the first `size` leaves (default all); SHA-256("") for the empty tree. */
  async root(size?: number): Promise<Uint8Array> {
    const n = size ?? (await this.settled());
    await this.check(n);
    return n === 0 ? this.sha256(new Uint8Array()) : (await this.hash(0, n)).slice();
  }

  /** RFC 9162 §2.1.3.1 PATH(index, D[size]). */
  async inclusionProof(index: number, size: number): Promise<Uint8Array[]> {
    await this.check(size);
    if (!Number.isSafeInteger(index) || index < 0 || index >= size) throw new TreeSizeError(`leaf index \`${index}\` is not below tree size ${size}`);
    const out: Uint8Array[] = [];
    const path = async (m: number, a: number, b: number): Promise<void> => {
      if (b - a <= 1) return;
      const k = splitPoint(b - a);
      if (m < k) {
        await path(m, a, a + k);
        out.push((await this.hash(a + k, b)).slice());
      } else {
        await path(m - k, a + k, b);
        out.push((await this.hash(a, a + k)).slice());
      }
    };
    await path(index, 0, size);
    return out;
  }

  /** RFC 9162 §2.1.4.1 PROOF(first, D[second]); empty when the sizes are equal. */
  async consistencyProof(first: number, second: number): Promise<Uint8Array[]> {
    await this.check(first, second);
    if (first > second) throw new TreeSizeError(`first size ${first} is larger than second size ${second}`);
    if (first === 0) throw new TreeSizeError('a consistency proof needs a first size of at least 1');
    const out: Uint8Array[] = [];
    const sub = async (m: number, a: number, b: number, whole: boolean): Promise<void> => {
      if (m === b - a) {
        if (!whole) out.push((await this.hash(a, b)).slice());
        return;
      }
      const k = splitPoint(b - a);
      if (m <= k) {
        await sub(m, a, a + k, whole);
        out.push((await this.hash(a + k, b)).slice());
      } else {
        await sub(m - k, a + k, b, false);
        out.push((await this.hash(a, a + k)).slice());
      }
    };
    await sub(first, 0, second, true);
    return out;
  }
}

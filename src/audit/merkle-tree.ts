// An append-only RFC 9162 tree that answers roots and proofs for any earlier size. It keeps
// complete aligned subtrees (level k holds the hashes of leaves [i·2^k, (i+1)·2^k)), so an
// append costs one leaf hash plus, amortized, one node hash, and any root or proof costs
// O(log n) lookups plus at most O(log n) hashes along the right edge.
//
// Given a way to read leaf hashes back (`leafHashes`: the audit log reads its store), the tree
// keeps the levels below BLOCK_LEVELS only for the block of 2^BLOCK_LEVELS leaves being filled,
// and recomputes an older block's lower levels from its leaves when a proof reaches into it:
// a log that runs for months then keeps about 0.25 byte per entry instead of 64.

import type { BytesOrText, MaybePromise } from '../receipt/backend.js';
import { HASH_BYTES, equalBytes, leafHash, nodeHash, nodeHashOfPair, splitPoint, type Sha256 } from './merkle.js';
import { PagedArray } from './paged-array.js';

/** Hashes packed 32 bytes apart in pages of 2 048 (64 KiB): not one object per node. */
export const PAGE_HASHES = 2048;

/** Default block: 2^8 = 256 leaves, so a proof into an old block rehashes at most 511 nodes. */
const BLOCK_LEVELS = 8;

/** How many recomputed blocks stay cached (16 KiB each at 256 leaves). */
const CACHED_BLOCKS = 4;

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

  /** Hashes `i` and `i + 1` (i even: a page holds an even number, so both are in one page). */
  pair(i: number): Uint8Array {
    const at = this.slots.offset(i);
    return this.slots.page(i).subarray(at, at + 2 * HASH_BYTES);
  }
}

/**
 * The lower levels of one block of 2^levels leaves: level k's hashes at `starts[k]`, each
 * 32 bytes, in one buffer. The block being filled is one of these, overwritten as it refills.
 */
class BlockLevels {
  private readonly bytes: Uint8Array;
  private readonly starts: number[] = [];

  constructor(private readonly levels: number) {
    let at = 0;
    for (let k = 0; k < levels; k++) {
      this.starts.push(at);
      at += (1 << (levels - k)) * HASH_BYTES;
    }
    this.bytes = new Uint8Array(at);
  }

  /** Hash `i` of level `k` within the block (0 ≤ i < 2^(levels-k)). */
  get(k: number, i: number): Uint8Array {
    const at = this.starts[k] + i * HASH_BYTES;
    return this.bytes.subarray(at, at + HASH_BYTES);
  }

  set(k: number, i: number, h: Uint8Array): void {
    this.bytes.set(h, this.starts[k] + i * HASH_BYTES);
  }

  /** Hashes `i` and `i + 1` of level `k`, side by side. */
  pair(k: number, i: number): Uint8Array {
    const at = this.starts[k] + i * HASH_BYTES;
    return this.bytes.subarray(at, at + 2 * HASH_BYTES);
  }

  /** Fills every level from the block's leaf hashes; returns the block's root (level `levels`). */
  async fill(leaves: readonly Uint8Array[], sha256: Sha256): Promise<Uint8Array> {
    leaves.forEach((h, i) => this.set(0, i, h));
    let width = leaves.length;
    for (let k = 0; k < this.levels; k++, width /= 2) {
      for (let i = 0; i < width; i += 2) {
        const h = await nodeHashOfPair(sha256, this.pair(k, i));
        if (k + 1 < this.levels) this.set(k + 1, i / 2, h);
        else return h;
      }
    }
    return this.get(0, 0);
  }
}

export interface MerkleTreeOptions {
  /**
   * The leaf hashes of leaves [from, from + count), all appended earlier: with it the tree
   * forgets the lower levels of every complete block and asks for them again when needed.
   * Without it, every hash stays in memory (`mge audit verify`, tests).
   */
  leafHashes?: (from: number, count: number) => Promise<Uint8Array[]>;
  /** log2 of the block size (default BLOCK_LEVELS); only with `leafHashes`. */
  blockLevels?: number;
}

export class TreeSizeError extends Error {
  override readonly name = 'TreeSizeError';
}

/** Leaves read back for a forgotten block are not the ones appended (the store changed under the log). */
export class LeafReadBackError extends Error {
  override readonly name = 'LeafReadBackError';
}

export class MerkleTree {
  /** Levels kept whole: all of them, or from `lowest` up when blocks are forgotten. */
  private readonly levels: HashList[] = [];
  /** Hashes per level appended so far (levels below `lowest` count, though they are not kept). */
  private readonly counts: number[] = [];
  /** The first level kept whole: 0, or the block level when old blocks are forgotten. */
  private readonly lowest: number;
  /** The lower levels of the block being filled (when blocks are forgotten). */
  private readonly filling: BlockLevels | undefined;
  /** Older blocks' lower levels, recomputed for proofs: block index → levels, oldest first. */
  private readonly cached = new Map<number, Promise<BlockLevels>>();
  // Appends are serialized: with an asynchronous hash, two appends must not interleave.
  private queue: Promise<unknown> = Promise.resolve();
  private inflight = 0;

  constructor(
    private readonly sha256: Sha256,
    private readonly opts: MerkleTreeOptions = {},
  ) {
    this.lowest = opts.leafHashes === undefined ? 0 : (opts.blockLevels ?? BLOCK_LEVELS);
    if (!Number.isInteger(this.lowest) || this.lowest < 0 || this.lowest > 20) throw new RangeError(`block levels \`${this.lowest}\` must be an integer from 0 to 20`);
    this.filling = this.lowest > 0 ? new BlockLevels(this.lowest) : undefined;
  }

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

  /** Appends a leaf by its hash input, "\0" + the entry's text (RFC 9162: 0x00 ‖ entry). */
  appendLeafInput(prefixed: string): MaybePromise<number> {
    return this.appendLeaf(this.sha256(prefixed));
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
      const i = (this.counts[k] ??= 0);
      this.counts[k]++;
      // The new hash and its left sibling, side by side: the input of their parent.
      let pair: Uint8Array;
      if (k < this.lowest) {
        // Within the block being filled: its slot is the position inside the block.
        const slot = i % (1 << (this.lowest - k));
        this.filling!.set(k, slot, h);
        if (slot % 2 === 0) return;
        pair = this.filling!.pair(k, slot - 1);
      } else {
        const level = (this.levels[k] ??= new HashList());
        level.push(h);
        if (level.count % 2 === 1) return;
        pair = level.pair(level.count - 2);
      }
      const next = nodeHashOfPair(this.sha256, pair);
      if (next instanceof Promise) return next.then((n) => this.push(n, k + 1));
      h = next;
    }
  }

  /** Hash `i` of level `k` (the subtree of leaves [i·2^k, (i+1)·2^k)), which must be complete. */
  private async node(k: number, i: number): Promise<Uint8Array> {
    if (k >= this.lowest) return this.levels[k].get(i);
    const perBlock = 1 << (this.lowest - k);
    const block = Math.floor(i / perBlock);
    // The block being filled is the one the next leaf goes into.
    if (block === Math.floor((this.counts[0] ?? 0) / (1 << this.lowest))) return this.filling!.get(k, i % perBlock);
    return (await this.block(block)).get(k, i % perBlock);
  }

  /** A complete older block's lower levels, recomputed from its leaves (a few kept). */
  private block(b: number): Promise<BlockLevels> {
    let levels = this.cached.get(b);
    if (levels === undefined) {
      const size = 1 << this.lowest;
      levels = this.opts.leafHashes!(b * size, size).then(async (leaves) => {
        if (leaves.length !== size) throw new LeafReadBackError(`block ${b}: ${leaves.length} leaf hashes read back, ${size} expected`);
        const filled = new BlockLevels(this.lowest);
        const root = await filled.fill(leaves, this.sha256);
        // What was read back must be what was appended: the block's root is kept whole.
        if (!equalBytes(root, this.levels[this.lowest].get(b))) throw new LeafReadBackError(`block ${b}: the leaves read back do not hash to the tree's hash of them`);
        return filled;
      });
      this.cached.set(b, levels);
      levels.catch(() => this.cached.delete(b));
      if (this.cached.size > CACHED_BLOCKS) this.cached.delete(this.cached.keys().next().value!);
    }
    return levels;
  }

  /** Waits until every append so far is in the tree. */
  async settled(): Promise<number> {
    await this.queue;
    return this.counts[0] ?? 0;
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
    if (n === 1) return this.node(0, a);
    const k = Math.round(Math.log2(n));
    if (2 ** k === n && a % n === 0) return this.node(k, a / n);
    const split = splitPoint(n);
    return nodeHash(this.sha256, await this.hash(a, a + split), await this.hash(a + split, b));
  }

  /** The leaf hash at `index`, which must be below the settled size. */
  async leaf(index: number): Promise<Uint8Array> {
    return (await this.node(0, index)).slice();
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

// RFC 9162 §2.1 Merkle hashing and proof verification. Leaves are SHA-256(0x00 || entry),
// interior nodes SHA-256(0x01 || left || right); the 0x00/0x01 prefixes keep a leaf from
// passing for a node. Verifiers return false, never throw, on any malformed input.

import type { BytesOrText, MaybePromise } from '../receipt/backend.js';

/** SHA-256 of bytes or of a string's UTF-8, synchronous (node:crypto) or not (WebCrypto). */
export type Sha256 = (data: BytesOrText) => MaybePromise<Uint8Array>;

export const HASH_BYTES = 32;

/** An entry given as text is its UTF-8 bytes; "\0" + text is then exactly 0x00 || entry. */
export function leafHash(sha256: Sha256, entry: BytesOrText): MaybePromise<Uint8Array> {
  if (typeof entry === 'string') return sha256('\0' + entry);
  const b = new Uint8Array(entry.length + 1);
  b.set(entry, 1);
  return sha256(b);
}

// Node inputs are cut from a shared slab: at 65 bytes a Uint8Array of its own would be just over
// V8's on-heap limit (64), an off-heap allocation per node. Each input keeps its own region, so
// an asynchronous hash that reads it later still sees its bytes.
const SLAB_BYTES = 64 * 1024;
let slab = new Uint8Array(SLAB_BYTES);
let slabAt = 0;

function nodeInput(length: number): Uint8Array {
  if (length > SLAB_BYTES / 16) return new Uint8Array(length);
  if (slabAt + length > SLAB_BYTES) {
    slab = new Uint8Array(SLAB_BYTES);
    slabAt = 0;
  }
  const b = slab.subarray(slabAt, slabAt + length);
  slabAt += length;
  return b;
}

/** nodeHash of two hashes that lie side by side (`pair` is left ‖ right, 64 bytes): one copy, not two. */
export function nodeHashOfPair(sha256: Sha256, pair: Uint8Array): MaybePromise<Uint8Array> {
  const b = nodeInput(1 + pair.length);
  b[0] = 1;
  b.set(pair, 1);
  return sha256(b);
}

export function nodeHash(sha256: Sha256, left: Uint8Array, right: Uint8Array): MaybePromise<Uint8Array> {
  const b = nodeInput(1 + left.length + right.length);
  b[0] = 1;
  b.set(left, 1);
  b.set(right, 1 + left.length);
  return sha256(b);
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The step both RFC 9162 verifiers share: "if LSB(fn) is not set, right-shift fn and sn equally
 * until either LSB(fn) is set or fn is 0" (the node was the right edge of its subtree).
 */
function climbRightEdge(fn: number, sn: number): [number, number] {
  while (fn % 2 === 0 && fn !== 0) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return [fn, sn];
}

const isSize = (n: number) => Number.isSafeInteger(n) && n >= 0;
// Every hash must be 32 bytes: with a short or empty leaf hash and an empty path, the bare
// algorithm would accept a root equal to garbage.
const allHashes = (hs: readonly Uint8Array[]) => hs.every((h) => h.length === HASH_BYTES);

/**
 * RFC 9162 §2.1.3.2: does `proof` show the leaf with hash `leaf` at `index` in the tree of
 * `size` leaves with root `root`?
 */
export async function verifyInclusion(
  sha256: Sha256, index: number, size: number, leaf: Uint8Array, proof: readonly Uint8Array[], root: Uint8Array,
): Promise<boolean> {
  if (!isSize(index) || !isSize(size) || index >= size) return false;
  if (!allHashes([leaf, root, ...proof])) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(sha256, p, r);
      [fn, sn] = climbRightEdge(fn, sn);
    } else {
      r = await nodeHash(sha256, r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalBytes(r, root);
}

// Sizes go beyond 2^32, so no bit tricks; log2 is exact on powers of two.
const isPowerOfTwo = (n: number) => n > 0 && 2 ** Math.round(Math.log2(n)) === n;

/** The largest power of two strictly less than `n` (n ≥ 2): the RFC's split point k. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * RFC 9162 §2.1.4.2: does `proof` show that the tree of `size2` leaves (root `root2`) extends
 * the tree of `size1` leaves (root `root1`)? Equal sizes need an empty proof and equal roots;
 * size 0 proves nothing and is refused.
 */
export async function verifyConsistency(
  sha256: Sha256, size1: number, size2: number, root1: Uint8Array, root2: Uint8Array, proof: readonly Uint8Array[],
): Promise<boolean> {
  if (!isSize(size1) || !isSize(size2) || size1 === 0 || size2 < size1) return false;
  if (!allHashes([root1, root2, ...proof])) return false;
  if (size1 === size2) return proof.length === 0 && equalBytes(root1, root2);
  if (proof.length === 0) return false;
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : [...proof];
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = await nodeHash(sha256, c, fr);
      sr = await nodeHash(sha256, c, sr);
      [fn, sn] = climbRightEdge(fn, sn);
    } else {
      sr = await nodeHash(sha256, sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalBytes(fr, root1) && equalBytes(sr, root2);
}

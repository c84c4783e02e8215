// Memory the VM owns besides the bundle: the scratch bump region (lists built at run time,
// concatenations, case mappings, glob state sets), reset before every evaluation, and the
// trap helper. The stub runtime never frees; we never call its allocator at all.

import { R_STATUS, ST_OUT_OF_MEMORY } from './format';

/** Where the result struct lives; set by load(). die() writes the status there first. */
export let resultPtr: usize = 0;
export function setResultPtr(p: usize): void {
  resultPtr = p;
}

let scratchBase: usize = 0;
let scratchTop: usize = 0;
let scratchEnd: usize = 0;

/** Scratch may not grow past this many bytes per evaluation (bounds the work of one check). */
const SCRATCH_MAX: usize = 64 << 20;

export function scratchReset(base: usize): void {
  scratchTop = (base + 7) & ~(<usize>7);
  scratchBase = scratchTop;
  scratchEnd = scratchTop + SCRATCH_MAX;
}

/** Trap with a status the host reads back (it turns any trap into a VmError). */
export function die(status: i32): void {
  if (resultPtr != 0) store<u32>(resultPtr + R_STATUS, status);
  unreachable();
}

/** n bytes of scratch, 8-aligned, memory grown when needed; traps when over the bound. */
export function alloc(n: usize): usize {
  const p = scratchTop;
  const end = (p + n + 7) & ~(<usize>7);
  if (end > scratchEnd || end < p) die(ST_OUT_OF_MEMORY);
  ensureMemory(end);
  scratchTop = end;
  return p;
}

/**
 * Makes room for `more` bytes right after the n bytes at p, when they end the scratch used so
 * far (the result of the last concatenation, say): then `s + t + u + …` appends each part
 * instead of copying the whole string again, linear, not quadratic, in the chain. False when
 * something was allocated after them; the bytes at p are never changed.
 */
export function growInPlace(p: usize, n: usize, more: usize): bool {
  if (p < scratchBase || ((p + n + 7) & ~(<usize>7)) != scratchTop) return false;
  const end = (p + n + more + 7) & ~(<usize>7);
  if (end > scratchEnd || end < p) die(ST_OUT_OF_MEMORY);
  ensureMemory(end);
  scratchTop = end;
  return true;
}

/** The scratch used so far, to give back with scratchRelease once temporaries are done with. */
export function scratchMark(): usize {
  return scratchTop;
}

/** Frees everything allocated since `mark` (a glob's tokens and state sets, say). */
export function scratchRelease(mark: usize): void {
  scratchTop = mark;
}

/** Grow linear memory so that [0, end) is addressable. */
export function ensureMemory(end: usize): void {
  const have = (<usize>memory.size()) << 16;
  if (end <= have) return;
  const pages = <i32>((end - have + 0xffff) >> 16);
  if (memory.grow(pages) < 0) die(ST_OUT_OF_MEMORY);
}

/** Set by cpAt: the byte length of the code point just decoded. */
export let cpLen: i32 = 1;

/**
 * The code point at p (valid UTF-8 assumed: the host encodes with TextEncoder and the compiler
 * with the same; a stray byte decodes as itself, one byte long, so loops always advance).
 */
export function cpAt(p: usize, end: usize): i32 {
  const b0 = <i32>load<u8>(p);
  if (b0 < 0x80) {
    cpLen = 1;
    return b0;
  }
  if (b0 >= 0xf0 && p + 3 < end) {
    cpLen = 4;
    return ((b0 & 0x07) << 18) | ((<i32>load<u8>(p + 1) & 0x3f) << 12) |
      ((<i32>load<u8>(p + 2) & 0x3f) << 6) | (<i32>load<u8>(p + 3) & 0x3f);
  }
  if (b0 >= 0xe0 && p + 2 < end) {
    cpLen = 3;
    return ((b0 & 0x0f) << 12) | ((<i32>load<u8>(p + 1) & 0x3f) << 6) | (<i32>load<u8>(p + 2) & 0x3f);
  }
  if (b0 >= 0xc0 && p + 1 < end) {
    cpLen = 2;
    return ((b0 & 0x1f) << 6) | (<i32>load<u8>(p + 1) & 0x3f);
  }
  cpLen = 1;
  return b0;
}

/** Byte-wise equality of two strings. */
export function bytesEq(a: usize, al: u32, b: usize, bl: u32): bool {
  if (al != bl) return false;
  if (a == b) return true;
  return memory.compare(a, b, al) == 0;
}

/** -1, 0, 1: UTF-8 byte order, which is code-point order. */
export function bytesCmp(a: usize, al: u32, b: usize, bl: u32): i32 {
  const n = al < bl ? al : bl;
  const c = memory.compare(a, b, n);
  if (c != 0) return c < 0 ? -1 : 1;
  return al == bl ? 0 : al < bl ? -1 : 1;
}

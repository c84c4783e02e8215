// lower() and upper() by MGE's own Unicode tables (case-table.ts), not the runtime's:
// String#toLowerCase follows each engine's ICU, and a runtime a Unicode version behind mapped
// none of the newest pairs (Deno 2.9 left U+A7CE as it was where Node, Bun, workerd and Chromium
// gave U+A7CF), so `lower(a) == lower(b)` denied on one and approved on another.
// The mapping is JavaScript's own, locale-independent: one code point at a time, except that a
// capital sigma is a final `ς` where Final_Sigma holds.

import { CASE_IGNORABLE, CASED, LOWER_RUNS, LOWER_SPECIAL, UPPER_RUNS, UPPER_SPECIAL } from './case-table.js';

export { CASE_UNICODE_VERSION } from './case-table.js';

const SIGMA = 0x3a3;
const lowerSpecial = new Map(LOWER_SPECIAL);
const upperSpecial = new Map(UPPER_SPECIAL);

/**
 * `s` lower-cased as Unicode's default case mapping has it (the tables' version).
 * @example lowerCase('ÀΣ\uA7CE') // 'àς\uA7CF'
 */
export function lowerCase(s: string): string {
  if (isAscii(s)) return s.toLowerCase(); // the same in every runtime
  return mapEach(s, LOWER_NEAR, LOWER_RUNS, lowerSpecial, true);
}

/**
 * `s` upper-cased as Unicode's default case mapping has it (the tables' version).
 * @example upperCase('straße') // 'STRASSE'
 */
export function upperCase(s: string): string {
  if (isAscii(s)) return s.toUpperCase();
  return mapEach(s, UPPER_NEAR, UPPER_RUNS, upperSpecial, false);
}

/**
 * Below U+0800 (Latin, Greek, Cyrillic, …) each direction's one-code-unit mappings, looked up
 * directly; 0 where the runs and specials must be asked (a sigma, a longer result).
 */
const NEAR = 0x800;
const nearTable = (runs: readonly number[], special: ReadonlyMap<number, string>): Uint16Array =>
  Uint16Array.from({ length: NEAR }, (_, cp) => {
    const to = mapped(runs, cp);
    return special.has(cp) || cp === SIGMA || to > 0xffff ? 0 : to;
  });
const LOWER_NEAR = nearTable(LOWER_RUNS, lowerSpecial);
const UPPER_NEAR = nearTable(UPPER_RUNS, upperSpecial);

/**
 * Maps `s` one code point at a time (a sigma by its context when lower-casing) into code units,
 * turned into text a chunk at a time (a string grown a character at a time, or a typed array
 * made for the units, took longer).
 */
function mapEach(s: string, near: Uint16Array, runs: readonly number[], special: ReadonlyMap<number, string>, lower: boolean): string {
  let out = '';
  let units: number[] = [];
  for (let i = 0; i < s.length; ) {
    if (units.length >= CHUNK) {
      out += String.fromCharCode.apply(null, units);
      units = [];
    }
    const cp = s.codePointAt(i)!;
    const at = i;
    i += cp > 0xffff ? 2 : 1;
    const quick = cp < NEAR ? near[cp] : 0;
    if (quick !== 0) {
      units.push(quick);
      continue;
    }
    const text = lower && cp === SIGMA ? (finalSigma(s, at) ? 'ς' : 'σ') : special.get(cp);
    if (text !== undefined) {
      for (let k = 0; k < text.length; k++) units.push(text.charCodeAt(k));
      continue;
    }
    const to = mapped(runs, cp);
    if (to > 0xffff) units.push(0xd800 + ((to - 0x10000) >> 10), 0xdc00 + ((to - 0x10000) & 0x3ff));
    else units.push(to);
  }
  return out + String.fromCharCode.apply(null, units);
}

/** Code units turned into text at once (the arguments of one call). */
const CHUNK = 4096;

// eslint-disable-next-line no-control-regex
const ASCII = /^[\u0000-\u007f]*$/;

function isAscii(s: string): boolean {
  return ASCII.test(s);
}

/** `cp` through runs of [start, count, step, delta] sorted by start (itself where none holds it). */
function mapped(runs: readonly number[], cp: number): number {
  let lo = 0;
  let hi = runs.length / 4 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const start = runs[mid * 4];
    if (cp < start) {
      hi = mid - 1;
      continue;
    }
    const [count, step, delta] = [runs[mid * 4 + 1], runs[mid * 4 + 2], runs[mid * 4 + 3]];
    if (cp > start + (count - 1) * step) {
      lo = mid + 1;
      continue;
    }
    return (cp - start) % step === 0 ? cp + delta : cp;
  }
  return cp;
}

/** Is `cp` in ranges of [first, last] sorted by first? */
function inRanges(ranges: readonly number[], cp: number): boolean {
  let lo = 0;
  let hi = ranges.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cp < ranges[mid * 2]) hi = mid - 1;
    else if (cp > ranges[mid * 2 + 1]) lo = mid + 1;
    else return true;
  }
  return false;
}

/**
 * Unicode's Final_Sigma, as ICU (and so JavaScript) tests it: a cased letter before the sigma
 * and none after it, skipping case-ignorable code points either way. A code point that is both
 * (U+02B0 `ʰ`, U+0345) is skipped as ignorable: `AΣʰ` is `aςʰ`.
 */
function finalSigma(s: string, at: number): boolean {
  return casedLetterNext(s, at, -1) && !casedLetterNext(s, at + 1, 1);
}

/** Going from `from` by `dir` (the sigma itself excluded), is the first not case-ignorable code point cased? */
function casedLetterNext(s: string, from: number, dir: 1 | -1): boolean {
  for (let i = from; dir < 0 ? i > 0 : i < s.length; ) {
    let cp: number;
    if (dir < 0) {
      const low = s.charCodeAt(i - 1);
      const high = i >= 2 ? s.charCodeAt(i - 2) : 0;
      const pair = low >= 0xdc00 && low <= 0xdfff && high >= 0xd800 && high <= 0xdbff;
      cp = pair ? s.codePointAt(i - 2)! : low;
      i -= pair ? 2 : 1;
    } else {
      cp = s.codePointAt(i)!;
      i += cp > 0xffff ? 2 : 1;
    }
    if (inRanges(CASE_IGNORABLE, cp)) continue;
    return inRanges(CASED, cp);
  }
  return false;
}

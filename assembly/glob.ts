// Linear-time glob matching over UTF-8 (docs/semantics.md "Globs"), the VM's twin of
// src/builtins/glob.ts. The pattern compiles (into scratch) to tokens; token i is NFA state i
// and state n accepts. Matching keeps the set of active states while it reads each code point
// of the subject once: O(pattern × input), no backtracking.
//
// Same choices as the TS matcher: no escapes; the first `]` after `[` (and `!`/`^`) closes a
// class; empty classes and reversed ranges are invalid; path mode: one `*` stays within a
// segment, two or more cross `/`, and `**/` at a segment start is "nothing, or any run ending
// in `/`" (two states: ENTER may skip, IN may not, so `a/**/b` matches `a/b`, `a/x/b`, not `a/xb`).

import { alloc, cpAt, cpLen } from './mem';

const LIT = 0;
const ANY = 1;
const CLASS = 2;
const STAR = 3;
const GLOBSTAR = 4;
const SEG_ENTER = 5; // ε → skip both states; consumes any → SEG_IN, `/` → also past
const SEG_IN = 6; //    consumes any → stay, `/` → also past
const TOK = 16;
const SLASH = 0x2f;

let tokens: usize = 0;
let ntok: i32 = 0;

@inline function tokKind(i: i32): i32 {
  return load<i32>(tokens + <usize>i * TOK);
}
@inline function tokA(i: i32): i32 {
  return load<i32>(tokens + <usize>i * TOK, 4);
}
@inline function tokB(i: i32): i32 {
  return load<i32>(tokens + <usize>i * TOK, 8);
}
@inline function tokC(i: i32): i32 {
  return load<i32>(tokens + <usize>i * TOK, 12);
}
function push(kind: i32, a: i32, b: i32, c: i32): void {
  const t = tokens + <usize>ntok * TOK;
  store<i32>(t, kind);
  store<i32>(t, a, 4);
  store<i32>(t, b, 8);
  store<i32>(t, c, 12);
  ntok++;
}

/** Compile into scratch; false when the pattern is invalid. */
function compile(p: usize, n: u32, path: bool): bool {
  const end = p + n;
  // At most two tokens per pattern byte (`**/` is two states), one member per class byte.
  tokens = alloc(<usize>(n + 1) * TOK * 2);
  const members = alloc(<usize>(n + 1) * 4);
  ntok = 0;
  let q = p;
  let prev: i32 = -1;
  while (q < end) {
    const c = cpAt(q, end);
    const l = cpLen;
    if (c == 0x2a) {
      let r = q;
      while (r < end && load<u8>(r) == 0x2a) r++;
      if (!path || r - q == 1) {
        push(STAR, 0, 0, 0);
      } else if ((q == p || prev == SLASH) && r < end && load<u8>(r) == SLASH) {
        push(SEG_ENTER, 0, 0, 0);
        push(SEG_IN, 0, 0, 0);
        r++;
      } else {
        push(GLOBSTAR, 0, 0, 0);
      }
      prev = <i32>load<u8>(r - 1);
      q = r;
      continue;
    }
    if (c == 0x3f) {
      push(ANY, 0, 0, 0);
    } else if (c == 0x5b) {
      // [ (!|^)? members ] — members up to the first `]`
      let r = q + 1;
      let negated = 0;
      if (r < end && (load<u8>(r) == 0x21 || load<u8>(r) == 0x5e)) {
        negated = 1;
        r++;
      }
      // Members up to the first `]`, then the TS matcher's rule: `lo - hi` is a range when a
      // member follows the `-`; otherwise each member stands for itself.
      let count: i32 = 0;
      let closed = false;
      while (r < end) {
        const m = cpAt(r, end);
        r += cpLen;
        if (m == 0x5d) {
          closed = true;
          break;
        }
        store<i32>(members + <usize>count * 4, m);
        count++;
      }
      if (!closed || count == 0) return false;
      const out = alloc(<usize>count * 8);
      let on: i32 = 0;
      for (let k = 0; k < count; k++) {
        const lo = load<i32>(members + <usize>k * 4);
        let hi = lo;
        if (k + 2 < count && load<i32>(members + <usize>(k + 1) * 4) == 0x2d) {
          hi = load<i32>(members + <usize>(k + 2) * 4);
          if (hi < lo) return false;
          k += 2;
        }
        store<i32>(out + <usize>on * 8, lo);
        store<i32>(out + <usize>on * 8, hi, 4);
        on++;
      }
      push(CLASS, <i32>out, on, negated);
      prev = 0x5d;
      q = r;
      continue;
    } else {
      push(LIT, c, 0, 0);
    }
    prev = c;
    q += l;
  }
  return true;
}

function inClass(i: i32, cp: i32): bool {
  const r = <usize>tokA(i);
  const n = tokB(i);
  let hit = false;
  for (let k = 0; k < n; k++) {
    if (cp >= load<i32>(r + <usize>k * 8) && cp <= load<i32>(r + <usize>k * 8, 4)) {
      hit = true;
      break;
    }
  }
  return hit != (tokC(i) != 0);
}

function closure(set: usize): void {
  for (let s = 0; s < ntok; s++) {
    if (load<u8>(set + s) == 0) continue;
    const k = tokKind(s);
    if (k == STAR || k == GLOBSTAR) store<u8>(set + s + 1, 1);
    else if (k == SEG_ENTER) store<u8>(set + s + 2, 1);
  }
}

/** 1 match, 0 no match, -1 invalid pattern. `path`: path mode, else action-type mode. */
export function globMatch(sp: usize, sn: u32, pp: usize, pn: u32, path: bool): i32 {
  if (!compile(pp, pn, path)) return -1;
  const n = ntok;
  let active = alloc(<usize>n + 1);
  let next = alloc(<usize>n + 1);
  memory.fill(active, 0, <usize>n + 1);
  store<u8>(active, 1);
  closure(active);
  const end = sp + sn;
  let q = sp;
  while (q < end) {
    const cp = cpAt(q, end);
    q += cpLen;
    memory.fill(next, 0, <usize>n + 1);
    const notSlash = !path || cp != SLASH;
    for (let s = 0; s < n; s++) {
      if (load<u8>(active + s) == 0) continue;
      switch (tokKind(s)) {
        case LIT: if (tokA(s) == cp) store<u8>(next + s + 1, 1); break;
        case ANY: if (notSlash) store<u8>(next + s + 1, 1); break;
        case CLASS: if (notSlash && inClass(s, cp)) store<u8>(next + s + 1, 1); break;
        case STAR: if (notSlash) store<u8>(next + s, 1); break;
        case GLOBSTAR: store<u8>(next + s, 1); break;
        case SEG_ENTER:
          store<u8>(next + s + 1, 1);
          if (cp == SLASH) store<u8>(next + s + 2, 1);
          break;
        default: // SEG_IN
          store<u8>(next + s, 1);
          if (cp == SLASH) store<u8>(next + s + 1, 1);
      }
    }
    closure(next);
    let any = false;
    for (let s = 0; s <= n; s++) {
      if (load<u8>(next + s) != 0) {
        any = true;
        break;
      }
    }
    const t = active;
    active = next;
    next = t;
    if (!any) return 0;
  }
  return load<u8>(active + n) != 0 ? 1 : 0;
}

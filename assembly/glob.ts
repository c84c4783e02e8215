// Linear-time glob matching over UTF-8 (docs/semantics.md "Globs"), the VM's twin of
// src/builtins/glob.ts. The pattern compiles (into scratch) to tokens; token i is NFA state i
// and state n accepts. Matching keeps the set of active states while it reads each code point
// of the subject once, visiting only live states: O(pattern × input) at worst, no backtracking.
//
// Same choices as the TS matcher: no escapes; the first `]` after `[` (and `!`/`^`) closes a
// class; empty classes and reversed ranges are invalid; path mode: one `*` stays within a
// segment, two or more cross `/`, and `**/` at a segment start is "nothing, or any run ending
// in `/`" (two states: ENTER may skip, IN may not, so `a/**/b` matches `a/b`, `a/x/b`, not `a/xb`).

import { alloc, cpAt, cpLen, scratchMark, scratchRelease } from './mem';

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

// The state set of one step: a list of its states, and a mark per state (the step's number)
// so a state is added once. Only live states are visited, so a pattern with few live states
// costs little per character however long it is; `*a*a*…` keeps them all live (the budget of
// glob() bounds that case, assembly/format.ts GLOB_MAX_COST).
let marks: usize = 0;
let step: u32 = 0;
let count: i32 = 0;

/** Adds state s and the states it reaches without consuming (each has at most one) to list. */
@inline function add(list: usize, s0: i32): void {
  let s = s0;
  for (;;) {
    const m = marks + <usize>s * 4;
    if (load<u32>(m) == step) return; // already in, with what it reaches
    store<u32>(m, step);
    store<i32>(list + <usize>count * 4, s);
    count++;
    if (s >= ntok) return; // the accepting state
    const k = tokKind(s);
    if (k == STAR || k == GLOBSTAR) s += 1;
    else if (k == SEG_ENTER) s += 2;
    else return;
  }
}

/**
 * 1 match, 0 no match, -1 invalid pattern. `path`: path mode, else action-type mode. The
 * scratch it takes (tokens, state sets) is given back before it returns: a rule may match
 * many globs, and only its values should stay in scratch.
 */
export function globMatch(sp: usize, sn: u32, pp: usize, pn: u32, path: bool): i32 {
  const mark = scratchMark();
  let r = run(sp, sn, pp, pn, path);
  scratchRelease(mark);
  // Path mode: a pattern ending in `/**` groups also matches what the part before them does
  // (`secrets/**` matches `secrets`), as src/builtins/glob.ts.
  if (r == 0 && path) {
    const cut = beforeTrailingGlobstars(pp, pn);
    if (cut >= 0) {
      r = run(sp, sn, pp, <u32>cut, path);
      scratchRelease(mark);
    }
  }
  return r;
}

/** The length of `pattern` without its trailing `/**` groups (`a/**` → 1), or -1 if it has none or is only those. */
function beforeTrailingGlobstars(pp: usize, pn: u32): i32 {
  let e = <i32>pn;
  for (;;) {
    let s = e;
    while (s > 0 && load<u8>(pp + <usize>(s - 1)) == 0x2a) s--;
    if (e - s < 2 || s < 2 || load<u8>(pp + <usize>(s - 1)) != SLASH) break;
    e = s - 1;
  }
  return e == <i32>pn ? -1 : e;
}

function run(sp: usize, sn: u32, pp: usize, pn: u32, path: bool): i32 {
  if (!compile(pp, pn, path)) return -1;
  const n = ntok;
  const size = <usize>(n + 1) * 4;
  marks = alloc(size);
  memory.fill(marks, 0, size);
  let active = alloc(size);
  let next = alloc(size);
  step = 1;
  count = 0;
  add(active, 0);
  let live = count;
  const end = sp + sn;
  let q = sp;
  while (q < end) {
    const cp = cpAt(q, end);
    q += cpLen;
    step++;
    count = 0;
    const notSlash = !path || cp != SLASH;
    for (let i = 0; i < live; i++) {
      const s = load<i32>(active + <usize>i * 4);
      if (s >= n) continue; // the accepting state consumes nothing
      switch (tokKind(s)) {
        case LIT: if (tokA(s) == cp) add(next, s + 1); break;
        case ANY: if (notSlash) add(next, s + 1); break;
        case CLASS: if (notSlash && inClass(s, cp)) add(next, s + 1); break;
        case STAR: if (notSlash) add(next, s); break;
        case GLOBSTAR: add(next, s); break;
        case SEG_ENTER:
          add(next, s + 1);
          if (cp == SLASH) add(next, s + 2);
          break;
        default: // SEG_IN
          add(next, s);
          if (cp == SLASH) add(next, s + 1);
      }
    }
    if (count == 0) return 0;
    const t = active;
    active = next;
    next = t;
    live = count;
  }
  return load<u32>(marks + <usize>n * 4) == step ? 1 : 0;
}

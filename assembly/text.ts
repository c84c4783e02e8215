// String builtins over UTF-8 bytes: substring search, case mapping, path normalization and the
// blocked-extension test. Results are written to scratch; globals outPtr/outLen carry them.

import { DETAIL_CONTROL, DETAIL_ESCAPES, E_STRID, ST_HOST } from './format';
import { alloc, die } from './mem';
import { strLen, strPtr } from './state';
import { listCount, listFirst, encSize } from './values';

export let outPtr: usize = 0;
export let outLen: u32 = 0;

/**
 * The host maps non-ASCII case by MGE's own Unicode tables (src/builtins/case-map.ts, which
 * the oracle uses too; the tables and Final_Sigma context are not worth re-implementing in the
 * VM). Returns the UTF-8 length written at dst, or -1 when it does not fit in cap.
 */
@external("env", "case_map")
declare function hostCaseMap(src: usize, len: u32, dst: usize, cap: u32, upper: u32): i32;

/** Is needle a substring of hay? KMP beyond short needles, so the cost stays linear. */
export function contains(h: usize, hn: u32, nd: usize, nn: u32): bool {
  if (nn == 0) return true;
  if (nn > hn) return false;
  if (nn <= 8) {
    const first = load<u8>(nd);
    const last = hn - nn;
    for (let i: u32 = 0; i <= last; i++) {
      if (load<u8>(h + i) == first && memory.compare(h + i, nd, nn) == 0) return true;
    }
    return false;
  }
  const fail = alloc(<usize>nn * 4);
  store<u32>(fail, 0);
  let k: u32 = 0;
  for (let i: u32 = 1; i < nn; i++) {
    while (k > 0 && load<u8>(nd + i) != load<u8>(nd + k)) k = load<u32>(fail + <usize>(k - 1) * 4);
    if (load<u8>(nd + i) == load<u8>(nd + k)) k++;
    store<u32>(fail + <usize>i * 4, k);
  }
  k = 0;
  for (let i: u32 = 0; i < hn; i++) {
    while (k > 0 && load<u8>(h + i) != load<u8>(nd + k)) k = load<u32>(fail + <usize>(k - 1) * 4);
    if (load<u8>(h + i) == load<u8>(nd + k)) k++;
    if (k == nn) return true;
  }
  return false;
}

export function startsWith(s: usize, sn: u32, p: usize, pn: u32): bool {
  return pn <= sn && memory.compare(s, p, pn) == 0;
}

export function endsWith(s: usize, sn: u32, p: usize, pn: u32): bool {
  return pn <= sn && memory.compare(s + sn - pn, p, pn) == 0;
}

/** lower()/upper() into outPtr/outLen. ASCII is mapped here; anything else by the host. */
export function caseMap(p: usize, n: u32, upper: bool): void {
  if (isAscii(p, n)) {
    const out = alloc(<usize>n);
    for (let i: u32 = 0; i < n; i++) {
      let c = load<u8>(p + i);
      if (upper) {
        if (c >= 0x61 && c <= 0x7a) c -= 32;
      } else if (c >= 0x41 && c <= 0x5a) {
        c += 32;
      }
      store<u8>(out + i, c);
    }
    outPtr = out;
    outLen = n;
    return;
  }
  // A code point maps to at most three (U+0390 → 3 × 2 bytes); the host refuses to overflow.
  const cap = n * 3 + 8;
  const out = alloc(<usize>cap);
  const written = hostCaseMap(p, n, out, cap, upper ? 1 : 0);
  if (written < 0 || <u32>written > cap) die(ST_HOST);
  outPtr = out;
  outLen = <u32>written;
}

/**
 * Normalize a file path (docs/semantics.md "Path normalization") into outPtr/outLen.
 * Returns -1 when valid, else the invalid-argument detail (control character, escapes root).
 */
export function normPath(p: usize, n: u32): i32 {
  if (normKnown && p == normP && n == normN) {
    outPtr = normOut;
    outLen = normOutLen;
    return normResult;
  }
  const r = normalize(p, n);
  normKnown = true;
  normP = p;
  normN = n;
  normResult = r;
  normOut = outPtr;
  normOutLen = outLen;
  return r;
}

// The last normPath call of this evaluation: a file condition normalizes the same path twice
// (validity, then the check), and the bytes under a string never change within one evaluation
// (bundle and input are read-only, scratch is bump-allocated). evaluate() forgets it first.
let normKnown = false;
let normP: usize = 0;
let normN: u32 = 0;
let normResult: i32 = 0;
let normOut: usize = 0;
let normOutLen: u32 = 0;

export function forgetNormPath(): void {
  normKnown = false;
}

function normalize(p: usize, n: u32): i32 {
  // One pass for control characters, noting whether the path is already normal: no `\\`, no
  // empty segment but a leading `/` (with something after it), no `.` or `..` segment. Then the
  // result is the path itself (strings are never written to, so it may be shared).
  let normal = true;
  let start: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const b = load<u8>(p + i);
    if (b < 0x20 || b == 0x7f) return DETAIL_CONTROL;
    if (b == 0xc2 && i + 1 < n) {
      const c = load<u8>(p + i + 1);
      if (c >= 0x80 && c <= 0x9f) return DETAIL_CONTROL;
    }
    if (b == 0x5c) normal = false;
    else if (b == 0x2f) {
      if (!segmentKept(p, start, i, n)) normal = false;
      start = i + 1;
    }
  }
  // `/??/C:/x` (the NT namespace, forward slashes) is all kept segments, but its prefix goes.
  if (normal && (n == 0 || segmentKept(p, start, n, n)) && win32Namespace(p, n) == 0) {
    outPtr = p;
    outLen = n;
    return -1;
  }
  return rebuild(p, n);
}

/** Whether normalization keeps the segment [start, end) as it is (see normalize). */
function segmentKept(p: usize, start: u32, end: u32, n: u32): bool {
  const len = end - start;
  if (len == 0) return end == 0 && n > 1; // only a leading `/`, with something after it
  if (load<u8>(p + start) != 0x2e) return true;
  return len > 2 || (len == 2 && load<u8>(p + start + 1) != 0x2e);
}

const isSeparator = (b: u8): bool => b == 0x2f || b == 0x5c;

/** How many leading segments are the path's root: 2 for `\\server\share` (or `//`), 1 for `C:`, else 0. */
function rootSegments(p: usize, n: u32): u32 {
  if (n < 2) return 0;
  if (isSeparator(load<u8>(p)) && isSeparator(load<u8>(p + 1))) return 2;
  const letter = load<u8>(p) | 0x20;
  const drive = letter >= 0x61 && letter <= 0x7a && load<u8>(p + 1) == 0x3a && (n == 2 || isSeparator(load<u8>(p + 2)));
  return drive ? 1 : 0;
}

/**
 * The length of a `\\?\`, `\\.\` or `\??\` prefix to drop (either separator): 4 before a drive and
 * a separator (`C:\`; `\\.\C:` alone is the volume device), 8 with `UNC\` (what follows is a
 * share); else 0. As src/builtins/path.ts withoutWin32Namespace.
 */
function win32Namespace(p: usize, n: u32): u32 {
  if (n < 7 || !isSeparator(load<u8>(p)) || !isSeparator(load<u8>(p + 3))) return 0;
  const second = load<u8>(p + 1);
  const mark = load<u8>(p + 2);
  const win32 = isSeparator(second) && (mark == 0x3f || mark == 0x2e); // `\\?\`, `\\.\`
  const nt = second == 0x3f && mark == 0x3f; // `\??\`
  if (!win32 && !nt) return 0;
  const letter = load<u8>(p + 4) | 0x20;
  if (letter >= 0x61 && letter <= 0x7a && load<u8>(p + 5) == 0x3a && isSeparator(load<u8>(p + 6))) return 4;
  const unc = n >= 8 && letter == 0x75 && (load<u8>(p + 5) | 0x20) == 0x6e && (load<u8>(p + 6) | 0x20) == 0x63 && isSeparator(load<u8>(p + 7));
  return unc ? 8 : 0;
}

/** Normalize a path with no control character into scratch (normalize's general case). */
function rebuild(p: usize, n: u32): i32 {
  const skip = win32Namespace(p, n);
  return segmentsOf(p + skip, n - skip, skip == 8);
}

/** `rebuild` of a path whose Win32 namespace prefix is gone; `share`: it was `\\?\UNC\` (a share follows). */
function segmentsOf(p: usize, n: u32, share: bool): i32 {
  // Segments as (start, length) pairs; `..` pops, empty and `.` are dropped. The root's
  // segments cannot be popped: a UNC path's server and share, a leading drive (`C:`), as in
  // src/builtins/path.ts.
  const segs = alloc(<usize>(n / 2 + 1) * 8);
  let ns: u32 = 0;
  const root: u32 = share ? 2 : rootSegments(p, n);
  let start: u32 = 0;
  for (let i: u32 = 0; i <= n; i++) {
    if (i < n) {
      const b = load<u8>(p + i);
      if (b != 0x2f && b != 0x5c) continue;
    }
    const len = i - start;
    if (len == 0 || (len == 1 && load<u8>(p + start) == 0x2e)) {
      // empty or `.`
    } else if (len == 2 && load<u8>(p + start) == 0x2e && load<u8>(p + start + 1) == 0x2e) {
      if (ns <= root) return DETAIL_ESCAPES;
      ns--;
    } else {
      store<u32>(segs + <usize>ns * 8, start);
      store<u32>(segs + <usize>ns * 8, len, 4);
      ns++;
    }
    start = i + 1;
  }
  const out = alloc(<usize>n + 1);
  let w: u32 = 0;
  if (share || (n > 0 && (load<u8>(p) == 0x2f || load<u8>(p) == 0x5c))) {
    store<u8>(out, 0x2f);
    w = 1;
  }
  for (let k: u32 = 0; k < ns; k++) {
    if (k > 0) {
      store<u8>(out + w, 0x2f);
      w++;
    }
    const s = load<u32>(segs + <usize>k * 8);
    const l = load<u32>(segs + <usize>k * 8, 4);
    memory.copy(out + w, p + s, l);
    w += l;
  }
  outPtr = out;
  outLen = w;
  return -1;
}

/** Are the n bytes at p all ASCII? */
function isAscii(p: usize, n: u32): bool {
  for (let i: u32 = 0; i < n; i++) {
    if (load<u8>(p + i) >= 0x80) return false;
  }
  return true;
}

/**
 * Does the raw path's last segment (after `/` or `\`), without trailing dots and spaces and
 * lower-cased, end with one of the extensions in the encoded string list? So does each part of
 * it between colons, if any (NTFS streams: `evil.exe::$DATA`, `C:evil.exe:s` write `evil.exe`).
 */
export function extBlocked(p: usize, n: u32, list: usize): bool {
  let cut: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const b = load<u8>(p + i);
    if (b == 0x2f || b == 0x5c) cut = i + 1;
  }
  if (nameBlocked(p + cut, n - cut, list)) return true;
  let from = cut;
  let colons = false;
  for (let i: u32 = cut; i <= n; i++) {
    if (i < n && load<u8>(p + i) != 0x3a) continue;
    if (i == n && !colons) break;
    colons = true;
    if (nameBlocked(p + from, i - from, list)) return true;
    from = i + 1;
  }
  return false;
}

/**
 * Does the file name, without trailing dots and spaces, lower-cased or (if not ASCII) case
 * folded — lower, upper, lower: `ſ` → `s`, as a file system's upcase table sees it — end with
 * a listed extension? The host lists each extension in both forms.
 */
function nameBlocked(p: usize, n: u32, list: usize): bool {
  let end = n;
  while (end > 0 && (load<u8>(p + end - 1) == 0x2e || load<u8>(p + end - 1) == 0x20)) end--;
  caseMap(p, end, false);
  if (endsWithListed(outPtr, outLen, list)) return true;
  if (isAscii(p, end)) return false;
  caseMap(outPtr, outLen, true);
  caseMap(outPtr, outLen, false);
  // A final sigma `ς` (CF 82) is `σ` (CF 83), as foldCase has it: lower-casing picks `ς` after
  // a cased letter, and NTFS upper-cases both to `Σ`.
  for (let i: u32 = 0; i + 1 < outLen; i++) {
    if (load<u8>(outPtr + i) == 0xcf && load<u8>(outPtr + i + 1) == 0x82) store<u8>(outPtr + i + 1, 0x83);
  }
  return endsWithListed(outPtr, outLen, list);
}

/** Does the text end with one of the strings in the encoded list? */
function endsWithListed(name: usize, nl: u32, list: usize): bool {
  const count = listCount(list);
  let q = listFirst(list);
  for (let i: u32 = 0; i < count; i++) {
    let ep: usize, el: u32;
    if (<i32>load<u8>(q) == E_STRID) {
      const id = load<u32>(q + 1);
      ep = strPtr(id);
      el = strLen(id);
    } else {
      ep = q + 5;
      el = load<u32>(q + 1);
    }
    if (endsWith(name, nl, ep, el)) return true;
    q += encSize(q);
  }
  return false;
}


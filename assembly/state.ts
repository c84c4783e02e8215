// The loaded bundle: validated once by load(), then read by the dispatch loop without
// re-checking what load() proved (section bounds, string table entries, rule code offsets).

import {
  ABI_VERSION, BUNDLE_MAGIC, CHECKSUM_FROM, FORMAT_VERSION, HEADER_SIZE, H_ABI, H_CHECKSUM,
  H_CODE, H_CODE_LEN, H_FIELDS, H_FIELD_TAB, H_FIELD_TAB_LEN, H_FORMAT, H_LENGTH, H_MAGIC,
  H_MAX_VIOLATIONS, H_META, H_META_LEN, H_RULES, H_RULE_TAB, H_STRINGS, H_STR_TAB, H_VALUES,
  H_VALUES_LEN, RULE_ENTRY_SIZE, R_HEADER, ST_BAD_CHECKSUM, ST_BAD_LAYOUT, ST_BAD_LENGTH,
  ST_BAD_MAGIC, ST_BAD_VERSION, ST_OK, VIOL_SIZE,
} from './format';
import { ensureMemory, setResultPtr } from './mem';

export let loaded = false;
export let bundleBase: usize = 0;
export let nRules: u32 = 0;
export let nFields: u32 = 0;
export let nStrings: u32 = 0;
export let strTab: usize = 0;
export let valuesBase: usize = 0;
export let valuesEnd: usize = 0;
export let ruleTab: usize = 0;
export let codeBase: usize = 0;
export let codeLen: u32 = 0;
export let maxViolations: u32 = 0;
export let inputBase: usize = 0;

/** The bundle always sits at the first 16-aligned address after the VM's static data. */
export function bundlePtr(): usize {
  return (__heap_base + 15) & ~(<usize>15);
}

/** Make room for a bundle of `len` bytes; returns where the host writes it. */
export function reserve(len: u32): usize {
  loaded = false;
  ensureMemory(bundlePtr() + <usize>len);
  return bundlePtr();
}

function within(off: u32, size: u64, len: u32): bool {
  return <u64>off + size <= <u64>len;
}

/** FNV-1a 32; the compiler computes the same (src/compile/bundle.ts checksum). */
function fnv1a(p: usize, n: usize): u32 {
  let h: u32 = 0x811c9dc5;
  for (let i: usize = 0; i < n; i++) {
    h ^= <u32>load<u8>(p + i);
    h *= 0x01000193;
  }
  return h;
}

/** Validate the bundle the host wrote at bundlePtr() and lay out result and input regions. */
export function loadBundle(len: u32): i32 {
  loaded = false;
  const b = bundlePtr();
  if (len < <u32>HEADER_SIZE) return ST_BAD_LENGTH;
  if (load<u32>(b + H_MAGIC) != <u32>BUNDLE_MAGIC) return ST_BAD_MAGIC;
  if (<i32>load<u16>(b + H_FORMAT) != FORMAT_VERSION || <i32>load<u16>(b + H_ABI) != ABI_VERSION) {
    return ST_BAD_VERSION;
  }
  if (load<u32>(b + H_LENGTH) != len) return ST_BAD_LENGTH;
  if (fnv1a(b + CHECKSUM_FROM, <usize>(len - CHECKSUM_FROM)) != load<u32>(b + H_CHECKSUM)) {
    return ST_BAD_CHECKSUM;
  }
  const rules = load<u32>(b + H_RULES);
  const strings = load<u32>(b + H_STRINGS);
  const st = load<u32>(b + H_STR_TAB);
  const vo = load<u32>(b + H_VALUES);
  const vl = load<u32>(b + H_VALUES_LEN);
  const rt = load<u32>(b + H_RULE_TAB);
  const co = load<u32>(b + H_CODE);
  const cl = load<u32>(b + H_CODE_LEN);
  const maxv = load<u32>(b + H_MAX_VIOLATIONS);
  if (!within(st, <u64>strings * 8, len) || !within(vo, vl, len) ||
    !within(rt, <u64>rules * RULE_ENTRY_SIZE, len) || !within(co, cl, len) ||
    !within(load<u32>(b + H_FIELD_TAB), load<u32>(b + H_FIELD_TAB_LEN), len) ||
    !within(load<u32>(b + H_META), load<u32>(b + H_META_LEN), len) || maxv > (1 << 24)) {
    return ST_BAD_LAYOUT;
  }
  for (let i: u32 = 0; i < strings; i++) {
    const e = b + st + <usize>i * 8;
    if (!within(load<u32>(e), load<u32>(e + 4), len)) return ST_BAD_LAYOUT;
  }
  for (let i: u32 = 0; i < rules; i++) {
    if (load<u32>(b + rt + <usize>i * RULE_ENTRY_SIZE) >= cl) return ST_BAD_LAYOUT;
  }
  bundleBase = b;
  nRules = rules;
  nFields = load<u32>(b + H_FIELDS);
  nStrings = strings;
  strTab = b + st;
  valuesBase = b + vo;
  valuesEnd = b + vo + vl;
  ruleTab = b + rt;
  codeBase = b + co;
  codeLen = cl;
  maxViolations = maxv;
  const result = (b + len + 15) & ~(<usize>15);
  setResultPtr(result);
  inputBase = (result + R_HEADER + <usize>rules * 4 + <usize>maxv * VIOL_SIZE + 15) & ~(<usize>15);
  ensureMemory(inputBase + 4096);
  loaded = true;
  return ST_OK;
}

/** Pointer and length of interned string `id` (load() proved every entry in bounds). */
export function strPtr(id: u32): usize {
  return bundleBase + load<u32>(strTab + <usize>id * 8);
}
export function strLen(id: u32): u32 {
  return load<u32>(strTab + <usize>id * 8 + 4);
}

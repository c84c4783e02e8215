// Values on the VM stack and their encoded form in memory (layout in format.ts "Values").
//
// A stack slot is 16 bytes:  +0 u32 type (T_*) · +4 i32 string id or -1 · +8 payload · +12 u32
//   number: f64 at +8 · boolean: u32 at +8 · string: u32 ptr at +8, u32 byte length at +12 ·
//   list/object: u32 ptr at +8 to its encoding (tag byte first).
// Strings point into the bundle (constants), the input region or scratch; nothing is copied.

import {
  E_FALSE, E_LIST, E_NULL, E_NUM, E_OBJ, E_STR, E_STRID, E_TRUE, ST_BAD_INPUT, T_BOOL, T_LIST,
  T_NULL, T_NUM, T_OBJ, T_STR,
} from './format';
import { alloc, bytesEq, die } from './mem';
import { nStrings, strLen, strPtr } from './state';

export const SLOT = 16;

@inline export function slotType(s: usize): u32 {
  return load<u32>(s);
}
@inline export function slotId(s: usize): i32 {
  return load<i32>(s, 4);
}
@inline export function slotNum(s: usize): f64 {
  return load<f64>(s, 8);
}
@inline export function slotBool(s: usize): bool {
  return load<u32>(s, 8) != 0;
}
@inline export function slotPtr(s: usize): usize {
  return <usize>load<u32>(s, 8);
}
@inline export function slotLen(s: usize): u32 {
  return load<u32>(s, 12);
}

@inline export function setNull(s: usize): void {
  store<u32>(s, T_NULL);
}
@inline export function setBool(s: usize, v: bool): void {
  store<u32>(s, T_BOOL);
  store<u32>(s, v ? 1 : 0, 8);
}
@inline export function setNum(s: usize, v: f64): void {
  store<u32>(s, T_NUM);
  store<f64>(s, v, 8);
}
@inline export function setStr(s: usize, id: i32, p: usize, n: u32): void {
  store<u32>(s, T_STR);
  store<i32>(s, id, 4);
  store<u32>(s, <u32>p, 8);
  store<u32>(s, n, 12);
}
export function setStrId(s: usize, id: u32): void {
  if (id >= nStrings) die(ST_BAD_INPUT);
  setStr(s, <i32>id, strPtr(id), strLen(id));
}
function setRef(s: usize, t: u32, p: usize): void {
  store<u32>(s, t);
  store<u32>(s, <u32>p, 8);
}

/** Decode the encoded value at p into slot s. */
export function decodeInto(p: usize, s: usize): void {
  switch (<i32>load<u8>(p)) {
    case E_NULL: setNull(s); break;
    case E_FALSE: setBool(s, false); break;
    case E_TRUE: setBool(s, true); break;
    case E_NUM: setNum(s, load<f64>(p + 1)); break;
    case E_STRID: setStrId(s, load<u32>(p + 1)); break;
    case E_STR: setStr(s, -1, p + 5, load<u32>(p + 1)); break;
    case E_LIST: setRef(s, T_LIST, p); break;
    case E_OBJ: setRef(s, T_OBJ, p); break;
    default: die(ST_BAD_INPUT);
  }
}

/** The value type id (T_*) of an encoded value. */
export function encType(p: usize): u32 {
  const t = <i32>load<u8>(p);
  if (t == E_NULL) return T_NULL;
  if (t == E_FALSE || t == E_TRUE) return T_BOOL;
  if (t == E_NUM) return T_NUM;
  if (t == E_STRID || t == E_STR) return T_STR;
  if (t == E_LIST) return T_LIST;
  if (t == E_OBJ) return T_OBJ;
  die(ST_BAD_INPUT);
  return T_NULL;
}

/** Byte size of the encoded value at p. */
export function encSize(p: usize): usize {
  switch (<i32>load<u8>(p)) {
    case E_NULL:
    case E_FALSE:
    case E_TRUE: return 1;
    case E_NUM: return 9;
    case E_STRID: return 5;
    case E_STR: return 5 + <usize>load<u32>(p + 1);
    case E_LIST:
    case E_OBJ: return 9 + <usize>load<u32>(p + 5);
    default: die(ST_BAD_INPUT);
  }
  return 1;
}

@inline export function listCount(p: usize): u32 {
  return load<u32>(p + 1);
}
@inline export function listFirst(p: usize): usize {
  return p + 9;
}

// Equality of strings: two interned ids are equal iff the ids are; otherwise compare bytes
// (a string built at run time carries no id even when it equals a constant).
let encId: i32 = -1;
let encPtr: usize = 0;
let encLen: u32 = 0;
function encString(p: usize): void {
  if (<i32>load<u8>(p) == E_STRID) {
    const id = load<u32>(p + 1);
    if (id >= nStrings) die(ST_BAD_INPUT);
    encId = <i32>id;
    encPtr = strPtr(id);
    encLen = strLen(id);
  } else {
    encId = -1;
    encPtr = p + 5;
    encLen = load<u32>(p + 1);
  }
}

function strEq(ia: i32, pa: usize, la: u32, ib: i32, pb: usize, lb: u32): bool {
  if (ia >= 0 && ib >= 0) return ia == ib;
  return bytesEq(pa, la, pb, lb);
}

/** JSON equality of two encoded values: deep, keys sorted by the host, 0 == -0. */
export function eqEnc(p: usize, q: usize): bool {
  const tp = encType(p);
  if (tp != encType(q)) return false;
  switch (tp) {
    case T_NULL: return true;
    case T_BOOL: return load<u8>(p) == load<u8>(q);
    case T_NUM: return load<f64>(p + 1) == load<f64>(q + 1);
    case T_STR: {
      encString(p);
      const ia = encId, pa = encPtr, la = encLen;
      encString(q);
      return strEq(ia, pa, la, encId, encPtr, encLen);
    }
    case T_LIST: {
      const n = listCount(p);
      if (n != listCount(q)) return false;
      let a = listFirst(p), b = listFirst(q);
      for (let i: u32 = 0; i < n; i++) {
        if (!eqEnc(a, b)) return false;
        a += encSize(a);
        b += encSize(b);
      }
      return true;
    }
    default: {
      const n = listCount(p);
      if (n != listCount(q)) return false;
      let a = listFirst(p), b = listFirst(q);
      for (let i: u32 = 0; i < n; i++) {
        const ka = load<u32>(a), kb = load<u32>(b);
        if (!bytesEq(a + 4, ka, b + 4, kb)) return false;
        a += 4 + <usize>ka;
        b += 4 + <usize>kb;
        if (!eqEnc(a, b)) return false;
        a += encSize(a);
        b += encSize(b);
      }
      return true;
    }
  }
}

/** JSON equality of a stack value and an encoded value. */
export function eqSlotEnc(s: usize, q: usize): bool {
  const t = slotType(s);
  if (t != encType(q)) return false;
  switch (t) {
    case T_NULL: return true;
    case T_BOOL: return slotBool(s) == (<i32>load<u8>(q) == E_TRUE);
    case T_NUM: return slotNum(s) == load<f64>(q + 1);
    case T_STR:
      encString(q);
      return strEq(slotId(s), slotPtr(s), slotLen(s), encId, encPtr, encLen);
    default: return eqEnc(slotPtr(s), q);
  }
}

/** JSON equality of two stack values. */
export function eqSlots(a: usize, b: usize): bool {
  const t = slotType(a);
  if (t != slotType(b)) return false;
  switch (t) {
    case T_NULL: return true;
    case T_BOOL: return slotBool(a) == slotBool(b);
    case T_NUM: return slotNum(a) == slotNum(b);
    case T_STR: return strEq(slotId(a), slotPtr(a), slotLen(a), slotId(b), slotPtr(b), slotLen(b));
    default: return eqEnc(slotPtr(a), slotPtr(b));
  }
}

function slotEncSize(s: usize): usize {
  switch (slotType(s)) {
    case T_NULL:
    case T_BOOL: return 1;
    case T_NUM: return 9;
    case T_STR: return slotId(s) >= 0 ? 5 : 5 + <usize>slotLen(s);
    default: return encSize(slotPtr(s));
  }
}

function encodeSlot(s: usize, p: usize): usize {
  switch (slotType(s)) {
    case T_NULL: store<u8>(p, E_NULL); return 1;
    case T_BOOL: store<u8>(p, slotBool(s) ? E_TRUE : E_FALSE); return 1;
    case T_NUM: store<u8>(p, E_NUM); store<f64>(p + 1, slotNum(s)); return 9;
    case T_STR: {
      if (slotId(s) >= 0) {
        store<u8>(p, E_STRID);
        store<u32>(p + 1, <u32>slotId(s));
        return 5;
      }
      const n = slotLen(s);
      store<u8>(p, E_STR);
      store<u32>(p + 1, n);
      memory.copy(p + 5, slotPtr(s), n);
      return 5 + <usize>n;
    }
    default: {
      const n = encSize(slotPtr(s));
      memory.copy(p, slotPtr(s), n);
      return n;
    }
  }
}

/** Encode the n slots starting at `first` as a list in scratch; returns its pointer. */
export function makeList(first: usize, n: u32): usize {
  let body: usize = 0;
  for (let i: u32 = 0; i < n; i++) body += slotEncSize(first + <usize>i * SLOT);
  const p = alloc(9 + body);
  store<u8>(p, E_LIST);
  store<u32>(p + 1, n);
  store<u32>(p + 5, <u32>body);
  let w = p + 9;
  for (let i: u32 = 0; i < n; i++) w += encodeSlot(first + <usize>i * SLOT, w);
  return p;
}

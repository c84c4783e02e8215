// JSON value helpers for expression evaluation: equality and own-key lookup.
// Objects from a parsed request may carry `__proto__` or `constructor` as ordinary own keys
// (SPEC §2), so every lookup asks for OWN properties and never walks a prototype.

import type { Json } from '../ir/types.js';
import { isObject } from '../json/is-object.js';

/** The value under an object's own key, or a list's index; `null` for anything else. */
export function child(v: Json | undefined, seg: string | number): Json {
  if (typeof seg === 'number') {
    return Array.isArray(v) && seg < v.length ? (v[seg] ?? null) : null;
  }
  if (isObject(v) && Object.prototype.hasOwnProperty.call(v, seg)) return v[seg] ?? null;
  return null;
}

/**
 * JSON equality: deep, object key order ignored, `0 == -0` (docs/semantics.md). Never an error.
 *
 * @example jsonEqual({ a: [1, 2] }, { a: [1, 2] }) // true
 */
export function jsonEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

// The VM's value encoding (assembly/format.ts "Values"), written by the compiler for list
// constants and by the engine for request fields. One function, so both sides agree.

import type { Json } from '../ir/types.js';
import { E_FALSE, E_LIST, E_NULL, E_NUM, E_OBJ, E_STR, E_STRID, E_TRUE } from '../../assembly/format.js';
import type { ByteWriter } from './writer.js';

/** Nesting deeper than this is refused (requests are capped at 32 by SPEC §2). */
export const MAX_VALUE_DEPTH = 128;

/** Encoding refused: too deep, or a value that is not JSON. */
export class EncodeError extends Error {
  override readonly name = 'EncodeError';
}

/** The id of an interned string equal to `s`, or undefined. */
export type Intern = (s: string) => number | undefined;

/**
 * Append the encoding of `v`. Strings equal to an interned constant are written as its id, so
 * the VM compares them as integers; object keys are sorted so equality is a linear walk.
 */
export function encodeJson(w: ByteWriter, v: Json | undefined, intern: Intern, depth = 0): void {
  if (v === null || v === undefined) return w.u8(E_NULL);
  switch (typeof v) {
    case 'boolean':
      return w.u8(v ? E_TRUE : E_FALSE);
    case 'number':
      if (!Number.isFinite(v)) throw new EncodeError('a number in the request is not finite');
      w.u8(E_NUM);
      return w.f64(v);
    case 'string': {
      const id = intern(v);
      if (id !== undefined) {
        w.u8(E_STRID);
        return w.u32(id);
      }
      w.u8(E_STR);
      const at = w.pos;
      w.u32(0);
      w.patchU32(at, w.utf8(v));
      return;
    }
    case 'object':
      break;
    default:
      throw new EncodeError(`a ${typeof v} is not a JSON value`);
  }
  if (depth >= MAX_VALUE_DEPTH) throw new EncodeError('a value in the request is nested too deeply');
  const isList = Array.isArray(v);
  const keys = isList ? undefined : Object.keys(v).filter((k) => v[k] !== undefined).sort();
  w.u8(isList ? E_LIST : E_OBJ);
  w.u32(isList ? v.length : keys!.length);
  const sizeAt = w.pos;
  w.u32(0);
  if (isList) {
    for (const item of v) encodeJson(w, item, intern, depth + 1);
  } else {
    for (const k of keys!) {
      const at = w.pos;
      w.u32(0);
      w.patchU32(at, w.utf8(k));
      encodeJson(w, v[k], intern, depth + 1);
    }
  }
  w.patchU32(sizeAt, w.pos - sizeAt - 4);
}

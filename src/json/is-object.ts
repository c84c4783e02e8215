// The one test for "a JSON object": not null, not a list. Parsed JSON holds no other kind of
// object, so nothing more is asked (engine/request.ts, which takes objects from library
// callers too, also checks the prototype).

import type { Json } from '../ir/types.js';

/** @example isObject(JSON.parse('{"a":1}')) // true; isObject([]) // false */
export function isObject(v: Json | undefined): v is { [key: string]: Json };
export function isObject(v: unknown): v is Record<string, unknown>;
export function isObject(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `v` when it is a JSON object, else undefined: for reading a member that should be one. */
export function asObject(v: Json | undefined): { [key: string]: Json } | undefined {
  return isObject(v) ? v : undefined;
}

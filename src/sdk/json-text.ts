// A request body as JSON text, refusing what JSON would carry as another value. MGE judges and
// hashes the JSON it receives (SPEC §2): a `NaN` sent as `null` is judged as null, and an
// action holding `amount: Infinity` was approved by a rule `action.amount > 10000` while the
// caller went on to act with Infinity (a review, 11-29).

import { MGEConfigError } from './errors.js';

/**
 * `JSON.stringify(value)`, but only for values JSON writes as they are: plain objects, arrays,
 * strings, booleans, null, finite numbers, and valid `Date`s (their ISO string, as JSON writes
 * them); an undefined member is left out, as JSON does. Anything JSON would write as another
 * value throws MGEConfigError naming `what`, before anything is sent: a non-finite number or an
 * invalid Date (`null`), an undefined, function or symbol array item (`null`), a Map or Set
 * (`{}`), a typed array (an object of indexes), a class instance or a boxed number; so does a
 * value JSON cannot write at all (a cycle, a BigInt, a getter that throws). These are the
 * values the canonicalizer that hashes requests refuses too (receipt/jcs.ts).
 *
 * @example jsonText({ action: { type: 'pay', amount: NaN } }, 'the check') // throws MGEConfigError
 */
export function jsonText(value: unknown, what: string): string {
  try {
    return JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
      const raw = this[key]; // as the caller holds it, before any toJSON
      if (typeof v === 'number' && !Number.isFinite(v)) throw refused(what, `${v}, which JSON cannot carry (it would be sent as null); use finite numbers`);
      if (Array.isArray(this) && (v === undefined || typeof v === 'function' || typeof v === 'symbol')) {
        throw refused(what, `an array item that is ${v === undefined ? 'undefined' : `a ${typeof v}`}, which JSON cannot carry (it would be sent as null)`);
      }
      // As held, and as a toJSON of a plain object made it (a Map there is sent as {} too).
      for (const o of raw === v ? [raw] : [raw, v]) {
        if (o === null || typeof o !== 'object' || Array.isArray(o)) continue;
        const tag = Object.prototype.toString.call(o).slice(8, -1);
        if (tag === 'Date') {
          if (Number.isNaN(timeOf(o))) throw refused(what, 'an invalid Date, or an object tagged `Date` that is none, which JSON cannot carry as it is');
          // A Date a toJSON gave is not turned into its string again: JSON writes it as {}.
          if (o !== raw) throw refused(what, 'an object whose toJSON gives a Date, which JSON writes as {}');
          // Its ISO string, as documented: not what a toJSON of its own (or a subclass's) makes.
          if (v !== Date.prototype.toISOString.call(o)) throw refused(what, 'a Date whose toJSON gives something other than its ISO string');
        } else if (!isPlainObject(o, tag)) {
          throw refused(what, `${kindOf(o, tag)}, which JSON would send as another value (a Map as {}, a typed array as an object of indexes, inherited members left out); send plain objects and arrays`);
        }
      }
      return v;
    });
  } catch (err) {
    if (err instanceof MGEConfigError) throw err;
    throw new MGEConfigError(`${what} cannot be written as JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}

/** A Date's time (of any realm); NaN for an invalid one, or an object that only claims the tag. */
function timeOf(o: object): number {
  try {
    return Date.prototype.getTime.call(o);
  } catch {
    return NaN;
  }
}

/**
 * An object literal's kind, from this realm or another (an iframe's, a `vm` context's): its
 * prototype is null or that realm's Object.prototype, not an object holding members of its own
 * (a null-prototype base with `environment` set was sent without it; a re-review, 11-29).
 */
function isPlainObject(o: object, tag: string): boolean {
  const proto = Object.getPrototypeOf(o) as object | null;
  if (tag !== 'Object') return false;
  if (proto === null) return true;
  const ctor = Object.getOwnPropertyDescriptor(proto, 'constructor')?.value as { name?: unknown } | undefined;
  return Object.getPrototypeOf(proto) === null && typeof ctor === 'function' && ctor.name === 'Object';
}

/** "a Map", "an Amount", "an object with a prototype of its own" for a message. */
function kindOf(o: object, tag: string): string {
  const name = tag !== 'Object' ? tag : (o.constructor as { name?: unknown } | undefined)?.name;
  if (typeof name !== 'string' || name === '' || name === 'Object') return 'an object with a prototype of its own';
  return `${/^[AEIOU]/.test(name) ? 'an' : 'a'} ${name}`;
}

const refused = (what: string, holds: string): MGEConfigError => new MGEConfigError(`${what} holds ${holds}`);

// A request body as JSON text, refusing what JSON would carry as another value. MGE judges and
// hashes the JSON it receives (SPEC §2): a `NaN` sent as `null` is judged as null, and an
// action holding `amount: Infinity` was approved by a rule `action.amount > 10000` while the
// caller went on to act with Infinity (a review, 11-29).

import { MGEConfigError } from './errors.js';

/**
 * `JSON.stringify(value)`, but a number JSON cannot hold (NaN, ±Infinity: `null`) or an array
 * item it cannot hold (undefined, a function, a symbol: `null`) throws MGEConfigError naming
 * `what`, and so does a value JSON cannot write at all (a cycle, a BigInt, a getter that
 * throws), before anything is sent. A `Date` is its ISO string and an undefined member is left
 * out, as JSON does: the receiver reads what the caller holds, written as JSON writes it.
 *
 * @example jsonText({ action: { type: 'pay', amount: NaN } }, 'the check') // throws MGEConfigError
 */
export function jsonText(value: unknown, what: string): string {
  try {
    return JSON.stringify(value, function (this: unknown, _key: string, v: unknown) {
      const n = v instanceof Number ? v.valueOf() : v;
      if (typeof n === 'number' && !Number.isFinite(n)) {
        throw new MGEConfigError(`${what} holds ${n}, which JSON cannot carry (it would be sent as null); use finite numbers`);
      }
      if (Array.isArray(this) && (v === undefined || typeof v === 'function' || typeof v === 'symbol')) {
        throw new MGEConfigError(`${what} holds an array item that is ${v === undefined ? 'undefined' : `a ${typeof v}`}, which JSON cannot carry (it would be sent as null)`);
      }
      return v;
    });
  } catch (err) {
    if (err instanceof MGEConfigError) throw err;
    throw new MGEConfigError(`${what} cannot be written as JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}

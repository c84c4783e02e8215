// RFC 8785 JSON Canonicalization Scheme: the one byte form of a JSON value that hashes and
// signatures are computed over (SPEC §5). Written here rather than taken from npm: the
// maintained `canonicalize` package needs Node 22 and does not refuse lone surrogates, which
// RFC 8785 §3.2.2 (I-JSON) requires. Tested against the RFC's published vectors.

import type { Json } from '../ir/types.js';
import { LONE_SURROGATE } from '../json/strict-parse.js';
import { overUtf8Bytes } from '../json/utf8.js';

/** A value that has no canonical form (RFC 8785 §3.2.2: I-JSON only). */
export class CanonicalizationError extends Error {
  override readonly name = 'CanonicalizationError';
}

/**
 * The canonical text of `value`. Object members whose value is `undefined` are left out, as
 * `JSON.stringify` does, so an optional field that is absent and one set to undefined agree.
 *
 * @example
 * canonicalize({ b: [1e30, 4.50], a: "\u20ac" })  // '{"a":"€","b":[1e+30,4.5]}'
 */
export function canonicalize(value: Json): string {
  return write(value as unknown, 0, UNBOUNDED);
}

const encoder = new TextEncoder();

/**
 * A plain copy of `value` made from its canonical text, or undefined when it is no JSON value
 * (or reading it threw). Verifiers judge the copy: every field of the original is read once,
 * so a getter or a Proxy cannot show one value to a hash and another to a comparison.
 * @example jsonCopy({ get a() { return Math.random(); } }) // { a: 0.42… }, fixed from here on
 */
export function jsonCopy(value: unknown): Json | undefined {
  try {
    return JSON.parse(canonicalize(value as Json)) as Json;
  } catch {
    return undefined;
  }
}

/** UTF-8 bytes of `canonicalize(value)`. */
export function canonicalBytes(value: Json): Uint8Array {
  return encoder.encode(canonicalize(value));
}

/**
 * Bounds a value must keep to be canonicalized by canonicalizeWithin: the request limits of
 * SPEC §2, counted as src/engine/request.ts RequestLimits says. `depth` given to
 * canonicalizeWithin is the number of containers around the value.
 */
export interface ValueLimits {
  maxDepth: number;
  maxStringBytes: number;
  maxArrayItems: number;
}

// canonicalize's only bound guards against cyclic input; request values are limited to depth 32.
const UNBOUNDED: ValueLimits = { maxDepth: 1000, maxStringBytes: Infinity, maxArrayItems: Infinity };

/**
 * canonicalize(value), refusing (CanonicalizationError) anything outside `limits` in the same
 * walk: the engine checks a request and writes its action_hash text in one pass. It also
 * refuses what SPEC §2 strict input refuses and canonicalize lets by: integers beyond
 * ±(2^53−1) (canonicalize writes them as it reads them) and members set to `undefined`
 * (canonicalize leaves them out). The error says what but not where; the caller finds where
 * by walking again, only then.
 */
export function canonicalizeWithin(value: unknown, limits: ValueLimits, depth: number): string {
  return write(value, depth, limits);
}

/** Whether the walk is canonicalizeWithin's (strict input) rather than canonicalize's. */
const isStrict = (limits: ValueLimits) => limits !== UNBOUNDED;

function write(v: unknown, depth: number, limits: ValueLimits): string {
  switch (typeof v) {
    case 'string':
      if (overUtf8Bytes(v, limits.maxStringBytes)) throw new CanonicalizationError('string too long');
      return str(v);
    case 'number':
      // ECMAScript Number::toString is exactly the RFC 8785 §3.2.2.3 number form; String(-0) is
      // "0" as well. String() rather than JSON.stringify: the same text, a tenth of the cost.
      if (!Number.isFinite(v)) throw new CanonicalizationError(`number \`${v}\` has no JSON form`);
      if (isStrict(limits) && !Number.isSafeInteger(v) && Number.isInteger(v)) throw new CanonicalizationError(`integer \`${v}\` is outside ±(2^53−1)`);
      return String(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object': {
      if (v === null) return 'null';
      // `depth` containers hold v, so v is level depth + 1; only containers nest (or cycle).
      if (depth >= limits.maxDepth) throw new CanonicalizationError('value is nested too deeply (or cyclic)');
      if (Array.isArray(v)) {
        if (v.length > limits.maxArrayItems) throw new CanonicalizationError('array too long');
        let out = '[';
        for (let i = 0; i < v.length; i++) {
          if (v[i] === undefined) throw new CanonicalizationError(`array item ${i} is undefined`);
          out += (i === 0 ? '' : ',') + write(v[i], depth + 1, limits);
        }
        return out + ']';
      }
      const proto = Object.getPrototypeOf(v) as unknown;
      if (proto !== Object.prototype && proto !== null) {
        throw new CanonicalizationError('only plain objects have a JSON form');
      }
      return object(v as Record<string, unknown>, depth, limits);
    }
    default:
      throw new CanonicalizationError(`a ${typeof v} has no JSON form`);
  }
}

/** Keys in RFC 8785 §3.2.3 order: the default sort compares UTF-16 code units, as it asks. */
function sortedKeys(obj: object): string[] {
  const keys = Object.keys(obj);
  if (keys.length > 16) {
    // Objects built in canonical order (most of ours) skip the sort.
    for (let i = 1; i < keys.length; i++) if (keys[i - 1] > keys[i]) return keys.sort();
    return keys;
  }
  // A request's few keys: an insertion sort is ~4× cheaper than Array.prototype.sort here, and
  // does nothing for keys already in order. Keys are distinct, so `>` alone orders them.
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i];
    let j = i - 1;
    while (j >= 0 && keys[j] > k) {
      keys[j + 1] = keys[j];
      j--;
    }
    keys[j + 1] = k;
  }
  return keys;
}

/** An object's members as [key, canonical `"key":value` text], in canonical order. */
export type CanonicalMembers = [string, string][];

function members(obj: Record<string, unknown>, depth: number, omit?: readonly string[]): CanonicalMembers {
  const keys = sortedKeys(obj);
  const out: CanonicalMembers = [];
  for (const k of keys) {
    const m = obj[k];
    if (m !== undefined && (omit === undefined || !omit.includes(k))) out.push([k, memberTexts(k).plain + write(m, depth + 1, UNBOUNDED)]);
  }
  return out;
}

/** C(obj), written straight out: no member list to build and join (most objects are small). */
function object(obj: Record<string, unknown>, depth: number, limits: ValueLimits): string {
  const keys = sortedKeys(obj);
  let out = '{';
  let first = true;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    if (overUtf8Bytes(k, limits.maxStringBytes)) throw new CanonicalizationError('member name too long');
    const m = obj[k];
    if (m === undefined) {
      if (isStrict(limits)) throw new CanonicalizationError(`member \`${k}\` is undefined`);
      continue;
    }
    const name = memberTexts(k);
    if (typeof m === 'string') {
      // write()'s string case, with the value's opening quote in the member's text.
      if (overUtf8Bytes(m, limits.maxStringBytes)) throw new CanonicalizationError('string too long');
      out += (first ? name.quoted : name.nextQuoted) + canonicalStringBody(m) + '"';
    } else {
      out += (first ? name.plain : name.next) + write(m, depth + 1, limits);
    }
    first = false;
  }
  return out + '}';
}

/**
 * The canonical members of a plain object, so a caller that canonicalizes an object and then
 * the same object plus one member (a decision, then the decision with its receipt) does the
 * work once: `{` + their texts joined by `,` + `}` is `canonicalize(o)`. Members named in `omit`
 * are left out.
 */
export function canonicalMembers(obj: { [key: string]: Json | undefined }, omit?: readonly string[]): CanonicalMembers {
  return members(obj, 0, omit);
}

/** The canonical text of one string (RFC 8785 §3.2.2.2); lone surrogates are refused. */
export { str as canonicalString };

/**
 * Texts made from strings that come back check after check (member names; the rule ids and
 * clauses of decisions), remembered. Quoting is cheap but not free (a regular expression and a
 * concatenation): a request's member names were a quarter of its action_hash text's cost.
 * Short strings only, and at most ENTRIES of them (then it starts over), so unusual input
 * cannot grow one past a few MB (member names keep four texts each: about 4 MB at worst;
 * quoted strings about 1 MB). A string that cannot be quoted throws every time.
 */
class RememberedTexts<T> {
  static readonly ENTRIES = 4096;
  static readonly MAX_LENGTH = 256;
  private readonly texts = new Map<string, T>();

  constructor(private readonly make: (s: string) => T) {}

  get(s: string): T {
    let text = this.texts.get(s);
    if (text === undefined) {
      text = this.make(s);
      if (s.length <= RememberedTexts.MAX_LENGTH) {
        if (this.texts.size >= RememberedTexts.ENTRIES) this.texts.clear();
        this.texts.set(s, text);
      }
    }
    return text;
  }
}

const quoted = new RememberedTexts((s) => str(s));

/**
 * The texts before a member's value: `"name":` (plain), `,"name":` (next: after another
 * member), and both with the opening quote of a string value (`"name":"`).
 */
interface MemberTexts { plain: string; next: string; quoted: string; nextQuoted: string }
const memberTextCache = new RememberedTexts<MemberTexts>((k) => {
  const plain = str(k) + ':';
  return { plain, next: ',' + plain, quoted: plain + '"', nextQuoted: ',' + plain + '"' };
});

/** canonicalString(s), remembered: for strings that repeat (see RememberedTexts). */
export function canonicalStringCached(s: string): string {
  return quoted.get(s);
}

function memberTexts(k: string): MemberTexts {
  return memberTextCache.get(k);
}

// Characters that need escaping, or that may be half of a surrogate pair.
const NEEDS_CARE = /[\u0000-\u001f"\\\ud800-\udfff]/;

/**
 * What canonicalString(s) writes between its quotes: `s` itself when nothing needs escaping.
 * A writer with the quotes in its own literal text (`',"id":"' + body + '"'`) saves two
 * concatenations a string.
 */
export function canonicalStringBody(s: string): string {
  if (!NEEDS_CARE.test(s)) return s;
  return str(s).slice(1, -1);
}

function str(s: string): string {
  // Fast path: nothing to escape and no surrogate at all, so the text is the string itself.
  if (!NEEDS_CARE.test(s)) return '"' + s + '"';
  if (LONE_SURROGATE.test(s)) throw new CanonicalizationError('string contains a lone UTF-16 surrogate');
  // JSON.stringify escapes exactly as RFC 8785 §3.2.2.2 asks once lone surrogates are excluded.
  return JSON.stringify(s);
}

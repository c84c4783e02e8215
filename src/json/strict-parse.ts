// Strict JSON for request bodies (SPEC §2). Requests are hashed (SPEC §5), so any text two
// parsers could read differently is refused before anything is hashed: duplicate keys, integers
// beyond ±(2^53−1), lone UTF-16 surrogates. `JSON.parse` silently keeps the last duplicate and
// rounds big integers, hence this small recursive-descent parser with hard limits.

import type { Json } from '../ir/types.js';
import { overUtf8Bytes } from './utf8.js';

/** Why a body was refused, as a 400's `reason` says (`too_large` is a 413 instead). */
export const JSON_REASONS = [
  'syntax', 'duplicate_key', 'unsafe_integer', 'number_out_of_range', 'lone_surrogate',
  'too_deep', 'string_too_long', 'array_too_long',
] as const;
export type JsonInputReason = (typeof JSON_REASONS)[number] | 'too_large';

/** Why a body was refused; `message` follows the Cedar style (lowercase, input in backticks). */
export class JsonInputError extends Error {
  override readonly name = 'JsonInputError';
  constructor(readonly reason: JsonInputReason, message: string) {
    super(message);
  }
}

export interface JsonLimits {
  /** Whole body, UTF-8 bytes. */
  maxBytes: number;
  /** Nested objects/arrays; the top-level value is depth 1. */
  maxDepth: number;
  /** Any string or key, UTF-8 bytes. */
  maxStringBytes: number;
  maxArrayItems: number;
}

export const DEFAULT_JSON_LIMITS: Readonly<JsonLimits> = Object.freeze({
  maxBytes: 64 * 1024,
  maxDepth: 32,
  maxStringBytes: 8 * 1024,
  maxArrayItems: 1024,
});

/**
 * Limits jsonLimits returned, frozen: a server parses every body with the same ones, and
 * checking them again per body cost ~1 µs a check (Object.entries).
 */
const complete = new WeakSet<object>([DEFAULT_JSON_LIMITS]);

/**
 * The defaults with `given` over them; a limit given as `undefined` keeps its default (a
 * spread would put `undefined` there and switch the limit off).
 */
export function jsonLimits(given: Partial<JsonLimits> = {}): JsonLimits {
  if (complete.has(given)) return given as JsonLimits;
  const limits = { ...DEFAULT_JSON_LIMITS };
  for (const [name, value] of Object.entries(given) as Array<[keyof JsonLimits, unknown]>) {
    // A misspelt name would leave its limit at the default, and NaN would switch it off (every
    // comparison with NaN is false): both refused where they are set.
    if (!Object.hasOwn(DEFAULT_JSON_LIMITS, name)) {
      throw new RangeError(`unknown JSON limit \`${name}\`; the limits are ${Object.keys(DEFAULT_JSON_LIMITS).join(', ')}`);
    }
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`JSON limit \`${name}\` must be a whole number of at least 1, got ${typeof value === 'number' ? value : typeof value}`);
    }
    limits[name] = value;
  }
  complete.add(Object.freeze(limits));
  return limits;
}

/**
 * Parses `text` as one JSON value, refusing anything ambiguous.
 *
 * @example
 * parseStrictJson('{"a":1}')          // { a: 1 }
 * parseStrictJson('{"a":1,"a":2}')    // throws JsonInputError { reason: 'duplicate_key' }
 */
export function parseStrictJson(text: string, limits?: Partial<JsonLimits>): Json {
  const lim = jsonLimits(limits);
  if (overUtf8Bytes(text, lim.maxBytes)) {
    throw new JsonInputError('too_large', `body is larger than ${lim.maxBytes} bytes`);
  }
  return new Parser(text, lim).parseDocument();
}

/** In `u` mode a surrogate pair is one code point, so this matches only lone surrogates. */
export const LONE_SURROGATE = /[\ud800-\udfff]/u;

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

class Parser {
  private pos = 0;
  constructor(private readonly s: string, private readonly lim: JsonLimits) {}

  parseDocument(): Json {
    this.ws();
    const v = this.value(1);
    this.ws();
    if (this.pos < this.s.length) this.fail(`unexpected ${this.describe()} after the JSON value`);
    return v;
  }

  private fail(msg: string): never {
    throw new JsonInputError('syntax', `${msg} at offset ${this.pos}`);
  }

  private describe(): string {
    if (this.pos >= this.s.length) return 'end of input';
    return `\`${this.s[this.pos]}\``;
  }

  private ws(): void {
    const s = this.s;
    let p = this.pos;
    for (;;) {
      const c = s.charCodeAt(p);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) p++;
      else break;
    }
    this.pos = p;
  }

  private value(depth: number): Json {
    const c = this.s.charCodeAt(this.pos);
    if (c === 0x7b /* { */) return this.object(depth);
    if (c === 0x5b /* [ */) return this.array(depth);
    if (c === 0x22 /* " */) return this.string();
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    if (this.s.startsWith('true', this.pos)) { this.pos += 4; return true; }
    if (this.s.startsWith('false', this.pos)) { this.pos += 5; return false; }
    if (this.s.startsWith('null', this.pos)) { this.pos += 4; return null; }
    return this.fail(`unexpected ${this.describe()}`);
  }

  private enter(depth: number): void {
    if (depth > this.lim.maxDepth) {
      throw new JsonInputError('too_deep', `nesting is deeper than ${this.lim.maxDepth} at offset ${this.pos}`);
    }
  }

  private object(depth: number): Json {
    this.enter(depth);
    this.pos++;
    const out: { [key: string]: Json } = {};
    this.ws();
    if (this.s.charCodeAt(this.pos) === 0x7d) { this.pos++; return out; }
    for (;;) {
      if (this.s.charCodeAt(this.pos) !== 0x22) this.fail(`expected a string key, found ${this.describe()}`);
      const keyAt = this.pos;
      const key = this.string();
      // `in` also sees inherited names (`__proto__`, `toString`): those are never assigned,
      // since assignment could replace the prototype, run an inherited setter or fail on a
      // frozen Object.prototype.
      const inherited = key in out;
      if (inherited && Object.hasOwn(out, key)) {
        throw new JsonInputError('duplicate_key', `duplicate key \`${key}\` at offset ${keyAt}`);
      }
      this.ws();
      if (this.s.charCodeAt(this.pos) !== 0x3a) this.fail(`expected \`:\`, found ${this.describe()}`);
      this.pos++;
      this.ws();
      const value = this.value(depth + 1);
      // defineProperty keeps `__proto__` an own data key; it is slow, so only where needed.
      if (inherited) Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      else out[key] = value;
      this.ws();
      const c = this.s.charCodeAt(this.pos);
      if (c === 0x2c) { this.pos++; this.ws(); continue; }
      if (c === 0x7d) { this.pos++; return out; }
      this.fail(`expected \`,\` or \`}\`, found ${this.describe()}`);
    }
  }

  private array(depth: number): Json {
    this.enter(depth);
    this.pos++;
    const out: Json[] = [];
    this.ws();
    if (this.s.charCodeAt(this.pos) === 0x5d) { this.pos++; return out; }
    for (;;) {
      if (out.length >= this.lim.maxArrayItems) {
        throw new JsonInputError('array_too_long', `array has more than ${this.lim.maxArrayItems} items at offset ${this.pos}`);
      }
      out.push(this.value(depth + 1));
      this.ws();
      const c = this.s.charCodeAt(this.pos);
      if (c === 0x2c) { this.pos++; this.ws(); continue; }
      if (c === 0x5d) { this.pos++; return out; }
      this.fail(`expected \`,\` or \`]\`, found ${this.describe()}`);
    }
  }

  private number(): number {
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.s);
    if (m === null) this.fail('invalid number');
    const text = m[0];
    const v = Number(text);
    // An integer token (no fraction, no exponent) is what big-integer parsers read exactly and
    // doubles round; `1E30` is a float to every parser and passes here (RFC 8785 uses it). A
    // check request is held to more: validateRequest refuses any whole value beyond ±(2^53−1).
    if (!Number.isSafeInteger(v) && /^-?\d+$/.test(text)) {
      throw new JsonInputError('unsafe_integer', `number \`${text}\` is outside ±(2^53−1) at offset ${this.pos}`);
    }
    if (!Number.isFinite(v)) {
      throw new JsonInputError('number_out_of_range', `number \`${text}\` is beyond the range of a 64-bit float at offset ${this.pos}`);
    }
    // `1e-400` reads as 0 here and as a small number to a reader with exact decimals: two
    // parties would hash and compare different values, as past the top of the range.
    if (v === 0 && /[1-9]/.test(text.split(/[eE]/)[0])) {
      throw new JsonInputError('number_out_of_range', `number \`${text}\` is too small for a 64-bit float (it would read as 0) at offset ${this.pos}`);
    }
    this.pos += text.length;
    return v;
  }

  private string(): string {
    const s = this.s;
    const start = ++this.pos;
    let p = start;
    let out = '';
    let chunk = start;
    // Whether a surrogate may be in `out`; the exact (regex) check runs only then.
    let surrogate = false;
    for (;;) {
      if (p >= s.length) { this.pos = p; this.fail('unterminated string'); }
      const c = s.charCodeAt(p);
      if (c === 0x22) break;
      if (c < 0x20) { this.pos = p; this.fail('control character in string'); }
      if (c >= 0xd800 && c <= 0xdfff) surrogate = true;
      if (c === 0x5c) {
        out += s.slice(chunk, p);
        p++;
        const e = s[p];
        switch (e) {
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case '/': out += '/'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'n': out += '\n'; break;
          case 'r': out += '\r'; break;
          case 't': out += '\t'; break;
          case 'u': {
            const hex = s.slice(p + 1, p + 5);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) { this.pos = p; this.fail('invalid `\\u` escape'); }
            const unit = parseInt(hex, 16);
            if (unit >= 0xd800 && unit <= 0xdfff) surrogate = true;
            out += String.fromCharCode(unit);
            p += 4;
            break;
          }
          default: this.pos = p; this.fail(`invalid escape \`\\${e ?? ''}\``);
        }
        chunk = p + 1;
      }
      p++;
    }
    out += s.slice(chunk, p);
    this.pos = p + 1;
    // Lone surrogates are caught whether they came from `\uD800` escapes or raw in the text.
    if (surrogate && LONE_SURROGATE.test(out)) {
      throw new JsonInputError('lone_surrogate', `string at offset ${start - 1} contains a lone UTF-16 surrogate`);
    }
    if (overUtf8Bytes(out, this.lim.maxStringBytes)) {
      throw new JsonInputError('string_too_long', `string at offset ${start - 1} is longer than ${this.lim.maxStringBytes} bytes`);
    }
    return out;
  }
}

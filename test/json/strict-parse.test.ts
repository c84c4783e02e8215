import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DEFAULT_JSON_LIMITS, JsonInputError, jsonLimits, parseStrictJson, type JsonInputReason } from '../../src/json/strict-parse.js';
import { harness } from '../http/harness.js';

function reasonOf(text: string, limits?: Parameters<typeof parseStrictJson>[1]): JsonInputReason | 'ok' {
  try {
    parseStrictJson(text, limits);
    return 'ok';
  } catch (e) {
    if (e instanceof JsonInputError) return e.reason;
    throw e;
  }
}

function errorOf(text: string): JsonInputError {
  try {
    parseStrictJson(text);
  } catch (e) {
    if (e instanceof JsonInputError) return e;
  }
  throw new Error(`expected ${text} to be refused`);
}

describe('parseStrictJson', () => {
  it('parses what JSON.parse parses, to the same value', () => {
    const wide = { maxDepth: 1000, maxArrayItems: 1e6, maxBytes: 1e7, maxStringBytes: 1e7 };
    // JSON.stringify writes integers ≥ 1e21 with an exponent, which stays allowed
    const hasUnsafe = (v: unknown): boolean =>
      typeof v === 'number' ? Number.isInteger(v) && !Number.isSafeInteger(v) && Math.abs(v) < 1e21
        : typeof v === 'object' && v !== null && Object.values(v).some(hasUnsafe);
    fc.assert(fc.property(fc.jsonValue(), fc.boolean(), (v, pretty) => {
      const text = JSON.stringify(v, null, pretty ? 2 : undefined);
      const expected: unknown = JSON.parse(text);
      if (hasUnsafe(expected)) expect(reasonOf(text, wide)).toBe('unsafe_integer');
      else expect(parseStrictJson(text, wide)).toEqual(expected);
    }), { numRuns: 1000 });
  });

  it('keeps a limit given as undefined at its default (never switched off)', () => {
    expect(() => parseStrictJson(`"${'a'.repeat(8193)}"`, { maxStringBytes: undefined })).toThrow('longer than 8192 bytes');
  });

  it('refuses duplicate keys, naming the key', () => {
    const e = errorOf('{"a":1,"b":{"x":1,"x":2}}');
    expect(e.reason).toBe('duplicate_key');
    expect(e.message).toBe('duplicate key `x` at offset 18');
    // escapes that spell the same key are duplicates too
    expect(reasonOf('{"a":1,"\\u0061":2}')).toBe('duplicate_key');
    // names Object.prototype also has are own keys like any other: a second one is a duplicate
    expect(errorOf('{"__proto__":1,"__proto__":2}').message).toBe('duplicate key `__proto__` at offset 15');
    expect(reasonOf('{"toString":1,"toString":2}')).toBe('duplicate_key');
    expect(reasonOf('{"toString":1,"hasOwnProperty":2,"valueOf":{}}')).toBe('ok');
  });

  it('refuses integers beyond ±(2^53−1), keeps the boundary', () => {
    expect(parseStrictJson('9007199254740991')).toBe(9007199254740991);
    expect(parseStrictJson('-9007199254740991')).toBe(-9007199254740991);
    expect(reasonOf('9007199254740992')).toBe('unsafe_integer');
    expect(reasonOf('-9007199254740992')).toBe('unsafe_integer');
    expect(reasonOf('100000000000000000000')).toBe('unsafe_integer');
    expect(parseStrictJson('1e20')).toBe(1e20); // a float literal: every parser reads it alike
    expect(errorOf('-1e400').message).toBe('number `-1e400` is beyond the range of a 64-bit float at offset 0');
    expect(reasonOf('-1e400')).toBe('number_out_of_range');
    // Below the range too: `1e-400` would read as 0 here and as a small number elsewhere.
    expect(errorOf('[1e-400]').message).toBe('number `1e-400` is too small for a 64-bit float (it would read as 0) at offset 1');
    expect(reasonOf('-0.1e-330')).toBe('number_out_of_range');
    for (const zero of ['0', '-0', '0.0', '0e-400', '0.000e5']) expect(Object.is(Math.abs(parseStrictJson(zero) as number), 0), zero).toBe(true);
    expect(parseStrictJson('5e-324')).toBe(5e-324); // the smallest subnormal still reads
    expect(parseStrictJson('1.5')).toBe(1.5);
    expect(errorOf('[9007199254740993]').message).toBe('number `9007199254740993` is outside ±(2^53−1) at offset 1');
  });

  it('refuses lone surrogates, escaped or raw, in keys and values; keeps pairs', () => {
    expect(reasonOf('"\\ud800"')).toBe('lone_surrogate');
    expect(reasonOf('"\\udc00x"')).toBe('lone_surrogate');
    expect(reasonOf('{"\\ud83d":1}')).toBe('lone_surrogate');
    expect(reasonOf('"\ud800"')).toBe('lone_surrogate');
    expect(reasonOf('"\\ud83d\\ude00"')).toBe('ok');
    expect(parseStrictJson('"\\ud83d\\ude00"')).toBe('😀');
  });

  it('keeps __proto__ and constructor as own data keys', () => {
    const v = parseStrictJson('{"__proto__":{"polluted":true},"constructor":{"prototype":1}}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.prototype.hasOwnProperty.call(v, '__proto__')).toBe(true);
    expect(Object.keys(v)).toEqual(['__proto__', 'constructor']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.stringify(v)).toBe('{"__proto__":{"polluted":true},"constructor":{"prototype":1}}');
  });

  it('defines keys without calling setters inherited from Object.prototype', () => {
    let calls = 0;
    Object.defineProperty(Object.prototype, 'mgeProbe', { set() { calls++; }, get() { return 'inherited'; }, configurable: true });
    try {
      const v = parseStrictJson('{"mgeProbe":{"a":1}}') as Record<string, unknown>;
      expect(calls).toBe(0);
      expect(Object.getOwnPropertyDescriptor(v, 'mgeProbe')?.value).toEqual({ a: 1 });
      expect(reasonOf('{"mgeProbe":1,"mgeProbe":2}')).toBe('duplicate_key');
    } finally {
      delete (Object.prototype as Record<string, unknown>).mgeProbe;
    }
  });

  it('enforces the limits with their own reasons', () => {
    expect(reasonOf('['.repeat(32) + ']'.repeat(32))).toBe('ok');
    expect(reasonOf('['.repeat(33) + ']'.repeat(33))).toBe('too_deep');
    expect(reasonOf(JSON.stringify('x'.repeat(8192)))).toBe('ok');
    expect(reasonOf(JSON.stringify('x'.repeat(8193)))).toBe('string_too_long');
    expect(reasonOf(JSON.stringify('é'.repeat(4097)))).toBe('string_too_long'); // bytes, not code units
    expect(reasonOf(JSON.stringify(Array(1024).fill(0)))).toBe('ok');
    expect(reasonOf(JSON.stringify(Array(1025).fill(0)))).toBe('array_too_long');
    expect(reasonOf(' '.repeat(65535) + '1')).toBe('ok');
    expect(reasonOf(' '.repeat(65536) + '1')).toBe('too_large');
    expect(reasonOf('[1,2,3]', { maxArrayItems: 2 })).toBe('array_too_long');
    expect(errorOf('['.repeat(40)).message).toBe('nesting is deeper than 32 at offset 32');
  });

  it('refuses what RFC 8259 refuses', () => {
    for (const bad of ['', ' ', '{', '[1,]', '{"a":1,}', "{'a':1}", '01', '1.', '.5', '+1', '-', 'tru', 'nul',
      'NaN', 'Infinity', '"\\x"', '"a\nb"', '"\\u12"', '{"a" 1}', '[1 2]', '1 2', '{a:1}', '"abc']) {
      expect(reasonOf(bad), bad).toBe('syntax');
    }
    expect(errorOf('[1,]').message).toBe('unexpected `]` at offset 3');
    expect(errorOf('{"a":1} x').message).toBe('unexpected `x` after the JSON value at offset 8');
  });
});

describe('jsonLimits', () => {
  it('keeps defaults for undefined, and refuses a misspelt name or a limit that would not hold (NaN, 0, fractions)', () => {
    expect(jsonLimits({ maxDepth: 8, maxBytes: undefined })).toEqual({ ...DEFAULT_JSON_LIMITS, maxDepth: 8 });
    // Its own result comes back as it is (checked once, not per body), frozen so it stays checked.
    const made = jsonLimits({ maxDepth: 8 });
    expect(jsonLimits(made)).toBe(made);
    expect(Object.isFrozen(made)).toBe(true);
    expect(() => jsonLimits({ maxBodyBytes: 10 } as never)).toThrow('unknown JSON limit `maxBodyBytes`');
    for (const bad of [NaN, 0, -1, 1.5, Infinity, '10']) expect(() => jsonLimits({ maxBytes: bad as number }), String(bad)).toThrow('must be a whole number');
    // NaN would have switched the size limit off: every comparison with it is false.
    expect(() => parseStrictJson('[1]', { maxBytes: NaN })).toThrow(RangeError);
  });

  it('is what createApp applies: a bad limit stops it at construction', async () => {
    await expect(harness({ limits: { maxBytes: NaN } })).rejects.toThrow('JSON limit `maxBytes`');
    await expect(harness({ limits: { maxBodyBytes: 1 } as never })).rejects.toThrow('unknown JSON limit');
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Json } from '../../src/ir/types.js';
import { CanonicalizationError, canonicalBytes, canonicalMembers, canonicalString, canonicalStringCached, canonicalize } from '../../src/receipt/jcs.js';
import { parseStrictJson } from '../../src/json/strict-parse.js';

const dir = new URL('../vectors/jcs/', import.meta.url);
const CASES = ['arrays', 'french', 'structures', 'unicode', 'values', 'weird'];

describe('canonicalize: RFC 8785 vectors', () => {
  for (const name of CASES) {
    it(name, () => {
      const input = readFileSync(new URL(`input/${name}.json`, dir), 'utf8');
      const expected = readFileSync(new URL(`output/${name}.json`, dir));
      const hex = readFileSync(new URL(`outhex/${name}.txt`, dir), 'utf8').replace(/\s+/g, '');
      const got = canonicalBytes(parseStrictJson(input));
      expect(Buffer.from(got).equals(expected)).toBe(true);
      expect(Buffer.from(got).toString('hex')).toBe(hex);
      // the canonical form is a fixed point
      expect(canonicalize(parseStrictJson(expected.toString('utf8')))).toBe(expected.toString('utf8'));
    });
  }
});

function shuffleKeys(v: Json, rnd: () => number): Json {
  if (Array.isArray(v)) return v.map((x) => shuffleKeys(x, rnd));
  if (v === null || typeof v !== 'object') return v;
  const entries = Object.entries(v);
  for (let i = entries.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [entries[i], entries[j]] = [entries[j], entries[i]];
  }
  const out: { [k: string]: Json } = {};
  for (const [k, x] of entries) Object.defineProperty(out, k, { value: shuffleKeys(x, rnd), enumerable: true, writable: true, configurable: true });
  return out;
}

describe('canonicalize: properties', () => {
  it('is stable under key reordering and whitespace', () => {
    fc.assert(fc.property(fc.jsonValue(), fc.integer(), fc.constantFrom(0, 1, 2, '\t', ' \n '), (v, seed, indent) => {
      const value = JSON.parse(JSON.stringify(v)) as Json; // drop -0 quirks of the generator
      let s = seed;
      const rnd = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x80000000);
      const reordered = shuffleKeys(value, rnd);
      const text = JSON.stringify(reordered, null, indent);
      expect(canonicalize(JSON.parse(text) as Json)).toBe(canonicalize(value));
      // and canonical text parses back to an equal value
      expect(JSON.parse(canonicalize(value))).toEqual(value);
    }), { numRuns: 1000 });
  });

  it('sorts by UTF-16 code units, not code points', () => {
    // U+FB01 (one unit 0xFB01) sorts after U+1F600 (units 0xD83D 0xDE00) in UTF-16 order
    expect(canonicalize({ '\ufb01': 1, '😀': 2 })).toBe('{"😀":2,"ﬁ":1}');
  });

  it('writes numbers as ECMAScript does', () => {
    expect(canonicalize([-0, 1e21, 1e-7, 333333333.33333329, 4.5, 0.002, 1e30])).toBe('[0,1e+21,1e-7,333333333.3333333,4.5,0.002,1e+30]');
  });

  it('refuses values without a canonical form', () => {
    const bad: unknown[] = [NaN, Infinity, '\ud800', { '\udc00': 1 }, [undefined], new Date(0), 1n, () => 1];
    for (const b of bad) expect(() => canonicalize(b as Json)).toThrow(CanonicalizationError);
    const cyclic: { [k: string]: Json } = {};
    cyclic.self = cyclic;
    expect(() => canonicalize(cyclic)).toThrow('value is nested too deeply (or cyclic)');
  });

  it('leaves out undefined members, keeps __proto__ as data', () => {
    expect(canonicalize({ b: 1, a: undefined } as unknown as Json)).toBe('{"b":1}');
    expect(canonicalize(parseStrictJson('{"__proto__":{"x":1},"a":2}'))).toBe('{"__proto__":{"x":1},"a":2}');
  });
});

describe('remembered quoting (member names, canonicalStringCached)', () => {
  it('gives the same text the first time and every later time, past the cache bound', () => {
    const strings = Array.from({ length: 5000 }, (_, i) => `k${i}"\u0001${'x'.repeat(i % 300)}`);
    for (let round = 0; round < 2; round++) {
      for (const s of strings) {
        expect(canonicalStringCached(s)).toBe(JSON.stringify(s));
        expect(canonicalize({ [s]: 1 })).toBe(`{${JSON.stringify(s)}:1}`);
      }
    }
    expect(canonicalStringCached('plain')).toBe(canonicalString('plain'));
  });

  it('refuses a lone surrogate every time: a refusal is not remembered', () => {
    for (let i = 0; i < 3; i++) {
      expect(() => canonicalStringCached('a\ud800')).toThrow(CanonicalizationError);
      expect(() => canonicalize({ 'b\udc00': 1 })).toThrow(CanonicalizationError);
    }
  });
});

describe('canonicalMembers', () => {
  it('joined in braces equal canonicalize, in canonical order, without the omitted members', () => {
    fc.assert(fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.array(fc.string(), { maxLength: 3 }), (obj, omitted) => {
      const o = JSON.parse(JSON.stringify(obj)) as { [k: string]: Json };
      const ms = canonicalMembers(o);
      expect('{' + ms.map(([, text]) => text).join(',') + '}').toBe(canonicalize(o));
      const kept = Object.fromEntries(Object.entries(o).filter(([k]) => !omitted.includes(k)));
      expect('{' + canonicalMembers(o, omitted).map(([, text]) => text).join(',') + '}').toBe(canonicalize(kept));
    }), { numRuns: 1000 });
  });
});

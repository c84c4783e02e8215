import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { child, jsonEqual } from '../../src/builtins/json-values.js';
import { canonicalize } from '../../src/receipt/jcs.js';
import type { Json } from '../../src/ir/types.js';

// Small alphabets so that generated pairs are often equal or nearly so.
const leaf = fc.oneof(fc.constant(null), fc.boolean(), fc.constantFrom(0, -0, 1, 2.5), fc.constantFrom('', 'a', 'b'));
const json: fc.Arbitrary<Json> = fc.letrec<{ v: Json }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    leaf,
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('a', 'b', '__proto__'), tie('v'), { maxKeys: 3 }),
  ),
})).v;

describe('jsonEqual', () => {
  it('is equality of canonical JSON (RFC 8785), so key order and -0 do not matter', () => {
    fc.assert(fc.property(json, json, (a, b) => {
      expect(jsonEqual(a, b)).toBe(canonicalize(a) === canonicalize(b));
    }), { numRuns: 3000 });
  });

  it('is reflexive on a structural copy', () => {
    fc.assert(fc.property(json, (a) => {
      expect(jsonEqual(a, JSON.parse(JSON.stringify(a)) as Json)).toBe(true);
    }), { numRuns: 1000 });
  });

  it('treats a `__proto__` own key as data', () => {
    const a = JSON.parse('{"__proto__": 1}') as Json;
    const b = JSON.parse('{"__proto__": 2}') as Json;
    expect(jsonEqual(a, b)).toBe(false);
    expect(jsonEqual(a, {})).toBe(false);
    expect(jsonEqual({}, a)).toBe(false);
  });
});

describe('child', () => {
  it('reads own keys and in-range indexes only', () => {
    const o = JSON.parse('{"__proto__": {"x": 1}, "a": [5]}') as Json;
    expect(child(o, '__proto__')).toEqual({ x: 1 });
    expect(child(o, 'toString')).toBe(null);
    expect(child(child(o, 'a'), 0)).toBe(5);
    expect(child(child(o, 'a'), 1)).toBe(null);
    expect(child(child(o, 'a'), 'length')).toBe(null);
    expect(child('abc', 0)).toBe(null);
    expect(child(null, 'a')).toBe(null);
  });
});

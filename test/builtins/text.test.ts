import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { codePointLength, codePoints, compareCodePoints } from '../../src/builtins/text.js';

function compareUtf8(a: string, b: string): -1 | 0 | 1 {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
  return x.length === y.length ? 0 : x.length < y.length ? -1 : 1;
}

describe('code-point helpers', () => {
  it('counts code points, not UTF-16 units', () => {
    expect(codePointLength('')).toBe(0);
    expect(codePointLength('abc')).toBe(3);
    expect(codePointLength('😀a')).toBe(2);
    expect(codePointLength('e\u0301')).toBe(2); // e + combining accent: two code points
    expect(codePointLength('\ud800x')).toBe(2);
    expect(codePoints('a😀')).toEqual([0x61, 0x1f600]);
  });

  it('orders astral characters above U+FFFF, unlike JavaScript `<`', () => {
    expect('😀' < '\uffff').toBe(true); // the UTF-16 order we must not use
    expect(compareCodePoints('😀', '\uffff')).toBe(1);
    expect(compareCodePoints('a', 'b')).toBe(-1);
    expect(compareCodePoints('ab', 'a')).toBe(1);
    expect(compareCodePoints('a', 'ab')).toBe(-1);
    expect(compareCodePoints('x😀', 'x😀')).toBe(0);
  });

  it('agrees with comparing UTF-8 bytes', () => {
    const str = fc.string({ unit: 'binary', maxLength: 6 });
    const near = fc.array(fc.constantFrom('a', '\uffff', '😀', '\ue000', '\u07ff', '\u0800', '𐀀'), { maxLength: 4 }).map((a) => a.join(''));
    for (const arb of [str, near]) {
      fc.assert(fc.property(arb, arb, (a, b) => {
        expect(compareCodePoints(a, b)).toBe(compareUtf8(a, b));
      }), { numRuns: 2000 });
    }
  });

  it('agrees with the number of code points TextEncoder sees', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 10 }), (s) => {
      expect(codePointLength(s)).toBe(Array.from(s).length);
    }), { numRuns: 1000 });
  });
});

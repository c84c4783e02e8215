import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CASE_UNICODE_VERSION, lowerCase, upperCase } from '../../src/builtins/case-map.js';

describe('lowerCase / upperCase: MGE\'s own Unicode tables', () => {
  it('maps the pairs Unicode 17 added, which a runtime a version behind leaves alone', () => {
    expect(CASE_UNICODE_VERSION).toBe('17.0');
    expect(lowerCase('\uA7CE')).toBe('\uA7CF');
    expect(upperCase('\uA7CF')).toBe('\uA7CE');
    expect(lowerCase('Bob\uA7CE')).toBe(lowerCase('bob\uA7CF'));
    expect(lowerCase('\u{16EA0}')).toBe('\u{16EBB}'); // Beria Erfe, outside the BMP
    expect(upperCase('\u{16ED3}')).toBe('\u{16EB8}');
  });

  it('maps one code point to several where SpecialCasing says so', () => {
    expect(upperCase('straße')).toBe('STRASSE');
    expect(upperCase('ŉ')).toBe('ʼN');
    expect(upperCase('ﬁ')).toBe('FI');
    expect(upperCase('\u0390')).toBe('\u0399\u0308\u0301');
    expect(lowerCase('\u0130')).toBe('i\u0307');
  });

  it('lower-cases a capital sigma as final only after a cased letter and before none, skipping case-ignorables', () => {
    expect(lowerCase('Σ')).toBe('σ');
    expect(lowerCase('ΟΔΟΣ')).toBe('οδος');
    expect(lowerCase('ΟΔΟΣ ΟΔΟΣ')).toBe('οδος οδος');
    expect(lowerCase('ΣΑ')).toBe('σα');
    expect(lowerCase('ΑΣΑ')).toBe('ασα');
    expect(lowerCase("ΑΣ'")).toBe("ας'"); // an apostrophe is case-ignorable
    expect(lowerCase("ΑΣ'Α")).toBe("ασ'α");
    expect(lowerCase("Α'Σ")).toBe("α'ς");
    expect(lowerCase('AΣʰ')).toBe('aςʰ'); // ʰ is cased and case-ignorable: skipped, as ICU does
    expect(lowerCase('ʰΣ')).toBe('ʰσ');
    expect(lowerCase('\u{10400}Σ')).toBe('\u{10428}ς'); // a cased letter before it outside the BMP
    expect(lowerCase('1Σ')).toBe('1σ');
  });

  it('leaves what has no mapping, lone surrogates included', () => {
    expect(lowerCase('ab1 \u{1F600}')).toBe('ab1 \u{1F600}');
    expect(upperCase('\uD800x')).toBe('\uD800X');
    expect(lowerCase('')).toBe('');
  });
});

// The tables were read from this Node's ICU: on a Node of the same Unicode version they must
// agree with its String#toLowerCase/toUpperCase everywhere (so they were read right, and
// Final_Sigma is tested as ICU tests it). On another version the two differ by design.
describe.runIf(process.versions.unicode === CASE_UNICODE_VERSION)(`against Node's own case mapping (Unicode ${CASE_UNICODE_VERSION})`, () => {
  it('agrees on every code point alone', () => {
    const differ: string[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      const s = String.fromCodePoint(cp);
      if (lowerCase(s) !== s.toLowerCase() || upperCase(s) !== s.toUpperCase()) differ.push(cp.toString(16));
    }
    expect(differ).toEqual([]);
  });

  it('agrees on strings around sigmas, cased letters and case-ignorables', () => {
    const pieces = ['Σ', 'σ', 'ς', 'A', 'a', 'ʰ', '\u0345', "'", '.', ' ', '1', '\u{10400}', '\u{1D165}', 'É', 'ß', 'İ', '\u00ad', '\u200b', '\uA7CE', '\u{16EA0}', 'ǅ', 'Ω'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 10 }), (parts) => {
        const s = parts.join('');
        expect(lowerCase(s)).toBe(s.toLowerCase());
        expect(upperCase(s)).toBe(s.toUpperCase());
      }),
      { numRuns: 20_000 },
    );
  });
});

import { describe, expect, it } from 'vitest';
import { didYouMean, editDistance } from '../../src/diagnostics/did-you-mean.js';

describe('editDistance', () => {
  it('counts insertions, deletions, substitutions and adjacent transpositions', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('abc', '')).toBe(3);
    expect(editDistance('actoin', 'action')).toBe(1);
    expect(editDistance('Category', 'category')).toBe(0);
  });
});

describe('didYouMean', () => {
  const fields = ['rule_id', 'name', 'description', 'category', 'effect', 'severity', 'enabled'];
  it('suggests the closest candidate within a third of the word', () => {
    expect(didYouMean('catgory', fields)).toBe('category');
    expect(didYouMean('sevrity', fields)).toBe('severity');
    expect(didYouMean('effetc', fields)).toBe('effect');
    expect(didYouMean('startswith', ['startsWith', 'endsWith'])).toBe('startsWith');
  });
  it('stays quiet when nothing is close, and never suggests the word itself', () => {
    expect(didYouMean('zzz', fields)).toBeUndefined();
    expect(didYouMean('name', fields)).toBeUndefined();
    expect(didYouMean('x', ['y'])).toBe('y');
    expect(didYouMean('ab', ['xy'])).toBeUndefined();
  });
  it('prefers the earliest candidate on a tie', () => {
    expect(didYouMean('ab', ['ac', 'ad'])).toBe('ac');
  });
});

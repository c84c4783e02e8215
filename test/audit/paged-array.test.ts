import { describe, expect, it } from 'vitest';
import { PagedArray } from '../../src/audit/paged-array.js';

describe('PagedArray', () => {
  it('keeps every slot across the first page doubling and later pages', () => {
    const a = new PagedArray((n) => new Float64Array(n), 3, 256);
    const n = 1000;
    for (let i = 0; i < n; i++) {
      a.grow(i);
      a.page(i).set([i, i + 0.5, -i], a.offset(i));
    }
    for (let i = 0; i < n; i++) {
      const at = a.offset(i);
      expect(Array.from(a.page(i).subarray(at, at + 3)), `slot ${i}`).toEqual([i, i + 0.5, -i]);
    }
    // full pages hold pageSlots slots; the first page is one of them once grown
    expect(a.page(0).length).toBe(3 * 256);
    expect(a.page(999)).toBe(a.page(768));
  });

  it('works with pages smaller than the usual first page', () => {
    const a = new PagedArray((n) => new Uint32Array(n), 1, 16);
    for (let i = 0; i < 40; i++) {
      a.grow(i);
      a.page(i)[a.offset(i)] = i * 7;
    }
    for (let i = 0; i < 40; i++) expect(a.page(i)[a.offset(i)]).toBe(i * 7);
  });
});

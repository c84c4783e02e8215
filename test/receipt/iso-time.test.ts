import { describe, expect, it } from 'vitest';
import { IsoTimeCache } from '../../src/receipt/iso-time.js';

describe('IsoTimeCache', () => {
  it('formats like toISOString, for repeated and changing instants', () => {
    const c = new IsoTimeCache();
    for (const ms of [0, 0, 1, 1764000000123, 1764000000123, 1764000000124, -1, 8.64e15]) {
      expect(c.format(ms)).toBe(new Date(ms).toISOString());
    }
  });

  it('throws as toISOString does for an instant out of range, and recovers', () => {
    const c = new IsoTimeCache();
    expect(() => c.format(8.64e15 + 1)).toThrow(RangeError);
    expect(() => c.format(NaN)).toThrow(RangeError);
    expect(c.format(5)).toBe('1970-01-01T00:00:00.005Z');
  });
});

import { describe, expect, it } from 'vitest';
import { isoTime } from '../../src/engine/timestamp.js';

describe('isoTime', () => {
  it('is toISOString of the millisecond, whatever was asked before', () => {
    for (const ms of [0, 0, 1, 1_764_000_000_123, 1, 1_764_000_000_123]) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
  });

  it('throws like Date for an invalid time, and answers right after', () => {
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
    expect(isoTime(5)).toBe('1970-01-01T00:00:00.005Z');
  });
});

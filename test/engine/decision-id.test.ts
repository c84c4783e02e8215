import { describe, expect, it, vi } from 'vitest';
import { newDecisionId } from '../../src/engine/decision-id.js';

// Every random draw is all ones, so the counter starts at its highest allowed value.
vi.mock('../../src/receipt/random-pool.js', () => ({ randomUint32: () => 0xffffffff, randomBytes: (n: number) => new Uint8Array(n).fill(0xff) }));

describe('newDecisionId counter', () => {
  it('counts on across the counter halves within a millisecond, and when the clock steps back', () => {
    expect(newDecisionId(5000)).toBe('dec-000000001388' + '7fffffffffffffff');
    expect(newDecisionId(5000)).toBe('dec-000000001388' + '8000000000000000');
    expect(newDecisionId(4999)).toBe('dec-000000001388' + '8000000000000001');
  });
});

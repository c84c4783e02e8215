import { describe, expect, it, vi } from 'vitest';
import { continueAfter, newDecisionId } from '../../src/engine/decision-id.js';

// Every random draw is all ones, so the counter starts at its highest allowed value.
vi.mock('../../src/receipt/random-pool.js', () => ({ randomUint32: () => 0xffffffff, randomBytes: (n: number) => new Uint8Array(n).fill(0xff) }));

describe('newDecisionId counter', () => {
  it('counts on across the counter halves within a millisecond, and when the clock steps back', () => {
    expect(newDecisionId(5000)).toBe('dec-000000001388' + '7fffffffffffffff');
    expect(newDecisionId(5000)).toBe('dec-000000001388' + '8000000000000000');
    expect(newDecisionId(4999)).toBe('dec-000000001388' + '8000000000000001');
  });

  it('continues above an id a log holds, with the clock behind it, and ignores lower or foreign ids', () => {
    const logged = 'dec-0000000f0000' + '00000abc' + '00000010';
    continueAfter(logged);
    expect(newDecisionId(6000)).toBe('dec-0000000f0000' + '00000abc' + '00000011');
    continueAfter('dec-000000001388' + 'ffffffff' + 'ffffffff'); // below the last one made
    continueAfter('dec-0000000F0001' + '00000000' + '00000000'); // not the engine's form (uppercase)
    continueAfter('rule-change');
    expect(newDecisionId(6001)).toBe('dec-0000000f0000' + '00000abc' + '00000012');
    expect(newDecisionId(0x0f0001)).toBe('dec-0000000f0001' + '7fffffff' + 'ffffffff'); // the clock passed it
  });

  // A review (11-29): a fractional clock gave `dec-19ace6f6c00.8178…`, out of time order.
  it('takes whole milliseconds of a fractional clock', () => {
    expect(newDecisionId(2 ** 32 + 0.75)).toBe('dec-000100000000' + '7fffffffffffffff');
    expect(newDecisionId(2 ** 32 + 0.9)).toBe('dec-000100000000' + '8000000000000000');
    expect(newDecisionId(2 ** 32 + 1.2)).toMatch(/^dec-000100000001[0-9a-f]{16}$/);
  });
});

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DecisionIndex } from '../../src/audit/decision-index.js';
import { newDecisionId } from '../../src/engine/decision-id.js';

const hex = (n: number, digits: number) => n.toString(16).padStart(digits, '0');

describe('DecisionIndex', () => {
  it('finds every engine-made id across pages, and nothing else', () => {
    const index = new DecisionIndex();
    const ids: string[] = [];
    let ms = 1_764_000_000_000;
    for (let i = 0; i < 10_000; i++) {
      if (i % 7 === 0) ms++;
      ids.push(newDecisionId(ms));
    }
    ids.forEach((id, i) => index.set(id, i));
    expect(index.size).toBe(ids.length);
    ids.forEach((id, i) => expect(index.get(id)).toBe(i));
    // the same digits in another case, one digit off, or beside the prefix are other ids
    expect(index.get(ids[5].toUpperCase())).toBeUndefined();
    expect(index.has('dec-' + 'f'.repeat(28))).toBe(false);
    expect(index.has('dex-' + ids[0].slice(4))).toBe(false);
  });

  it('agrees with a Map for any mix of ids, orders and updates', () => {
    const engineId = fc.tuple(fc.integer({ min: 0, max: 2 ** 40 }), fc.nat(), fc.nat()).map(([ms, hi, lo]) => `dec-${hex(ms, 12)}${hex(hi, 8)}${hex(lo, 8)}`);
    const id = fc.oneof(engineId, fc.string(), fc.constantFrom('dec-', 'dec-' + '0'.repeat(28), 'dec-' + 'A'.repeat(28), 'dec-' + '0'.repeat(27) + 'g'));
    fc.assert(fc.property(fc.array(fc.tuple(id, fc.nat({ max: 2 ** 33 })), { maxLength: 300 }), fc.array(id, { maxLength: 20 }), (sets, probes) => {
      const index = new DecisionIndex();
      const map = new Map<string, number>();
      for (const [k, v] of sets) {
        index.set(k, v);
        map.set(k, v);
      }
      expect(index.size).toBe(map.size);
      for (const [k] of sets) expect(index.get(k)).toBe(map.get(k));
      for (const k of probes) expect(index.get(k)).toBe(map.get(k));
    }), { numRuns: 1000 });
  });

  it('a malformed id looked up between two calls for a good one does not corrupt its lookup', () => {
    const index = new DecisionIndex();
    const good = 'dec-' + '0'.repeat(20) + '10000000';
    index.set(good, 0);
    expect(index.get('dec-' + '0'.repeat(27) + 'g')).toBeUndefined();
    expect(index.get(good)).toBe(0);
  });

  it('keeps ids that arrive below the last one (a clock set back) findable', () => {
    const index = new DecisionIndex();
    index.set('dec-' + '2'.repeat(28), 0);
    index.set('dec-' + '1'.repeat(28), 1);
    index.set('dec-' + '3'.repeat(28), 2);
    expect(index.get('dec-' + '1'.repeat(28))).toBe(1);
    expect(index.get('dec-' + '2'.repeat(28))).toBe(0);
    expect(index.get('dec-' + '3'.repeat(28))).toBe(2);
    index.set('dec-' + '1'.repeat(28), 7);
    expect(index.get('dec-' + '1'.repeat(28))).toBe(7);
    expect(index.size).toBe(3);
  });
});

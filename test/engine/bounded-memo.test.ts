// The per-action-type memos (rule index candidates, extraction plans) are bounded by count and
// by the elements their arrays hold (src/engine/bounded-memo.ts): a review (11-27) filled 4 096
// entries of 10 000-rule candidate lists (~660 MB for one policy) by sending new action types.

import { describe, expect, it } from 'vitest';
import { BoundedMemo, MEMO_LIMIT, MEMO_UNITS } from '../../src/engine/bounded-memo.js';
import { RuleIndex } from '../../src/engine/rule-index.js';
import type { Rule } from '../../src/ir/types.js';

describe('BoundedMemo', () => {
  it('starts again empty past its count or its elements', () => {
    const byCount = new BoundedMemo<number>();
    for (let i = 0; i < MEMO_LIMIT; i++) byCount.set(`t${i}`, i, 1);
    expect(byCount.get('t0')).toBe(0);
    byCount.set('one more', 1, 1);
    expect(byCount.get('t0')).toBeUndefined();
    expect(byCount.get('one more')).toBe(1);

    const byUnits = new BoundedMemo<string>();
    const big = MEMO_UNITS / 4 - 2; // and two for each key's characters
    for (let i = 0; i < 4; i++) byUnits.set(`t${i}`, 'x', big);
    expect(byUnits.get('t0')).toBe('x');
    byUnits.set('t4', 'y', 1); // 4 Mi + 1 elements: over
    expect(byUnits.get('t0')).toBeUndefined();
    expect(byUnits.get('t4')).toBe('y');
  });

  it("keeps a large rule set's candidate lists within the element budget", () => {
    const rules = Array.from({ length: 10_000 }, (_, i) => ({ rule_id: `r${i}`, enabled: true }) as unknown as Rule);
    const index = new RuleIndex(rules);
    // Every type's list holds all 10 000 unscoped rules: at most MEMO_UNITS / 10 000 of them stay.
    for (let i = 0; i < 1000; i++) expect(index.candidates(`t${i}`)).toHaveLength(10_000);
    const memo = (index as unknown as { memo: { units: number } }).memo;
    expect(memo.units).toBeLessThanOrEqual(MEMO_UNITS);
  });
});

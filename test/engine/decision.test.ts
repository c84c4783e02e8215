import { describe, expect, it } from 'vitest';
import { compareViolations, decide, internalFailure } from '../../src/engine/decision.js';
import { newDecisionId } from '../../src/engine/decision-id.js';
import type { Rule } from '../../src/ir/types.js';

function rule(rule_id: string, effect: 'deny' | 'warn' = 'deny'): Rule {
  const span = { file: 'x.yaml', line: 1, col: 1 };
  return {
    rule_id, name: rule_id, description: '', category: 'general', effect, severity: 'high', enabled: true,
    conditions: [], prohibited: [], required: [], advisory: [], source: { file: 'x.yaml', span },
  };
}

const rules = new Map([rule('b'), rule('a'), rule('w', 'warn')].map((r) => [r.rule_id, r]));

describe('decide (SPEC §4)', () => {
  it('approves when no deny clause is violated, warnings notwithstanding', () => {
    const v = decide(['w', 'a'], [{ rule_id: 'w', clause: 'prohibited[0]', code: 'prohibited', message: 'careful' }], rules);
    expect(v.approved).toBe(true);
    expect(v.reasoning).toBe('All rules passed');
    expect(v.rule_ids).toEqual(['a', 'w']);
    expect(v.violations).toEqual([]);
    expect(v.warnings).toEqual([
      { rule_id: 'w', clause: 'prohibited[0]', code: 'prohibited', message: 'careful', effect: 'warn', severity: 'high' },
    ]);
  });

  it('denies on any deny violation, ordered by rule_id then clause kind then numeric index', () => {
    const v = decide(['b', 'a'], [
      { rule_id: 'b', clause: 'required[0]', code: 'required', message: 'm1' },
      { rule_id: 'a', clause: 'conditions[10]', code: 'expression', message: 'm2' },
      { rule_id: 'a', clause: 'prohibited[0]', code: 'prohibited', message: 'm3' },
      { rule_id: 'a', clause: 'conditions[2]', code: 'expression', message: 'm4' },
      { rule_id: 'a', clause: 'applies_to.when', code: 'eval_error', message: 'm5' },
    ], rules);
    expect(v.approved).toBe(false);
    expect(v.violations.map((x) => `${x.rule_id}:${x.clause}`)).toEqual([
      'a:applies_to.when', 'a:conditions[2]', 'a:conditions[10]', 'a:prohibited[0]', 'b:required[0]',
    ]);
    expect(v.reasoning).toBe('Denied by a: m5 (and 4 more violations)');
  });

  it('words a single violation without a tail', () => {
    const v = decide(['a'], [{ rule_id: 'a', clause: 'prohibited[0]', code: 'prohibited', message: 'no' }], rules);
    expect(v.reasoning).toBe('Denied by a: no');
    const two = decide(['a'], [
      { rule_id: 'a', clause: 'prohibited[0]', code: 'prohibited', message: 'no' },
      { rule_id: 'a', clause: 'prohibited[1]', code: 'prohibited', message: 'never' },
    ], rules);
    expect(two.reasoning).toBe('Denied by a: no (and 1 more violation)');
  });

  it('charges an outcome naming an unknown rule as a critical deny (fail closed)', () => {
    const v = decide([], [{ rule_id: 'ghost', clause: 'prohibited[0]', code: 'prohibited', message: 'x' }], rules);
    expect(v.approved).toBe(false);
    expect(v.violations[0]).toMatchObject({ effect: 'deny', severity: 'critical' });
  });

  it('internal failures deny', () => {
    const v = internalFailure('vm trapped');
    expect(v.approved).toBe(false);
    expect(v.violations[0]).toMatchObject({ rule_id: 'mge.engine', code: 'internal_error' });
    expect(v.reasoning).toBe('Denied by mge.engine: internal error, denied (fail closed): vm trapped');
  });

  it('compareViolations is numeric on indices', () => {
    const xs = ['conditions[10]', 'conditions[9]', 'prohibited[1]', 'conditions[1]'].map((clause) => ({ rule_id: 'a', clause }));
    expect(xs.sort(compareViolations).map((x) => x.clause)).toEqual(['conditions[1]', 'conditions[9]', 'conditions[10]', 'prohibited[1]']);
  });
});

describe('newDecisionId', () => {
  it('is dec- plus 28 hex digits, unique and sorted by time', () => {
    const ids = [newDecisionId(1000), newDecisionId(1000), newDecisionId(1000), newDecisionId(2000), newDecisionId(1500)];
    for (const id of ids) expect(id).toMatch(/^dec-[0-9a-f]{28}$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });
});

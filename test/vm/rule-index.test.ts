// The action-type index prunes candidates (exact types, literal prefixes of globs, unscoped
// rules) without ever dropping a rule that could apply.

import { describe, expect, it } from 'vitest';
import { compileBundle } from '../../src/compile/bundle.js';
import { RuleIndex } from '../../src/engine/rule-index.js';
import { createBundleEvaluator } from '../../src/engine/vm-evaluator.js';
import type { Rule } from '../../src/ir/types.js';
import { ENV, SPAN, rule, src } from '../oracle/helpers.js';

const when = [{ message: 'm', when: src('true'), span: SPAN }];
const scoped = (id: string, actions?: string[], extra: Partial<Rule> = {}): Rule =>
  rule({ rule_id: id, prohibited: when, ...(actions ? { applies_to: { actions } } : {}), ...extra });

describe('RuleIndex', () => {
  const rules = [
    scoped('a-exact', ['db.write']),
    scoped('b-glob', ['db.*']),
    scoped('c-unscoped'),
    scoped('d-always', ['nothing'], { alwaysApply: true }),
    scoped('e-disabled', undefined, { enabled: false }),
    scoped('f-star', ['*.read', 'x?']),
    scoped('g-when', undefined, { applies_to: { when: src('true') } }),
  ];
  const index = new RuleIndex(rules);
  const ids = (t: string): string[] => [...index.candidates(t)].map((i) => rules[i].rule_id);

  it('lists exact, matching-prefix, unscoped and alwaysApply rules, never disabled ones', () => {
    expect(ids('db.write')).toEqual(['a-exact', 'b-glob', 'c-unscoped', 'd-always', 'f-star', 'g-when']);
    expect(ids('api.call')).toEqual(['c-unscoped', 'd-always', 'f-star', 'g-when']);
  });

  it('returns the same (memoized) array for the same type', () => {
    expect(index.candidates('db.read')).toBe(index.candidates('db.read'));
  });
});

describe('10 000 rules, one applying', () => {
  it('touches only the candidates of the action type', async () => {
    const many: Rule[] = [];
    for (let i = 0; i < 10_000; i++) many.push(scoped(`r${String(i).padStart(5, '0')}`, [`svc${i}.write`]));
    const bundle = compileBundle(many);
    expect(new RuleIndex(bundle.rules).candidates('svc4242.write').length).toBe(1);
    const ev = await createBundleEvaluator(bundle);
    expect(ev.evaluate({ action: { type: 'svc4242.write' }, context: {} }, ENV)).toEqual({
      applicable: ['r04242'],
      violated: [{ rule_id: 'r04242', clause: 'prohibited[0]', code: 'prohibited', message: 'm' }],
    });
    expect(ev.evaluate({ action: { type: 'other' }, context: {} }, ENV)).toEqual({ applicable: [], violated: [] });
  });
});

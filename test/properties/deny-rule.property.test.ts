// Property (a), SPEC §4: any violated deny rule denies — and, since every applicable rule is
// evaluated (no short-circuit across rules), it hides no other rule's violation or warning.

import { describe, expect, it } from 'vitest';
import { alwaysViolated, decidePair, forAllPolicies, TIMEOUT } from './helpers.js';

describe('a violated deny rule', () => {
  it('denies, and hides no other violation or warning', () =>
    forAllPolicies(async (rules, req, t) => {
      const [base, guarded] = await decidePair(rules, [...rules, alwaysViolated('deny')], req, t);
      expect(guarded.approved).toBe(false);
      expect(guarded.violations.filter((v) => v.rule_id !== 'zz-always-deny')).toEqual(base.violations);
      expect(guarded.violations.at(-1)).toMatchObject({ rule_id: 'zz-always-deny', clause: 'prohibited[0]', code: 'prohibited', effect: 'deny' });
      expect(guarded.warnings).toEqual(base.warnings);
    }), TIMEOUT);
});

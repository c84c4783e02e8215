// Property (a), SPEC §3.1 `effect: warn` — reported, never blocks: adding a violated warn rule
// leaves approval, violations and reasoning as they were.

import { describe, expect, it } from 'vitest';
import { alwaysViolated, decidePair, forAllPolicies, TIMEOUT } from './helpers.js';

describe('a violated warn rule', () => {
  it('never changes approval, violations or reasoning', () =>
    forAllPolicies(async (rules, req, t) => {
      const [base, warned] = await decidePair(rules, [...rules, alwaysViolated('warn')], req, t);
      expect(warned.approved).toBe(base.approved);
      expect(warned.violations).toEqual(base.violations);
      expect(warned.reasoning).toBe(base.reasoning);
      expect(warned.warnings.filter((w) => w.rule_id !== 'zz-always-warn')).toEqual(base.warnings);
      expect(warned.warnings.at(-1)).toMatchObject({ rule_id: 'zz-always-warn', clause: 'prohibited[0]', effect: 'warn' });
    }), TIMEOUT);
});

// Property (a), SPEC §4: any violated deny rule denies — and, since every applicable rule is
// evaluated (no short-circuit across rules), it hides no other rule's violation or warning.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alwaysViolated, decide, RUNS } from './helpers.js';
import { policy, request, tenant } from './policy-gen.js';

describe('a violated deny rule', () => {
  it('denies, and hides no other violation or warning', async () => {
    await fc.assert(
      fc.asyncProperty(policy, request, tenant, async (rules, req, t) => {
        const [base, guarded] = await Promise.all([
          decide(rules, 'vm', req, t),
          decide([...rules, alwaysViolated('deny')], 'vm', req, t),
        ]);
        expect(guarded.approved).toBe(false);
        expect(guarded.violations.filter((v) => v.rule_id !== 'zz-always-deny')).toEqual(base.violations);
        expect(guarded.violations.at(-1)).toMatchObject({ rule_id: 'zz-always-deny', clause: 'prohibited[0]', code: 'prohibited', effect: 'deny' });
        expect(guarded.warnings).toEqual(base.warnings);
      }),
      RUNS,
    );
  });
});

// Property (a), SPEC §4 and ARCHITECTURE ("every generated property case runs through both the
// oracle and the VM"): on generated policies and requests the VM decides exactly as the oracle;
// approved ⇔ no violation; violations come from deny rules and warnings from warn rules; only
// enabled rules the tenant sees appear in rule_ids, sorted.

import { describe, expect, it } from 'vitest';
import { decide, forAllPolicies, TIMEOUT, withoutId } from './helpers.js';
import type { GenRule } from './policy-gen.js';

function effectOf(rules: GenRule[], id: string): 'deny' | 'warn' {
  return rules.find((r) => r.rule_id === id)?.effect ?? 'deny';
}

describe('decisions on generated policies', () => {
  it('the VM agrees with the oracle; approved iff no violation; effects land in their list', () =>
    forAllPolicies(async (rules, req, t) => {
      const [oracle, vm] = await Promise.all([decide(rules, 'oracle', req, t), decide(rules, 'vm', req, t)]);
      expect(withoutId(vm)).toEqual(withoutId(oracle));
      expect(vm.approved).toBe(vm.violations.length === 0);
      expect(vm.reasoning.startsWith(vm.approved ? 'All rules passed' : `Denied by ${vm.violations[0]?.rule_id}: `)).toBe(true);
      for (const v of vm.violations) {
        expect(v.effect).toBe('deny');
        expect(effectOf(rules, v.rule_id)).toBe('deny');
        expect(vm.rule_ids).toContain(v.rule_id);
      }
      for (const w of vm.warnings) {
        expect(w.effect).toBe('warn');
        expect(effectOf(rules, w.rule_id)).toBe('warn');
        expect(vm.rule_ids).toContain(w.rule_id);
      }
      expect(vm.rule_ids).toEqual([...vm.rule_ids].sort());
      const visible = rules.filter((r) => r.enabled !== false && (r.tenant === undefined || r.tenant === t));
      for (const id of vm.rule_ids) expect(visible.map((r) => r.rule_id)).toContain(id);
    }), TIMEOUT);
});

// The workload specs as MGE rule text: YAML (as a user writes it) or JSON. Kept apart from the
// engine adapter so tests and tools can render rules without loading the engine.

import { stringify } from 'yaml';
import type { RuleSpec } from './rules.js';

/** One spec as an MGE rule object (SPEC §3.1). */
export function mgeRule(rule: RuleSpec): Record<string, unknown> {
  const head = { rule_id: rule.id, applies_to: { actions: [rule.action] } };
  switch (rule.kind) {
    case 'prod-write':
      return {
        ...head, category: 'data_governance',
        prohibited: [{ message: 'Direct database writes in production', when: `context.environment == ${JSON.stringify(rule.environment)}` }],
      };
    case 'blocked-ext':
      return {
        ...head, category: 'security',
        conditions: [{ type: 'file_access_control', parameters: { blocked_extensions: rule.extensions } }],
      };
    case 'role-allow':
      return {
        ...head, category: 'access',
        required: [{ message: 'Role not allowed', check: `context.role in ${JSON.stringify(rule.roles)}` }],
      };
    case 'encryption':
      return {
        ...head, category: 'security',
        conditions: [{ type: 'encryption_required', parameters: { algorithms: rule.algorithms } }],
      };
    case 'amount-ceiling':
      return {
        ...head, category: 'finance',
        required: [{ message: `Payments above ${rule.ceiling} need approval`, check: `action.amount <= ${rule.ceiling}` }],
      };
  }
}

export type TextFormat = 'yaml' | 'json';

/** The workload's rules as one MGE rule file: YAML documents separated by `---`, or `{rules: [...]}`. */
export function mgeRuleFile(rules: readonly RuleSpec[], format: TextFormat = 'yaml'): { path: string; text: string } {
  if (format === 'json') return { path: 'bench.json', text: JSON.stringify({ rules: rules.map(mgeRule) }) };
  return { path: 'bench.yaml', text: rules.map((r) => stringify(mgeRule(r))).join('---\n') };
}

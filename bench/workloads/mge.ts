// MGE on the workloads: the specs as MGE rule text (YAML, as a user writes it, or JSON), loaded
// by `createEngine` exactly as `mge serve` loads a rules directory.

import { stringify } from 'yaml';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import type { BenchEngine, EngineFactory } from './engine.js';
import type { Workload } from './index.js';
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

/** An engine over the workload's rules. */
export function mgeEngineFor(w: Workload, evaluator: 'vm' | 'oracle'): Promise<Engine> {
  return createEngine({ rules: [mgeRuleFile(w.rules)], evaluator });
}

function factory(name: 'mge' | 'mge-oracle', evaluator: 'vm' | 'oracle'): EngineFactory {
  return async (w: Workload): Promise<BenchEngine> => {
    const engine = await mgeEngineFor(w, evaluator);
    return {
      name,
      prepare({ request }) {
        return async () => (await engine.evaluate(request)).approved;
      },
    };
  };
}

export const createMgeEngine = factory('mge', 'vm');
export const createMgeOracleEngine = factory('mge-oracle', 'oracle');

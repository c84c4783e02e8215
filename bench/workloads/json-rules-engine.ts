// json-rules-engine on the workloads: each MGE deny rule is a rule whose event is `deny`; a
// request is approved when no event fires. Facts are the request's fields, flattened once per
// request outside timing (json-rules-engine's `path` selectors would cost it more).

import { Engine, type RuleProperties } from 'json-rules-engine';
import type { BenchEngine, EngineFactory } from './engine.js';
import type { Workload } from './index.js';
import type { MgeRequest } from './requests.js';
import type { RuleSpec } from './rules.js';

/** The rule for one spec: the action type, then the kind's violation test. */
export function jreRule(rule: RuleSpec): RuleProperties {
  const scope = { fact: 'type', operator: 'equal', value: rule.action };
  const violation = (() => {
    switch (rule.kind) {
      case 'prod-write': return { fact: 'environment', operator: 'equal', value: rule.environment };
      case 'blocked-ext': return { fact: 'path', operator: 'endsWithAny', value: rule.extensions };
      case 'role-allow': return { fact: 'role', operator: 'notIn', value: rule.roles };
      case 'encryption': return { fact: 'algorithm', operator: 'notIn', value: rule.algorithms };
      case 'amount-ceiling': return { fact: 'amount', operator: 'greaterThan', value: rule.ceiling };
    }
  })();
  return { name: rule.id, conditions: { all: [scope, violation] }, event: { type: 'deny', params: { rule_id: rule.id } } };
}

/** The flat facts of one request. */
export function jreFacts(request: MgeRequest): Record<string, unknown> {
  return {
    type: request.action.type,
    path: request.action.path,
    amount: request.action.amount,
    environment: request.context.environment,
    role: request.context.role,
    algorithm: request.context.encryption.algorithm,
  };
}

export const createJsonRulesEngine: EngineFactory = async (w: Workload): Promise<BenchEngine> => {
  const engine = new Engine(w.rules.map(jreRule), { allowUndefinedFacts: true });
  engine.addOperator('endsWithAny', (fact: unknown, exts: string[]) =>
    typeof fact === 'string' && exts.some((e) => fact.endsWith(e)));
  return {
    name: 'json-rules-engine',
    prepare({ request }) {
      const facts = jreFacts(request);
      return async () => (await engine.run(facts)).events.length === 0;
    },
  };
};

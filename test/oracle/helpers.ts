// Building blocks for oracle tests: rules are built directly (the readers are tested elsewhere).

import { parseExpression } from '../../src/expr/parser.js';
import type { CheckRequest, Expr, Json, Rule, SourceExpr, Span } from '../../src/ir/types.js';
import type { EvaluationEnv } from '../../src/ir/outcome.js';

export const SPAN: Span = { file: 'test.yaml', line: 1, col: 1 };
export const ENV: EvaluationEnv = { tenant: 'acme', time: '2026-11-25T10:00:00.000Z' };

export function expr(text: string): Expr {
  const r = parseExpression(text, SPAN);
  if (!r.expr) throw new Error(`test expression \`${text}\` does not parse: ${r.diagnostics.map((d) => d.message).join('; ')}`);
  return r.expr;
}

export function src(text: string): SourceExpr {
  return { source: text, expr: expr(text) };
}

export function request(action: { type: string; [k: string]: Json }, context: { [k: string]: Json } = {}): CheckRequest {
  return { action, context };
}

export function rule(fields: Partial<Rule> & { rule_id: string }): Rule {
  return {
    name: fields.rule_id,
    description: '',
    category: 'general',
    effect: 'deny',
    severity: 'high',
    enabled: true,
    conditions: [],
    prohibited: [],
    required: [],
    advisory: [],
    source: { file: 'test.yaml', span: SPAN },
    ...fields,
  };
}

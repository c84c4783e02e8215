// End-to-end slice: compile → VM → host, checked against hand-written expectations and the oracle.

import { describe, expect, it } from 'vitest';
import { createVmEvaluator } from '../../src/engine/vm-evaluator.js';
import { createOracleEvaluator } from '../../src/ir/evaluate.js';
import type { Rule } from '../../src/ir/types.js';
import { ENV, request, rule, src } from '../oracle/helpers.js';
import { sorted } from './helpers.js';

const rules: Rule[] = [
  rule({
    rule_id: 'db-prod',
    applies_to: { actions: ['db.*'] },
    prohibited: [{ message: 'no prod writes', when: src('action.type == "db.write" && context.env == "prod"'), span: ENV as never }],
    required: [{ message: 'tls', check: src('context.tls == true'), span: ENV as never }],
  }),
  rule({
    rule_id: 'always',
    prohibited: [{ message: 'big', when: src('action.n > 10'), span: ENV as never }],
  }),
];

describe('vm slice', () => {
  it('agrees with the oracle on a few requests', async () => {
    const vm = await createVmEvaluator(rules);
    const oracle = createOracleEvaluator(rules);
    const reqs = [
      request({ type: 'db.write' }, { env: 'prod', tls: true }),
      request({ type: 'db.read' }, { env: 'prod' }),
      request({ type: 'api.call', n: 11 }),
      request({ type: 'api.call', n: 'x' }),
    ];
    for (const r of reqs) {
      const a = vm.evaluate(r, ENV);
      const b = oracle.evaluate(r, ENV);
      expect(sorted(a)).toEqual(sorted(b));
    }
    expect(sorted(vm.evaluate(reqs[0], ENV))).toEqual({
      applicable: ['always', 'db-prod'],
      violated: [
        { rule_id: 'always', clause: 'prohibited[0]', code: 'eval_error', message: 'evaluation error: `>` expects two numbers or two strings, got null and number' },
        { rule_id: 'db-prod', clause: 'prohibited[0]', code: 'prohibited', message: 'no prod writes' },
      ],
    });
  });
});

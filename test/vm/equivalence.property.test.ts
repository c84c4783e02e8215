// The VM evaluator agrees with the oracle on generated rule sets and requests: same applicable
// rules, same violated clauses with the same codes and messages (compared after sorting).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createVmEvaluator } from '../../src/engine/vm-evaluator.js';
import { loadVm } from '../../src/engine/wasm.js';
import { createOracleEvaluator } from '../../src/ir/evaluate.js';
import type { EvaluationEnv } from '../../src/ir/outcome.js';
import { request, rules } from './arbitraries.js';
import { sorted } from './helpers.js';

const ENV: EvaluationEnv = { tenant: 'acme', time: '2026-11-25T10:00:00.000Z' };

describe('VM ≡ oracle', () => {
  it('on generated rule sets and requests (1000 runs)', async () => {
    const vm = await loadVm();
    await fc.assert(
      fc.asyncProperty(rules, fc.array(request, { minLength: 1, maxLength: 4 }), async (rs, reqs) => {
        const ev = await createVmEvaluator(rs, { vm });
        const oracle = createOracleEvaluator(rs);
        for (const r of reqs) expect(sorted(ev.evaluate(r, ENV))).toEqual(sorted(oracle.evaluate(r, ENV)));
      }),
      { numRuns: 1000 },
    );
  });
});

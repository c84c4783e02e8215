// The per-check glob budget (CHECK_GLOB_BUDGET, docs/semantics.md "Cost"): every glob a check
// matches (scopes, allowed_paths, glob(), globAny(), rate-limit keys) is charged pattern ×
// subject code points; past the budget the whole check is denied. The VM and the oracle must
// charge alike, so each case runs on both.

import { beforeAll, describe, expect, it } from 'vitest';
import { CHECK_GLOB_BUDGET, GLOB_MAX_COST } from '../../assembly/format.js';
import { createEngine } from '../../src/engine/engine.js';
import type { EvaluationOutcome } from '../../src/ir/outcome.js';
import { createVmEvaluator } from '../../src/engine/vm-evaluator.js';
import { loadVm, type Vm } from '../../src/engine/wasm.js';
import { createOracleEvaluator } from '../../src/ir/evaluate.js';
import { OverBudgetError } from '../../src/ir/glob-work.js';
import type { CheckRequest, Rule } from '../../src/ir/types.js';
import { MemoryRateLimiter } from '../../src/state/rate-limiter.js';
import { ENV, SPAN, rule, src } from '../oracle/helpers.js';

let vm: Vm;
beforeAll(async () => {
  vm = await loadVm();
});

/** The outcome both evaluators agree on, or 'over budget in <rule>' when both refuse the check, naming the same rule. */
async function both(rules: Rule[], req: CheckRequest): Promise<EvaluationOutcome | string> {
  const outcome = async (evaluate: () => EvaluationOutcome | Promise<EvaluationOutcome>) => {
    try {
      return await evaluate();
    } catch (err) {
      if (err instanceof OverBudgetError) return `over budget in ${err.ruleId}`;
      throw err;
    }
  };
  const ev = await createVmEvaluator(rules, { vm });
  const got = await outcome(() => ev.evaluate(req, ENV));
  expect(got).toEqual(await outcome(() => createOracleEvaluator(rules).evaluate(req, ENV)));
  return got;
}

// An 8 191-code-point path and a 512-code-point pattern: one glob() is charged
// 512 × (8 191 + 1) = GLOB_MAX_COST, so the budget holds exactly CHECK_GLOB_BUDGET /
// GLOB_MAX_COST of them.
const PATH = 'p' + 'x'.repeat(8190);
const PATTERN = 'p*' + 'x'.repeat(510);
const PER_CALL = PATTERN.length * (PATH.length + 1);
const CALLS = CHECK_GLOB_BUDGET / GLOB_MAX_COST;
const files = { root: 'action' as const, segments: ['path'] };

const globClauses = (n: number): Rule =>
  rule({ rule_id: 'many-globs', required: Array.from({ length: n }, () => ({ message: 'no match', check: src(`glob(action.path, "${PATTERN}")`), span: SPAN })) });

describe('the per-check glob budget', () => {
  it('sums glob() calls over the clauses of a check, and refuses the check one call past it', async () => {
    expect(PER_CALL).toBe(GLOB_MAX_COST);
    const req = { action: { type: 't', path: PATH }, context: {} };
    expect(await both([globClauses(CALLS)], req)).toEqual({ applicable: ['many-globs'], violated: [] });
    expect(await both([globClauses(CALLS + 1)], req)).toBe('over budget in many-globs');
  });

  it('sums across rules, and counts the rules\' own scope globs and allowed_paths', async () => {
    // Scope globs and allowed_paths are charged as a whole list; half the budget each.
    const half = CHECK_GLOB_BUDGET / 2 / (PATH.length + 1); // code points of pattern per rule
    const scoped = (extra: number) => rule({ rule_id: 'scoped', globs: ['p**', 'p' + 'x'.repeat(half - 5 + extra) + '*'] });
    const allowed = rule({
      rule_id: 'allowed',
      conditions: [{ type: 'file_access_control', allowed_paths: ['q**', 'p' + 'x'.repeat(half - 5) + '*'], field: files, span: SPAN }],
    });
    const req = { action: { type: 't', path: PATH }, context: {} };
    expect(await both([allowed, scoped(0)], req)).toEqual({ applicable: ['allowed', 'scoped'], violated: [] });
    expect(await both([allowed, scoped(1)], req)).toBe('over budget in scoped'); // the rule that crossed it
    // Either alone is within it: the budget is the check's, not a rule's.
    expect(await both([scoped(1)], req)).toEqual({ applicable: ['scoped'], violated: [] });
  });

  it('charges an action pattern only when the type starts with its literal prefix', async () => {
    const type = 't' + 'a'.repeat(8191);
    const costly = '*a'.repeat(1023) + '*b'; // with a one-letter prefix: over the budget alone
    expect((costly.length + 1) * (type.length + 1)).toBeGreaterThan(CHECK_GLOB_BUDGET);
    const req = { action: { type }, context: {} };
    // `u…` cannot match `t…`: neither evaluator matches or charges it (the VM's rule index may
    // even skip the rule); `t*` is a prefix test, and a pattern without wildcards a comparison.
    const ok = rule({ rule_id: 'actions', applies_to: { actions: ['u' + costly, type, 't*'] } });
    expect(await both([ok], req)).toEqual({ applicable: ['actions'], violated: [] });
    expect(await both([rule({ rule_id: 'skipped', applies_to: { actions: ['u' + costly] } })], req)).toEqual({ applicable: [], violated: [] });
    expect(await both([rule({ rule_id: 'actions', applies_to: { actions: ['t' + costly, 't*'] } })], req)).toBe('over budget in actions');
  });
});

describe('the per-check glob budget on small subjects', () => {
  it('charges compiling a pattern: a path that normalizes to nothing (`.`) is not free', async () => {
    // 2 048 calls of an 8 192-code-point pattern against `.` (empty once normalized) cost
    // 8 192 × (0 + 1) each: exactly the budget; one more call is over it.
    const p = '[a]'.repeat(2730) + 'aa'; // 8 192 code points
    const calls = (n: number) => rule({ rule_id: 'empty', required: Array.from({ length: n }, () => ({ message: 'm', check: src('!glob(action.path, context.p)'), span: SPAN })) });
    const req = { action: { type: 't', path: '.' }, context: { p } };
    expect(p.length * 2048).toBe(CHECK_GLOB_BUDGET);
    expect(await both([calls(2048)], req)).toEqual({ applicable: ['empty'], violated: [] });
    expect(await both([calls(2049)], req)).toBe('over budget in empty');
  });
});

describe('a check over the glob budget, through the engine', () => {
  const yaml = (calls: number) => [
    'rule_id: heavy',
    'required:',
    ...Array.from({ length: calls }, () => `  - { message: no match, check: 'glob(action.path, "${PATTERN}")' }`),
  ].join('\n');

  for (const evaluator of ['vm', 'oracle'] as const) {
    it(`is denied by mge.engine with over_budget (${evaluator}), and explains nothing else`, async () => {
      const engine = await createEngine({ rules: [{ path: 'heavy.yaml', text: yaml(CALLS + 1) }], evaluator });
      const d = await engine.evaluate({ action: { type: 't', path: PATH } }, { explain: true });
      expect(d.approved).toBe(false);
      expect(d.rule_ids).toEqual([]);
      expect(d.violations).toEqual([{
        rule_id: 'mge.engine', clause: 'engine', code: 'over_budget', effect: 'deny', severity: 'critical',
        message: `glob matching over the check's budget (pattern × (subject + 1) code points, summed over the check, over ${CHECK_GLOB_BUDGET}), reached in rule \`heavy\`, denied (fail closed)`,
      }]);
      expect(d.reasoning).toBe(`Denied by mge.engine: ${d.violations[0].message}`);
      // The engine's denial explains itself: it has no clause to show (it was `[]`: a review, 11-28).
      expect(d.explanation).toEqual([{ rule_id: 'mge.engine', clause: 'engine', source: d.violations[0].message, values: {} }]);
      // Within the budget the same rules are evaluated as usual.
      const small = await createEngine({ rules: [{ path: 'heavy.yaml', text: yaml(CALLS) }], evaluator });
      expect((await small.evaluate({ action: { type: 't', path: PATH } })).approved).toBe(true);
    });
  }

  it('counts rate-limit keys under their own budget, and takes no token from a check over it', async () => {
    const rules = [{
      path: 'keys.yaml',
      text: [
        'rule_id: keys',
        'conditions:',
        ...Array.from({ length: CALLS + 1 }, () =>
          `  - { type: rate_limit_check, parameters: { requests_per_minute: 60, burst_limit: 5, key: 'glob(action.path, "${PATTERN}")' } }`),
      ].join('\n'),
    }];
    const taken: string[] = [];
    const limiter = new MemoryRateLimiter();
    const engine = await createEngine({ rules, rateLimiter: { take: (b, burst, rate, now) => (taken.push(b), limiter.take(b, burst, rate, now)) } });
    const d = await engine.evaluate({ action: { type: 't', path: PATH } });
    expect(d.violations.map((v) => v.code)).toEqual(['over_budget']);
    expect(d.violations[0].message).toContain('reached in rule `keys`');
    expect(taken).toEqual([]);
  });
});

describe('explain under its own glob budget', () => {
  it('explains clauses past it with every path they name, not just those their evaluation reached', async () => {
    // Each clause: a within-budget glob (violated: no match), `|| context.other` never reached
    // while the glob says false… unless the explanation's budget (an eighth) is spent.
    const clause = `glob(action.path, "${PATTERN}") && context.reached`;
    const rules = [{ path: 'x.yaml', text: ['rule_id: x', 'required:', ...Array.from({ length: 4 }, () => `  - { message: m, check: '${clause}' }`)].join('\n') }];
    const engine = await createEngine({ rules });
    const d = await engine.evaluate({ action: { type: 't', path: 'q' + PATH.slice(1) }, context: { reached: true } }, { explain: true });
    expect(d.violations.map((v) => v.code)).toEqual(['required', 'required', 'required', 'required']);
    // One clause costs GLOB_MAX_COST = 2^22; the explanation's budget is 2^21: the first
    // clause already goes over it, so every clause shows both paths it names.
    expect(d.explanation!.map((e) => Object.keys(e.values))).toEqual(Array(4).fill(['action.path', 'context.reached']));
    // Within that budget only the reached path is shown.
    const small = await engine.evaluate({ action: { type: 't', path: 'q' }, context: { reached: true } }, { explain: true });
    expect(small.explanation!.map((e) => Object.keys(e.values))).toEqual(Array(4).fill(['action.path']));
  });
});

// Memory growth: large request values grow the input region, large intermediate strings grow
// scratch inside the VM; the host must notice both (detached views) and keep answering right.

import { describe, expect, it } from 'vitest';
import { createVmEvaluator } from '../../src/engine/vm-evaluator.js';
import { VmError } from '../../src/engine/wasm.js';
import { createOracleEvaluator } from '../../src/ir/evaluate.js';
import { ENV, SPAN, rule, src } from '../oracle/helpers.js';

const r = rule({
  rule_id: 'big',
  required: [
    { message: 'len', check: src('len(context.big) == context.n'), span: SPAN },
    { message: 'upper', check: src('endsWith(upper(context.big + context.big), "ÉÉ")'), span: SPAN },
  ],
});

describe('memory growth', () => {
  it('handles a 1 MiB value and 4 MiB of scratch, then small checks again', async () => {
    const ev = await createVmEvaluator([r]);
    const small = { action: { type: 't' }, context: { big: 'é', n: 1 } };
    expect(ev.evaluate(small, ENV).violated).toEqual([]);
    const big = 'é'.repeat(1 << 19); // 1 MiB of UTF-8
    expect(ev.evaluate({ action: { type: 't' }, context: { big, n: 1 << 19 } }, ENV).violated).toEqual([]);
    expect(ev.evaluate(small, ENV).violated).toEqual([]);
    expect(ev.evaluate({ action: { type: 't' }, context: { big: 'a', n: 2 } }, ENV).violated.map((v) => v.code)).toEqual(['required', 'required']);
  });

  it('concatenates a long chain in scratch linear in its length, not quadratic', async () => {
    // 60 × 64 KiB: 3.75 MiB appended in place; copied whole at each `+` it would be 115 MiB,
    // far past the 64 MiB scratch bound, and the VM would trap.
    const chain = rule({ rule_id: 'chain', required: [{ message: 'len', check: src(`len(${Array(60).fill('context.s').join(' + ')}) == 60 * 65536`), span: SPAN }] });
    const ev = await createVmEvaluator([chain]);
    expect(ev.evaluate({ action: { type: 't' }, context: { s: 'a'.repeat(65536) } }, ENV).violated).toEqual([]);
  });

  it('gives back each glob call\'s scratch: many affordable globs in one rule do not run out', async () => {
    // Each call: a 4 096-code-point pattern, ~1 MiB of tokens and state sets, against a
    // one-letter path (so 200 calls stay well within the check's glob budget).
    const globs = rule({ rule_id: 'globs', prohibited: Array.from({ length: 200 }, () => ({ message: 'm', when: src('glob(action.path, context.p)'), span: SPAN })) });
    const req = { action: { type: 't', path: 'a' }, context: { p: '😀'.repeat(4096) } };
    const got = (await createVmEvaluator([globs])).evaluate(req, ENV);
    expect(got).toEqual(createOracleEvaluator([globs]).evaluate(req, ENV));
    expect(got.violated).toEqual([]);
  });

  it('starts each rule with empty scratch', async () => {
    // Each rule builds 40 MiB (a 4 MiB string ten times over): two rules would need 80 MiB of
    // the 64 MiB scratch if scratch lasted the whole evaluation.
    const big = (id: string) => rule({ rule_id: id, required: [{ message: 'm', check: src(`len(${Array(10).fill('context.s').join(' + ')}) == 10 * 4194304`), span: SPAN }] });
    const ev = await createVmEvaluator([big('one'), big('two')]);
    expect(ev.evaluate({ action: { type: 't' }, context: { s: 'a'.repeat(4 << 20) } }, ENV).violated).toEqual([]);
  });

  it('refuses an input region beyond its cap with a VmError', async () => {
    const ev = await createVmEvaluator([r]);
    const huge = 'x'.repeat(17 << 20);
    expect(() => ev.evaluate({ action: { type: 't' }, context: { big: huge, n: 0 } }, ENV)).toThrow(VmError);
  });
});

describe('a trap in a rule, through the engine', () => {
  it('denies the whole check as mge.engine, naming the rule it trapped in (even a warn rule)', async () => {
    const { createEngine } = await import('../../src/engine/engine.js');
    // The 8 000-character string doubled 14 times, `((s + s) + (s + s))…`: 125 MiB, past the
    // 64 MiB scratch.
    let nested = 'context.s';
    for (let i = 0; i < 14; i++) nested = `(${nested} + ${nested})`;
    const text = `rule_id: hog\neffect: warn\nrequired:\n  - { message: m, check: 'len(${nested}) > 0' }\n`;
    const engine = await createEngine({ rules: [{ path: 'hog.yaml', text }, { path: 'ok.yaml', text: 'rule_id: ok\nprohibited:\n  - { message: no, when: \'action.type == "x"\' }\n' }] });
    const d = await engine.evaluate({ action: { type: 't' }, context: { s: 'a'.repeat(8000) } });
    expect(d.approved).toBe(false);
    expect(d.rule_ids).toEqual([]);
    expect(d.violations).toHaveLength(1);
    expect(d.violations[0]).toMatchObject({ rule_id: 'mge.engine', code: 'internal_error' });
    expect(d.violations[0].message).toMatch(/^internal error, denied \(fail closed\): VM trapped: .* \(in rule `hog`\)$/);
    // The next check starts clean, and names no rule when none trapped.
    expect((await engine.evaluate({ action: { type: 't' }, context: { s: 'a' } })).approved).toBe(true);
  });
});

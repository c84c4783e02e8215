// Memory growth: large request values grow the input region, large intermediate strings grow
// scratch inside the VM; the host must notice both (detached views) and keep answering right.

import { describe, expect, it } from 'vitest';
import { createVmEvaluator } from '../../src/engine/vm-evaluator.js';
import { VmError } from '../../src/engine/wasm.js';
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

  it('refuses an input region beyond its cap with a VmError', async () => {
    const ev = await createVmEvaluator([r]);
    const huge = 'x'.repeat(17 << 20);
    expect(() => ev.evaluate({ action: { type: 't' }, context: { big: huge, n: 0 } }, ENV)).toThrow(VmError);
  });
});

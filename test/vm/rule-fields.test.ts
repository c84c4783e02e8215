// The host extracts only the fields a check's candidate rules can read. The field sets are
// proved from the bytecode; what cannot be proved falls back to every field, and a field of a
// previous check's rules never keeps a stale offset.

import { describe, expect, it } from 'vitest';
import { CHECKSUM_FROM, E_STR, E_STRID, H_CHECKSUM, H_CODE, I_HEADER } from '../../assembly/format.js';
import { Op } from '../../assembly/opcodes.js';
import { checksum, compileBundle } from '../../src/compile/bundle.js';
import { pathText } from '../../src/ir/messages.js';
import { Extractor } from '../../src/engine/extract.js';
import { RuleIndex } from '../../src/engine/rule-index.js';
import { ruleFields } from '../../src/engine/rule-fields.js';
import { createBundleEvaluator } from '../../src/engine/vm-evaluator.js';
import { loadVm } from '../../src/engine/wasm.js';
import { ENV, SPAN, request, rule, src } from '../oracle/helpers.js';

const rules = [
  rule({ rule_id: 'a', applies_to: { actions: ['db.write'] }, prohibited: [{ message: 'a', when: src('context.env == "prod" && context.n > 1'), span: SPAN }] }),
  rule({ rule_id: 'b', applies_to: { actions: ['file.*'] }, conditions: [{ type: 'file_access_control', blocked_extensions: ['.exe'], field: { root: 'action', segments: ['path'] }, span: SPAN }] }),
  rule({ rule_id: 'c', required: [{ message: 'c', check: src('request.tenant != "" || context.x.y[0] == 1'), span: SPAN }] }),
];
const bundle = compileBundle(rules);
const names = (fs: Uint16Array): string[] => [...fs].map((f) => pathText(bundle.fields[f]));

describe('ruleFields', () => {
  it('gives each rule the fields its code reads, action.type only when its scope reads it', () => {
    expect(ruleFields(bundle.bytes).map(names)).toEqual([
      ['action.type', 'context.env', 'context.n'],
      ['action.type', 'action.path'],
      ['request.tenant', 'context.x.y[0]'],
    ]);
  });

  it('gives every field to a rule whose code it cannot follow', () => {
    const bytes = bundle.bytes.slice();
    const dv = new DataView(bytes.buffer);
    const code = dv.getUint32(H_CODE, true);
    // Rule a's first instruction becomes a jump into rule b's code.
    expect(bytes[code]).toBe(Op.LoadField);
    bytes[code] = Op.Jump;
    dv.setUint32(code + 1, 0x7fff, true);
    dv.setUint32(H_CHECKSUM, checksum(bytes, CHECKSUM_FROM), true);
    const all = bundle.fields.map(pathText);
    expect(ruleFields(bytes).map(names)).toEqual([all, ['action.type', 'action.path'], ['request.tenant', 'context.x.y[0]']]);
  });
});

describe('Extractor', () => {
  it('writes the offsets of the plan’s fields and clears those of the previous check', async () => {
    const inst = await (await loadVm()).load(bundle.bytes);
    const ex = new Extractor(inst, bundle.fields, bundle.strings, new RuleIndex(bundle.rules), ruleFields(bundle.bytes));
    const req = request({ type: 'db.write', path: 'a.exe' }, { env: 'prod', n: 2, x: { y: [1] } });
    const offsets = (): string[] => bundle.fields.flatMap((p, f) =>
      inst.view().getUint32(inst.inputPtr + I_HEADER + f * 4, true) === 0 ? [] : [pathText(p)]);
    ex.write(req, ENV, ex.plan('db.write'));
    expect(offsets()).toEqual(['action.type', 'context.env', 'context.n', 'request.tenant', 'context.x.y[0]']);
    ex.write(req, ENV, ex.plan('file.write'));
    expect(offsets()).toEqual(['action.type', 'action.path', 'request.tenant', 'context.x.y[0]']);
    ex.write(req, ENV, ex.plan('other'));
    expect(offsets()).toEqual(['request.tenant', 'context.x.y[0]']);
  });

  it('sends a request string equal to a constant as its id, whatever its length', async () => {
    const long = 'L'.repeat(5000);
    const b = compileBundle([rule({ rule_id: 'k', required: [{ message: 'k', check: src(`context.a == "prod" || context.b == "${long}"`), span: SPAN }] })]);
    const inst = await (await loadVm()).load(b.bytes);
    const ex = new Extractor(inst, b.fields, b.strings, new RuleIndex(b.rules), ruleFields(b.bytes));
    const tags = (context: Record<string, string>): number[] => {
      ex.write(request({ type: 't' }, context), ENV, ex.plan('t'));
      return ['context.a', 'context.b'].map((name) => {
        const off = inst.view().getUint32(inst.inputPtr + I_HEADER + b.fields.map(pathText).indexOf(name) * 4, true);
        return inst.bytes()[inst.inputPtr + off];
      });
    };
    expect(tags({ a: 'prod', b: long })).toEqual([E_STRID, E_STRID]);
    expect(tags({ a: 'prox', b: long.slice(1) + 'M' })).toEqual([E_STR, E_STR]);
    expect(tags({ a: 'production', b: 'x'.repeat(6000) })).toEqual([E_STR, E_STR]);
  });

  it('answers like a fresh evaluator whatever the order of candidate sets', async () => {
    const reqs = [
      request({ type: 'db.write' }, { env: 'prod', n: 2 }),
      request({ type: 'file.write', path: 'x/setup.EXE' }, { env: 'prod', n: 2 }),
      request({ type: 'other' }, { env: 'prod', n: 2, x: { y: [1] } }),
      request({ type: 'db.write' }, { env: 'dev', n: 2 }),
    ];
    const shared = await createBundleEvaluator(bundle);
    for (const r of [...reqs, ...reqs.reverse()]) {
      const fresh = await createBundleEvaluator(bundle);
      expect(shared.evaluate(r, ENV)).toEqual(fresh.evaluate(r, ENV));
    }
  });
});

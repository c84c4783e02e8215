// compileBundle: deterministic, versioned bytes; limits and invalid patterns as CompileError.

import { describe, expect, it } from 'vitest';
import { BUNDLE_MAGIC, FORMAT_VERSION, H_FORMAT, H_MAGIC } from '../../assembly/format.js';
import { compileBundle } from '../../src/compile/bundle.js';
import { CompileError } from '../../src/compile/errors.js';
import { parseRuleText } from '../../src/rules/load.js';
import type { Expr, Rule } from '../../src/ir/types.js';
import { SPAN, expr, rule, src } from '../oracle/helpers.js';

const a = rule({ rule_id: 'a', prohibited: [{ message: 'm', when: src('action.x == "y"'), span: SPAN }] });
const b = rule({
  rule_id: 'b',
  applies_to: { actions: ['db.*'] },
  required: [{ message: 'n', check: src('context.n > 1 && "x" in context.tags'), span: SPAN }],
});
const c = rule({ rule_id: 'c', globs: ['src/**'], conditions: [{ type: 'encryption_required', algorithms: ['AES'], field: { root: 'context', segments: ['enc'] }, span: SPAN }] });

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

describe('compileBundle', () => {
  it('starts with the magic and the format version', () => {
    const dv = new DataView(compileBundle([a]).bytes.buffer);
    expect(dv.getUint32(H_MAGIC, true)).toBe(BUNDLE_MAGIC);
    expect(dv.getUint16(H_FORMAT, true)).toBe(FORMAT_VERSION);
  });

  it('gives identical bytes whatever the rule order, and sorts rules by rule_id', () => {
    const one = compileBundle([a, b, c]);
    for (const order of [[c, b, a], [b, a, c], [c, a, b]]) {
      const other = compileBundle(order);
      expect(hex(other.bytes)).toBe(hex(one.bytes));
      expect(other.rules.map((r) => r.rule_id)).toEqual(['a', 'b', 'c']);
    }
  });

  it('keeps file names and positions out of the bytes (they live in the span table)', () => {
    const moved = (r: Rule): Rule => ({
      ...r,
      source: { file: 'elsewhere/other.mdc', span: { file: 'elsewhere/other.mdc', line: 40, col: 7 } },
    });
    const one = compileBundle([a, b]);
    const two = compileBundle([moved(a), moved(b)]);
    expect(hex(two.bytes)).toBe(hex(one.bytes));
    expect(one.spans.length).toBeGreaterThan(0);
    expect(two.spans[0].span.file).toBe('elsewhere/other.mdc');
  });

  it('compiles the same policy written as YAML, JSON and MDC to the same bytes', () => {
    const yaml = parseRuleText(
      'rule_id: db\ncategory: data\napplies_to: { actions: ["db.*"] }\nprohibited:\n  - message: No prod writes\n    when: context.env == "prod"\n',
      'yaml', 'r/db.yaml');
    const json = parseRuleText(
      '{"rule_id":"db","category":"data","applies_to":{"actions":["db.*"]},"prohibited":[{"message":"No prod writes","when":"context.env == \\"prod\\""}]}',
      'json', 'db.json');
    const mdc = parseRuleText(
      '---\nrule_id: db\ncategory: data\napplies_to: { actions: ["db.*"] }\n---\n\n# db\n\n## Prohibited\n- No prod writes `context.env == "prod"`\n',
      'mdc', 'x/db.mdc');
    for (const p of [yaml, json, mdc]) expect(p.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const y = hex(compileBundle(yaml.rules).bytes);
    expect(hex(compileBundle(json.rules).bytes)).toBe(y);
    expect(hex(compileBundle(mdc.rules).bytes)).toBe(y);
  });

  it('changes the bytes when anything a decision reports changes', () => {
    const base = hex(compileBundle([a]).bytes);
    const variants: Rule[] = [
      { ...a, prohibited: [{ ...a.prohibited[0], message: 'other' }] },
      { ...a, severity: 'low' },
      { ...a, effect: 'warn' },
      { ...a, name: 'renamed' },
      { ...a, enabled: false },
      { ...a, prohibited: [{ ...a.prohibited[0], when: src('action.x == "z"') }] },
    ];
    for (const v of variants) expect(hex(compileBundle([v]).bytes)).not.toBe(base);
  });

  it('records the field table with action.type first', () => {
    expect(compileBundle([b]).fields).toEqual([
      { root: 'action', segments: ['type'] },
      { root: 'context', segments: ['n'] },
      { root: 'context', segments: ['tags'] },
    ]);
  });

  it('refuses an invalid glob pattern with a CompileError naming the rule', () => {
    const bad = rule({ rule_id: 'bad', globs: ['src/[a'], prohibited: a.prohibited });
    expect(() => compileBundle([bad])).toThrow(CompileError);
    expect(() => compileBundle([bad])).toThrow('rule `bad`: invalid glob pattern `src/[a`');
    const badAction = rule({ rule_id: 'act', applies_to: { actions: ['db.[x'] }, prohibited: a.prohibited });
    expect(() => compileBundle([badAction])).toThrow('rule `act`: invalid glob pattern `db.[x`');
  });

  it('refuses an expression deeper than the VM stack', () => {
    // A list of 300 non-constant items needs 300 stack slots.
    const items: Expr[] = Array.from({ length: 300 }, () => expr('action.x'));
    const big: Expr = { kind: 'binary', op: 'in', left: expr('action.x'), right: { kind: 'list', items, span: SPAN }, span: SPAN };
    const r = rule({ rule_id: 'deep', prohibited: [{ message: 'm', when: { source: 'big', expr: big }, span: SPAN }] });
    expect(() => compileBundle([r])).toThrow('rule `deep`: an expression needs more than 256 stack slots');
  });

  it('refuses a wrong arity (validation should have caught it)', () => {
    const call: Expr = { kind: 'call', fn: 'lower', args: [expr('1'), expr('2')], span: SPAN };
    const r = rule({ rule_id: 'arity', prohibited: [{ message: 'm', when: { source: 'x', expr: call }, span: SPAN }] });
    expect(() => compileBundle([r])).toThrow('rule `arity`: `lower` takes 1 argument(s)');
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { collectPaths } from '../../src/ir/evaluate.js';
import { explainClause, UnknownClauseError } from '../../src/ir/explain.js';
import { pathText } from '../../src/ir/messages.js';
import { createEngine } from '../../src/engine/engine.js';
import type { Json } from '../../src/ir/types.js';
import { ENV, SPAN, expr, request, rule, src } from './helpers.js';

describe('collectPaths', () => {
  it('lists every path once, in order of first appearance', () => {
    const paths = collectPaths(expr('action.a == context["b"] || (action["a"] > 1 && exists(request.time)) || len([context.c, action.a.b]) > 0'));
    expect(paths.map(pathText)).toEqual(['action.a', 'context.b', 'request.time', 'context.c', 'action.a.b']);
    expect(collectPaths(expr('1 + 2'))).toEqual([]);
    expect(collectPaths(expr('!-action.x[0]'))).toEqual([{ root: 'action', segments: ['x', 0] }]);
  });
});

describe('explainClause', () => {
  const r = rule({
    rule_id: 'db',
    applies_to: { when: src('context.tier > 2') },
    conditions: [
      { type: 'file_access_control', allowed_paths: ['src/**'], blocked_extensions: ['.exe'], field: { root: 'action', segments: ['path'] }, span: SPAN },
      { type: 'encryption_required', algorithms: ['AES-256-GCM'], key_rotation_days: 90, field: { root: 'context', segments: ['enc'] }, span: SPAN },
      { type: 'rate_limit_check', requests_per_minute: 60, burst_limit: 10, key: src('context.agent_id'), span: SPAN },
      { type: 'expression', expr: src('action.amount  <= 100'), span: SPAN },
      { type: 'encryption_required', algorithms: ['X'], field: { root: 'context', segments: ['e f'] }, span: SPAN },
    ],
    prohibited: [{ message: 'no prod writes', when: src('action.type == "db.write" && context.environment == "production"'), span: SPAN }],
    required: [{ message: 'tls', check: src('context.connection.tls == true'), span: SPAN }],
  });
  const req = request({ type: 'db.write', path: 'bin/x.exe', amount: 500 }, { environment: 'production', enc: { algorithm: 'DES' }, agent_id: 'a7' });

  it('gives the source and the values of the paths a prohibited or required clause reads', () => {
    expect(explainClause(r, 'prohibited[0]', req, ENV)).toEqual({
      rule_id: 'db', clause: 'prohibited[0]',
      source: 'action.type == "db.write" && context.environment == "production"',
      values: { 'action.type': 'db.write', 'context.environment': 'production' },
    });
    expect(explainClause(r, 'required[0]', req, ENV)).toEqual({
      rule_id: 'db', clause: 'required[0]', source: 'context.connection.tls == true', values: { 'context.connection.tls': null },
    });
    expect(explainClause(r, 'applies_to.when', req, ENV)).toMatchObject({ source: 'context.tier > 2', values: { 'context.tier': null } });
  });

  it('shows only the paths the evaluation read: a short-circuited side is not shown', () => {
    const sc = rule({
      rule_id: 'sc',
      prohibited: [{ message: 'm', when: src('action.type == "db.write" || context.secret == 1'), span: SPAN }],
      required: [{ message: 'm', check: src('context.tls == true && exists(context.user.name)'), span: SPAN }],
      conditions: [{ type: 'expression', expr: src('action.amount > 1000 && context.approver == "cfo"'), span: SPAN }],
    });
    const withSecret = request({ type: 'db.write', amount: 5 }, { secret: 's3cr3t', tls: false, user: { name: 'ann' }, approver: 'x' });
    expect(explainClause(sc, 'prohibited[0]', withSecret, ENV).values).toEqual({ 'action.type': 'db.write' });
    expect(explainClause(sc, 'required[0]', withSecret, ENV).values).toEqual({ 'context.tls': false });
    expect(explainClause(sc, 'conditions[0]', withSecret, ENV).values).toEqual({ 'action.amount': 5 });
    // both sides read when the first does not decide
    const other = request({ type: 'db.read' }, { secret: 1 });
    expect(explainClause(sc, 'prohibited[0]', other, ENV).values).toEqual({ 'action.type': 'db.read', 'context.secret': 1 });
  });

  it('shows small values whole, cuts long strings and names large lists and objects', () => {
    const big = rule({ rule_id: 'big', prohibited: [{ message: 'm', when: src('action.s != "" && action.l != null && action.o != null && action.n == 1'), span: SPAN }] });
    const req = request({ type: 't', s: 'y'.repeat(5000), l: Array(600).fill('ab'), o: { k: 'z'.repeat(2000) }, n: 1 }, {});
    const values = explainClause(big, 'prohibited[0]', req, ENV).values;
    expect(values['action.s']).toBe(`${'y'.repeat(1024)}… (5000 characters, cut)`);
    expect(values['action.l']).toBe('(a list of 600 items, over 1024 characters as JSON: not shown)');
    expect(values['action.o']).toBe('(an object of 1 members, over 1024 characters as JSON: not shown)');
    expect(values['action.n']).toBe(1);
  });

  it('shows a list or object exactly when its JSON is at most 1024 characters (fast-check)', () => {
    const reads = rule({ rule_id: 'reads', prohibited: [{ message: 'm', when: src('action.v != 1'), span: SPAN }] });
    // Lists and objects of strings JSON escapes, padded to within 3 characters of the limit.
    const text = fc.string({ unit: fc.constantFrom('a', '"', '\\', '\n', 'é', '\u0001'), maxLength: 40 });
    const value = fc.tuple(fc.array(text, { maxLength: 8 }), fc.integer({ min: -3, max: 3 }), fc.boolean()).map(([items, delta, asObject]) => {
      if (!asObject) {
        const list: Json[] = items.map((t, i) => (i % 3 === 0 ? [t] : t));
        const pad = 1024 + delta - JSON.stringify(list).length - (list.length > 0 ? 3 : 2);
        return pad >= 0 ? [...list, 'a'.repeat(pad)] : list;
      }
      const o: { [k: string]: Json } = Object.fromEntries(items.map((t, i) => [t, i % 2 === 0 ? t : [t]]));
      const pad = 1024 + delta - JSON.stringify(o).length - (Object.keys(o).length > 0 ? 9 : 8);
      if (pad >= 0) o['~pad'] = 'a'.repeat(pad);
      return o;
    });
    fc.assert(fc.property(value, (v) => {
      const shown = explainClause(reads, 'prohibited[0]', request({ type: 't', v }, {}), ENV).values['action.v'];
      expect(shown === v).toBe(JSON.stringify(v).length <= 1024);
    }), { numRuns: 400 });
  });

  it('cuts long strings by code points, never inside a surrogate pair', () => {
    const reads = rule({ rule_id: 'reads', prohibited: [{ message: 'm', when: src('action.s != ""'), span: SPAN }] });
    const shownOf = (s: string) => explainClause(reads, 'prohibited[0]', request({ type: 't', s }, {}), ENV).values['action.s'];
    const emoji = 'a'.repeat(1023) + '😀'.repeat(10); // 1 033 code points, 1 043 UTF-16 units
    expect(shownOf(emoji)).toBe(`${'a'.repeat(1023)}😀… (1033 characters, cut)`);
    expect(shownOf('😀'.repeat(1024))).toBe('😀'.repeat(1024)); // 1 024 code points: whole
  });

  it('measures each value afresh for every check (an embedder may change a request object)', async () => {
    const engine = await createEngine({ rules: [{ path: 'r.yaml', text: 'rule_id: items\nprohibited:\n  - message: m\n    when: len(context.items) > 0\n' }] });
    const context: { items: Json[] } = { items: [1] };
    const shownItems = async () => (await engine.evaluate({ action: { type: 't' }, context }, { explain: true })).explanation?.[0].values['context.items'];
    expect(await shownItems()).toEqual([1]);
    context.items.push(...Array(600).fill('ab'));
    expect(await shownItems()).toBe('(a list of 601 items, over 1024 characters as JSON: not shown)');
    context.items.length = 1;
    expect(await shownItems()).toEqual([1]);
  });

  it('renders typed conditions compactly', () => {
    expect(explainClause(r, 'conditions[0]', req, ENV)).toEqual({
      rule_id: 'db', clause: 'conditions[0]',
      source: 'file_access_control(allowed_paths: ["src/**"], blocked_extensions: [".exe"], field: action.path)',
      values: { 'action.path': 'bin/x.exe' },
    });
    expect(explainClause(r, 'conditions[1]', req, ENV)).toMatchObject({
      source: 'encryption_required(algorithms: ["AES-256-GCM"], key_rotation_days: 90, field: context.enc)',
      values: { 'context.enc.algorithm': 'DES', 'context.enc.key_age_days': null },
    });
    expect(explainClause(r, 'conditions[2]', req, ENV)).toMatchObject({
      source: 'rate_limit_check(requests_per_minute: 60, burst_limit: 10, key: context.agent_id)',
      values: { 'context.agent_id': 'a7' },
    });
    expect(explainClause(r, 'conditions[3]', req, ENV)).toMatchObject({ source: 'action.amount  <= 100', values: { 'action.amount': 500 } });
    expect(explainClause(r, 'conditions[4]', req, ENV)).toMatchObject({
      source: 'encryption_required(algorithms: ["X"], field: context["e f"])', values: { 'context["e f"].algorithm': null },
    });
  });

  it('refuses a clause the rule does not have', () => {
    for (const bad of ['conditions[9]', 'prohibited[1]', 'required[01]', 'nonsense', 'conditions[-1]']) {
      expect(() => explainClause(r, bad, req, ENV)).toThrow(UnknownClauseError);
    }
    expect(() => explainClause(rule({ rule_id: 'x' }), 'applies_to.when', req, ENV)).toThrow('rule `x` has no clause `applies_to.when`');
  });
});

// Per-instruction tests through compiled rules: each expression runs as a `required` clause in
// the VM; the result is checked against the expectation written beside it, and against the oracle.

import { beforeAll, describe, expect, it } from 'vitest';
import { createVmEvaluator } from '../../src/engine/vm-evaluator.js';
import { loadVm, type Vm } from '../../src/engine/wasm.js';
import { createOracleEvaluator } from '../../src/ir/evaluate.js';
import type { Json, Rule } from '../../src/ir/types.js';
import { GLOB_MAX_COST } from '../../assembly/format.js';
import { GLOB_COST_DETAIL } from '../../src/ir/eval-errors.js';
import { ENV, SPAN, rule, src } from '../oracle/helpers.js';

let vm: Vm;
beforeAll(async () => {
  vm = await loadVm();
});

type Result = boolean | string;

/** true / false for a boolean result, else the violation message (an evaluation error). */
async function run(text: string, action: { [k: string]: Json } = {}, context: { [k: string]: Json } = {}): Promise<Result> {
  const rules: Rule[] = [rule({ rule_id: 'r', required: [{ message: 'false', check: src(text), span: SPAN }] })];
  const req = { action: { type: 't', ...action }, context };
  const ev = await createVmEvaluator(rules, { vm });
  const got = ev.evaluate(req, ENV);
  expect(got).toEqual(createOracleEvaluator(rules).evaluate(req, ENV));
  const v = got.violated[0];
  if (v === undefined) return true;
  return v.code === 'required' ? false : v.message;
}

const A = { s: 'Straße', n: 7, z: 0, list: ['a', 1, null, [true], { k: 'v' }], obj: { b: 2, a: [1] }, ip: '10.1.2.3', p: 'src/a/../b.ts', ctl: 'a\u0001', bad: '[a', badCidr: '10.0.0.0/33' };
// Invalid patterns, CIDRs and control characters come from the request: as literals the
// parser refuses them at load.

const CASES: [string, Result][] = [
  // literals, paths, equality (deep, key order ignored, 0 == -0)
  ['action.n == 7', true],
  ['action.missing == null', true],
  ['action.list[1] == 1', true],
  ['action.list[9] == null', true],
  ['action.obj == context.obj2', true],
  ['action.list == ["a", 1, null, [true], context.o1]', true],
  ['action.list != ["a", 1, null, [false], context.o1]', true],
  ['0 == -0', true],
  ['action.s == "Straße"', true],
  ['lower("ABC") == "abc"', true],
  ['request.tenant == "acme"', true],
  ['request.time == "2026-11-25T10:00:00.000Z"', true],
  ['request.other == null', true],
  ['context["we ird"] == 1', true],
  // comparison
  ['1 < 2 && 2 <= 2 && 3 > 2 && 3 >= 3', true],
  ['"é" > "z"', true],
  ['"😀" > "\uffff"', true],
  ['"a" < 1', 'evaluation error: `<` expects two numbers or two strings, got string and number'],
  ['action.missing >= 1', 'evaluation error: `>=` expects two numbers or two strings, got null and number'],
  // membership
  ['"a" in action.list', true],
  ['[true] in action.list', true],
  ['context.o1 in action.list', true],
  ['"raß" in action.s', true],
  ['1 in "abc"', 'evaluation error: `in` expects a list on the right, or two strings, got number and string'],
  ['"x" in action.obj', 'evaluation error: `in` expects a list on the right, or two strings, got string and object'],
  // arithmetic
  ['action.n + 1 == 8', true],
  ['"a" + "ß" == "aß"', true],
  ['action.n - 10 == -3', true],
  ['action.n * 2 == 14', true],
  ['action.n / 2 == 3.5', true],
  ['-7 % 3 == -1', true],
  ['7.5 % 2 == 1.5', true],
  ['-action.n == -7', true],
  ['action.n / action.z == 1', 'evaluation error: `/` division by zero'],
  ['action.n % 0 == 1', 'evaluation error: `%` division by zero'],
  ['1e308 * 10 == 1', 'evaluation error: `*` result is not a finite number'],
  ['1 + "a" == 1', 'evaluation error: `+` expects two numbers or two strings, got number and string'],
  ['-action.s == 1', 'evaluation error: `-` expects a number, got string'],
  // logic
  ['!(1 == 2)', true],
  ['!action.n', 'evaluation error: `!` expects a boolean, got number'],
  ['false && action.n', false],
  ['true || action.n', true],
  ['action.n && true', 'evaluation error: `&&` expects booleans, got number'],
  ['true && action.n', 'evaluation error: `&&` expects booleans, got number'],
  ['false || action.s', 'evaluation error: `||` expects booleans, got string'],
  ['action.n', 'evaluation error: expected a boolean result, got number'],
  ['action.missing', 'evaluation error: expected a boolean result, got null'],
  // functions
  ['startsWith(action.s, "Str") && endsWith(action.s, "aße")', true],
  ['startsWith(action.s, 1)', 'evaluation error: `startsWith` expects two strings, got string and number'],
  ['contains(action.list, "a") && contains(action.s, "ß")', true],
  ['contains(action.n, 1)', 'evaluation error: `contains` expects a list, or two strings, got number and number'],
  ['lower(action.s) == "straße" && upper(action.s) == "STRASSE"', true],
  ['lower("ΌΣΟΣ") == "όσος"', true],
  ['upper("ﬃ") == "FFI" && lower("İ") == "i̇"', true],
  ['lower(1) == "1"', 'evaluation error: `lower` expects a string, got number'],
  ['len(action.s) == 6 && len("😀é") == 2 && len(action.list) == 5 && len("") == 0', true],
  ['len(action.obj) == 1', 'evaluation error: `len` expects a string or a list, got object'],
  ['exists(action.n) && !exists(action.missing) && !exists(context.nul)', true],
  ['glob(action.p, "src/*.ts") && !glob(action.p, "*.ts") && glob(action.p, "**/*.ts")', true],
  ['glob("a/b", "a/**/b") && glob("a/x/y/b", "a/**/b") && !glob("a/xb", "a/**/b")', true],
  ['glob("A.md", "[A-Z].md") && !glob("a/b", "a?b") && glob("x.md", "[!a]*")', true],
  ['glob("../x", "*")', 'evaluation error: `glob`: path escapes its root'],
  ['glob(action.ctl, "*")', 'evaluation error: `glob`: path contains a control character'],
  ['glob("a", action.bad)', 'evaluation error: `glob`: invalid glob pattern'],
  ['globAny(action.p, ["*.md", "src/**"])', true],
  ['globAny(action.p, ["*.md", 1])', 'evaluation error: `globAny` expects a string and a list of strings, got string and list'],
  ['globAny(action.p, ["src/**", action.bad])', 'evaluation error: `globAny`: invalid glob pattern'],
  ['inCidr(action.ip, "10.0.0.0/8") && !inCidr(action.ip, "11.0.0.0/8")', true],
  ['inCidr("::ffff:10.1.2.3", "10.0.0.0/8") && inCidr("2001:db8::1", "2001:db8::/32")', true],
  ['inCidr("1.2.3.4", "::/0")', true], // as its mapped form ::ffff:1.2.3.4
  ['inCidr("010.1.2.3", "10.0.0.0/8")', 'evaluation error: `inCidr`: invalid IP address'],
  ['inCidr("10.1.2.3", action.badCidr)', 'evaluation error: `inCidr`: invalid CIDR'],
  ['inCidr(1, "10.0.0.0/8")', 'evaluation error: `inCidr` expects two strings, got number and string'],
  // concatenation: appended in place when the left side ends the scratch, else copied
  ['action.s + "-" + action.s + "-" + lower("X") + "!" == "Straße-Straße-x!"', true],
  ['(action.s + "1") + (action.s + "2") == "Straße1Straße2"', true],
  ['(action.s + "") + (action.s + "") == action.s + action.s', true],
  ['len(action.s + action.s + action.s + action.s) == 24 && startsWith(action.s + "x", action.s)', true],
  // lists built at run time
  ['[action.n, action.s] == [7, "Straße"]', true],
  ['[lower("AB") + "c"] == ["abc"]', true],
];

describe('instructions through compiled rules', () => {
  for (const [text, want] of CASES) {
    it(text, async () => {
      expect(await run(text, A, { o1: { k: 'v' }, obj2: { a: [1], b: 2 }, 'we ird': 1, nul: null })).toBe(want);
    });
  }
});

describe('the cost budget of glob() and globAny() (GLOB_MAX_COST)', () => {
  // 2048 × 2048 code points is exactly the budget; `é` is two UTF-8 bytes, so a VM counting
  // bytes would refuse the first case. The pattern `*a*a…*b` keeps every state active.
  const side = Math.sqrt(GLOB_MAX_COST);
  const path = 'é'.repeat(side);
  const pattern = '*é'.repeat(side / 2 - 1) + '*b';
  const over = `evaluation error: \`glob\`: ${GLOB_COST_DETAIL}`;
  it('matches up to the budget, counted in code points', async () => {
    expect(await run('glob(action.path, action.pattern)', { path, pattern })).toBe(false);
    expect(await run('glob(action.path, action.pattern)', { path, pattern: pattern.slice(0, -1) + 'é' })).toBe(true);
  });
  it('refuses a pattern × path one code point over it, before reading the pattern', async () => {
    expect(await run('glob(action.path, action.pattern)', { path: path + 'é', pattern })).toBe(over);
    expect(await run('glob(action.path, action.pattern)', { path: path + 'é', pattern: '[' + pattern })).toBe(over);
  });
  it('counts globAny patterns together', async () => {
    const half = pattern.slice(0, side / 2);
    expect(await run('globAny(action.path, [action.half, action.half])', { path, half })).toBe(true);
    expect(await run('globAny(action.path, [action.half, action.half, "x"])', { path, half }))
      .toBe(over.replace('`glob`', '`globAny`'));
  });
  it('is glob()\'s alone: a rule\'s own allowed_paths are matched whatever the path\'s length', async () => {
    const files = rule({
      rule_id: 'files',
      conditions: [{ type: 'file_access_control', allowed_paths: Array.from({ length: 80 }, (_, i) => `**/pkg${i}/**`), field: { root: 'action', segments: ['path'] }, span: SPAN }],
    });
    const req = { action: { type: 't', path: 'a/'.repeat(4000) + 'pkg3/x' }, context: {} }; // 800 × 8 006 code points
    const got = (await createVmEvaluator([files], { vm })).evaluate(req, ENV);
    expect(got).toEqual(createOracleEvaluator([files]).evaluate(req, ENV));
    expect(got.violated).toEqual([]);
  });
  it('counts the path as normalized', async () => {
    expect(await run('glob(action.path, action.pattern)', { path: './' + path, pattern })).toBe(false);
  });
});

describe('typed conditions', () => {
  const enc: Rule = rule({
    rule_id: 'enc',
    conditions: [{ type: 'encryption_required', algorithms: ['AES-256-GCM'], key_rotation_days: 90, field: { root: 'context', segments: ['enc'] }, span: SPAN }],
  });
  const files: Rule = rule({
    rule_id: 'files',
    conditions: [{ type: 'file_access_control', allowed_paths: ['src/**'], blocked_extensions: ['.exe'], field: { root: 'action', segments: ['path'] }, span: SPAN }],
  });
  const cases: [Rule, { [k: string]: Json }, { [k: string]: Json }, string | null][] = [
    [enc, {}, { enc: { algorithm: 'AES-256-GCM', key_age_days: 90 } }, null],
    [enc, {}, { enc: { algorithm: 'DES', key_age_days: 1 } }, 'encryption_algorithm'],
    [enc, {}, {}, 'encryption_algorithm'],
    [enc, {}, { enc: { algorithm: 'AES-256-GCM', key_age_days: 91 } }, 'encryption_key_age'],
    [enc, {}, { enc: { algorithm: 'AES-256-GCM', key_age_days: '1' } }, 'encryption_key_age'],
    [files, { path: 'src/a/../b.ts' }, {}, null],
    [files, { path: 7 }, {}, 'path_invalid'],
    [files, { path: '../x' }, {}, 'path_invalid'],
    [files, { path: 'docs/x.md' }, {}, 'path_not_allowed'],
    [files, { path: 'src\\run.EXE. ' }, {}, 'extension_blocked'],
  ];
  for (const [r, action, context, code] of cases) {
    it(`${r.rule_id} ${JSON.stringify({ action, context })} → ${code ?? 'ok'}`, async () => {
      const req = { action: { type: 't', ...action }, context };
      const got = (await createVmEvaluator([r], { vm })).evaluate(req, ENV);
      expect(got).toEqual(createOracleEvaluator([r]).evaluate(req, ENV));
      expect(got.violated.map((v) => v.code)).toEqual(code === null ? [] : [code]);
    });
  }
});

describe('scope', () => {
  const scoped = (extra: Partial<Rule>): Rule => rule({ rule_id: 's', prohibited: [{ message: 'm', when: src('true'), span: SPAN }], ...extra });
  const cases: [Partial<Rule>, { [k: string]: Json }, boolean][] = [
    [{ applies_to: { actions: ['db.*'] } }, { type: 'db.admin.drop' }, true],
    [{ applies_to: { actions: ['db.*'] } }, { type: 'dbx' }, false],
    [{ applies_to: { actions: ['*.read', 'x?z'] } }, { type: 'xyz' }, true],
    [{ applies_to: { actions: ['db.write'] } }, { type: 'db.writes' }, false],
    [{ applies_to: { actions: [] } }, { type: 'db' }, false],
    [{ globs: ['src/**'] }, { type: 't', path: 'src/a/b.ts' }, true],
    [{ globs: ['src/**'] }, { type: 't', path: 'lib/a.ts' }, false],
    [{ globs: ['src/**'] }, { type: 't', path: '../escape' }, true],
    [{ globs: ['src/**'] }, { type: 't' }, false],
    [{ applies_to: { when: src('context.on == true') } }, { type: 't' }, false],
    [{ alwaysApply: true, applies_to: { actions: ['nope'] } }, { type: 't' }, true],
    [{ alwaysApply: false }, { type: 't' }, false],
    [{ enabled: false }, { type: 't' }, false],
  ];
  for (const [extra, action, applies] of cases) {
    it(`${JSON.stringify(extra).slice(0, 80)} on ${JSON.stringify(action)} → ${applies}`, async () => {
      const r = scoped(extra);
      const req = { action: { type: 't', ...action }, context: {} };
      const got = (await createVmEvaluator([r], { vm })).evaluate(req, ENV);
      expect(got).toEqual(createOracleEvaluator([r]).evaluate(req, ENV));
      expect(got.applicable).toEqual(applies ? ['s'] : []);
    });
  }

  it('an error in applies_to.when makes the rule apply, with the error on that clause', async () => {
    const r = scoped({ applies_to: { when: src('context.n > 1') } });
    const got = (await createVmEvaluator([r], { vm })).evaluate({ action: { type: 't' }, context: {} }, ENV);
    expect(got).toEqual({
      applicable: ['s'],
      violated: [
        { rule_id: 's', clause: 'applies_to.when', code: 'eval_error', message: 'evaluation error: `>` expects two numbers or two strings, got null and number' },
        { rule_id: 's', clause: 'prohibited[0]', code: 'prohibited', message: 'm' },
      ],
    });
  });

  it('reports rules whose only condition is a rate limit as applicable, without evaluating it', async () => {
    const r = rule({
      rule_id: 'rl',
      conditions: [{ type: 'rate_limit_check', requests_per_minute: 1, burst_limit: 1, key: src('context.agent'), span: SPAN }],
    });
    const ev = await createVmEvaluator([r], { vm });
    expect(ev.evaluate({ action: { type: 't' }, context: {} }, ENV)).toEqual({ applicable: ['rl'], violated: [] });
  });
});

import { describe, expect, it } from 'vitest';
import { parseRuleText } from '../../src/rules/load.js';
import { lines } from './helpers.js';

const yaml = (text: string) => parseRuleText(text, 'yaml', 'r.yaml');
const errorsOf = (text: string) => lines(yaml(text).diagnostics);
const GLOB_HELP = 'a `[` needs its closing `]`; a class must not be empty or a reversed range like `[z-a]`';
const CHECKABLE_HELP = 'add a `prohibited`, `required` or `conditions` entry; `advisory` clauses are never enforced';

describe('normalizeRule: defaults and values', () => {
  it('fills in every default', () => {
    const { rules, diagnostics } = yaml('rule_id: a\nprohibited: [{when: "true"}]\n');
    expect(diagnostics).toEqual([]);
    const r = rules[0];
    expect({ ...r, prohibited: undefined, source: undefined }).toEqual({
      rule_id: 'a', name: 'a', description: '', category: 'general', effect: 'deny', severity: 'high',
      enabled: true, conditions: [], prohibited: undefined, required: [], advisory: [], source: undefined,
    });
    expect(r.alwaysApply).toBeUndefined();
    expect(r.applies_to).toBeUndefined();
    expect(r.prohibited[0].message).toBe('true');
    expect(r.prohibited[0].when.source).toBe('true');
    expect(r.source).toEqual({ file: 'r.yaml', span: { file: 'r.yaml', line: 1, col: 1, endLine: 3, endCol: 1 }, idSpan: { file: 'r.yaml', line: 1, col: 10, endLine: 1, endCol: 11 } });
  });

  it('refuses an empty message (a denial must say why), in clauses and expression conditions', () => {
    expect(errorsOf('rule_id: a\nprohibited: [{when: "true", message: ""}]\n')).toEqual([
      '2:38 error invalid-value: `prohibited[0].message` is empty, so a denial would not say why | write what the clause is about, or leave the message out to report the expression',
    ]);
    expect(errorsOf('rule_id: a\nrequired: [{check: "1==1", message: "  "}]\n').map((l) => l.split(' | ')[0])).toEqual(['2:37 error invalid-value: `required[0].message` is empty, so a denial would not say why']);
    expect(errorsOf('rule_id: a\nrequired: [{check: "1==1", message: "\\u200B\\u00AD\\t"}]\n').map((l) => l.split(' | ')[0])).toEqual(['2:37 error invalid-value: `required[0].message` is empty, so a denial would not say why']);
    expect(errorsOf('rule_id: a\nrequired: [{check: "1==1", message: "\\u3164\\u2800\\u115F\\u034F\\uFE0F"}]\n').map((l) => l.split(' | ')[0])).toEqual(['2:37 error invalid-value: `required[0].message` is empty, so a denial would not say why']);
    expect(errorsOf('rule_id: a\nrequired: [{check: "1==1", message: "\\u200Bx"}]\n')).toEqual([]);
    expect(errorsOf('rule_id: a\nconditions: [{type: expression, parameters: {expr: "true", message: ""}}]\n').map((l) => l.split(' | ')[0])).toEqual(['2:69 error invalid-value: `parameters.message` is empty, so a denial would not say why']);
  });

  // A known gap until 11-28: each of these errored on every request, every check in scope
  // denied with an evaluation error, and lint said nothing.
  it('refuses a clause, scope or expression condition that by its form is never true or false', () => {
    const head = (text: string) => errorsOf(text).map((l) => l.split(' | ')[0]);
    expect(head('rule_id: a\nprohibited: [{when: "action.cost * 2"}]\n')).toEqual(['2:22 error not-a-test: `prohibited[0].when` is a number, never true or false: every check it is evaluated for would be denied with an evaluation error']);
    expect(head('rule_id: a\nrequired: [{check: "action.type"}]\n')).toEqual(['2:21 error not-a-test: `required[0].check` is a string, never true or false: every check it is evaluated for would be denied with an evaluation error']);
    expect(head('rule_id: a\napplies_to: {when: "len(context.tags)"}\nprohibited: [{when: "true"}]\n')).toEqual(['2:21 error not-a-test: `applies_to.when` is a number, never true or false: every check it is evaluated for would be denied with an evaluation error']);
    expect(head('rule_id: a\nconditions: [{type: expression, parameters: {expr: "lower(action.x)"}}]\n')).toEqual(['2:53 error not-a-test: `parameters.expr` is a string, never true or false: every check it is evaluated for would be denied with an evaluation error']);
    for (const e of ['"yes"', '1', 'null', '[true]', '-context.n', 'action.a + action.b', 'request.time']) {
      expect(head(`rule_id: a\nprohibited: [{when: '${e}'}]\n`), e).toEqual([expect.stringContaining('error not-a-test')]);
    }
    // A test, or what may be one (a field alone may hold a boolean), loads.
    for (const e of ['context.approved', 'true', '!context.x', 'action.cost * 2 > 100', 'exists(context.x)', 'contains(context.tags, "a")', '(action.a)']) {
      expect(errorsOf(`rule_id: a\nprohibited: [{when: '${e}'}]\n`), e).toEqual([]);
    }
    // The MDC form too.
    const mdc = parseRuleText('# T\n**Rule ID:** `t`\n## Prohibited\n- cost `action.cost * 2`\n', 'mdc', 'r.mdc');
    expect(lines(mdc.diagnostics).map((l) => l.split(' | ')[0])).toEqual([expect.stringMatching(/^4:\d+ error not-a-test: `prohibited\[0\]\.when` is a number/)]);
  });

  // A review (11-27): a message holding NUL or U+202E loaded without a word from lint.
  it('warns of a clause or scope written as a constant that never denies, and still loads the rule', () => {
    expect(errorsOf('rule_id: a\napplies_to: {when: "false"}\nprohibited: [{message: m, when: "true"}]\n')).toEqual([
      '2:21 warning constant-test: `applies_to.when` is always false, so the rule never applies | write the condition the rule applies under, or remove the rule (`enabled: false` keeps it off on purpose)',
    ]);
    expect(errorsOf('rule_id: a\nprohibited: [{message: m, when: "false"}]\nrequired: [{message: n, check: "true"}]\n').map((l) => l.split(' | ')[0])).toEqual([
      '2:34 warning constant-test: `prohibited[0].when` is always false, so this clause never denies',
      '3:33 warning constant-test: `required[0].check` is always true, so this clause never denies',
    ]);
    expect(yaml('rule_id: a\nprohibited: [{message: m, when: "false"}]\n').rules).toHaveLength(1);
    // What denies, or may: no warning.
    expect(errorsOf('rule_id: a\napplies_to: {when: "true"}\nprohibited: [{message: m, when: "true"}]\nrequired: [{message: n, check: "false"}, {message: o, check: "1 > 2"}]\n')).toEqual([]);
    const mdc = parseRuleText('---\nrule_id: md\n---\n# T\n## Prohibited\n- Never `false`\n## Required\n- Always `true`\n', 'mdc', 'md.mdc').diagnostics;
    expect(mdc.map((d) => `${d.span.line}:${d.span.col} ${d.code}`)).toEqual(['6:10 constant-test', '8:11 constant-test']);
  });

  it('warns of a message holding a control or bidirectional-formatting character, and keeps it', () => {
    const { rules, diagnostics } = yaml('rule_id: a\nprohibited: [{when: "true", message: "pay \\u202Eexe.txt"}]\n');
    expect(lines(diagnostics).map((l) => l.split(' | ')[0])).toEqual([
      '2:38 warning message-control-character: `prohibited[0].message` holds U+202E, a control or bidirectional-formatting character: where the denial is shown it can cut the text or make it read otherwise',
    ]);
    expect(rules[0].prohibited[0].message).toBe('pay \u202Eexe.txt');
    expect(errorsOf('rule_id: a\nrequired: [{check: "1==1", message: "a\\u0000b"}]\n').map((l) => l.split(' ')[1])).toEqual(['warning']);
    // Line breaks and tabs are text (a YAML block scalar ends in one), as is a zero-width joiner.
    expect(errorsOf('rule_id: a\nrequired:\n  - check: "1==1"\n    message: |\n      two\n      lines\tand \u200d\n')).toEqual([]);
  });

  it('keeps every field given, and takes `always_apply` as `alwaysApply`', () => {
    const { rules, diagnostics } = yaml(`rule_id: full.rule_1
name: Full
description: D
category: security
effect: warn
severity: low
enabled: false
always_apply: true
applies_to: { actions: ["db.*"], when: 'context.env == "prod"' }
globs: "src/**, *.ts"
required: [{message: M, check: "context.ok == true"}]
advisory: [be nice]
`);
    expect(diagnostics.map((d) => d.code)).toEqual(['ignored-scope']);
    const r = rules[0];
    expect([r.rule_id, r.name, r.description, r.category, r.effect, r.severity, r.enabled, r.alwaysApply])
      .toEqual(['full.rule_1', 'Full', 'D', 'security', 'warn', 'low', false, true]);
    expect(r.applies_to?.actions).toEqual(['db.*']);
    expect(r.applies_to?.when?.source).toBe('context.env == "prod"');
    expect(r.applies_to?.when?.expr.span).toMatchObject({ line: 9, col: 41 });
    expect(r.globs).toEqual(['src/**', '*.ts']);
    expect(r.required[0]).toMatchObject({ message: 'M', check: { source: 'context.ok == true' } });
    expect(r.advisory).toEqual(['be nice']);
  });

  it('warns that a scope is ignored when alwaysApply is true, and still loads the rule', () => {
    const r = yaml('rule_id: a\nalwaysApply: true\nglobs: ["src/**"]\nprohibited: [{when: "true"}]\n');
    expect(lines(r.diagnostics)).toEqual([
      '2:14 warning ignored-scope: rule `a` applies always: `alwaysApply` is true, so its scope is ignored | remove `applies_to` and `globs`, or remove `alwaysApply: true` to apply the rule only within its scope',
    ]);
    expect(r.rules.map((x) => [x.alwaysApply, x.globs])).toEqual([[true, ['src/**']]]);
  });

  it('treats a field written with no value (YAML null) as absent', () => {
    const { rules, diagnostics } = yaml('rule_id: a\ndescription:\nglobs:\nprohibited: [{when: "true"}]\n');
    expect(diagnostics).toEqual([]);
    expect(rules[0].description).toBe('');
    expect(rules[0].globs).toBeUndefined();
  });

  it('normalizes each condition type with its defaults', () => {
    const { rules, diagnostics } = yaml(`rule_id: c
conditions:
  - type: expression
    parameters: { expr: "action.x == 1", message: X }
  - type: encryption_required
    parameters: { algorithms: [AES-256-GCM], key_rotation_days: 0 }
  - type: file_access_control
    parameters: { allowed_paths: ["src/**"], blocked_extensions: [EXE, ".Bat", ".exe"], field: 'action["file path"]' }
  - type: rate_limit_check
    parameters: { requests_per_minute: 60 }
  - type: rate_limit_check
    parameters: { requests_per_minute: 0.5, burst_limit: 2, key: "context.user" }
`);
    expect(diagnostics).toEqual([]);
    const [expr, enc, file, rate, rate2] = rules[0].conditions;
    expect(expr).toMatchObject({ type: 'expression', message: 'X', expr: { source: 'action.x == 1' } });
    expect(enc).toMatchObject({ type: 'encryption_required', algorithms: ['AES-256-GCM'], key_rotation_days: 0,
      field: { root: 'context', segments: ['encryption'] } });
    expect(file).toMatchObject({ type: 'file_access_control', allowed_paths: ['src/**'], blocked_extensions: ['.exe', '.bat'],
      field: { root: 'action', segments: ['file path'] } });
    expect(rate).toMatchObject({ type: 'rate_limit_check', requests_per_minute: 60, burst_limit: 60,
      key: { source: 'context.agent_id', expr: { kind: 'path', path: { root: 'context', segments: ['agent_id'] } } } });
    expect(rate2).toMatchObject({ requests_per_minute: 0.5, burst_limit: 2, key: { source: 'context.user' } });
    expect(expr.span).toMatchObject({ line: 3, col: 5 });
  });

  it('defaults the file_access_control field to action.path', () => {
    const { rules } = yaml('rule_id: f\nconditions: [{type: file_access_control}]\n');
    expect(rules[0].conditions[0]).toMatchObject({ field: { root: 'action', segments: ['path'] } });
  });
});

describe('normalizeRule: diagnostics, whole message, help and place', () => {
  it.each<[string, string, string[]]>([
    ['a rule that is not a map', '- 3\n', ['1:3 error invalid-type: a rule must be a map of its fields (`rule_id`, `conditions`, …), got number']],
    ['unknown field with a suggestion', 'rule_id: a\ncatgory: x\nprohibited: [{when: "true"}]\n',
      ['2:1 error unknown-field: unknown field `catgory` | did you mean `category`?']],
    ['unknown field without a suggestion', 'rule_id: a\nzzzzzz: x\nprohibited: [{when: "true"}]\n',
      ['2:1 error unknown-field: unknown field `zzzzzz` | expected `rule_id`, `name`, `description`, `category`, `effect`, `severity`, `enabled`, `alwaysApply`, `always_apply`, `applies_to`, `globs`, `conditions`, `prohibited`, `required` or `advisory`']],
    ['missing rule_id', 'name: x\nprohibited: [{when: "true"}]\n',
      ['1:1 error missing-field: missing required field `rule_id` | every rule needs a unique `rule_id`, like `db-access-control`']],
    ['bad rule id', 'rule_id: Db Access\nprohibited: [{when: "true"}]\n',
      ['1:10 error invalid-rule-id: invalid rule id `Db Access` | a rule id starts with a lowercase letter or digit, followed by lowercase letters, digits, `.`, `_` or `-`']],
    ['rule id too long (an API rule is a file named by it)', `rule_id: ${'a'.repeat(201)}\nprohibited: [{when: "true"}]\n`,
      ['1:10 error invalid-rule-id: rule id of 201 characters; at most 200 | an id names the rule in every decision and, added through the API, its file: shorten it']],
    ['rule id of the wrong type', 'rule_id: 12\nprohibited: [{when: "true"}]\n',
      ['1:10 error invalid-type: `rule_id` must be a string, got number']],
    ['field types', 'rule_id: a\nname: [x]\nenabled: "yes"\nadvisory: [1]\nprohibited: [{when: "true"}]\n', [
      '2:7 error invalid-type: `name` must be a string, got list',
      '3:10 error invalid-type: `enabled` must be a boolean (`true` or `false`), got string',
      '4:12 error invalid-type: `advisory[0]` must be a string, got number',
    ]],
    ['enum values', 'rule_id: a\neffect: dney\nseverity: urgent\nprohibited: [{when: "true"}]\n', [
      '2:9 error invalid-value: `effect` must be `deny` or `warn`, got `dney` | did you mean `deny`?',
      '3:11 error invalid-value: `severity` must be `low`, `medium`, `high` or `critical`, got `urgent`',
    ]],
    ['both alias spellings', 'rule_id: a\nalwaysApply: true\nalways_apply: true\nprohibited: [{when: "true"}]\n',
      ['3:1 error conflicting-alias: both `alwaysApply` and `always_apply` are given | they are the same field; keep one of them']],
    ['no checkable clause', 'rule_id: a\nadvisory: [be nice]\n',
      [`1:10 error no-checkable-clause: rule \`a\` has no checkable clause | ${CHECKABLE_HELP}`]],
    ['alwaysApply false without scope', 'rule_id: a\nalwaysApply: false\napplies_to: {}\nprohibited: [{when: "true"}]\n',
      ['2:14 error never-applies: rule `a` can never apply: `alwaysApply` is false and it has no scope | remove `alwaysApply: false`, or scope the rule with `applies_to` or `globs`']],
    ['empty action list', 'rule_id: a\napplies_to: {actions: []}\nprohibited: [{when: "true"}]\n',
      ['2:23 error never-applies: `applies_to.actions` is empty, so the rule never applies | list action types like `db.*`, or remove `actions` to apply to every action']],
    ['empty globs', 'rule_id: a\nglobs: []\nprohibited: [{when: "true"}]\n',
      ['2:8 error never-applies: `globs` is empty, so the rule never applies | list path globs like `src/**`, or remove `globs`']],
    ['unknown scope field', 'rule_id: a\napplies_to: {action: ["x"]}\nprohibited: [{when: "true"}]\n',
      ['2:14 error unknown-field: unknown field `action` in `applies_to` | did you mean `actions`?']],
    ['an empty action pattern (it matches only `"type": ""`), one with spaces or a zero-width space around, a blank path glob', 'rule_id: a\napplies_to: {actions: ["db.*", "", "db.* ", "db.*\\u200b"]}\nglobs: [" ", "\\u3164"]\nprohibited: [{when: "true"}]\n', [
      '2:32 error unmatchable-glob: an empty pattern matches only an empty action type | write an action type glob such as `db.*` (`*` for every action), or remove it',
      '2:36 error unmatchable-glob: `db.* ` begins or ends with white space or an invisible character, which no action type does | write `db.*`',
      '2:45 error unmatchable-glob: `db.*\u200b` begins or ends with white space or an invisible character, which no action type does | write `db.*`',
      '3:9 error unmatchable-glob: a pattern of only white space or invisible characters matches no path anyone means | write a pattern such as `src/**`, or remove it',
      '3:14 error unmatchable-glob: a pattern of only white space or invisible characters matches no path anyone means | write a pattern such as `src/**`, or remove it',
    ]],
    ['invalid globs, action and path mode', 'rule_id: a\napplies_to: {actions: ["db.[x"]}\nglobs: ["ok/**", "src/[z-a]"]\nprohibited: [{when: "true"}]\n', [
      `2:24 error invalid-glob: invalid glob pattern \`db.[x\` | ${GLOB_HELP}`,
      `3:18 error invalid-glob: invalid glob pattern \`src/[z-a]\` | ${GLOB_HELP}`,
    ]],
    ['a comma-separated globs string: each bad pattern pointed at where it is written', 'rule_id: a\nglobs: "src/**, ./lib/*.js,a//b"\nprohibited: [{when: "true"}]\n', [
      '2:17 error unmatchable-glob: `./lib/*.js` can never match: paths are normalized before matching (`\\` → `/`, no `.`, `..` or empty segments, no trailing `/`) | write `lib/*.js`',
      '2:28 error unmatchable-glob: `a//b` can never match: paths are normalized before matching (`\\` → `/`, no `.`, `..` or empty segments, no trailing `/`) | write `a/b`',
    ]],
    ['a rule id MGE keeps for its own denials', 'rule_id: mge.engine\nprohibited: [{when: "true"}]\n',
      ["1:10 error reserved-rule-id: rule id `mge.engine` is reserved: ids starting with `mge.` name MGE's own denials (`mge.engine`: an internal failure) | choose another id"]],
    ['path globs that can never match a normalized path, and braces', 'rule_id: a\napplies_to: {actions: ["db.{read,write}"]}\nglobs: ["./src/**", "src//x", "src/**/", "", "../x/**", "src/**/*.{ts"]\nprohibited: [{when: "true"}]\n', [
      '2:24 error unmatchable-glob: braces are not glob syntax here: `db.{read,write}` would match them as characters | list each alternative as a pattern of its own, e.g. `src/**/*.ts` and `src/**/*.tsx`; a brace meant as a character is written as a class, `[{]`',
      '3:9 error unmatchable-glob: `./src/**` can never match: paths are normalized before matching (`\\` → `/`, no `.`, `..` or empty segments, no trailing `/`) | write `src/**`',
      '3:21 error unmatchable-glob: `src//x` can never match: paths are normalized before matching (`\\` → `/`, no `.`, `..` or empty segments, no trailing `/`) | write `src/x`',
      '3:31 error unmatchable-glob: `src/**/` can never match: paths are normalized before matching (`\\` → `/`, no `.`, `..` or empty segments, no trailing `/`) | write `src/**`',
      '3:42 error unmatchable-glob: an empty pattern matches no path | write a pattern such as `src/**`, or remove it',
      '3:46 error unmatchable-glob: `../x/**` can never match: a path that escapes its root is refused before matching | write the pattern relative to the root, without `..` above it or control characters',
      '3:57 error unmatchable-glob: braces are not glob syntax here: `src/**/*.{ts` would match them as characters | list each alternative as a pattern of its own, e.g. `src/**/*.ts` and `src/**/*.tsx`; a brace meant as a character is written as a class, `[{]`',
    ]],
    ['a literal glob() pattern that can never match', 'rule_id: a\nprohibited: [{when: \'glob(action.path, "./src/**") || globAny(action.path, ["ok/**", "a/"])\'}]\n', [
      '2:40 error unmatchable-glob: `./src/**` can never match: paths are normalized before matching (`\\` → `/`, no `.`, `..` or empty segments, no trailing `/`) | write `src/**`',
      '2:86 error unmatchable-glob: `a/` can never match: paths are normalized before matching (`\\` → `/`, no `.`, `..` or empty segments, no trailing `/`) | write `a`',
    ]],
    ['clause without its expression', 'rule_id: a\nprohibited: [{message: m}]\nrequired:\n  - mesage: m\n', [
      '2:14 error missing-field: missing field `when` in `prohibited[0]` | write the expression that makes the action prohibited',
      '4:5 error unknown-field: unknown field `mesage` in `required[0]` | did you mean `message`?',
      '4:5 error missing-field: missing field `check` in `required[0]` | write the expression that must hold',
    ]],
    ['clause lists of the wrong type', 'rule_id: a\nprohibited: {when: x}\nrequired: [x]\n', [
      '2:13 error invalid-type: `prohibited` must be a list, got map',
      '3:12 error invalid-type: `required[0]` must be a map, got string',
    ]],
    ['expression errors at their place in the file', 'rule_id: a\nprohibited:\n  - when: "action.type == "\n', [
      '3:26 error expr-syntax: expected an expression, found end of input',
    ]],
    ['an expression that is not a string', 'rule_id: a\nrequired: [{check: true}]\n',
      ['2:20 error invalid-type: `required[0].check` must be a string, got boolean']],
  ])('%s', (_name, text, expected) => {
    const r = yaml(text);
    expect(lines(r.diagnostics)).toEqual(expected);
    expect(r.rules).toEqual([]);
  });
});

describe('normalizeRule: patterns', () => {
  // A review (11-27): such a deny scope governed nothing and lint was quiet (a path may hold a
  // space at its ends, so it is said, not refused).
  it('warns of a path glob with white space or an invisible character at an end, and loads the rule', () => {
    const r = yaml('rule_id: a\nglobs: [" secrets/**", "keys/**\\u00a0", "ok/**"]\nprohibited: [{when: "true"}]\n');
    expect(lines(r.diagnostics)).toEqual([
      '2:9 warning glob-edge-space: ` secrets/**` begins or ends with white space or an invisible character: it matches only paths that do too | write `secrets/**` unless that is meant',
      '2:24 warning glob-edge-space: `keys/**\u00a0` begins or ends with white space or an invisible character: it matches only paths that do too | write `keys/**` unless that is meant',
    ]);
    expect(r.rules).toHaveLength(1);
    // The same of a literal pattern in `glob()` / `globAny()` (the review of that warning).
    const inExpr = yaml('rule_id: a\nprohibited: [{when: \'globAny(action.path, [" x/**"]) || glob(action.path, "y/** ")\'}]\n');
    expect(lines(inExpr.diagnostics).map((l) => l.replace(/^\d+:\d+ /, ''))).toEqual([
      'warning glob-edge-space: ` x/**` begins or ends with white space or an invisible character: it matches only paths that do too | write `x/**` unless that is meant',
      'warning glob-edge-space: `y/** ` begins or ends with white space or an invisible character: it matches only paths that do too | write `y/**` unless that is meant',
    ]);
    expect(inExpr.rules).toHaveLength(1);
  });

  it('takes an emoji that ends in its presentation selector (U+FE0F) as a pattern like any other', () => {
    expect(errorsOf('rule_id: a\napplies_to: {actions: ["react.\\u2764\\uFE0F"]}\nprohibited: [{when: "true"}]\n')).toEqual([]);
  });
});

describe('normalizeRule: conditions', () => {
  const cond = (c: string) => errorsOf(`rule_id: a\nconditions:\n  - ${c}\n`);

  it.each<[string, string, string[]]>([
    ['unknown type with a suggestion', 'type: rate_limit_chek',
      ['3:11 error unknown-condition-type: unknown condition type `rate_limit_chek` | did you mean `rate_limit_check`?']],
    ['unknown type without one', 'type: quota',
      ['3:11 error unknown-condition-type: unknown condition type `quota` | expected `expression`, `encryption_required`, `file_access_control` or `rate_limit_check`']],
    ['missing type', '{parameters: {}}',
      ['3:5 error missing-field: missing field `type` in `conditions[0]` | expected `expression`, `encryption_required`, `file_access_control` or `rate_limit_check`']],
    ['unknown condition field', '{type: expression, params: {expr: "true"}}', [
      '3:6 error missing-parameter: condition type `expression` needs parameter `expr`',
      '3:24 error unknown-field: unknown field `params` in `conditions[0]` | expected `type` or `parameters`',
    ]],
    ['missing parameter', '{type: rate_limit_check, parameters: {}}',
      ['3:30 error missing-parameter: condition type `rate_limit_check` needs parameter `requests_per_minute`']],
    ['unknown parameter', '{type: rate_limit_check, parameters: {requests_per_minute: 5, burst: 3}}',
      ['3:67 error unknown-parameter: unknown parameter `burst` for condition type `rate_limit_check` | expected `requests_per_minute`, `burst_limit` or `key`']],
    ['rpm not above 0', '{type: rate_limit_check, parameters: {requests_per_minute: 0}}',
      ['3:64 error invalid-parameter: parameter `requests_per_minute` must be greater than 0, got `0`']],
    ['burst below 1', '{type: rate_limit_check, parameters: {requests_per_minute: 5, burst_limit: 0.5}}',
      ['3:80 error invalid-parameter: parameter `burst_limit` must be 1 or more, got `0.5`']],
    ['rpm below 1 with the default burst', '{type: rate_limit_check, parameters: {requests_per_minute: 0.5}}',
      ['3:64 error invalid-parameter: parameter `requests_per_minute` is below 1, so the default `burst_limit` (equal to it) could never hold a token | set `burst_limit` to 1 or more']],
    ['rpm of the wrong type', '{type: rate_limit_check, parameters: {requests_per_minute: "10"}}',
      ['3:64 error invalid-parameter: `parameters.requests_per_minute` must be a finite number, got string']],
    ['rpm infinite', '{type: rate_limit_check, parameters: {requests_per_minute: .inf}}',
      ['3:64 error invalid-parameter: `parameters.requests_per_minute` must be a finite number, got infinity']],
    ['rpm NaN', '{type: rate_limit_check, parameters: {requests_per_minute: .nan}}',
      ['3:64 error invalid-parameter: `parameters.requests_per_minute` must be a finite number, got NaN']],
    ['rpm minus infinity', '{type: rate_limit_check, parameters: {requests_per_minute: -.inf}}',
      ['3:64 error invalid-parameter: `parameters.requests_per_minute` must be a finite number, got minus infinity']],
    ['bad key expression', '{type: rate_limit_check, parameters: {requests_per_minute: 5, key: "context."}}',
      ['3:81 error expr-syntax: expected a field name after `.`, found end of input']],
    // An empty (null) parameter is ill-typed, not left out: it would switch its check off.
    ['rotation days left empty', '{type: encryption_required, parameters: {algorithms: [a], key_rotation_days: null}}',
      ['3:82 error invalid-parameter: `parameters.key_rotation_days` must be a finite number, got null']],
    ['allowed paths left empty', '{type: file_access_control, parameters: {allowed_paths: ~}}',
      ['3:61 error invalid-parameter: `parameters.allowed_paths` must be a list, got null']],
    ['negative rotation days', '{type: encryption_required, parameters: {algorithms: [a], key_rotation_days: -1}}',
      ['3:82 error invalid-parameter: parameter `key_rotation_days` must be 0 or more, got `-1`']],
    ['empty algorithms', '{type: encryption_required, parameters: {algorithms: []}}',
      ['3:58 error invalid-parameter: parameter `algorithms` must list at least one algorithm']],
    ['algorithms of the wrong type', '{type: encryption_required, parameters: {algorithms: AES}}',
      ['3:58 error invalid-parameter: `parameters.algorithms` must be a list, got string']],
    ['field that is not a path', '{type: encryption_required, parameters: {algorithms: [a], field: "lower(context.x)"}}',
      ['3:70 error invalid-parameter: parameter `field` must be a path like `context.encryption`, got `lower(context.x)`']],
    ['bad allowed path glob', '{type: file_access_control, parameters: {allowed_paths: ["a/[b"]}}',
      [`3:62 error invalid-glob: invalid glob pattern \`a/[b\` | ${GLOB_HELP}`]],
    ['allowed path glob no path can match', '{type: file_access_control, parameters: {allowed_paths: ["./ws/**"]}}',
      ['3:62 error unmatchable-glob: `./ws/**` can never match: paths are normalized before matching (`\\` → `/`, no `.`, `..` or empty segments, no trailing `/`) | write `ws/**`']],
    ['bad extensions', '{type: file_access_control, parameters: {blocked_extensions: [".", "a/b", "exe.", "", "*.exe", " .exe", ".e?e", "exe:x"]}}', [
      '3:67 error invalid-parameter: invalid extension `.` in `blocked_extensions` | write an extension like `.exe`, compared literally: not empty, no pattern characters (`*?[]{}`), no `/`, `\\`, `:` or white space, not ending in a dot',
      '3:72 error invalid-parameter: invalid extension `a/b` in `blocked_extensions` | write an extension like `.exe`, compared literally: not empty, no pattern characters (`*?[]{}`), no `/`, `\\`, `:` or white space, not ending in a dot',
      '3:79 error invalid-parameter: invalid extension `exe.` in `blocked_extensions` | write an extension like `.exe`, compared literally: not empty, no pattern characters (`*?[]{}`), no `/`, `\\`, `:` or white space, not ending in a dot',
      '3:87 error invalid-parameter: invalid extension `` in `blocked_extensions` | write an extension like `.exe`, compared literally: not empty, no pattern characters (`*?[]{}`), no `/`, `\\`, `:` or white space, not ending in a dot',
      '3:91 error invalid-parameter: invalid extension `*.exe` in `blocked_extensions` | write an extension like `.exe`, compared literally: not empty, no pattern characters (`*?[]{}`), no `/`, `\\`, `:` or white space, not ending in a dot',
      '3:100 error invalid-parameter: invalid extension ` .exe` in `blocked_extensions` | write an extension like `.exe`, compared literally: not empty, no pattern characters (`*?[]{}`), no `/`, `\\`, `:` or white space, not ending in a dot',
      '3:109 error invalid-parameter: invalid extension `.e?e` in `blocked_extensions` | write an extension like `.exe`, compared literally: not empty, no pattern characters (`*?[]{}`), no `/`, `\\`, `:` or white space, not ending in a dot',
      '3:117 error invalid-parameter: invalid extension `exe:x` in `blocked_extensions` | write an extension like `.exe`, compared literally: not empty, no pattern characters (`*?[]{}`), no `/`, `\\`, `:` or white space, not ending in a dot',
    ]],
    ['parameters that are not a map', '{type: expression, parameters: [x]}', [
      '3:36 error invalid-parameter: `conditions[0].parameters` must be a map, got list',
    ]],
  ])('%s', (_name, c, expected) => {
    expect(cond(c)).toEqual(expected);
  });

  it('reports every error of a file, not just the first', () => {
    const errors = errorsOf(`rule_id: Bad
catgory: x
conditions:
  - type: rate_limit
  - type: rate_limit_check
    parameters: { requests_per_minute: 0 }
prohibited:
  - when: "a &&"
`);
    expect(errors.map((e) => e.split(' ').slice(0, 3).join(' '))).toEqual([
      '1:10 error invalid-rule-id:', '2:1 error unknown-field:', '4:11 error unknown-condition-type:',
      '6:40 error invalid-parameter:', '8:12 error unknown-root:', '8:16 error expr-syntax:',
    ]);
  });
});

describe('expression errors point into the file in every format', () => {
  it('MDC: at the column inside the bullet', () => {
    const text = '**Rule ID:** `m`\n\n## Prohibited\n- Writes in prod: `action.type == "db.write" && contxt.env == "prod"`\n';
    expect(lines(parseRuleText(text, 'mdc', 'r.mdc').diagnostics)).toEqual([
      '4:49 error unknown-root: unknown name `contxt` | did you mean `context`?',
    ]);
  });

  it('JSON: after the opening quote', () => {
    const text = '{"rule_id": "j",\n "required": [{"check": "len(action.x) >"}]}';
    expect(lines(parseRuleText(text, 'json', 'r.json').diagnostics)).toEqual([
      '2:41 error expr-syntax: expected an expression, found end of input',
    ]);
  });

  it('YAML block scalar: on the first content line', () => {
    const text = 'rule_id: y\nprohibited:\n  - when: >\n      lower(action.x) == 1 +\n';
    expect(lines(parseRuleText(text, 'yaml', 'r.yaml').diagnostics)).toEqual([
      '4:29 error expr-syntax: expected an expression, found end of input',
    ]);
  });
});

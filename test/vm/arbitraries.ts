// Generators for the VM ≡ oracle property: expression ASTs over a small vocabulary (every
// operator and function, operands of any type, so errors of every kind happen), typed
// conditions, scopes, and requests whose values meet them — including strings equal to rule
// constants (interned), unicode, astral characters, control characters and long strings.

import fc from 'fast-check';
import type { BinaryOp, CheckRequest, Condition, Expr, FunctionName, Json, PathRef, Rule, SourceExpr, Span } from '../../src/ir/types.js';

const SPAN: Span = { file: 'gen.yaml', line: 1, col: 1 };

/** Strings shared by rules and requests, so interning and equality on constants are exercised. */
export const WORDS = [
  '', 'a', 'A', 'ab', 'db.write', 'db.read', 'api.call', 'prod', 'pii', 'admin',
  'src/a.ts', 'src\\b.ts', 'docs/x.md', '../etc/passwd', 'a/./b//c', '/abs/../x', 'run.EXE. ',
  'Straße', 'İstanbul', 'ΣΑΣ ΌΣ', 'ǅungla', 'ﬃ', '😀', 'a😀b', '\u{10FFFF}', 'é', 'e\u0301',
  'x\u0000y', 'c\u0085', 'tab\there', '10.1.2.3', '::ffff:10.1.2.3', '2001:db8::1', '::1', '1.2.3',
  '010.0.0.1', '10.0.0.0/8', '2001:db8::/32', '::ffff:0:0/96', '0.0.0.0/0', '10.0.0.0/33',
  '*.md', 'src/**', '**/*.ts', '[a-z]*', '[!a]?', '[a', '[]', '**/', 'a/**/b', 'db.*', '*', '?',
  'x'.repeat(300), 'é'.repeat(100),
];

const PATHS: PathRef[] = [
  { root: 'action', segments: ['type'] },
  { root: 'action', segments: ['a'] },
  { root: 'action', segments: ['n'] },
  { root: 'action', segments: ['path'] },
  { root: 'action', segments: ['tags'] },
  { root: 'action', segments: ['tags', 0] },
  { root: 'context', segments: ['s'] },
  { root: 'context', segments: ['obj'] },
  { root: 'context', segments: ['obj', 'k'] },
  { root: 'context', segments: ['we ird'] },
  { root: 'context', segments: ['__proto__'] },
  { root: 'context', segments: ['constructor'] },
  { root: 'context', segments: [] },
  { root: 'request', segments: ['time'] },
  { root: 'request', segments: ['tenant'] },
  { root: 'request', segments: ['x'] },
  { root: 'request', segments: [] },
];

const BINARY: BinaryOp[] = ['||', '&&', '==', '!=', '<', '<=', '>', '>=', 'in', '+', '-', '*', '/', '%'];
const CALLS: [FunctionName, number][] = [
  ['startsWith', 2], ['endsWith', 2], ['contains', 2], ['lower', 1], ['upper', 1], ['len', 1],
  ['glob', 2], ['globAny', 2], ['inCidr', 2],
];

const number = fc.oneof(
  fc.constantFrom(0, -0, 1, 2, 3, -1, 0.5, 1e308, -1e308, 5e-324, 2 ** 53),
  fc.integer({ min: -100, max: 100 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

const str = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...WORDS) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 6 }) },
);

const literal: fc.Arbitrary<Expr> = fc
  .oneof(fc.constant(null), fc.boolean(), number, str)
  .map((value) => ({ kind: 'literal', value, span: SPAN }));

const path: fc.Arbitrary<Expr> = fc.constantFrom(...PATHS).map((p) => ({ kind: 'path', path: p, span: SPAN }));

export const expr: fc.Arbitrary<Expr> = fc.letrec<{ e: Expr }>((tie) => ({
  e: fc.oneof(
    { maxDepth: 4, depthSize: 'small', withCrossShrink: true },
    literal,
    path,
    fc.array(tie('e'), { maxLength: 3 }).map((items): Expr => ({ kind: 'list', items, span: SPAN })),
    fc.tuple(fc.constantFrom('!' as const, '-' as const), tie('e')).map(([op, operand]): Expr => ({ kind: 'unary', op, operand, span: SPAN })),
    fc.tuple(fc.constantFrom(...BINARY), tie('e'), tie('e')).map(([op, left, right]): Expr => ({ kind: 'binary', op, left, right, span: SPAN })),
    fc.tuple(fc.constantFrom(...CALLS), tie('e'), tie('e')).map(([[fn, n], a, b]): Expr => ({ kind: 'call', fn, args: n === 1 ? [a] : [a, b], span: SPAN })),
    fc.constantFrom(...PATHS).map((p): Expr => ({ kind: 'call', fn: 'exists', args: [{ kind: 'path', path: p, span: SPAN }], span: SPAN })),
  ),
})).e;

const lit = (value: Json): Expr => ({ kind: 'literal', value: value as string, span: SPAN });
const at = (root: PathRef['root'], ...segments: string[]): Expr => ({ kind: 'path', path: { root, segments }, span: SPAN });
const call = (fn: FunctionName, ...args: Expr[]): Expr => ({ kind: 'call', fn, args, span: SPAN });
const bin = (op: BinaryOp, left: Expr, right: Expr): Expr => ({ kind: 'binary', op, left, right, span: SPAN });

/** String-valued expressions: literals, string paths, case mapping, concatenation. */
const strExpr: fc.Arbitrary<Expr> = fc.letrec<{ s: Expr }>((tie) => ({
  s: fc.oneof(
    { maxDepth: 2 },
    str.map(lit),
    fc.constantFrom(at('action', 'path'), at('context', 's'), at('action', 'type'), at('request', 'tenant')),
    tie('s').map((x) => call('lower', x)),
    tie('s').map((x) => call('upper', x)),
    fc.tuple(tie('s'), tie('s')).map(([a, b]) => bin('+', a, b)),
  ),
})).s;

const numExpr: fc.Arbitrary<Expr> = fc.oneof(
  number.map(lit),
  fc.constantFrom(at('action', 'n')),
  strExpr.map((x) => call('len', x)),
);

const IPS = ['10.1.2.3', '::ffff:10.1.2.3', '2001:db8::1', '::1', '1.2.3', '010.0.0.1', '::ffff:0a01:0203', '1:2:3:4:5:6:7:8', '1::2::3', '::1.2.3.4', 'fe80::1%1', ':::'];
const CIDRS = ['10.0.0.0/8', '2001:db8::/32', '::ffff:0:0/96', '0.0.0.0/0', '10.0.0.0/33', '::ffff:10.0.0.0/104', '::/0', '10.0.0.0/08', '10.0.0.0', '1.2.3.4/32/1'];
const PATTERNS = ['*.md', 'src/**', '**/*.ts', '[a-z]*', '[!a]?', '[a', '[]', '[z-a]', '**/', 'a/**/b', '**', '/abs/*', '*/', 'é?', '[é-ü]*', '**/**/x', '*'];

/** Well-typed calls and operators, so builtins succeed and fail on values, not only on types. */
const typedAtom: fc.Arbitrary<Expr> = fc.oneof(
  fc.tuple(strExpr, fc.oneof(fc.constantFrom(...PATTERNS).map(lit), strExpr)).map(([a, b]) => call('glob', a, b)),
  fc.tuple(strExpr, fc.subarray(PATTERNS)).map(([a, ps]) => call('globAny', a, { kind: 'list', items: ps.map(lit), span: SPAN })),
  fc.tuple(strExpr, strExpr).map(([a, b]) => call('globAny', a, { kind: 'list', items: [b, lit('*.md')], span: SPAN })),
  fc.tuple(fc.oneof(fc.constantFrom(...IPS).map(lit), strExpr), fc.oneof(fc.constantFrom(...CIDRS).map(lit), strExpr)).map(([a, b]) => call('inCidr', a, b)),
  fc.tuple(fc.constantFrom<FunctionName>('startsWith', 'endsWith', 'contains'), strExpr, strExpr).map(([f, a, b]) => call(f, a, b)),
  fc.tuple(fc.constantFrom<BinaryOp>('==', '!=', '<', '<=', '>', '>=', 'in'), strExpr, strExpr).map(([op, a, b]) => bin(op, a, b)),
  fc.tuple(fc.constantFrom<BinaryOp>('+', '-', '*', '/', '%'), numExpr, numExpr, numExpr).map(([op, a, b, c]) => bin('<=', bin(op, a, b), c)),
  fc.tuple(fc.constantFrom<BinaryOp>('==', 'in'), expr, fc.array(fc.oneof(str.map(lit), expr), { maxLength: 3 })).map(([op, a, items]) =>
    bin(op, a, { kind: 'list', items, span: SPAN })),
  fc.tuple(expr, fc.constantFrom(at('action', 'tags'), at('context', 'obj'), at('action', 'a'))).map(([a, b]) => bin('==', b, a)),
);

/** Mostly boolean-looking clauses (comparisons), so not every clause is a not_boolean error. */
const clauseExpr: fc.Arbitrary<Expr> = fc.oneof(
  expr,
  typedAtom,
  fc.tuple(fc.constantFrom<BinaryOp>('&&', '||'), typedAtom, typedAtom).map(([op, a, b]) => bin(op, a, b)),
  fc.tuple(fc.constantFrom<BinaryOp>('==', '!=', '<', 'in'), expr, expr).map(([op, left, right]): Expr => ({ kind: 'binary', op, left, right, span: SPAN })),
  fc.tuple(fc.constantFrom<BinaryOp>('&&', '||'), expr, expr).map(([op, left, right]): Expr => ({ kind: 'binary', op, left, right, span: SPAN })),
);

const source = (e: Expr): SourceExpr => ({ source: JSON.stringify(e).slice(0, 40), expr: e });

const PATH_GLOBS = ['src/**', '*.md', 'docs/**', '**/*.ts', 'a/**/b', '[a-z]*', '/abs/*'];
const ACTION_GLOBS = ['db.*', 'api.*', '*.read', 'db.write', '*', 'x?', 'Straße'];
const FIELDS: PathRef[] = [
  { root: 'context', segments: ['enc'] },
  { root: 'action', segments: ['path'] },
  { root: 'context', segments: ['s'] },
];

const condition: fc.Arbitrary<Condition> = fc.oneof(
  fc.record({ e: clauseExpr, message: fc.option(fc.constantFrom('must hold', 'nope'), { nil: undefined }) })
    .map(({ e, message }): Condition => ({ type: 'expression', expr: source(e), ...(message ? { message } : {}), span: SPAN })),
  fc.record({
    algorithms: fc.subarray(['AES-256-GCM', 'DES', 'Straße', '']),
    days: fc.option(fc.constantFrom(0, 30, 90.5), { nil: undefined }),
    field: fc.constantFrom(...FIELDS),
  }).map(({ algorithms, days, field }): Condition => ({
    type: 'encryption_required', algorithms, ...(days !== undefined ? { key_rotation_days: days } : {}), field, span: SPAN,
  })),
  fc.record({
    allowed: fc.option(fc.subarray(PATH_GLOBS), { nil: undefined, freq: 2 }),
    blocked: fc.option(fc.subarray(['.exe', '.sh', '.md', '.ts', '.i̇']), { nil: undefined }),
    field: fc.constantFrom(...FIELDS),
  }).map(({ allowed, blocked, field }): Condition => ({
    type: 'file_access_control',
    ...(allowed !== undefined ? { allowed_paths: allowed } : {}),
    ...(blocked !== undefined ? { blocked_extensions: blocked } : {}),
    field,
    span: SPAN,
  })),
  fc.constant<Condition>({
    type: 'rate_limit_check', requests_per_minute: 60, burst_limit: 60,
    key: source({ kind: 'path', path: { root: 'context', segments: ['s'] }, span: SPAN }), span: SPAN,
  }),
);

function ruleWithId(rule_id: string): fc.Arbitrary<Rule> {
  return fc.record({
    effect: fc.constantFrom('deny' as const, 'warn' as const),
    enabled: fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    alwaysApply: fc.option(fc.boolean(), { nil: undefined }),
    actions: fc.option(fc.subarray(ACTION_GLOBS), { nil: undefined }),
    when: fc.option(clauseExpr, { nil: undefined, freq: 3 }),
    globs: fc.option(fc.subarray(PATH_GLOBS), { nil: undefined, freq: 3 }),
    conditions: fc.array(condition, { maxLength: 3 }),
    prohibited: fc.array(clauseExpr, { maxLength: 2 }),
    required: fc.array(clauseExpr, { maxLength: 2 }),
  }).map((g): Rule => ({
    rule_id,
    name: rule_id,
    description: '',
    category: 'general',
    effect: g.effect,
    severity: 'high',
    enabled: g.enabled,
    ...(g.alwaysApply !== undefined ? { alwaysApply: g.alwaysApply } : {}),
    ...(g.actions || g.when
      ? { applies_to: { ...(g.actions ? { actions: g.actions } : {}), ...(g.when ? { when: source(g.when) } : {}) } }
      : {}),
    ...(g.globs ? { globs: g.globs } : {}),
    conditions: g.conditions,
    prohibited: g.prohibited.map((e, i) => ({ message: `p${i} of ${rule_id}`, when: source(e), span: SPAN })),
    required: g.required.map((e, i) => ({ message: `r${i} of ${rule_id}`, check: source(e), span: SPAN })),
    advisory: [],
    source: { file: 'gen.yaml', span: SPAN },
  }));
}

export const rules: fc.Arbitrary<Rule[]> = fc
  .uniqueArray(fc.constantFrom('a', 'b', 'c.d', 'e-f', 'z9'), { minLength: 1, maxLength: 4 })
  .chain((ids) => fc.tuple(...ids.map(ruleWithId)));

export const json: fc.Arbitrary<Json> = fc.letrec<{ v: Json }>((tie) => ({
  v: fc.oneof(
    { maxDepth: 3, depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    number,
    str,
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom('k', 'a', 'b', 'algorithm', 'key_age_days', '__proto__', 'é'), tie('v'), { maxKeys: 3 }),
  ),
})).v;

const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 3 });

export const request: fc.Arbitrary<CheckRequest> = fc.record({
  type: fc.oneof(fc.constantFrom('db.write', 'db.read', 'db.admin.drop', 'api.call', 'file.read', 'xy', 'Straße', ''), str),
  a: maybe(json),
  n: maybe(fc.oneof(number, json)),
  path: maybe(fc.oneof(fc.constantFrom(...WORDS), json)),
  tags: maybe(fc.oneof(fc.array(str, { maxLength: 3 }), json)),
  s: maybe(json),
  obj: maybe(fc.oneof(fc.record({ k: json }), json)),
  enc: maybe(fc.oneof(
    // Keys left out, never present with `undefined` (requests are parsed JSON).
    fc.record({
      algorithm: fc.constantFrom('AES-256-GCM', 'DES', 'aes-256-gcm', 'Straße') as fc.Arbitrary<Json>,
      key_age_days: fc.oneof(fc.constantFrom(0, 30, 31, 90.5, 91, -1), json),
    }, { requiredKeys: [] }),
    json,
  )),
  weird: maybe(json),
}).map((g) => {
  const action: CheckRequest['action'] = { type: g.type };
  if (g.a !== undefined) action.a = g.a;
  if (g.n !== undefined) action.n = g.n;
  if (g.path !== undefined) action.path = g.path;
  if (g.tags !== undefined) action.tags = g.tags;
  const context: CheckRequest['context'] = {};
  if (g.s !== undefined) context.s = g.s;
  if (g.obj !== undefined) context.obj = g.obj;
  if (g.enc !== undefined) context.enc = g.enc;
  if (g.weird !== undefined) context['we ird'] = g.weird;
  return { action, context };
});

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MAX_EXPR_DEPTH, parseExpression } from '../../src/expr/parser.js';
import type { Diagnostic, Expr } from '../../src/ir/types.js';
import { NO_SPAN, stripSpans } from './ast-arbitrary.js';

const ORIGIN = { file: 'rules/db.mdc', line: 12, col: 7 };

function ok(text: string): Expr {
  const r = parseExpression(text, ORIGIN);
  expect(r.diagnostics).toEqual([]);
  return r.expr!;
}

function errors(text: string): Diagnostic[] {
  const r = parseExpression(text, ORIGIN);
  expect(r.expr).toBeUndefined();
  expect(r.diagnostics.length).toBeGreaterThan(0);
  return r.diagnostics;
}

function only(text: string): Omit<Diagnostic, 'severity'> & { severity: string } {
  const ds = errors(text);
  expect(ds).toHaveLength(1);
  return ds[0];
}

const tree = (text: string): unknown => stripSpans(ok(text));
const P = (root: string, ...segments: (string | number)[]) => ({ path: { root, segments } });
const L = (v: unknown) => ({ literal: v });

describe('parseExpression: grammar', () => {
  it('parses literals', () => {
    expect(tree('"a\\"b\\\\\\/\\b\\f\\n\\r\\t\\u00e9"')).toEqual(L('a"b\\/\b\f\n\r\té'));
    expect(tree('"\\ud83d\\ude00"')).toEqual(L('😀'));
    expect(tree('0')).toEqual(L(0));
    expect(tree('12.5e-1')).toEqual(L(1.25));
    expect(tree('1E3')).toEqual(L(1000));
    expect(tree('true')).toEqual(L(true));
    expect(tree('false')).toEqual(L(false));
    expect(tree('null')).toEqual(L(null));
    expect(tree('[]')).toEqual({ list: [] });
    expect(tree('[1, "a", [null]]')).toEqual({ list: [L(1), L('a'), { list: [L(null)] }] });
  });

  it('parses paths with dots, string keys and indexes', () => {
    expect(tree('action')).toEqual(P('action'));
    expect(tree('context.a.b')).toEqual(P('context', 'a', 'b'));
    expect(tree('context["a b"][0][12].c')).toEqual(P('context', 'a b', 0, 12, 'c'));
    expect(tree('request.time')).toEqual(P('request', 'time'));
    expect(tree('action.in.true')).toEqual(P('action', 'in', 'true'));
    expect(tree('action["__proto__"]')).toEqual(P('action', '__proto__'));
  });

  it('follows the precedence table', () => {
    const a = P('action', 'a');
    const b = P('action', 'b');
    const c = P('action', 'c');
    expect(tree('action.a || action.b && action.c')).toEqual({ binary: '||', left: a, right: { binary: '&&', left: b, right: c } });
    expect(tree('!action.a == action.b')).toEqual({ unary: '!', operand: { binary: '==', left: a, right: b } });
    expect(tree('!action.a && action.b')).toEqual({ binary: '&&', left: { unary: '!', operand: a }, right: b });
    expect(tree('action.a + action.b * action.c')).toEqual({ binary: '+', left: a, right: { binary: '*', left: b, right: c } });
    expect(tree('action.a - action.b - action.c')).toEqual({ binary: '-', left: { binary: '-', left: a, right: b }, right: c });
    expect(tree('action.a + 1 < action.b')).toEqual({ binary: '<', left: { binary: '+', left: a, right: L(1) }, right: b });
    expect(tree('-action.a * action.b')).toEqual({ binary: '*', left: { unary: '-', operand: a }, right: b });
    expect(tree('action.a in [1, 2]')).toEqual({ binary: 'in', left: a, right: { list: [L(1), L(2)] } });
    expect(tree('(action.a || action.b) && action.c')).toEqual({ binary: '&&', left: { binary: '||', left: a, right: b }, right: c });
    expect(tree('!!action.a')).toEqual({ unary: '!', operand: { unary: '!', operand: a } });
  });

  it('reads a minus before a number as a negative literal', () => {
    expect(tree('-3')).toEqual(L(-3));
    expect(tree('action.a - 3')).toEqual({ binary: '-', left: P('action', 'a'), right: L(3) });
    expect(tree('-(3)')).toEqual({ unary: '-', operand: L(3) });
    expect(tree('--3')).toEqual({ unary: '-', operand: L(-3) });
  });

  it('parses every function with its arity', () => {
    const calls = [
      'startsWith(action.a, "x")', 'endsWith(action.a, "x")', 'contains(action.a, 1)', 'lower(action.a)',
      'upper(action.a)', 'len(action.a)', 'exists(action.a)', 'glob(action.p, "src/**")',
      'globAny(action.p, ["a/*", "[a-z]"])', 'inCidr(context.ip, "10.0.0.0/8")',
    ];
    for (const c of calls) expect((ok(c) as { kind: string }).kind).toBe('call');
  });

  it('gives every node a span offset from the origin, across newlines', () => {
    const e = ok('action.a ==\n  "x"');
    expect(e.span).toEqual({ file: 'rules/db.mdc', line: 12, col: 7, endLine: 13, endCol: 6 });
    if (e.kind !== 'binary') throw new Error('expected a binary node');
    expect(e.left.span).toEqual({ file: 'rules/db.mdc', line: 12, col: 7, endLine: 12, endCol: 15 });
    expect(e.right.span).toEqual({ file: 'rules/db.mdc', line: 13, col: 3, endLine: 13, endCol: 6 });
  });
});

describe('parseExpression: diagnostics', () => {
  it('reports syntax errors with what was expected and found', () => {
    expect(only('')).toEqual({ severity: 'error', code: 'expr-syntax', message: 'expected an expression, found end of input',
      span: { file: 'rules/db.mdc', line: 12, col: 7, endLine: 12, endCol: 7 } });
    expect(only('(1 + 2')).toMatchObject({ code: 'expr-syntax', message: 'expected `)`, found end of input' });
    expect(only('1 2')).toMatchObject({ message: 'expected an operator or the end of the expression, found `2`',
      span: { line: 12, col: 9, endCol: 10 } });
    expect(only('[1, 2')).toMatchObject({ message: 'expected `,` or `]`, found end of input' });
    expect(only('[1,]')).toMatchObject({ message: 'expected an expression, found `]`' });
    expect(only('lower(')).toMatchObject({ message: 'expected an expression, found end of input' });
    expect(only('lower(action.a')).toMatchObject({ message: 'expected `,` or `)`, found end of input' });
    expect(only('action.')).toMatchObject({ message: 'expected a field name after `.`, found end of input' });
    expect(only('action.1')).toMatchObject({ message: 'expected a field name after `.`, found `1`' });
    expect(only('action[1.5]')).toMatchObject({ message: 'expected a string key or a non-negative integer index, found `1.5`' });
    expect(only('action[-1]')).toMatchObject({ message: 'expected a string key or a non-negative integer index, found `-`' });
    expect(only('action[x]')).toMatchObject({ message: 'expected a string key or a non-negative integer index, found `x`', help: 'quote the key: `["x"]`' });
    expect(only('action["a"')).toMatchObject({ message: 'expected `]`, found end of input' });
    expect(only('lower(action.a)[0]')).toMatchObject({ message: 'expected an operator or the end of the expression, found `[`', help: 'only paths can be indexed' });
    expect(only('in')).toMatchObject({ message: 'expected an expression, found `in`' });
  });

  it('rejects chained comparisons', () => {
    expect(only('action.a < action.b < action.c')).toEqual({
      severity: 'error', code: 'expr-syntax', message: 'expected an operator other than a comparison, found `<`',
      help: 'comparisons do not chain; join them with `&&`, e.g. `a < b && b < c`',
      span: { file: 'rules/db.mdc', line: 12, col: 27, endLine: 12, endCol: 28 },
    });
    expect(only('action.a == 1 == true')).toMatchObject({ message: 'expected an operator other than a comparison, found `==`' });
  });

  it('explains a `!` inside a comparison', () => {
    expect(only('action.a == !action.b')).toMatchObject({
      message: 'expected an expression, found `!`',
      help: '`!` binds more loosely than comparisons and arithmetic; wrap it in parentheses, e.g. `(!x)`',
    });
  });

  it('reports lexical errors', () => {
    expect(only('"abc')).toMatchObject({ code: 'expr-syntax', message: 'unterminated string literal' });
    expect(only('"a\\qb"')).toMatchObject({ message: 'invalid escape `\\q` in string literal',
      help: 'valid escapes are `\\"` `\\\\` `\\/` `\\b` `\\f` `\\n` `\\r` `\\t` `\\uXXXX`' });
    expect(only('"\\u12"')).toMatchObject({ message: 'invalid escape `\\u12"` in string literal' });
    expect(only('"\\ud800"')).toMatchObject({ message: 'string literal contains a lone surrogate' });
    expect(only('"a\nb"')).toMatchObject({ message: 'string literal contains a raw control character', help: 'write it as an escape, e.g. `\\n`' });
    expect(only('01')).toMatchObject({ message: 'invalid number `01`' });
    expect(only('1.')).toMatchObject({ message: 'invalid number `1.`' });
    expect(only('1e999')).toMatchObject({ message: 'number `1e999` is out of range' });
    expect(only('1e-400')).toMatchObject({ message: 'number `1e-400` is out of range' }); // it would compare as 0
    // Words other languages use get the operator or literal meant here.
    expect(only('action.a == 1 and action.b == 2')).toMatchObject({ help: 'write `&&` for `and`' });
    expect(only('action.a OR action.b')).toMatchObject({ help: 'write `||` for `OR`' });
    expect(errors('not action.a')[0]).toMatchObject({ message: 'unknown name `not`', help: 'write `!` for `not`' });
    expect(only('action.a == None')).toMatchObject({ message: 'unknown name `None`', help: 'write `null` for `None`' });
    expect(only('action.a == constructor').help).toBe('paths start with `action`, `context` or `request`; strings are written in double quotes');
    expect(only('action.a __proto__').help).toBeUndefined();
    expect(only('9007199254740991.5').message).toMatch(/^integer `9007199254740991\.5` is beyond/);
    expect(only('9007199254740993')).toMatchObject({ message: 'integer `9007199254740993` is beyond ±(2^53−1) and would not be exact; write it as a string, or in exponent form if a float is meant' });
    expect(only('action.a = 1')).toMatchObject({ message: 'unexpected character `=`', help: 'use `==` to compare' });
    expect(only('action.a & true')).toMatchObject({ message: 'unexpected character `&`', help: 'use `&&` for logical and' });
    expect(only('action.a | true')).toMatchObject({ message: 'unexpected character `|`', help: 'use `||` for logical or' });
    expect(only("action.a == 'x'")).toMatchObject({ message: "unexpected character `'`", help: 'strings are written in double quotes: `"…"`' });
    expect(only('action.a == #')).toMatchObject({ message: 'unexpected character `#`' });
    expect(only('action.a == 😀')).toMatchObject({ message: 'unexpected character `😀`', span: { col: 19, endCol: 21 } });
  });

  it('reports unknown roots with did-you-mean', () => {
    expect(only('actoin.type == "x"')).toEqual({
      severity: 'error', code: 'unknown-root', message: 'unknown name `actoin`', help: 'did you mean `action`?',
      span: { file: 'rules/db.mdc', line: 12, col: 7, endLine: 12, endCol: 13 },
    });
    expect(only('ctx.a')).toMatchObject({ code: 'unknown-root', message: 'unknown name `ctx`',
      help: 'paths start with `action`, `context` or `request`; strings are written in double quotes' });
    expect(only('action.a == True')).toMatchObject({ code: 'unknown-root', message: 'unknown name `True`', help: 'did you mean `true`?' });
    expect(only('action.a != nul')).toMatchObject({ code: 'unknown-root', help: 'did you mean `null`?' });
    expect(only('len == 1')).toMatchObject({ code: 'unknown-root', message: 'unknown name `len`',
      help: '`len` is a function; call it with arguments, e.g. `len(…)`' });
  });

  it('reports unknown functions with did-you-mean, and every problem in one pass', () => {
    const ds = errors('contans(action.a, "x") && startswith(contxt.b, "y")');
    expect(ds.map((d) => [d.code, d.message, d.help])).toEqual([
      ['unknown-function', 'unknown function `contans`', 'did you mean `contains`?'],
      ['unknown-root', 'unknown name `contxt`', 'did you mean `context`?'],
      ['unknown-function', 'unknown function `startswith`', 'did you mean `startsWith`?'],
    ]);
    expect(only('frobnicate(1)')).toMatchObject({
      help: 'the functions are `startsWith`, `endsWith`, `contains`, `lower`, `upper`, `len`, `exists`, `glob`, `globAny`, `inCidr`',
    });
  });

  it('warns about request fields that do not exist, and still returns the expression', () => {
    const r = parseExpression('request.tenat == "acme"', ORIGIN);
    expect(r.expr).toBeDefined();
    expect(r.diagnostics).toEqual([{ severity: 'warning', code: 'unknown-request-field',
      message: '`request.tenat` is always null: a request has only `request.time` and `request.tenant`',
      help: 'did you mean `request.tenant`?', span: { file: 'rules/db.mdc', line: 12, col: 7, endLine: 12, endCol: 20 } }]);
    expect(parseExpression('request["x y"] == null', ORIGIN).diagnostics).toMatchObject([{ code: 'unknown-request-field',
      message: '`request["x y"]` is always null: a request has only `request.time` and `request.tenant`' }]);
    expect(parseExpression('request.time >= "2026" && request.tenant == "a" && request == null', ORIGIN).diagnostics).toEqual([]);
  });

  // A rule author review (11-27): `>= "2026-12-01T00:00:00Z"` was false for the whole first second.
  it('warns when request.time is compared with a time not written as it is; its leading parts pass', () => {
    const codes = (src: string) => parseExpression(src, ORIGIN).diagnostics.map((d) => d.code);
    for (const bad of ['request.time >= "2026-12-01T00:00:00Z"', '"2026-12-01 10:00" < request.time', 'request.time == "2026-12-01T00:00:00+00:00"', 'request.time <= "2026-12-01t00"', 'request.time == "2026-11-27"', '"2026" != request.time', 'request.time < ""', 'request.time <= "2026-11-30"', 'request.time > "2026-12-01T10:00"', '"2026-12-01" < request.time', 'request.time in ["2026-11-27"]', '"2026-11-27" in [request.time]']) {
      expect(codes(bad), bad).toEqual(['request-time-format']);
    }
    for (const good of ['request.time >= "2026-12-01T00:00:00.000Z"', 'request.time < "2027"', 'request.time >= "2026-12-01"', '"2026-12-01" > request.time', '"2027" <= request.time', 'request.time >= "2026-"', 'request.time < "2026-12-01T"', 'request.time < "2026-12-01T10:"', 'request.time == "2026-12-01T00:00:00.000Z"', 'request.time in ["2026-12-01T00:00:00.000Z"]', '"2026" in request.tenant', 'action.at >= "2026-12-01T00:00:00Z"']) {
      expect(codes(good), good).toEqual([]);
    }
  });

  it('checks arity', () => {
    expect(only('len(action.a, 1)')).toEqual({ severity: 'error', code: 'arity', message: '`len` takes 1 argument, got 2',
      span: { file: 'rules/db.mdc', line: 12, col: 7, endLine: 12, endCol: 23 } });
    expect(only('startsWith(action.a)')).toMatchObject({ code: 'arity', message: '`startsWith` takes 2 arguments, got 1' });
    expect(only('inCidr()')).toMatchObject({ code: 'arity', message: '`inCidr` takes 2 arguments, got 0' });
  });

  it('checks that exists takes a path', () => {
    expect(only('exists(lower(action.a))')).toEqual({ severity: 'error', code: 'exists-arg', message: '`exists` takes a path',
      help: 'write a path such as `exists(context.user)`; to test a computed value, compare it with `!= null`',
      span: { file: 'rules/db.mdc', line: 12, col: 14, endLine: 12, endCol: 29 } });
  });

  it('checks literal glob patterns and CIDRs', () => {
    expect(only('glob(action.p, "src/[a")')).toEqual({ severity: 'error', code: 'invalid-glob',
      message: 'invalid glob pattern `src/[a`',
      help: 'a `[` needs a closing `]`; a class may not be empty, and a range goes low to high, e.g. `[a-z]`',
      span: { file: 'rules/db.mdc', line: 12, col: 22, endLine: 12, endCol: 30 } });
    expect(only('globAny(action.p, ["ok/*", "[z-a]"])')).toMatchObject({ code: 'invalid-glob', message: 'invalid glob pattern `[z-a]`' });
    expect(only('inCidr(context.ip, "10.0.0.0/33")')).toEqual({ severity: 'error', code: 'invalid-cidr',
      message: 'invalid CIDR `10.0.0.0/33`', help: 'write an address and a prefix length in range, e.g. `10.0.0.0/8` or `fd00::/8`',
      span: { file: 'rules/db.mdc', line: 12, col: 26, endLine: 12, endCol: 39 } });
    expect(only('inCidr(context.ip, "::1")')).toMatchObject({ code: 'invalid-cidr' });
    // Patterns from the request are checked when evaluated, not here.
    ok('glob(action.p, context.pattern)');
  });

  it('caps nesting depth with a diagnostic', () => {
    const deep = '('.repeat(MAX_EXPR_DEPTH + 1) + '1' + ')'.repeat(MAX_EXPR_DEPTH + 1);
    expect(only(deep)).toMatchObject({ code: 'expr-depth',
      message: 'expression is too deep: more than 64 levels of operators, parentheses and calls (each operator of a chain such as `a || b || c` is a level)',
      help: 'for many alternatives use `x in [..]` or `globAny(..)`; for many conditions that must all hold, split them into several clauses' });
    ok('('.repeat(MAX_EXPR_DEPTH - 1) + '1' + ')'.repeat(MAX_EXPR_DEPTH - 1));
    expect(only('!'.repeat(10_000) + 'true')).toMatchObject({ code: 'expr-depth' });
    expect(only('-'.repeat(10_000) + 'action.a')).toMatchObject({ code: 'expr-depth' });
    expect(only('[' .repeat(10_000))).toMatchObject({ code: 'expr-depth' });
    // Long flat chains build deep trees too.
    expect(only(Array(1000).fill('action.a').join(' + '))).toMatchObject({ code: 'expr-depth' });
    ok(Array(MAX_EXPR_DEPTH).fill('1').join(' + '));
  });
});

describe('parseExpression: never throws', () => {
  const pieces = ['action', 'context', 'request', '.', 'a', '[', ']', '(', ')', '"x"', '"', '\\', '0', '1.5', '-', '!', '&&',
    '||', '==', '<', 'in', ',', ' ', '\n', 'len', 'glob', 'exists', 'true', 'null', '"[a"', '*', '%', '😀', '\ud800', '=', 'e'];

  it('returns an expression or at least one diagnostic for token soup', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 30 }), (parts) => {
        const r = parseExpression(parts.join(''), NO_SPAN);
        expect(r.expr !== undefined || r.diagnostics.length > 0).toBe(true);
        if (r.expr) expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      }),
      { numRuns: 2000 },
    );
  });

  it('returns an expression or at least one diagnostic for arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (s) => {
        const r = parseExpression(s, NO_SPAN);
        expect(r.expr !== undefined || r.diagnostics.length > 0).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

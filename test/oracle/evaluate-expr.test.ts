import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { evaluateClause, evaluateExpr, readPath } from '../../src/ir/evaluate.js';
import { formatEvalError } from '../../src/ir/eval-errors.js';
import type { CheckRequest, Json } from '../../src/ir/types.js';
import { ENV, expr, request } from './helpers.js';
import { exprArb } from '../expr/ast-arbitrary.js';

const REQ: CheckRequest = request(
  { type: 'db.write', table: 'users', n: 3, zero: 0, big: 1e308, items: [1, 'two', null, { k: [1] }], path: 'src/./app//main.ts',
    nested: { 'a b': { c: [10, 20] } }, flag: true, off: false, s: 'Hello', emoji: '😀', obj: { x: 1, y: [2] } },
  // JSON.parse makes `__proto__` an own data key, as the strict request parser does.
  JSON.parse('{"environment":"production","ip":"10.1.2.3","ip6":"::ffff:10.1.2.3","tags":["a","b"],"__proto__":"plain","constructor":"data"}'),
);

function value(text: string, req: CheckRequest = REQ): Json {
  const r = evaluateExpr(expr(text), req, ENV);
  if (!r.ok) throw new Error(`unexpected error: ${formatEvalError(r.error)}`);
  return r.value;
}

function error(text: string, req: CheckRequest = REQ): string {
  const r = evaluateExpr(expr(text), req, ENV);
  if (r.ok) throw new Error(`expected an error, got ${JSON.stringify(r.value)}`);
  return formatEvalError(r.error);
}

describe('paths', () => {
  it('read object keys and list indexes, null when missing', () => {
    expect(value('action.table')).toBe('users');
    expect(value('action.nested["a b"].c[1]')).toBe(20);
    expect(value('action.items[3].k[0]')).toBe(1);
    expect(value('action.items[9]')).toBe(null);
    expect(value('action.missing.deeper')).toBe(null);
    expect(value('action.items.k')).toBe(null); // a string segment on a list
    expect(value('action.obj[0]')).toBe(null); // an index on an object
    expect(value('action.table[0]')).toBe(null); // no indexing into strings
    expect(value('action.obj')).toEqual({ x: 1, y: [2] });
  });

  it('see own keys only: __proto__ and constructor are data', () => {
    expect(value('context.__proto__')).toBe('plain');
    expect(value('context.constructor')).toBe('data');
    expect(value('action.constructor')).toBe(null);
    expect(value('action.toString')).toBe(null);
    expect(value('action.hasOwnProperty')).toBe(null);
    expect(value('action.items.length')).toBe(null);
  });

  it('read request.time and request.tenant from the environment', () => {
    expect(value('request.time')).toBe('2026-11-25T10:00:00.000Z');
    expect(value('request.tenant')).toBe('acme');
    expect(value('request.other')).toBe(null);
    expect(value('request')).toEqual({ time: '2026-11-25T10:00:00.000Z', tenant: 'acme' });
    expect(readPath({ root: 'action', segments: [] }, REQ, ENV)).toBe(REQ.action);
  });
});

describe('logical operators', () => {
  it('compute and short-circuit', () => {
    expect(value('action.flag && action.off')).toBe(false);
    expect(value('action.flag || action.off')).toBe(true);
    expect(value('!action.off')).toBe(true);
    expect(value('action.off && action.missing')).toBe(false);
    expect(value('action.flag || 1 / 0 == 1')).toBe(true);
  });

  it('name the side that is not a boolean', () => {
    expect(error('action.missing && true')).toBe('evaluation error: `&&` expects booleans, got null');
    expect(error('action.flag && action.n')).toBe('evaluation error: `&&` expects booleans, got number');
    expect(error('action.s || true')).toBe('evaluation error: `||` expects booleans, got string');
    expect(error('action.off || action.items')).toBe('evaluation error: `||` expects booleans, got list');
    expect(error('!action.obj')).toBe('evaluation error: `!` expects a boolean, got object');
  });
});

describe('comparisons', () => {
  it('use JSON equality: deep, key order ignored, 0 == -0', () => {
    expect(value('action.obj == action.obj')).toBe(true);
    expect(value('[1, [2, "x"]] == [1, [2, "x"]]')).toBe(true);
    expect(value('[1, 2] == [2, 1]')).toBe(false);
    expect(value('0 == -0')).toBe(true);
    expect(value('action.missing == null')).toBe(true);
    expect(value('1 == "1"')).toBe(false);
    expect(value('true != 1')).toBe(true);
    expect(value('action.obj != action.items')).toBe(true);
    const reordered = request({ type: 't', a: { x: 1, y: [2] }, b: { y: [2], x: 1 } });
    expect(value('action.a == action.b', reordered)).toBe(true);
  });

  it('order numbers and strings (by code point)', () => {
    expect(value('action.n < 4')).toBe(true);
    expect(value('action.n <= 3')).toBe(true);
    expect(value('action.n > 3')).toBe(false);
    expect(value('action.n >= 3')).toBe(true);
    expect(value('"a" < "b"')).toBe(true);
    expect(value('"B" < "a"')).toBe(true);
    expect(value('"ab" > "a"')).toBe(true);
    // UTF-16 would put U+1F600 below U+FFFF; code-point (UTF-8) order puts it above.
    expect(value('action.emoji > "\\uffff"')).toBe(true);
  });

  it('refuse other operand types', () => {
    expect(error('action.table < 3')).toBe('evaluation error: `<` expects two numbers or two strings, got string and number');
    expect(error('action.missing <= 1')).toBe('evaluation error: `<=` expects two numbers or two strings, got null and number');
    expect(error('true > false')).toBe('evaluation error: `>` expects two numbers or two strings, got boolean and boolean');
    expect(error('action.items >= action.items')).toBe('evaluation error: `>=` expects two numbers or two strings, got list and list');
  });

  it('`in` tests list membership by JSON equality, or substrings', () => {
    expect(value('"two" in action.items')).toBe(true);
    expect(value('null in action.items')).toBe(true);
    expect(value('action.items[3] in action.items')).toBe(true);
    expect(value('action.obj in [1, action.obj]')).toBe(true);
    expect(value('3 in action.items')).toBe(false);
    expect(value('"ell" in action.s')).toBe(true);
    expect(value('"" in action.s')).toBe(true);
    expect(value('"xyz" in action.s')).toBe(false);
    expect(error('1 in action.s')).toBe('evaluation error: `in` expects a list on the right, or two strings, got number and string');
    expect(error('"a" in action.obj')).toBe('evaluation error: `in` expects a list on the right, or two strings, got string and object');
  });
});

describe('arithmetic', () => {
  it('adds numbers and concatenates strings', () => {
    expect(value('action.n + 1')).toBe(4);
    expect(value('action.s + " world"')).toBe('Hello world');
    expect(error('action.s + 1')).toBe('evaluation error: `+` expects two numbers or two strings, got string and number');
    expect(error('action.missing + 1')).toBe('evaluation error: `+` expects two numbers or two strings, got null and number');
  });

  it('subtracts, multiplies, divides, takes remainders with the dividend\'s sign', () => {
    expect(value('action.n - 5')).toBe(-2);
    expect(value('action.n * 2.5')).toBe(7.5);
    expect(value('action.n / 2')).toBe(1.5);
    expect(value('7 % 3')).toBe(1);
    expect(value('-7 % 3')).toBe(-1);
    expect(value('7 % -3')).toBe(1);
    expect(value('-action.n')).toBe(-3);
    expect(value('2 + 3 * 4 - 6 / 2')).toBe(11);
  });

  it('reports type errors, division by zero and non-finite results', () => {
    expect(error('"a" - 1')).toBe('evaluation error: `-` expects two numbers, got string and number');
    expect(error('action.n * action.items')).toBe('evaluation error: `*` expects two numbers, got number and list');
    expect(error('true / 1')).toBe('evaluation error: `/` expects two numbers, got boolean and number');
    expect(error('null % 1')).toBe('evaluation error: `%` expects two numbers, got null and number');
    expect(error('-action.s')).toBe('evaluation error: `-` expects a number, got string');
    expect(error('action.n / action.zero')).toBe('evaluation error: `/` division by zero');
    expect(error('action.n % 0')).toBe('evaluation error: `%` division by zero');
    expect(error('1 / -0')).toBe('evaluation error: `/` division by zero');
    expect(error('action.big * 10')).toBe('evaluation error: `*` result is not a finite number');
    expect(error('action.big + action.big')).toBe('evaluation error: `+` result is not a finite number');
    expect(error('-action.big - action.big')).toBe('evaluation error: `-` result is not a finite number');
    expect(error('action.big / 1e-308')).toBe('evaluation error: `/` result is not a finite number');
  });

  it('stops at the first error, left to right', () => {
    expect(error('(1 / 0) + ("a" - 1)')).toBe('evaluation error: `/` division by zero');
    expect(error('[1 < "a", 1 / 0]')).toBe('evaluation error: `<` expects two numbers or two strings, got number and string');
    expect(error('len(1) == upper(2)')).toBe('evaluation error: `len` expects a string or a list, got number');
  });
});

describe('functions', () => {
  it('startsWith and endsWith', () => {
    expect(value('startsWith(action.type, "db.")')).toBe(true);
    expect(value('endsWith(action.type, ".read")')).toBe(false);
    expect(error('startsWith(action.n, "3")')).toBe('evaluation error: `startsWith` expects two strings, got number and string');
    expect(error('endsWith("a", null)')).toBe('evaluation error: `endsWith` expects two strings, got string and null');
  });

  it('contains on lists and strings', () => {
    expect(value('contains(context.tags, "b")')).toBe(true);
    expect(value('contains(action.items, action.items[3])')).toBe(true);
    expect(value('contains(action.items, 3)')).toBe(false);
    expect(value('contains(action.s, "ll")')).toBe(true);
    expect(error('contains(action.s, 1)')).toBe('evaluation error: `contains` expects a list, or two strings, got string and number');
    expect(error('contains(action.obj, "x")')).toBe('evaluation error: `contains` expects a list, or two strings, got object and string');
  });

  it('lower and upper (locale-independent)', () => {
    expect(value('lower(action.s)')).toBe('hello');
    expect(value('upper("straße")')).toBe('STRASSE');
    expect(value('lower("İ")')).toBe('i̇');
    expect(error('lower(1)')).toBe('evaluation error: `lower` expects a string, got number');
    expect(error('upper(action.items)')).toBe('evaluation error: `upper` expects a string, got list');
  });

  it('len counts code points and list items', () => {
    expect(value('len(action.s)')).toBe(5);
    expect(value('len(action.emoji)')).toBe(1);
    expect(value('len(action.items)')).toBe(4);
    expect(value('len("")')).toBe(0);
    expect(error('len(action.obj)')).toBe('evaluation error: `len` expects a string or a list, got object');
    expect(error('len(action.missing)')).toBe('evaluation error: `len` expects a string or a list, got null');
  });

  it('exists is `!= null`', () => {
    expect(value('exists(action.table)')).toBe(true);
    expect(value('exists(action.missing)')).toBe(false);
    expect(value('exists(action.items[2])')).toBe(false);
    expect(value('exists(action.off)')).toBe(true);
    expect(value('exists(request.time)')).toBe(true);
  });

  it('glob matches the normalized subject', () => {
    expect(value('glob(action.path, "src/*/main.ts")')).toBe(true);
    expect(value('glob(action.path, "src/**")')).toBe(true);
    expect(value('glob(action.path, "*.ts")')).toBe(false);
    expect(value('glob("a\\\\b\\\\..\\\\c.txt", "a/c.txt")')).toBe(true);
    expect(error('glob("../etc/passwd", "**")')).toBe('evaluation error: `glob`: path escapes its root');
    expect(error('glob("a\\u0000b", "**")')).toBe('evaluation error: `glob`: path contains a control character');
    const withPattern = request({ type: 't', p: 'a', pattern: '[a' });
    expect(error('glob(action.p, action.pattern)', withPattern)).toBe('evaluation error: `glob`: invalid glob pattern');
    expect(error('glob(action.n, "*")')).toBe('evaluation error: `glob` expects two strings, got number and string');
  });

  it('globAny matches any pattern of a list', () => {
    expect(value('globAny(action.path, ["lib/**", "src/**"])')).toBe(true);
    expect(value('globAny(action.path, ["lib/**"])')).toBe(false);
    expect(value('globAny(action.path, [])')).toBe(false);
    const withPatterns = request({ type: 't', p: 'a', ps: ['a', '[b'] });
    expect(error('globAny(action.p, action.ps)', withPatterns)).toBe('evaluation error: `globAny`: invalid glob pattern');
    expect(error('globAny(action.path, ["a", 1])')).toBe('evaluation error: `globAny` expects a string and a list of strings, got string and list');
    expect(error('globAny(action.path, "src/**")')).toBe('evaluation error: `globAny` expects a string and a list of strings, got string and string');
    expect(error('globAny("/..", ["**"])')).toBe('evaluation error: `globAny`: path escapes its root');
  });

  it('inCidr, with IPv4-mapped addresses matched as IPv4', () => {
    expect(value('inCidr(context.ip, "10.0.0.0/8")')).toBe(true);
    expect(value('inCidr(context.ip6, "10.0.0.0/8")')).toBe(true);
    expect(value('inCidr(context.ip, "192.168.0.0/16")')).toBe(false);
    expect(value('inCidr("fd00::1", "fd00::/8")')).toBe(true);
    const bad = request({ type: 't', ip: '10.0.0.01', net: '10.0.0.0/40' });
    expect(error('inCidr(action.ip, "10.0.0.0/8")', bad)).toBe('evaluation error: `inCidr`: invalid IP address');
    expect(error('inCidr("10.0.0.1", action.net)', bad)).toBe('evaluation error: `inCidr`: invalid CIDR');
    expect(error('inCidr(action.missing, "10.0.0.0/8")')).toBe('evaluation error: `inCidr` expects two strings, got null and string');
  });
});

describe('clauses', () => {
  it('must be booleans', () => {
    expect(evaluateClause(expr('action.flag'), REQ, ENV)).toEqual({ ok: true, value: true });
    const r = evaluateClause(expr('action.missing'), REQ, ENV);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(formatEvalError(r.error)).toBe('evaluation error: expected a boolean result, got null');
    const s = evaluateClause(expr('action.table'), REQ, ENV);
    if (!s.ok) expect(formatEvalError(s.error)).toBe('evaluation error: expected a boolean result, got string');
    else throw new Error('expected an error');
  });
});

describe('totality', () => {
  const json: fc.Arbitrary<Json> = fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>;
  it('never throws on any parseable expression and any request', () => {
    fc.assert(
      fc.property(exprArb, fc.dictionary(fc.constantFrom('a', 'b', 'in', '__proto__', 'path'), json), json, (e, action, ctx) => {
        const req: CheckRequest = { action: { ...action, type: 'x' }, context: { a: ctx } };
        const r = evaluateExpr(e, req, ENV);
        if (r.ok) expect(r.value).not.toBeUndefined();
        else expect(formatEvalError(r.error)).toMatch(/^evaluation error: /);
      }),
      { numRuns: 1000 },
    );
  });
});

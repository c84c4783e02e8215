import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, readJson } from '../../src/rules/json.js';
import { lines } from './helpers.js';

describe('readJson', () => {
  it('records the span of every key and value', () => {
    const r = readJson('{\n  "rule_id": "a",\n  "list": [1, true, null]\n}', 'r.json');
    expect(r.diagnostics).toEqual([]);
    const map = r.values[0];
    if (map.kind !== 'map') throw new Error('not a map');
    const [id, list] = map.entries;
    expect(id.keySpan).toEqual({ file: 'r.json', line: 2, col: 3, endLine: 2, endCol: 12 });
    expect(id.value).toEqual({
      kind: 'string', value: 'a',
      span: { file: 'r.json', line: 2, col: 14, endLine: 2, endCol: 17 },
      textStart: { file: 'r.json', line: 2, col: 15 },
    });
    if (list.value.kind !== 'list') throw new Error('not a list');
    expect(list.value.items.map((i) => [i.kind, i.span.line, i.span.col])).toEqual([
      ['number', 3, 12], ['boolean', 3, 15], ['null', 3, 21],
    ]);
  });

  it('decodes escapes and numbers as JSON.parse does', () => {
    const text = '["a\\n\\u00e9\\"\\\\\\/", -1.5e3, 0, 1E2]';
    const r = readJson(text, 'r.json');
    const v = r.values[0];
    if (v.kind !== 'list') throw new Error('not a list');
    expect(v.items.map((i) => ('value' in i ? i.value : null))).toEqual(JSON.parse(text));
  });

  // A newcomer review (11-28): 9007199254740993 loaded as …992, and 1e400 as infinity.
  it('refuses a whole number a double rounds and a number that overflows it, as the request parser does', () => {
    expect(lines(readJson('{"a": 9007199254740993}', 'r.json').diagnostics)).toEqual(['1:7 error invalid-number: integer `9007199254740993` is beyond ±(2^53−1): a double rounds it to 9007199254740992']);
    expect(lines(readJson('{"a": -1e400}', 'r.json').diagnostics)).toEqual(['1:7 error invalid-number: number `-1e400` overflows a double']);
    expect(readJson('[9007199254740991, -9007199254740991, 1e300, 1.5, 9007199254740993.5]', 'r.json').diagnostics).toEqual([]);
  });

  it('reports every duplicate key with the place of the first', () => {
    const r = readJson('{"a": 1,\n "a": 2, "b": {"c": 1, "c": 2}}', 'r.json');
    expect(lines(r.diagnostics)).toEqual([
      '2:2 error duplicate-key: duplicate key `a` | first given at line 1, column 2',
      '2:24 error duplicate-key: duplicate key `c` | first given at line 2, column 16',
    ]);
    expect(r.values).toHaveLength(1);
  });

  it.each([
    ['{"a": 1,\n "b": tru}', '2:7 error json-syntax: unexpected character `t`'],
    ['{"a" 1}', '1:6 error json-syntax: expected `:` after the key, found `1`'],
    ['[1, 2', '1:6 error json-syntax: unexpected end of input'],
    ['{"a": 1 "b": 2}', '1:9 error json-syntax: expected `,` or `}`, found `"`'],
    ['[1 2]', '1:4 error json-syntax: expected `,` or `]`, found `2`'],
    ['{"a": "x', '1:9 error json-syntax: unterminated string'],
    ['"a\\qb"', '1:3 error json-syntax: invalid escape `\\q`'],
    ['[01]', '1:2 error json-syntax: invalid number `01`'],
    ['{} x', '1:4 error json-syntax: unexpected `x` after the end of the JSON value'],
    ['{1: 2}', '1:2 error json-syntax: expected a string key, found `1`'],
    // A trailing comma is named and pointed at, not reported as what follows it.
    ['{"a": 1,\n}', '1:8 error json-syntax: trailing comma before `}`: JSON allows none'],
    ['[1, 2 , ]', '1:7 error json-syntax: trailing comma before `]`: JSON allows none'],
    ['{"a": 1, ,}', '1:10 error json-syntax: expected a string key, found `,`'],
    ['"a\tb"', '1:3 error json-syntax: control character in string; write it as an escape'],
    ['', '1:1 error json-syntax: unexpected end of input'],
  ])('reports the syntax error in %j at its line and column', (text, expected) => {
    const r = readJson(text, 'r.json');
    expect(lines(r.diagnostics)).toEqual([expected]);
    expect(r.values).toEqual([]);
  });

  it('refuses nesting deeper than the limit instead of overflowing the stack', () => {
    const deep = '['.repeat(MAX_JSON_DEPTH + 2) + ']'.repeat(MAX_JSON_DEPTH + 2);
    expect(lines(readJson(deep, 'r.json').diagnostics)).toEqual([
      `1:${MAX_JSON_DEPTH + 2} error json-syntax: nesting deeper than ${MAX_JSON_DEPTH} levels`,
    ]);
    expect(readJson('['.repeat(100000), 'r.json').diagnostics[0].code).toBe('json-syntax');
  });

  it('skips a byte order mark', () => {
    expect(readJson('\uFEFF{}', 'r.json').diagnostics).toEqual([]);
  });
});

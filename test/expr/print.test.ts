import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseExpression } from '../../src/expr/parser.js';
import { printExpr } from '../../src/expr/print.js';
import { exprArb, NO_SPAN, stripSpans } from './ast-arbitrary.js';

function reprint(text: string): string {
  const r = parseExpression(text, NO_SPAN);
  expect(r.diagnostics).toEqual([]);
  return printExpr(r.expr!);
}

describe('printExpr', () => {
  it('prints the fewest parentheses that keep the tree', () => {
    expect(reprint('((action.a))  ==1')).toBe('action.a == 1');
    expect(reprint('!(action.a == 1)')).toBe('!action.a == 1');
    expect(reprint('(!action.a) == true')).toBe('(!action.a) == true');
    expect(reprint('action.a - (action.b - 1)')).toBe('action.a - (action.b - 1)');
    expect(reprint('(action.a - action.b) - 1')).toBe('action.a - action.b - 1');
    expect(reprint('(action.a || action.b) && action.c')).toBe('(action.a || action.b) && action.c');
    expect(reprint('action.a == (action.b == action.c)')).toBe('action.a == (action.b == action.c)');
    expect(reprint('(action.a < 1) == true')).toBe('(action.a < 1) == true');
    expect(reprint('-(action.a + 1) * 2')).toBe('-(action.a + 1) * 2');
  });

  it('prints negative numbers as literals and minus of a literal unambiguously', () => {
    expect(reprint('-3')).toBe('-3');
    expect(reprint('- 3')).toBe('-3');
    expect(reprint('-(3)')).toBe('-(3)');
    expect(reprint('--3')).toBe('- -3');
    expect(reprint('action.a - -3')).toBe('action.a - -3');
    expect(reprint('-0')).toBe('-0');
    expect(reprint('1e21')).toBe('1e+21');
  });

  it('prints paths and strings canonically', () => {
    expect(reprint('action [ "b" ]["c d"][0].in')).toBe('action.b["c d"][0].in');
    expect(reprint('"a\\u0041\\n\\""')).toBe('"aA\\n\\""');
    expect(reprint('lower( action.x )in[1,"x" ,null]')).toBe('lower(action.x) in [1, "x", null]');
  });

  it('round-trips: parse(print(e)) is e, modulo spans', () => {
    fc.assert(
      fc.property(exprArb, (e) => {
        const text = printExpr(e);
        const r = parseExpression(text, NO_SPAN);
        expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
        expect(stripSpans(r.expr!)).toEqual(stripSpans(e));
      }),
      { numRuns: 1000 },
    );
  });
});

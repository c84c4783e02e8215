// Canonical text of an expression: the fewest parentheses that re-parse to the same tree.
// Used for explanations, lint output and the parser's round-trip property test.

import type { Expr } from '../ir/types.js';
import { pathText } from '../ir/messages.js';

// Binding strength of each level; see the grammar in parser.ts.
const OR = 1;
const AND = 2;
const NOT = 3;
const CMP = 4;
const ADD = 5;
const MUL = 6;
const NEG = 7;
const ATOM = 8;

const LEVEL: Record<string, number> = {
  '||': OR, '&&': AND,
  '==': CMP, '!=': CMP, '<': CMP, '<=': CMP, '>': CMP, '>=': CMP, in: CMP,
  '+': ADD, '-': ADD, '*': MUL, '/': MUL, '%': MUL,
};

function levelOf(e: Expr): number {
  switch (e.kind) {
    case 'binary': return LEVEL[e.op];
    case 'unary': return e.op === '!' ? NOT : NEG;
    // A negative literal prints as `-3`, which parses at the `-` level.
    case 'literal': return typeof e.value === 'number' && (e.value < 0 || Object.is(e.value, -0)) ? NEG : ATOM;
    default: return ATOM;
  }
}

function number(n: number): string {
  if (Object.is(n, -0)) return '-0';
  const text = String(n);
  // Digits past 2^53 are refused when read back (src/expr/lexer.ts): the exponent form is the
  // same double and says it is a float.
  return Number.isSafeInteger(n) || !/^-?\d+$/.test(text) ? text : n.toExponential();
}

/** `e` printed where at least binding strength `min` is needed without parentheses. */
function at(e: Expr, min: number): string {
  const s = printExpr(e);
  return levelOf(e) >= min ? s : `(${s})`;
}

/**
 * The canonical text of `e`.
 *
 * @example printExpr(parseExpression('(a.b)==1', o).expr!) // 'action.b == 1' (for a root `action`)
 */
export function printExpr(e: Expr): string {
  switch (e.kind) {
    case 'literal':
      if (typeof e.value === 'number') return number(e.value);
      return JSON.stringify(e.value);
    case 'list':
      return '[' + e.items.map((i) => printExpr(i)).join(', ') + ']';
    case 'path':
      return pathText(e.path);
    case 'call':
      return `${e.fn}(${e.args.map((a) => printExpr(a)).join(', ')})`;
    case 'unary': {
      if (e.op === '!') return '!' + at(e.operand, NOT);
      // `-3` would re-parse as the literal -3, and `--x` is fine but `- -3` reads better.
      const o = e.operand;
      if (o.kind === 'literal' && typeof o.value === 'number') {
        return levelOf(o) === NEG ? '- ' + printExpr(o) : `-(${printExpr(o)})`;
      }
      return '-' + at(o, NEG);
    }
    case 'binary': {
      const lvl = LEVEL[e.op];
      // Left-associative levels take an equal left operand bare; comparisons chain nowhere.
      const left = at(e.left, lvl === CMP ? CMP + 1 : lvl);
      const right = at(e.right, lvl + 1);
      return `${left} ${e.op} ${right}`;
    }
  }
}

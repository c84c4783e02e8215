// fast-check generators of expression trees that the parser accepts (shared by expr and oracle tests).

import fc from 'fast-check';
import type { Expr, FunctionName, PathRef, Span } from '../../src/ir/types.js';

export const NO_SPAN: Span = { file: 't', line: 1, col: 1 };

const ident = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,4}$/);
const segment = fc.oneof(ident, fc.string({ maxLength: 4 }), fc.nat({ max: 20 }));
export const pathRef: fc.Arbitrary<PathRef> = fc.record({
  root: fc.constantFrom('action' as const, 'context' as const, 'request' as const),
  segments: fc.array(segment, { maxLength: 3 }),
});
const pathExpr = pathRef.map((path): Expr => ({ kind: 'path', path, span: NO_SPAN }));

const literal = fc
  .oneof(
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer({ min: -1000, max: 1000 }),
    fc.string({ unit: 'binary', maxLength: 6 }),
  )
  .map((value): Expr => ({ kind: 'literal', value, span: NO_SPAN }));

const BINARY = ['||', '&&', '==', '!=', '<', '<=', '>', '>=', 'in', '+', '-', '*', '/', '%'] as const;
const ONE_ARG: FunctionName[] = ['lower', 'upper', 'len'];
const TWO_ARGS: FunctionName[] = ['startsWith', 'endsWith', 'contains'];

/** Parseable trees: calls have the right arity; arguments checked at load are paths. */
export const exprArb: fc.Arbitrary<Expr> = fc.letrec<{ e: Expr }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    literal,
    pathExpr,
    fc.array(tie('e'), { maxLength: 3 }).map((items): Expr => ({ kind: 'list', items, span: NO_SPAN })),
    fc.record({ op: fc.constantFrom('!' as const, '-' as const), operand: tie('e') })
      .map(({ op, operand }): Expr => ({ kind: 'unary', op, operand, span: NO_SPAN })),
    fc.record({ op: fc.constantFrom(...BINARY), left: tie('e'), right: tie('e') })
      .map(({ op, left, right }): Expr => ({ kind: 'binary', op, left, right, span: NO_SPAN })),
    fc.record({ fn: fc.constantFrom(...ONE_ARG), a: tie('e') })
      .map(({ fn, a }): Expr => ({ kind: 'call', fn, args: [a], span: NO_SPAN })),
    fc.record({ fn: fc.constantFrom(...TWO_ARGS), a: tie('e'), b: tie('e') })
      .map(({ fn, a, b }): Expr => ({ kind: 'call', fn, args: [a, b], span: NO_SPAN })),
    fc.record({ fn: fc.constantFrom<FunctionName>('glob', 'globAny', 'inCidr'), a: tie('e'), b: pathExpr })
      .map(({ fn, a, b }): Expr => ({ kind: 'call', fn, args: [a, b], span: NO_SPAN })),
    pathExpr.map((p): Expr => ({ kind: 'call', fn: 'exists', args: [p], span: NO_SPAN })),
  ),
})).e;

/** The tree without spans, for comparing trees modulo positions. */
export function stripSpans(e: Expr): unknown {
  switch (e.kind) {
    case 'literal': return { literal: e.value };
    case 'path': return { path: e.path };
    case 'list': return { list: e.items.map(stripSpans) };
    case 'unary': return { unary: e.op, operand: stripSpans(e.operand) };
    case 'binary': return { binary: e.op, left: stripSpans(e.left), right: stripSpans(e.right) };
    case 'call': return { call: e.fn, args: e.args.map(stripSpans) };
  }
}

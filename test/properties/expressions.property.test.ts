// Differential property over expressions (ARCHITECTURE: every generated case runs through the
// oracle and the VM; they must agree exactly): random, well-formed but freely mistyped
// expressions over tricky request values — astral and NUL strings, -0, denormals, nested lists
// and objects, missing paths — give identical decisions, error texts included.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideFiles, RUNS, TIMEOUT, withoutId } from './helpers.js';
import { stringify } from './policy-gen.js';
import { parseExpression } from '../../src/expr/parser.js';
import { neverBoolean } from '../../src/expr/yields.js';

const SPAN = { file: 'fuzz.yaml', line: 1, col: 1 };

const STRINGS = ['', 'a', 'A', 'abc', 'é', 'ｚ', '😀', 'a\u0000b', 'db.write', 'src/a.ts', '../x', 'a\\b', '10.1.2.3', '::ffff:10.0.0.1', '2001:db8::1', 'İ', 'ΟΔΟΣ'];
const NUMBERS = [0, -0, 1, -1, 2.5, 3, 1e-310, 4503599627370495.5, 9007199254740991];
const scalar = fc.oneof(fc.constantFrom(...STRINGS), fc.constantFrom(...NUMBERS), fc.boolean(), fc.constant(null));
const value: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: scalar },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom('a', 'b', 'x y'), scalar, { maxKeys: 2 }) },
);

const PATHS = ['action.a', 'action.b', 'action.l', 'action.l[0]', 'action.o.a', 'context["x y"]', 'context.c', 'context.missing', 'request.tenant', 'request.time'];
const LITERALS = ['""', '"a"', '"😀"', '"ｚ"', '"a\\u0000b"', '"\\u00e9"', '0', '-0', '1', '2.5', 'true', 'false', 'null', '[]', '["a", 1]', '[[1], null]'];
const PATTERNS = ['"*"', '"**"', '"src/**/*.ts"', '"?"', '"[a-c]*"', '"[!a]"', '"**/b"'];
const CIDRS = ['"10.0.0.0/8"', '"0.0.0.0/0"', '"2001:db8::/32"', '"::/0"'];

const expr: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
  e: fc.oneof(
    { maxDepth: 3, withCrossShrink: true },
    fc.constantFrom(...PATHS),
    fc.constantFrom(...LITERALS),
    fc.tuple(fc.constantFrom('||', '&&', '==', '!=', '<', '<=', '>', '>=', 'in', '+', '-', '*', '/', '%'), tie('e'), tie('e'))
      .map(([op, a, b]) => `(${a} ${op} ${b})`),
    fc.tuple(fc.constantFrom('!', '-'), tie('e')).map(([op, a]) => `(${op}(${a}))`),
    fc.tuple(fc.constantFrom('startsWith', 'endsWith', 'contains'), tie('e'), tie('e')).map(([f, a, b]) => `${f}(${a}, ${b})`),
    fc.tuple(fc.constantFrom('lower', 'upper', 'len'), tie('e')).map(([f, a]) => `${f}(${a})`),
    fc.constantFrom(...PATHS).map((p) => `exists(${p})`),
    fc.tuple(tie('e'), fc.constantFrom(...PATTERNS)).map(([a, p]) => `glob(${a}, ${p})`),
    fc.tuple(tie('e'), fc.subarray(PATTERNS)).map(([a, ps]) => `globAny(${a}, [${ps.join(', ')}])`),
    fc.tuple(tie('e'), fc.constantFrom(...CIDRS)).map(([a, c]) => `inCidr(${a}, ${c})`),
  ),
})).e;

const request = fc.record({
  action: fc.record({ type: fc.constant('t'), a: value, b: value, l: fc.array(value, { maxLength: 3 }), o: value }, { requiredKeys: ['type'] }),
  context: fc.record({ 'x y': value, c: value }, { requiredKeys: [] }),
});

describe('generated expressions', () => {
  it('the VM agrees with the oracle, error texts included', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(expr, { minLength: 1, maxLength: 4 }), request, fc.constantFrom('default', 'acme'), async (exprs, req, t) => {
        // A clause that by its form is never a boolean is refused at load (src/expr/yields.ts);
        // under `!` its value is still evaluated, and its type error still compared.
        const asTest = (e: string): string => (neverBoolean(parseExpression(e, SPAN).expr!) === undefined ? e : `!(${e})`);
        const rule = { rule_id: 'fuzz', prohibited: exprs.map((when, i) => ({ message: `p${i}`, when: asTest(when) })) };
        const files = [{ path: 'fuzz.yaml', text: stringify(rule) }];
        const [oracle, vm] = await Promise.all([decideFiles(files, 'oracle', req, t), decideFiles(files, 'vm', req, t)]);
        expect(withoutId(vm)).toEqual(withoutId(oracle));
      }),
      RUNS,
    );
  }, TIMEOUT);
});

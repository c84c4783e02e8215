// Load-time checks of function calls (docs/semantics.md: arity is a load error, not a runtime
// one), plus literal arguments that can be judged before any request arrives: a glob pattern
// that does not compile, a CIDR that does not parse, an `exists` of something not a path.

import type { Diagnostic, Expr, FunctionName, Span } from '../ir/types.js';
import { compileGlob, edgeSpacedGlob, unmatchableGlob } from '../builtins/glob.js';
import { parseCidr } from '../builtins/cidr.js';
import { excerpt } from './lexer.js';

const ARITY: Readonly<Record<FunctionName, number>> = {
  startsWith: 2, endsWith: 2, contains: 2, lower: 1, upper: 1,
  len: 1, exists: 1, glob: 2, globAny: 2, inCidr: 2,
};

type CallExpr = Extract<Expr, { kind: 'call' }>;

function error(code: string, message: string, span: Span, help?: string): Diagnostic {
  return { severity: 'error', code, message, ...(help ? { help } : {}), span };
}

function stringLiteral(e: Expr): string | undefined {
  return e.kind === 'literal' && typeof e.value === 'string' ? e.value : undefined;
}

const GLOB_HELP = 'a `[` needs a closing `]`; a class may not be empty, and a range goes low to high, e.g. `[a-z]`';

function checkGlob(pattern: Expr, spanOf: (e: Expr) => Span): Diagnostic[] {
  const p = stringLiteral(pattern);
  if (p === undefined) return [];
  if (!compileGlob(p, 'path')) return [error('invalid-glob', `invalid glob pattern \`${excerpt(p)}\``, spanOf(pattern), GLOB_HELP)];
  const never = unmatchableGlob(p, 'path');
  if (never !== undefined) return [error('unmatchable-glob', never.message, spanOf(pattern), never.help)];
  const spaced = edgeSpacedGlob(p); // as in scope globs, said here too
  return spaced === undefined ? [] : [{ severity: 'warning', code: 'glob-edge-space', message: spaced.message, help: spaced.help, span: spanOf(pattern) }];
}

/** Diagnostics for one call of a known function; `spanOf` gives an argument's exact span. */
export function checkCall(call: CallExpr, spanOf: (e: Expr) => Span): Diagnostic[] {
  const want = ARITY[call.fn];
  if (call.args.length !== want) {
    const noun = want === 1 ? 'argument' : 'arguments';
    return [error('arity', `\`${call.fn}\` takes ${want} ${noun}, got ${call.args.length}`, call.span)];
  }
  switch (call.fn) {
    case 'exists': {
      const arg = call.args[0];
      if (arg.kind === 'path') return [];
      return [error('exists-arg', '`exists` takes a path', spanOf(arg),
        'write a path such as `exists(context.user)`; to test a computed value, compare it with `!= null`')];
    }
    case 'glob':
      return checkGlob(call.args[1], spanOf);
    case 'globAny': {
      const list = call.args[1];
      return list.kind === 'list' ? list.items.flatMap((item) => checkGlob(item, spanOf)) : [];
    }
    case 'inCidr': {
      const c = stringLiteral(call.args[1]);
      if (c === undefined || parseCidr(c)) return [];
      return [error('invalid-cidr', `invalid CIDR \`${excerpt(c)}\``, spanOf(call.args[1]),
        'write an address and a prefix length in range, e.g. `10.0.0.0/8` or `fd00::/8`')];
    }
    default:
      return [];
  }
}

// Every request path an expression reads: the compiler builds its field table from these, and
// explanations show their values.

import type { Expr, PathRef } from '../ir/types.js';
import { pathText } from '../ir/messages.js';

/**
 * The paths `e` reads, de-duplicated (by canonical text), in order of first appearance.
 *
 * @example collectPaths(parse('action.a == context.b || action.a == 1')) // [action.a, context.b]
 */
export function collectPaths(e: Expr): PathRef[] {
  const seen = new Map<string, PathRef>();
  const walk = (x: Expr): void => {
    switch (x.kind) {
      case 'path': {
        const key = pathText(x.path);
        if (!seen.has(key)) seen.set(key, x.path);
        return;
      }
      case 'literal': return;
      case 'list': x.items.forEach(walk); return;
      case 'unary': walk(x.operand); return;
      case 'binary': walk(x.left); walk(x.right); return;
      case 'call': x.args.forEach(walk); return;
    }
  };
  walk(e);
  return [...seen.values()];
}

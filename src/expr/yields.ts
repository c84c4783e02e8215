// What an expression yields when its form alone says it can never be true or false: a clause
// or scope written that way errors on every request it is evaluated for (SPEC §4: a clause is
// a boolean; anything else is an evaluation error, so every check in its scope was denied).

import type { Expr } from '../ir/types.js';

/**
 * `a number`, `a string`, … for a literal, a list, arithmetic, a value function (`len`,
 * `lower`, `upper`) or a field that is always a string (`action.type`, `request.time`,
 * `request.tenant`); undefined for anything that may be a boolean, any other field alone
 * included (`context.approved` is a test when the field is a boolean).
 * @example neverBoolean(parseExpression('action.cost * 2', span).expr!) // 'a number'
 */
export function neverBoolean(e: Expr): string | undefined {
  switch (e.kind) {
    case 'literal':
      return e.value === null ? '`null`' : typeof e.value === 'boolean' ? undefined : `a ${typeof e.value}`;
    case 'list':
      return 'a list';
    case 'unary':
      return e.op === '-' ? 'a number' : undefined;
    case 'binary':
      return e.op === '+' ? 'a number or a string' : e.op === '-' || e.op === '*' || e.op === '/' || e.op === '%' ? 'a number' : undefined;
    case 'call':
      return e.fn === 'len' ? 'a number' : e.fn === 'lower' || e.fn === 'upper' ? 'a string' : undefined;
    case 'path': {
      // The request's own fields are strings (SPEC §2); any other field may hold a boolean.
      const [first, ...rest] = e.path.segments;
      const known = rest.length === 0 && ((e.path.root === 'action' && first === 'type') || (e.path.root === 'request' && (first === 'time' || first === 'tenant')));
      return known ? 'a string' : undefined;
    }
  }
}

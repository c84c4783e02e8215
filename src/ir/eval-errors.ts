// Evaluation errors (SPEC §3.6: an error makes the clause violated, with the error as message).
// The oracle and the VM must produce byte-identical decisions, so both report errors as
// (kind, operator, operand types, detail) and ONE function here turns that into text.

import { GLOB_MAX_COST } from '../../assembly/format.js';
import type { Json } from './types.js';

export type ValueType = 'null' | 'boolean' | 'number' | 'string' | 'list' | 'object';

/** Numeric ids for value types, shared with the VM (assembly/ uses the same numbers). */
export const VALUE_TYPE_IDS: readonly ValueType[] = ['null', 'boolean', 'number', 'string', 'list', 'object'];

export type EvalErrorKind =
  | 'operand_type' //     an operator or function got operands of the wrong types
  | 'division_by_zero' // `/` or `%` with a zero divisor
  | 'not_finite' //       an arithmetic result is not a finite number
  | 'invalid_argument' // a string argument that is not a valid IP, CIDR, glob pattern or path
  | 'not_boolean'; //     a clause (or scope `when`) evaluated to something other than a boolean

/** Numeric ids for error kinds, shared with the VM. */
export const EVAL_ERROR_KIND_IDS: readonly EvalErrorKind[] = [
  'operand_type', 'division_by_zero', 'not_finite', 'invalid_argument', 'not_boolean',
];

/** A glob()/globAny() call over its budget (assembly/format.ts GLOB_MAX_COST). */
export const GLOB_COST_DETAIL = `pattern length × path length over ${GLOB_MAX_COST}` as const;

export type InvalidArgumentDetail =
  | 'invalid IP address'
  | 'invalid CIDR'
  | 'invalid glob pattern'
  | 'path escapes its root'
  | 'path contains a control character'
  | typeof GLOB_COST_DETAIL;

/** Numeric ids for invalid-argument details, shared with the VM. */
export const INVALID_ARGUMENT_DETAIL_IDS: readonly InvalidArgumentDetail[] = [
  'invalid IP address', 'invalid CIDR', 'invalid glob pattern',
  'path escapes its root', 'path contains a control character', GLOB_COST_DETAIL,
];

/**
 * `op` is the operator as written (`&&`, `<`, `+`, …), `neg` for unary minus, or a function
 * name. `types` are the types of the evaluated operands, in order — except for `&&` and `||`,
 * whose sides are checked one at a time as they are evaluated (short-circuit), so `types`
 * names only the offending side.
 */
export interface EvalError {
  kind: EvalErrorKind;
  op: string;
  types: ValueType[];
  detail?: InvalidArgumentDetail;
}

const EXPECTS: Record<string, string> = {
  '||': 'booleans',
  '&&': 'booleans',
  '!': 'a boolean',
  neg: 'a number',
  '<': 'two numbers or two strings',
  '<=': 'two numbers or two strings',
  '>': 'two numbers or two strings',
  '>=': 'two numbers or two strings',
  in: 'a list on the right, or two strings',
  '+': 'two numbers or two strings',
  '-': 'two numbers',
  '*': 'two numbers',
  '/': 'two numbers',
  '%': 'two numbers',
  startsWith: 'two strings',
  endsWith: 'two strings',
  contains: 'a list, or two strings',
  lower: 'a string',
  upper: 'a string',
  len: 'a string or a list',
  glob: 'two strings',
  globAny: 'a string and a list of strings',
  inCidr: 'two strings',
};

function shownOp(op: string): string {
  return op === 'neg' ? '-' : op;
}

/** The one text of an evaluation error, used by the oracle and the VM host alike. */
export function formatEvalError(e: EvalError): string {
  const op = '`' + shownOp(e.op) + '`';
  const got = e.types.join(' and ');
  switch (e.kind) {
    case 'operand_type':
      return `evaluation error: ${op} expects ${EXPECTS[e.op] ?? 'other operands'}, got ${got}`;
    case 'division_by_zero':
      return `evaluation error: ${op} division by zero`;
    case 'not_finite':
      return `evaluation error: ${op} result is not a finite number`;
    case 'invalid_argument':
      return `evaluation error: ${op}: ${e.detail ?? 'invalid argument'}`;
    case 'not_boolean':
      return `evaluation error: expected a boolean result, got ${got}`;
  }
}

/** The type of a JSON value, as named in error messages. */
export function typeOf(v: Json | undefined): ValueType {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'list';
  switch (typeof v) {
    case 'boolean': return 'boolean';
    case 'number': return 'number';
    case 'string': return 'string';
    default: return 'object';
  }
}

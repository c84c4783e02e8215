// What each opcode is called and which operands follow it: read by the emitter's checks and by
// the disassembler. The numbers themselves live once, in assembly/opcodes.ts.

import { ErrOp, Op } from '../../assembly/opcodes.js';

/** Operand kinds: sizes u8/u16/u32/f64; the names tell the disassembler how to show them. */
export type Operand = 'f64' | 'str' | 'const' | 'field' | 'count' | 'target' | 'errop' | 'type' | 'kind' | 'index' | 'code';

export const OPERAND_SIZE: Record<Operand, number> = {
  f64: 8, str: 4, const: 4, field: 2, count: 2, target: 4, errop: 1, type: 1, kind: 1, index: 2, code: 1,
};

export interface OpInfo {
  name: string;
  operands: readonly Operand[];
}

const none: readonly Operand[] = [];

export const OP_INFO: Record<Op, OpInfo> = {
  [Op.PushNull]: { name: 'push_null', operands: none },
  [Op.PushTrue]: { name: 'push_true', operands: none },
  [Op.PushFalse]: { name: 'push_false', operands: none },
  [Op.PushNum]: { name: 'push_num', operands: ['f64'] },
  [Op.PushStr]: { name: 'push_str', operands: ['str'] },
  [Op.PushConst]: { name: 'push_const', operands: ['const'] },
  [Op.LoadField]: { name: 'load_field', operands: ['field'] },
  [Op.MakeList]: { name: 'make_list', operands: ['count'] },
  [Op.Not]: { name: 'not', operands: none },
  [Op.Neg]: { name: 'neg', operands: none },
  [Op.Eq]: { name: 'eq', operands: none },
  [Op.Ne]: { name: 'ne', operands: none },
  [Op.Lt]: { name: 'lt', operands: none },
  [Op.Le]: { name: 'le', operands: none },
  [Op.Gt]: { name: 'gt', operands: none },
  [Op.Ge]: { name: 'ge', operands: none },
  [Op.In]: { name: 'in', operands: none },
  [Op.Add]: { name: 'add', operands: none },
  [Op.Sub]: { name: 'sub', operands: none },
  [Op.Mul]: { name: 'mul', operands: none },
  [Op.Div]: { name: 'div', operands: none },
  [Op.Mod]: { name: 'mod', operands: none },
  [Op.AndTest]: { name: 'and_test', operands: ['target'] },
  [Op.OrTest]: { name: 'or_test', operands: ['target'] },
  [Op.BoolCheck]: { name: 'bool_check', operands: ['errop'] },
  [Op.StartsWith]: { name: 'starts_with', operands: none },
  [Op.EndsWith]: { name: 'ends_with', operands: none },
  [Op.Contains]: { name: 'contains', operands: none },
  [Op.Lower]: { name: 'lower', operands: none },
  [Op.Upper]: { name: 'upper', operands: none },
  [Op.Len]: { name: 'len', operands: none },
  [Op.Glob]: { name: 'glob', operands: none },
  [Op.GlobAny]: { name: 'glob_any', operands: none },
  [Op.InCidr]: { name: 'in_cidr', operands: none },
  [Op.Jump]: { name: 'jump', operands: ['target'] },
  [Op.JumpIfFalse]: { name: 'jump_if_false', operands: ['target'] },
  [Op.JumpIfTrue]: { name: 'jump_if_true', operands: ['target'] },
  [Op.TypeIs]: { name: 'type_is', operands: ['type'] },
  [Op.MatchAction]: { name: 'match_action', operands: ['str'] },
  [Op.ScopeGlobs]: { name: 'scope_globs', operands: ['const'] },
  [Op.AllowedPaths]: { name: 'allowed_paths', operands: ['const'] },
  [Op.NormPathOrNull]: { name: 'norm_path_or_null', operands: none },
  [Op.ExtBlocked]: { name: 'ext_blocked', operands: ['const'] },
  [Op.Clause]: { name: 'clause', operands: ['kind', 'index', 'target'] },
  [Op.EndProhibited]: { name: 'end_prohibited', operands: none },
  [Op.EndRequired]: { name: 'end_required', operands: none },
  [Op.EndExpression]: { name: 'end_expression', operands: none },
  [Op.EndWhen]: { name: 'end_when', operands: none },
  [Op.Fail]: { name: 'fail', operands: ['code'] },
  [Op.Apply]: { name: 'apply', operands: none },
  [Op.NotApplicable]: { name: 'not_applicable', operands: none },
  [Op.RuleEnd]: { name: 'rule_end', operands: none },
  [Op.MatchPrefix]: { name: 'match_prefix', operands: ['str'] },
};

/** The operator or function name `formatEvalError` expects, per ErrOp. */
export const ERR_OP_NAME: Record<ErrOp, string> = {
  [ErrOp.Or]: '||', [ErrOp.And]: '&&', [ErrOp.Not]: '!', [ErrOp.Neg]: 'neg',
  [ErrOp.Lt]: '<', [ErrOp.Le]: '<=', [ErrOp.Gt]: '>', [ErrOp.Ge]: '>=', [ErrOp.In]: 'in',
  [ErrOp.Add]: '+', [ErrOp.Sub]: '-', [ErrOp.Mul]: '*', [ErrOp.Div]: '/', [ErrOp.Mod]: '%',
  [ErrOp.StartsWith]: 'startsWith', [ErrOp.EndsWith]: 'endsWith', [ErrOp.Contains]: 'contains',
  [ErrOp.Lower]: 'lower', [ErrOp.Upper]: 'upper', [ErrOp.Len]: 'len', [ErrOp.Glob]: 'glob',
  [ErrOp.GlobAny]: 'globAny', [ErrOp.InCidr]: 'inCidr', [ErrOp.Clause]: 'clause',
};

/** The info of a byte that should be an opcode, or undefined for an unknown one. */
export function opInfo(byte: number): OpInfo | undefined {
  return (OP_INFO as Record<number, OpInfo | undefined>)[byte];
}

// Reading the VM's result struct (assembly/format.ts "Result region") into an outcome. The
// VM reports numbers; the texts come from the shared formatters, exactly as the oracle's do.

import {
  CODE_EVAL_ERROR, CODE_PROHIBITED, CODE_REQUIRED, DETAIL_NONE, R_APPLY, R_HEADER, R_VIOL,
  R_VIOL_OFF, VIOL_SIZE,
} from '../../assembly/format.js';
import { ClauseKind, type ErrOp } from '../../assembly/opcodes.js';
import {
  EVAL_ERROR_KIND_IDS, INVALID_ARGUMENT_DETAIL_IDS, VALUE_TYPE_IDS, formatEvalError, type ValueType,
} from '../ir/eval-errors.js';
import { CONDITION_CODE_IDS, conditionMessage } from '../ir/messages.js';
import type { CheckRequest, Json, Rule } from '../ir/types.js';
import { normalizePath } from '../builtins/path.js';
import { ERR_OP_NAME } from '../compile/opinfo.js';
import type { ClauseOutcome, EvaluationEnv, EvaluationOutcome } from '../ir/outcome.js';
import { readPath } from '../ir/evaluate.js';
import { VmError } from './wasm.js';

function clauseName(kind: number, index: number): string {
  switch (kind) {
    case ClauseKind.When: return 'applies_to.when';
    case ClauseKind.Condition: return `conditions[${index}]`;
    case ClauseKind.Prohibited: return `prohibited[${index}]`;
    case ClauseKind.Required: return `required[${index}]`;
  }
  throw new VmError(`VM reported an unknown clause kind ${kind}`);
}

function bad(what: string): never {
  throw new VmError(`VM result is inconsistent: ${what}`);
}

/** The message of a violated typed condition, from the value it judged. */
function conditionText(code: number, rule: Rule, index: number, req: CheckRequest, env: EvaluationEnv): ClauseOutcome['message'] {
  const cond = rule.conditions[index] ?? bad(`no conditions[${index}] in ${rule.rule_id}`);
  const name = CONDITION_CODE_IDS[code] ?? bad(`unknown condition code ${code}`);
  let subject: Json = null;
  if (cond.type === 'encryption_required' || cond.type === 'file_access_control') {
    subject = readPath(cond.field, req, env);
  }
  // After the path_invalid check, file conditions judge (and report) the normalized path.
  if ((name === 'path_not_allowed' || name === 'extension_blocked') && typeof subject === 'string' && !isNormalPath(subject)) {
    const n = normalizePath(subject);
    if (n.ok) subject = n.path;
  }
  return conditionMessage(name, cond, subject);
}

/**
 * True only when normalizePath(p) would return p itself (the usual case: no `\\`, no empty,
 * `.` or `..` segment, no control character), so the path need not be rebuilt. May say false
 * for a few normal paths (`/`, the empty string); the caller then normalizes as before.
 */
export function isNormalPath(p: string): boolean {
  // `/??/C:/x`, the NT namespace before a drive, is normalized to `C:/x` (builtins/path.ts).
  if (p.startsWith('/??/')) return false;
  let start = 0;
  for (let i = 0; i <= p.length; i++) {
    const c = i < p.length ? p.charCodeAt(i) : 0x2f;
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x5c) return false;
    if (c !== 0x2f) continue;
    const len = i - start;
    // Only a leading `/` may open an empty segment, and something must follow it.
    if (len === 0 ? i !== 0 || p.length === 1 : len <= 2 && p.charCodeAt(start) === 0x2e && (len === 1 || p.charCodeAt(start + 1) === 0x2e)) {
      return false;
    }
    start = i + 1;
  }
  return true;
}

function evalErrorText(dv: DataView, v: number): string {
  const kind = EVAL_ERROR_KIND_IDS[dv.getUint8(v + 8)] ?? bad('unknown error kind');
  const op = ERR_OP_NAME[dv.getUint8(v + 9) as ErrOp] ?? bad('unknown error operator');
  const n = dv.getUint8(v + 10);
  const types: ValueType[] = [];
  for (let i = 0; i < n && i < 2; i++) types.push(VALUE_TYPE_IDS[dv.getUint8(v + 12 + i)] ?? bad('unknown type'));
  const d = dv.getUint8(v + 11);
  const detail = d === DETAIL_NONE ? undefined : INVALID_ARGUMENT_DETAIL_IDS[d] ?? bad('unknown detail');
  return formatEvalError({ kind, op, types, detail });
}

/**
 * Decode the result struct at `at` (after a successful evaluate) into an outcome. `ids` are the
 * rules' rule_ids (one array of strings: rule objects differ in shape, so reading `rule_id`
 * off each would be a megamorphic load per applicable rule).
 */
export function readOutcome(dv: DataView, at: number, rules: readonly Rule[], ids: readonly string[], req: CheckRequest, env: EvaluationEnv): EvaluationOutcome {
  const nApply = dv.getUint32(at + R_APPLY, true);
  const nViol = dv.getUint32(at + R_VIOL, true);
  if (nApply > rules.length) bad('more applicable rules than rules');
  const applicable: string[] = new Array(nApply);
  for (let i = 0; i < nApply; i++) {
    const r = dv.getUint32(at + R_HEADER + i * 4, true);
    applicable[i] = ids[r] ?? bad(`rule index ${r}`);
  }
  const violated: ClauseOutcome[] = [];
  const base = at + dv.getUint32(at + R_VIOL_OFF, true);
  for (let i = 0; i < nViol; i++) {
    const v = base + i * VIOL_SIZE;
    const r = dv.getUint32(v, true);
    const rule = rules[r] ?? bad('violation of an unknown rule');
    const kind = dv.getUint8(v + 4);
    const code = dv.getUint8(v + 5);
    const index = dv.getUint16(v + 6, true);
    const clause = clauseName(kind, index);
    let name: string;
    let message: string;
    if (code === CODE_PROHIBITED) {
      name = 'prohibited';
      message = (rule.prohibited[index] ?? bad(clause)).message;
    } else if (code === CODE_REQUIRED) {
      name = 'required';
      message = (rule.required[index] ?? bad(clause)).message;
    } else if (code === CODE_EVAL_ERROR) {
      name = 'eval_error';
      message = evalErrorText(dv, v);
    } else {
      name = CONDITION_CODE_IDS[code] ?? bad(`code ${code}`);
      message = conditionText(code, rule, index, req, env);
    }
    violated.push({ rule_id: ids[r], clause, code: name, message });
  }
  return { applicable, violated };
}

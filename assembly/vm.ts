// The dispatch loop: for each candidate rule, run its code (scope, then clauses) and write
// applicable rules and violated clauses to the result region. Errors inside a clause record an
// `eval_error` violation and jump to the clause's handler; anything that means the VM or the
// bundle is broken (unknown opcode, bad operand, overflow) traps via die(), and the host turns
// the trap into a VmError: the check is denied, never approved.

import { ClauseKind, ErrOp, Op } from './opcodes';
import {
  CC_EXPRESSION, CODE_EVAL_ERROR, CODE_PROHIBITED, CODE_REQUIRED, DETAIL_CIDR, DETAIL_GLOB,
  CHECK_GLOB_BUDGET, DETAIL_GLOB_COST, GLOB_MAX_COST,
  DETAIL_IP, DETAIL_NONE, EK_DIVISION_BY_ZERO, EK_INVALID_ARGUMENT, EK_NOT_BOOLEAN,
  EK_NOT_FINITE, EK_OPERAND_TYPE, I_CANDS, I_CAND_OFF, I_FIELDS, I_HEADER, RULE_ENTRY_SIZE,
  RULE_FLAG_ENABLED, R_APPLY, R_HEADER, R_STATUS, R_VIOL, R_VIOL_OFF, ST_BAD_CODE, ST_BAD_INPUT,
  ST_NOT_LOADED, ST_OK, ST_OVER_BUDGET, ST_RESULT_FULL, ST_STACK, T_BOOL, T_LIST, T_NULL, T_NUM, T_STR,
  VIOL_SIZE,
} from './format';
import { alloc, bytesCmp, die, growInPlace, resultPtr, scratchReset } from './mem';
import {
  codeBase, codeLen, inputBase, loaded, maxViolations, nFields, nRules, ruleTab, valuesBase,
  valuesEnd,
} from './state';
import {
  SLOT, decodeInto, eqSlotEnc, eqSlots, encSize, encType, listCount, listFirst, makeList,
  setBool, setNull, setNum, setStr, setStrId, slotBool, slotLen, slotNum, slotPtr, slotType,
} from './values';
import { caseMap, contains, endsWith, extBlocked, forgetNormPath, normPath, outLen, outPtr, startsWith } from './text';
import { globMatch } from './glob';
import { inCidr } from './cidr';

/** The compiler refuses expressions deeper than this (src/compile/lower.ts MAX_STACK). */
const STACK_SLOTS = 256;
const STACK: usize = memory.data(STACK_SLOTS * SLOT, 16);
/** The longest instruction (PushNum); the emitter pads the code with this many zero bytes, so
 * checking pc once per instruction keeps every operand read inside the code section. */
const MAX_INSN: u32 = 9;

/** Set by fail(): the dispatch loop continues at the clause's handler, with an empty stack. */
let failed = false;
/** No rule is being evaluated (before the first, after the last). */
const NO_RULE: u32 = 0xffffffff;
let rule: u32 = NO_RULE;
let clauseKind: i32 = 0;
let clauseIndex: i32 = 0;
let handler: u32 = 0;
let nApply: u32 = 0;
let nViol: u32 = 0;
let inputLen: u32 = 0;
let violBase: usize = 0;
/** Glob matching this check has done so far (pattern × subject code points); see charge(). */
let globWork: u64 = 0;

@inline function slot(i: i32): usize {
  return STACK + (<usize>i << 4);
}
// The stack pointer `sp` is a local of runRule: these take it as an argument.
@inline function need(sp: i32, n: i32): void {
  if (sp < n) die(ST_STACK);
}
/** Slot `i` for a push (the caller increments sp); traps when the stack is full. */
@inline function pushAt(i: i32): usize {
  if (i >= STACK_SLOTS) die(ST_STACK);
  return slot(i);
}
@inline function u8op(at: u32): i32 {
  return <i32>load<u8>(codeBase + at);
}
@inline function u16op(at: u32): u32 {
  return <u32>load<u16>(codeBase + at);
}
@inline function u32op(at: u32): u32 {
  return load<u32>(codeBase + at);
}
function jumpTarget(target: u32): u32 {
  if (target >= codeLen) die(ST_BAD_CODE);
  return target;
}
function constAt(off: u32): usize {
  const p = valuesBase + <usize>off;
  if (p >= valuesEnd) die(ST_BAD_CODE);
  return p;
}

function violation(code: i32, kind: i32, op: i32, n: i32, t0: u32, t1: u32, detail: i32): void {
  if (nViol >= maxViolations) die(ST_RESULT_FULL);
  const v = violBase + <usize>nViol * VIOL_SIZE;
  store<u32>(v, rule);
  store<u8>(v + 4, <u8>clauseKind);
  store<u8>(v + 5, <u8>code);
  store<u16>(v + 6, <u16>clauseIndex);
  store<u8>(v + 8, <u8>kind);
  store<u8>(v + 9, <u8>op);
  store<u8>(v + 10, <u8>n);
  store<u8>(v + 11, <u8>detail);
  store<u8>(v + 12, <u8>t0);
  store<u8>(v + 13, <u8>t1);
  store<u16>(v + 14, 0);
  nViol++;
}

/** An evaluation error: the clause is violated with it; continue at the clause's handler. */
function fail(kind: i32, op: i32, n: i32, t0: u32, t1: u32, detail: i32): void {
  violation(CODE_EVAL_ERROR, kind, op, n, t0, t1, detail);
  failed = true;
}
function typeError1(op: i32, a: usize): void {
  fail(EK_OPERAND_TYPE, op, 1, slotType(a), 0, DETAIL_NONE);
}
function typeError2(op: i32, a: usize, b: usize): void {
  fail(EK_OPERAND_TYPE, op, 2, slotType(a), slotType(b), DETAIL_NONE);
}

/** Membership of slot x in the encoded list at p, by JSON equality. */
function member(x: usize, p: usize): bool {
  const n = listCount(p);
  let q = listFirst(p);
  for (let i: u32 = 0; i < n; i++) {
    if (eqSlotEnc(x, q)) return true;
    q += encSize(q);
  }
  return false;
}

function cpCount(p: usize, n: u32): u32 {
  let c: u32 = 0;
  for (let i: u32 = 0; i < n; i++) if ((load<u8>(p + i) & 0xc0) != 0x80) c++;
  return c;
}

/** Put a finite number in slot a (true), or fail with not_finite (false). */
function arith(op: i32, a: usize, v: f64): bool {
  if (!isFinite<f64>(v)) {
    fail(EK_NOT_FINITE, op, 0, 0, 0, DETAIL_NONE);
    return false;
  }
  setNum(a, v);
  return true;
}

/** The comparison of slots a and b into a (true), or a type error (false). */
function compare(op: i32, a: usize, b: usize): bool {
  const ta = slotType(a);
  let c: i32 = 0;
  if (ta == T_NUM && slotType(b) == T_NUM) {
    const x = slotNum(a), y = slotNum(b);
    c = x < y ? -1 : x > y ? 1 : 0;
  } else if (ta == T_STR && slotType(b) == T_STR) {
    c = bytesCmp(slotPtr(a), slotLen(a), slotPtr(b), slotLen(b));
  } else {
    typeError2(op, a, b);
    return false;
  }
  let r = false;
  if (op == ErrOp.Lt) r = c < 0;
  else if (op == ErrOp.Le) r = c <= 0;
  else if (op == ErrOp.Gt) r = c > 0;
  else r = c >= 0;
  setBool(a, r);
  return true;
}

/** `x in y` / `contains(y, x)`: list membership or substring, into `first` (the lower slot). */
function within(op: i32, x: usize, y: usize, first: usize, second: usize): bool {
  const ty = slotType(y);
  let r = false;
  if (ty == T_LIST) {
    r = member(x, slotPtr(y));
  } else if (ty == T_STR && slotType(x) == T_STR) {
    r = contains(slotPtr(y), slotLen(y), slotPtr(x), slotLen(x));
  } else {
    typeError2(op, first, second);
    return false;
  }
  setBool(first, r);
  return true;
}

/** Normalize the path in slot s for a glob; false (after recording the error) when invalid. */
function globSubject(op: i32, s: usize): bool {
  const d = normPath(slotPtr(s), slotLen(s));
  if (d >= 0) {
    fail(EK_INVALID_ARGUMENT, op, 0, 0, 0, d);
    return false;
  }
  return true;
}

/**
 * Whether matching patterns of `patternCps` code points against the normalized subject (in
 * out) stays within GLOB_MAX_COST; if not, records the error. The oracle checks the same.
 */
function globAffordable(op: i32, patternCps: u64): bool {
  const pathCps = <u64>cpCount(outPtr, outLen);
  if (patternCps * pathCps <= <u64>GLOB_MAX_COST) {
    charge(patternCps * (pathCps + 1));
    return true;
  }
  fail(EK_INVALID_ARGUMENT, op, 0, 0, 0, DETAIL_GLOB_COST);
  return false;
}

/**
 * Counts glob matching against the check's budget (CHECK_GLOB_BUDGET), before the match, as
 * pattern × (subject + 1) code points (the + 1 is compiling the pattern, which an empty
 * subject, a path like `.`, does not make free); over it the whole check stops (not one
 * clause: the work is the rule set's, not a clause's).
 * The oracle charges the same amounts at the same matches (src/ir/glob-work.ts GlobWork).
 */
function charge(cost: u64): void {
  globWork += cost;
  if (globWork > <u64>CHECK_GLOB_BUDGET) die(ST_OVER_BUDGET);
}

/** Charge matching the rule's own patterns (a constant list) against the normalized path in out. */
function chargeList(list: usize): void {
  charge(patternsCost(list) * (<u64>cpCount(outPtr, outLen) + 1));
}

/** The code points of every string of an encoded string list. */
function patternsCost(list: usize): u64 {
  const n = listCount(list);
  let q = listFirst(list);
  let sum: u64 = 0;
  for (let i: u32 = 0; i < n; i++) {
    decodeInto(q, ITEM);
    sum += <u64>cpCount(slotPtr(ITEM), slotLen(ITEM));
    q += encSize(q);
  }
  return sum;
}

/** Run one rule's code from its entry point. */
function runRule(entry: u32): void {
  // pc and sp are locals (the loop's hottest state); helpers that fail set `failed` instead.
  let pc = entry;
  let sp: i32 = 0;
  handler = entry;
  failed = false;
  for (;;) {
    if (failed) {
      failed = false;
      pc = handler;
      sp = 0;
    }
    if (pc + MAX_INSN > codeLen) die(ST_BAD_CODE);
    // Opcode 0 and anything above OP_LAST land in `default` (one br_table, no range test).
    const op = u8op(pc);
    pc++;
    switch (op) {
      case Op.PushNull: setNull(pushAt(sp++)); break;
      case Op.PushTrue: setBool(pushAt(sp++), true); break;
      case Op.PushFalse: setBool(pushAt(sp++), false); break;
      case Op.PushNum: setNum(pushAt(sp++), load<f64>(codeBase + pc)); pc += 8; break;
      case Op.PushStr: setStrId(pushAt(sp++), u32op(pc)); pc += 4; break;
      case Op.PushConst: decodeInto(constAt(u32op(pc)), pushAt(sp++)); pc += 4; break;
      case Op.LoadField: {
        const f = u16op(pc);
        pc += 2;
        if (f >= nFields) die(ST_BAD_CODE);
        const off = load<u32>(inputBase + I_HEADER + <usize>f * 4);
        const s = pushAt(sp++);
        if (off == 0) setNull(s);
        else if (off >= inputLen) die(ST_BAD_INPUT);
        else decodeInto(inputBase + off, s);
        break;
      }
      case Op.MakeList: {
        const n = <i32>u16op(pc);
        pc += 2;
        need(sp, n);
        const p = makeList(slot(sp - n), <u32>n);
        sp -= n;
        const s = pushAt(sp++);
        store<u32>(s, T_LIST);
        store<u32>(s, <u32>p, 8);
        break;
      }
      case Op.Not: {
        need(sp, 1);
        const a = slot(sp - 1);
        if (slotType(a) != T_BOOL) typeError1(ErrOp.Not, a);
        else setBool(a, !slotBool(a));
        break;
      }
      case Op.Neg: {
        need(sp, 1);
        const a = slot(sp - 1);
        if (slotType(a) != T_NUM) typeError1(ErrOp.Neg, a);
        else setNum(a, -slotNum(a));
        break;
      }
      case Op.Eq:
      case Op.Ne: {
        need(sp, 2);
        const r = eqSlots(slot(sp - 2), slot(sp - 1));
        sp--;
        setBool(slot(sp - 1), op == Op.Eq ? r : !r);
        break;
      }
      case Op.Lt: need(sp, 2); if (compare(ErrOp.Lt, slot(sp - 2), slot(sp - 1))) sp--; break;
      case Op.Le: need(sp, 2); if (compare(ErrOp.Le, slot(sp - 2), slot(sp - 1))) sp--; break;
      case Op.Gt: need(sp, 2); if (compare(ErrOp.Gt, slot(sp - 2), slot(sp - 1))) sp--; break;
      case Op.Ge: need(sp, 2); if (compare(ErrOp.Ge, slot(sp - 2), slot(sp - 1))) sp--; break;
      case Op.In: {
        need(sp, 2);
        const x = slot(sp - 2), y = slot(sp - 1);
        if (within(ErrOp.In, x, y, x, y)) sp--;
        break;
      }
      case Op.Contains: {
        need(sp, 2);
        const y = slot(sp - 2), x = slot(sp - 1);
        if (within(ErrOp.Contains, x, y, y, x)) sp--;
        break;
      }
      case Op.Add: {
        need(sp, 2);
        const a = slot(sp - 2), b = slot(sp - 1);
        if (slotType(a) == T_NUM && slotType(b) == T_NUM) {
          if (arith(ErrOp.Add, a, slotNum(a) + slotNum(b))) sp--;
        } else if (slotType(a) == T_STR && slotType(b) == T_STR) {
          const la = slotLen(a), lb = slotLen(b);
          let p = slotPtr(a);
          if (!growInPlace(p, la, lb)) {
            p = alloc(<usize>la + <usize>lb);
            memory.copy(p, slotPtr(a), la);
          }
          memory.copy(p + la, slotPtr(b), lb);
          sp--;
          setStr(a, -1, p, la + lb);
        } else {
          typeError2(ErrOp.Add, a, b);
        }
        break;
      }
      case Op.Sub:
      case Op.Mul:
      case Op.Div:
      case Op.Mod: {
        need(sp, 2);
        const a = slot(sp - 2), b = slot(sp - 1);
        const eop = op == Op.Sub ? ErrOp.Sub : op == Op.Mul ? ErrOp.Mul : op == Op.Div ? ErrOp.Div : ErrOp.Mod;
        if (slotType(a) != T_NUM || slotType(b) != T_NUM) {
          typeError2(eop, a, b);
          break;
        }
        const x = slotNum(a), y = slotNum(b);
        if ((op == Op.Div || op == Op.Mod) && y == 0) {
          fail(EK_DIVISION_BY_ZERO, eop, 0, 0, 0, DETAIL_NONE);
          break;
        }
        if (arith(eop, a, op == Op.Sub ? x - y : op == Op.Mul ? x * y : op == Op.Div ? x / y : x % y)) sp--;
        break;
      }
      case Op.AndTest:
      case Op.OrTest: {
        need(sp, 1);
        const target = u32op(pc);
        pc += 4;
        const a = slot(sp - 1);
        if (slotType(a) != T_BOOL) {
          typeError1(op == Op.AndTest ? ErrOp.And : ErrOp.Or, a);
          break;
        }
        // Short-circuit: && stops on false, || on true, leaving that value as the result.
        if (slotBool(a) == (op == Op.OrTest)) pc = jumpTarget(target);
        else sp--;
        break;
      }
      case Op.BoolCheck: {
        need(sp, 1);
        const eop = u8op(pc);
        pc++;
        const a = slot(sp - 1);
        // Each side is checked on its own: the error names only the right side's type.
        if (slotType(a) != T_BOOL) fail(EK_OPERAND_TYPE, eop, 1, slotType(a), 0, DETAIL_NONE);
        break;
      }
      case Op.StartsWith:
      case Op.EndsWith: {
        need(sp, 2);
        const a = slot(sp - 2), b = slot(sp - 1);
        const eop = op == Op.StartsWith ? ErrOp.StartsWith : ErrOp.EndsWith;
        if (slotType(a) != T_STR || slotType(b) != T_STR) {
          typeError2(eop, a, b);
          break;
        }
        const r = op == Op.StartsWith
          ? startsWith(slotPtr(a), slotLen(a), slotPtr(b), slotLen(b))
          : endsWith(slotPtr(a), slotLen(a), slotPtr(b), slotLen(b));
        sp--;
        setBool(a, r);
        break;
      }
      case Op.Lower:
      case Op.Upper: {
        need(sp, 1);
        const a = slot(sp - 1);
        if (slotType(a) != T_STR) {
          typeError1(op == Op.Lower ? ErrOp.Lower : ErrOp.Upper, a);
          break;
        }
        caseMap(slotPtr(a), slotLen(a), op == Op.Upper);
        setStr(a, -1, outPtr, outLen);
        break;
      }
      case Op.Len: {
        need(sp, 1);
        const a = slot(sp - 1);
        const t = slotType(a);
        if (t == T_STR) setNum(a, <f64>cpCount(slotPtr(a), slotLen(a)));
        else if (t == T_LIST) setNum(a, <f64>listCount(slotPtr(a)));
        else typeError1(ErrOp.Len, a);
        break;
      }
      case Op.Glob: {
        need(sp, 2);
        const a = slot(sp - 2), b = slot(sp - 1);
        if (slotType(a) != T_STR || slotType(b) != T_STR) {
          typeError2(ErrOp.Glob, a, b);
          break;
        }
        if (!globSubject(ErrOp.Glob, a) || !globAffordable(ErrOp.Glob, <u64>cpCount(slotPtr(b), slotLen(b)))) break;
        const m = globMatch(outPtr, outLen, slotPtr(b), slotLen(b), true);
        if (m < 0) {
          fail(EK_INVALID_ARGUMENT, ErrOp.Glob, 0, 0, 0, DETAIL_GLOB);
          break;
        }
        sp--;
        setBool(a, m == 1);
        break;
      }
      case Op.GlobAny: {
        need(sp, 2);
        const a = slot(sp - 2), b = slot(sp - 1);
        if (slotType(a) != T_STR || slotType(b) != T_LIST || !allStrings(slotPtr(b))) {
          typeError2(ErrOp.GlobAny, a, b);
          break;
        }
        if (!globSubject(ErrOp.GlobAny, a) || !globAffordable(ErrOp.GlobAny, patternsCost(slotPtr(b)))) break;
        const r = globAnyOf(outPtr, outLen, slotPtr(b));
        if (r < 0) {
          fail(EK_INVALID_ARGUMENT, ErrOp.GlobAny, 0, 0, 0, DETAIL_GLOB);
          break;
        }
        sp--;
        setBool(a, r == 1);
        break;
      }
      case Op.InCidr: {
        need(sp, 2);
        const a = slot(sp - 2), b = slot(sp - 1);
        if (slotType(a) != T_STR || slotType(b) != T_STR) {
          typeError2(ErrOp.InCidr, a, b);
          break;
        }
        const r = inCidr(slotPtr(a), slotLen(a), slotPtr(b), slotLen(b));
        if (r < 0) {
          fail(EK_INVALID_ARGUMENT, ErrOp.InCidr, 0, 0, 0, r == -1 ? DETAIL_IP : DETAIL_CIDR);
          break;
        }
        sp--;
        setBool(a, r == 1);
        break;
      }
      case Op.Jump: pc = jumpTarget(u32op(pc)); break;
      case Op.JumpIfFalse:
      case Op.JumpIfTrue: {
        need(sp, 1);
        const target = u32op(pc);
        pc += 4;
        const a = slot(sp - 1);
        if (slotType(a) != T_BOOL) die(ST_BAD_CODE);
        sp--;
        if (slotBool(a) == (op == Op.JumpIfTrue)) pc = jumpTarget(target);
        break;
      }
      case Op.TypeIs: {
        need(sp, 1);
        const t = <u32>u8op(pc);
        pc++;
        setBool(slot(sp - 1), slotType(slot(sp - 1)) == t);
        break;
      }
      case Op.MatchAction: {
        const pat = u32op(pc);
        pc += 4;
        const a = pushAt(sp++);
        setStrId(a, pat);
        const pp = slotPtr(a), pl = slotLen(a);
        const off = nFields > 0 ? load<u32>(inputBase + I_HEADER) : 0;
        let r = false;
        if (off != 0 && off < inputLen) {
          decodeInto(inputBase + off, a);
          // Only a type that starts with the pattern's literal prefix can match; only that
          // is matched and charged (the host's rule index skips the rest the same way).
          if (slotType(a) == T_STR && startsWith(slotPtr(a), slotLen(a), pp, literalPrefix(pp, pl))) {
            charge(<u64>cpCount(pp, pl) * (<u64>cpCount(slotPtr(a), slotLen(a)) + 1));
            const m = globMatch(slotPtr(a), slotLen(a), pp, pl, false);
            if (m < 0) die(ST_BAD_CODE);
            r = m == 1;
          }
        }
        setBool(a, r);
        break;
      }
      case Op.MatchPrefix: {
        const a = pushAt(sp++);
        setStrId(a, u32op(pc));
        pc += 4;
        const pp = slotPtr(a), pl = slotLen(a);
        const off = nFields > 0 ? load<u32>(inputBase + I_HEADER) : 0;
        let r = false;
        if (off != 0 && off < inputLen) {
          decodeInto(inputBase + off, a);
          r = slotType(a) == T_STR && startsWith(slotPtr(a), slotLen(a), pp, pl);
        }
        setBool(a, r);
        break;
      }
      case Op.ScopeGlobs: {
        need(sp, 1);
        const list = constAt(u32op(pc));
        pc += 4;
        const a = slot(sp - 1);
        // No path (missing or null): the rule is not about files. Any other path that is not
        // a string, or that cannot be normalized, counts as matching: scopes err toward applying.
        let r = slotType(a) != T_NULL;
        if (slotType(a) == T_STR && normPath(slotPtr(a), slotLen(a)) < 0) {
          chargeList(list);
          const m = globAnyOf(outPtr, outLen, list);
          if (m < 0) die(ST_BAD_CODE);
          r = m == 1;
        }
        setBool(a, r);
        break;
      }
      case Op.AllowedPaths: {
        need(sp, 1);
        const list = constAt(u32op(pc));
        pc += 4;
        const a = slot(sp - 1);
        // The compiler checks the path with NormPathOrNull first; anything else is bad code.
        if (slotType(a) != T_STR || normPath(slotPtr(a), slotLen(a)) >= 0) die(ST_BAD_CODE);
        chargeList(list);
        const m = globAnyOf(outPtr, outLen, list);
        if (m < 0) die(ST_BAD_CODE);
        setBool(a, m == 1);
        break;
      }
      case Op.NormPathOrNull: {
        need(sp, 1);
        const a = slot(sp - 1);
        if (slotType(a) != T_STR || normPath(slotPtr(a), slotLen(a)) >= 0) setNull(a);
        else setStr(a, -1, outPtr, outLen);
        break;
      }
      case Op.ExtBlocked: {
        need(sp, 1);
        const list = constAt(u32op(pc));
        pc += 4;
        const a = slot(sp - 1);
        setBool(a, slotType(a) == T_STR && extBlocked(slotPtr(a), slotLen(a), list));
        break;
      }
      case Op.Clause: {
        clauseKind = u8op(pc);
        clauseIndex = <i32>u16op(pc + 1);
        const h = u32op(pc + 3);
        if (h >= codeLen) die(ST_BAD_CODE);
        handler = h;
        pc += 7;
        sp = 0;
        break;
      }
      case Op.EndProhibited:
      case Op.EndRequired:
      case Op.EndExpression:
      case Op.EndWhen: {
        need(sp, 1);
        const a = slot(sp - 1);
        sp--;
        if (slotType(a) != T_BOOL) {
          violation(CODE_EVAL_ERROR, EK_NOT_BOOLEAN, ErrOp.Clause, 1, slotType(a), 0, DETAIL_NONE);
          break;
        }
        const v = slotBool(a);
        if (op == Op.EndProhibited) {
          if (v) violation(CODE_PROHIBITED, 0, 0, 0, 0, 0, DETAIL_NONE);
        } else if (op == Op.EndRequired) {
          if (!v) violation(CODE_REQUIRED, 0, 0, 0, 0, 0, DETAIL_NONE);
        } else if (op == Op.EndExpression) {
          if (!v) violation(CC_EXPRESSION, 0, 0, 0, 0, 0, DETAIL_NONE);
        } else if (!v) {
          return; // applies_to.when is false: the rule does not apply
        }
        break;
      }
      case Op.Fail: {
        const code = u8op(pc);
        violation(code, 0, 0, 0, 0, 0, DETAIL_NONE);
        sp = 0;
        pc = handler;
        break;
      }
      case Op.Apply: {
        if (nApply >= nRules) die(ST_BAD_INPUT); // a rule listed twice among the candidates
        store<u32>(resultPtr + R_HEADER + <usize>nApply * 4, rule);
        nApply++;
        break;
      }
      case Op.NotApplicable:
      case Op.RuleEnd:
        return;
      default:
        die(ST_BAD_CODE);
    }
  }
}

/** Bytes of a glob pattern before its first `*`, `?` or `[`. */
function literalPrefix(p: usize, n: u32): u32 {
  for (let i: u32 = 0; i < n; i++) {
    const c = load<u8>(p + i);
    if (c == 0x2a || c == 0x3f || c == 0x5b) return i;
  }
  return n;
}

function allStrings(p: usize): bool {
  const n = listCount(p);
  let q = listFirst(p);
  for (let i: u32 = 0; i < n; i++) {
    if (encType(q) != T_STR) return false;
    q += encSize(q);
  }
  return true;
}

// A scratch slot for reading list items as strings.
const ITEM: usize = memory.data(SLOT, 16);

/** 1 when some pattern of the encoded string list matches the subject, 0 none, -1 invalid. */
function globAnyOf(sp_: usize, sl: u32, list: usize): i32 {
  const n = listCount(list);
  let q = listFirst(list);
  let result = 0;
  for (let i: u32 = 0; i < n; i++) {
    decodeInto(q, ITEM);
    const m = globMatch(sp_, sl, slotPtr(ITEM), slotLen(ITEM), true);
    if (m < 0) return -1;
    if (m == 1) result = 1;
    q += encSize(q);
  }
  return result;
}

/** The rule being evaluated: after a trap, the one that trapped (or NO_RULE). */
export function currentRule(): u32 {
  return rule;
}

/** Evaluate the candidates the host wrote into the input region. */
export function evaluate(len: u32): i32 {
  if (!loaded) return ST_NOT_LOADED;
  store<u32>(resultPtr + R_STATUS, ST_OK);
  inputLen = len;
  const nf = load<u32>(inputBase + I_FIELDS);
  const nc = load<u32>(inputBase + I_CANDS);
  const co = load<u32>(inputBase + I_CAND_OFF);
  if (nf != nFields || <u64>I_HEADER + <u64>nf * 4 > <u64>len || <u64>co + <u64>nc * 4 > <u64>len) {
    die(ST_BAD_INPUT);
  }
  nApply = 0;
  nViol = 0;
  globWork = 0;
  rule = NO_RULE;
  violBase = resultPtr + R_HEADER + <usize>nRules * 4;
  for (let i: u32 = 0; i < nc; i++) {
    const r = load<u32>(inputBase + co + <usize>i * 4);
    if (r >= nRules) die(ST_BAD_INPUT);
    const e = ruleTab + <usize>r * RULE_ENTRY_SIZE;
    if ((load<u32>(e + 4) & RULE_FLAG_ENABLED) == 0) continue;
    rule = r;
    clauseKind = ClauseKind.When;
    clauseIndex = 0;
    // Each rule starts with empty scratch (values do not outlive their rule; violations are
    // written to the result region), so one rule's large values cannot exhaust the next's.
    scratchReset(inputBase + len);
    forgetNormPath();
    runRule(load<u32>(e));
  }
  rule = NO_RULE;
  store<u32>(resultPtr + R_APPLY, nApply);
  store<u32>(resultPtr + R_VIOL, nViol);
  store<u32>(resultPtr + R_VIOL_OFF, <u32>(violBase - resultPtr));
  return ST_OK;
}


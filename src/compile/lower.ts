// Lowering: Rule IR → VM instructions (docs/semantics.md is the contract for every case).
//
// A rule's code: scope checks (actions, globs, when) → `apply` → one block per clause. Every
// clause starts with `clause kind index handler`; an evaluation error inside records an
// `eval_error` violation and continues at the handler (the next clause), as the oracle does.
// rate_limit_check conditions produce no code: the host evaluates them after the VM.

import { ClauseKind, ErrOp, Op } from '../../assembly/opcodes.js';
import {
  CC_ENCRYPTION_ALGORITHM, CC_ENCRYPTION_KEY_AGE, CC_EXTENSION_BLOCKED, CC_PATH_INVALID,
  CC_PATH_NOT_ALLOWED, T_NULL, T_NUM,
} from '../../assembly/format.js';
import type { BinaryOp, Condition, Expr, Json, PathRef, Rule } from '../ir/types.js';
import { compileGlob, type GlobMode } from '../builtins/glob.js';
import { CompileError } from './errors.js';
import { actionPatternKind } from '../ir/glob-work.js';
import { foldCase } from '../ir/messages.js';
import type { Emitter } from './emitter.js';
import { ACTION_TYPE, type FieldTable } from './fields.js';

/** The VM's stack has 256 slots (assembly/vm.ts STACK_SLOTS). */
const MAX_STACK = 256;

const BINARY: Partial<Record<BinaryOp, Op>> = {
  '==': Op.Eq, '!=': Op.Ne, '<': Op.Lt, '<=': Op.Le, '>': Op.Gt, '>=': Op.Ge, in: Op.In,
  '+': Op.Add, '-': Op.Sub, '*': Op.Mul, '/': Op.Div, '%': Op.Mod,
};

const CALLS: Record<string, { op: Op; arity: number }> = {
  startsWith: { op: Op.StartsWith, arity: 2 },
  endsWith: { op: Op.EndsWith, arity: 2 },
  contains: { op: Op.Contains, arity: 2 },
  lower: { op: Op.Lower, arity: 1 },
  upper: { op: Op.Upper, arity: 1 },
  len: { op: Op.Len, arity: 1 },
  glob: { op: Op.Glob, arity: 2 },
  globAny: { op: Op.GlobAny, arity: 2 },
  inCidr: { op: Op.InCidr, arity: 2 },
};

/** The value of a list literal whose items are all literals, else undefined. */
function constantValue(e: Expr): Json | undefined {
  if (e.kind === 'literal') return e.value;
  if (e.kind !== 'list') return undefined;
  const out: Json[] = [];
  for (const item of e.items) {
    const v = constantValue(item);
    if (v === undefined) return undefined;
    out.push(v);
  }
  return out;
}

/** The stack slots an expression needs (an upper bound). */
function stackDepth(e: Expr): number {
  switch (e.kind) {
    case 'literal':
    case 'path': return 1;
    case 'unary': return stackDepth(e.operand);
    case 'binary': return Math.max(stackDepth(e.left), 1 + stackDepth(e.right));
    case 'list':
      if (constantValue(e) !== undefined) return 1;
      return Math.max(1, ...e.items.map((x, i) => i + stackDepth(x)));
    case 'call':
      if (e.fn === 'exists') return 2;
      return Math.max(2, ...e.args.map((x, i) => i + stackDepth(x)));
  }
}

export class RuleLowering {
  constructor(
    private readonly em: Emitter,
    private readonly fields: FieldTable,
    private readonly rule: Rule,
  ) {}

  private fail(message: string): never {
    throw new CompileError(message, this.rule.rule_id);
  }

  private path(p: PathRef): void {
    this.em.op(Op.LoadField);
    this.em.u16(this.fields.index(p), 'fields');
  }

  expr(e: Expr): void {
    const em = this.em;
    em.at(e.span);
    switch (e.kind) {
      case 'literal': {
        const v = e.value;
        if (v === null) em.op(Op.PushNull);
        else if (v === true) em.op(Op.PushTrue);
        else if (v === false) em.op(Op.PushFalse);
        else if (typeof v === 'number') {
          em.op(Op.PushNum);
          em.f64(v);
        } else {
          em.op(Op.PushStr);
          em.u32(em.str(v));
        }
        return;
      }
      case 'list': {
        const v = constantValue(e);
        if (v !== undefined) {
          em.op(Op.PushConst);
          em.u32(em.constant(v));
          return;
        }
        for (const item of e.items) this.expr(item);
        em.op(Op.MakeList);
        em.u16(e.items.length, 'listItems');
        return;
      }
      case 'path':
        this.path(e.path);
        return;
      case 'unary':
        this.expr(e.operand);
        em.op(e.op === '!' ? Op.Not : Op.Neg);
        return;
      case 'binary': {
        if (e.op === '&&' || e.op === '||') {
          const end = em.label();
          this.expr(e.left);
          em.jump(e.op === '&&' ? Op.AndTest : Op.OrTest, end);
          this.expr(e.right);
          em.op(Op.BoolCheck);
          em.u8(e.op === '&&' ? ErrOp.And : ErrOp.Or);
          em.bind(end);
          return;
        }
        const op = BINARY[e.op];
        if (op === undefined) this.fail(`unknown operator \`${e.op}\``);
        this.expr(e.left);
        this.expr(e.right);
        em.op(op);
        return;
      }
      case 'call': {
        if (e.fn === 'exists') {
          // exists(p) ≡ p != null (docs/semantics.md)
          if (e.args.length !== 1) this.fail('`exists` takes one argument');
          this.expr(e.args[0]);
          em.op(Op.PushNull);
          em.op(Op.Ne);
          return;
        }
        const c = CALLS[e.fn];
        if (c === undefined) this.fail(`unknown function \`${e.fn}\``);
        if (e.args.length !== c.arity) this.fail(`\`${e.fn}\` takes ${c.arity} argument(s)`);
        for (const a of e.args) this.expr(a);
        em.op(c.op);
        return;
      }
    }
  }

  /** `clause kind index handler` … body … handler: */
  private clause(kind: ClauseKind, index: number, body: () => void): void {
    const em = this.em;
    const next = em.label();
    em.op(Op.Clause);
    em.u8(kind);
    em.u16(index, 'clausesPerRule');
    em.target(next);
    body();
    em.bind(next);
  }

  private checkedExpr(e: Expr): void {
    if (stackDepth(e) > MAX_STACK) this.fail(`an expression needs more than ${MAX_STACK} stack slots`);
    this.expr(e);
  }

  private validGlob(p: string, mode: GlobMode): string {
    if (compileGlob(p, mode) === null) this.fail(`invalid glob pattern \`${p}\``);
    return p;
  }

  private failUnless(jump: Op.JumpIfTrue | Op.JumpIfFalse, code: number): void {
    const ok = this.em.label();
    this.em.jump(jump, ok);
    this.em.op(Op.Fail);
    this.em.u8(code);
    this.em.bind(ok);
  }

  private condition(c: Condition): void {
    const em = this.em;
    em.at(c.span);
    switch (c.type) {
      case 'expression':
        this.checkedExpr(c.expr.expr);
        em.op(Op.EndExpression);
        return;
      case 'encryption_required': {
        const at = (seg: string): PathRef => ({ root: c.field.root, segments: [...c.field.segments, seg] });
        this.path(at('algorithm'));
        em.op(Op.PushConst);
        em.u32(em.constant(c.algorithms));
        em.op(Op.In);
        this.failUnless(Op.JumpIfTrue, CC_ENCRYPTION_ALGORITHM);
        if (c.key_rotation_days === undefined) return;
        const bad = em.label();
        const ok = em.label();
        this.path(at('key_age_days'));
        em.op(Op.TypeIs);
        em.u8(T_NUM);
        em.jump(Op.JumpIfFalse, bad);
        this.path(at('key_age_days'));
        em.op(Op.PushNum);
        em.f64(c.key_rotation_days);
        em.op(Op.Le);
        em.jump(Op.JumpIfTrue, ok);
        em.bind(bad);
        em.op(Op.Fail);
        em.u8(CC_ENCRYPTION_KEY_AGE);
        em.bind(ok);
        return;
      }
      case 'file_access_control': {
        // Missing, not a string, or not normalizable → path_invalid; the later checks judge
        // the normalized path, as the oracle does.
        this.path(c.field);
        em.op(Op.NormPathOrNull);
        em.op(Op.TypeIs);
        em.u8(T_NULL);
        this.failUnless(Op.JumpIfFalse, CC_PATH_INVALID);
        if (c.allowed_paths !== undefined) {
          // Not Op.GlobAny: these patterns are the rule's, so glob()'s budget does not apply.
          this.path(c.field);
          em.op(Op.AllowedPaths);
          em.u32(em.constant(c.allowed_paths.map((p) => this.validGlob(p, 'path'))));
          this.failUnless(Op.JumpIfTrue, CC_PATH_NOT_ALLOWED);
        }
        if (c.blocked_extensions !== undefined && c.blocked_extensions.length > 0) {
          this.path(c.field);
          em.op(Op.NormPathOrNull);
          em.op(Op.ExtBlocked);
          // Each extension as written (lower-cased) and case folded: the VM tries both forms of
          // the name against all of them, as blockedExtension does.
          em.u32(em.constant([...new Set([...c.blocked_extensions, ...c.blocked_extensions.map(foldCase)])]));
          this.failUnless(Op.JumpIfFalse, CC_EXTENSION_BLOCKED);
        }
        return;
      }
      case 'rate_limit_check':
        return;
    }
  }

  /** The scope (docs/semantics.md "Scope"), ending in `apply` or `not_applicable`. */
  private scope(): void {
    const em = this.em;
    const r = this.rule;
    em.at(r.source.span);
    if (r.alwaysApply === true) return;
    const actions = r.applies_to?.actions;
    const when = r.applies_to?.when;
    if (actions === undefined && r.globs === undefined && when === undefined) {
      if (r.alwaysApply === false) em.op(Op.NotApplicable);
      return;
    }
    if (actions !== undefined) {
      const ok = em.label();
      for (const p of actions) {
        const how = actionPatternKind(p);
        if (how.kind === 'prefix') {
          // `db.*`: in action globs a trailing star is any run, so this is a prefix test.
          em.op(Op.MatchPrefix);
          em.u32(em.str(how.prefix));
        } else if (how.kind === 'glob') {
          em.op(Op.MatchAction);
          em.u32(em.str(this.validGlob(p, 'action')));
        } else {
          // A pattern without wildcards is an equality: with action.type interned by the
          // host, an integer compare.
          this.path(ACTION_TYPE);
          em.op(Op.PushStr);
          em.u32(em.str(p));
          em.op(Op.Eq);
        }
        em.jump(Op.JumpIfTrue, ok);
      }
      em.op(Op.NotApplicable);
      em.bind(ok);
    }
    if (r.globs !== undefined) {
      const ok = em.label();
      this.path({ root: 'action', segments: ['path'] });
      em.op(Op.ScopeGlobs);
      em.u32(em.constant(r.globs.map((p) => this.validGlob(p, 'path'))));
      em.jump(Op.JumpIfTrue, ok);
      em.op(Op.NotApplicable);
      em.bind(ok);
    }
    if (when !== undefined) {
      this.clause(ClauseKind.When, 0, () => {
        this.checkedExpr(when.expr);
        em.op(Op.EndWhen);
      });
    }
  }

  /** Emit the whole rule; returns its entry offset. */
  lower(): number {
    const em = this.em;
    const r = this.rule;
    const entry = em.offset;
    if (!r.enabled) {
      em.op(Op.NotApplicable);
      return entry;
    }
    this.scope();
    em.op(Op.Apply);
    r.conditions.forEach((c, i) => {
      if (c.type === 'rate_limit_check') return;
      this.clause(ClauseKind.Condition, i, () => this.condition(c));
    });
    r.prohibited.forEach((c, i) => {
      em.at(c.span);
      this.clause(ClauseKind.Prohibited, i, () => {
        this.checkedExpr(c.when.expr);
        em.op(Op.EndProhibited);
      });
    });
    r.required.forEach((c, i) => {
      em.at(c.span);
      this.clause(ClauseKind.Required, i, () => {
        this.checkedExpr(c.check.expr);
        em.op(Op.EndRequired);
      });
    });
    em.op(Op.RuleEnd);
    return entry;
  }
}

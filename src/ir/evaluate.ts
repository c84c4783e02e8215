// The reference evaluator (the oracle, ARCHITECTURE.md): walks the IR directly, one small case
// per operator and function of docs/semantics.md. The WASM VM decides checks (this one only when
// an embedder asks for `evaluator: 'oracle'`), and the two must agree exactly on every test and
// generated case, so clarity beats speed here; explain.ts runs this one again over a violated
// clause to say which values it read.

import type { CheckRequest, Condition, Expr, Json, PathRef, Rule } from './types.js';
import { GLOB_COST_DETAIL, formatEvalError, typeOf, type EvalError, type InvalidArgumentDetail } from './eval-errors.js';
import { blockedExtension, conditionMessage, type ConditionCode } from './messages.js';
import type { ClauseOutcome, EvaluationEnv, EvaluationOutcome, Evaluator } from './outcome.js';
import { child, jsonEqual } from '../builtins/json-values.js';
import { GLOB_MAX_COST } from '../../assembly/format.js';
import { codePointLength, compareCodePoints } from '../builtins/text.js';
import { lowerCase, upperCase } from '../builtins/case-map.js';
import { compileGlob, matchGlob, type CompiledGlob } from '../builtins/glob.js';
import { normalizePath } from '../builtins/path.js';
import { inCidr } from '../builtins/cidr.js';
import { collectPaths } from '../expr/paths.js';
import { actionPatternKind, GlobWork, literalPrefix, OverBudgetError } from './glob-work.js';

export { collectPaths };

export type EvalResult = { ok: true; value: Json } | { ok: false; error: EvalError };

const val = (value: Json): EvalResult => ({ ok: true, value });
const typeError = (op: string, ...values: Json[]): EvalResult =>
  ({ ok: false, error: { kind: 'operand_type', op, types: values.map(typeOf) } });
const badArgument = (op: string, detail: InvalidArgumentDetail, ...values: Json[]): EvalResult =>
  ({ ok: false, error: { kind: 'invalid_argument', op, types: values.map(typeOf), detail } });

/** The value at `path` in the request; `null` when missing (docs/semantics.md "Paths"). */
export function readPath(path: PathRef, req: CheckRequest, env: EvaluationEnv): Json {
  env.onRead?.(path);
  let v: Json;
  if (path.root === 'action') v = req.action;
  else if (path.root === 'context') v = req.context;
  else v = { time: env.time, tenant: env.tenant };
  for (const seg of path.segments) v = child(v, seg);
  return v;
}

/** A finite arithmetic result, or the `not_finite` error. */
function finite(op: string, r: number, a: Json, b: Json): EvalResult {
  return Number.isFinite(r) ? val(r) : { ok: false, error: { kind: 'not_finite', op, types: [typeOf(a), typeOf(b)] } };
}

function binary(op: string, a: Json, b: Json): EvalResult {
  switch (op) {
    case '==': return val(jsonEqual(a, b));
    case '!=': return val(!jsonEqual(a, b));
    case '<': case '<=': case '>': case '>=': {
      let c: number;
      if (typeof a === 'number' && typeof b === 'number') c = a < b ? -1 : a > b ? 1 : 0;
      else if (typeof a === 'string' && typeof b === 'string') c = compareCodePoints(a, b);
      else return typeError(op, a, b);
      return val(op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : c >= 0);
    }
    case 'in':
      if (Array.isArray(b)) return val(b.some((item) => jsonEqual(a, item)));
      if (typeof a === 'string' && typeof b === 'string') return val(b.includes(a));
      return typeError(op, a, b);
    case '+':
      if (typeof a === 'string' && typeof b === 'string') return val(a + b);
      if (typeof a === 'number' && typeof b === 'number') return finite(op, a + b, a, b);
      return typeError(op, a, b);
  }
  if (typeof a !== 'number' || typeof b !== 'number') return typeError(op, a, b);
  if ((op === '/' || op === '%') && b === 0) {
    return { ok: false, error: { kind: 'division_by_zero', op, types: ['number', 'number'] } };
  }
  // JavaScript's `%` keeps the sign of the dividend, as the semantics ask.
  return finite(op, op === '-' ? a - b : op === '*' ? a * b : op === '/' ? a / b : a % b, a, b);
}

/** The code points of every pattern of a list: the pattern side of a glob's cost (the VM's patternsCost). */
const codePointsOf = (patterns: readonly string[]): number => patterns.reduce((sum, p) => sum + codePointLength(p), 0);

/** `glob(s, p)`: the subject is normalized first; an invalid subject or pattern is an error. */
function globCall(op: 'glob' | 'globAny', s: Json, patterns: string[], arg: Json, env: EvaluationEnv): EvalResult {
  const norm = normalizePath(s as string);
  if (!norm.ok) return badArgument(op, norm.detail, s, arg);
  // Checked before any pattern is compiled, as the VM does.
  const patternCps = codePointsOf(patterns);
  const pathCps = codePointLength(norm.path);
  if (patternCps * pathCps > GLOB_MAX_COST) return badArgument(op, GLOB_COST_DETAIL, s, arg);
  env.globWork?.charge(patternCps * (pathCps + 1)); // the check's budget counts compiling too, as the VM does
  const compiled: CompiledGlob[] = [];
  for (const p of patterns) {
    const g = compileGlob(p, 'path');
    if (!g) return badArgument(op, 'invalid glob pattern', s, arg);
    compiled.push(g);
  }
  return val(compiled.some((g) => matchGlob(g, norm.path)));
}

function call(fn: string, args: Json[], env: EvaluationEnv): EvalResult {
  const [a, b] = args;
  switch (fn) {
    case 'startsWith': case 'endsWith':
      if (typeof a !== 'string' || typeof b !== 'string') return typeError(fn, a, b);
      return val(fn === 'startsWith' ? a.startsWith(b) : a.endsWith(b));
    case 'contains':
      if (Array.isArray(a)) return val(a.some((item) => jsonEqual(item, b)));
      if (typeof a === 'string' && typeof b === 'string') return val(a.includes(b));
      return typeError(fn, a, b);
    case 'lower': case 'upper':
      if (typeof a !== 'string') return typeError(fn, a);
      return val(fn === 'lower' ? lowerCase(a) : upperCase(a));
    case 'len':
      if (typeof a === 'string') return val(codePointLength(a));
      if (Array.isArray(a)) return val(a.length);
      return typeError(fn, a);
    case 'glob':
      if (typeof a !== 'string' || typeof b !== 'string') return typeError(fn, a, b);
      return globCall(fn, a, [b], b, env);
    case 'globAny':
      if (typeof a !== 'string' || !Array.isArray(b) || !b.every((p) => typeof p === 'string')) return typeError(fn, a, b);
      return globCall(fn, a, b as string[], b, env);
    case 'inCidr': {
      if (typeof a !== 'string' || typeof b !== 'string') return typeError(fn, a, b);
      const r = inCidr(a, b);
      return typeof r === 'boolean' ? val(r) : badArgument(fn, r, a, b);
    }
  }
  // Unreachable for parsed expressions (unknown functions are load errors); fail closed anyway.
  return typeError(fn, ...args);
}

/**
 * Evaluate an expression against a request (docs/semantics.md): left to right, depth first,
 * the first error stops it; `&&` and `||` short-circuit.
 *
 * @example evaluateExpr(parse('len(action.items) > 2'), req, env) // { ok: true, value: false }
 */
export function evaluateExpr(e: Expr, req: CheckRequest, env: EvaluationEnv): EvalResult {
  switch (e.kind) {
    case 'literal':
      return val(e.value);
    case 'path':
      return val(readPath(e.path, req, env));
    case 'list': {
      const items: Json[] = [];
      for (const item of e.items) {
        const r = evaluateExpr(item, req, env);
        if (!r.ok) return r;
        items.push(r.value);
      }
      return val(items);
    }
    case 'unary': {
      const r = evaluateExpr(e.operand, req, env);
      if (!r.ok) return r;
      if (e.op === '!') return typeof r.value === 'boolean' ? val(!r.value) : typeError('!', r.value);
      return typeof r.value === 'number' ? val(-r.value) : typeError('neg', r.value);
    }
    case 'binary': {
      const left = evaluateExpr(e.left, req, env);
      if (!left.ok) return left;
      if (e.op === '&&' || e.op === '||') {
        // Each side is checked on its own: the error names only the side that is not a boolean.
        if (typeof left.value !== 'boolean') return typeError(e.op, left.value);
        if (left.value === (e.op === '||')) return left;
        const right = evaluateExpr(e.right, req, env);
        if (!right.ok) return right;
        return typeof right.value === 'boolean' ? right : typeError(e.op, right.value);
      }
      const right = evaluateExpr(e.right, req, env);
      if (!right.ok) return right;
      return binary(e.op, left.value, right.value);
    }
    case 'call': {
      if (e.fn === 'exists') {
        const arg = e.args[0];
        // The parser guarantees a path; anything else is evaluated and tested the same way.
        const r = arg.kind === 'path' ? val(readPath(arg.path, req, env)) : evaluateExpr(arg, req, env);
        return r.ok ? val(r.value !== null) : r;
      }
      const args: Json[] = [];
      for (const a of e.args) {
        const r = evaluateExpr(a, req, env);
        if (!r.ok) return r;
        args.push(r.value);
      }
      return call(e.fn, args, env);
    }
  }
}

/** A clause's expression must give a boolean; anything else is the `not_boolean` error. */
export function evaluateClause(e: Expr, req: CheckRequest, env: EvaluationEnv): { ok: true; value: boolean } | { ok: false; error: EvalError } {
  const r = evaluateExpr(e, req, env);
  if (!r.ok) return r;
  if (typeof r.value === 'boolean') return { ok: true, value: r.value };
  return { ok: false, error: { kind: 'not_boolean', op: 'clause', types: [typeOf(r.value)] } };
}

// ---------------------------------------------------------------------------------------------
// Rules: applicability (SPEC §3.5) and clauses (SPEC §3.4, §4)
// ---------------------------------------------------------------------------------------------

/** A rule with its globs compiled once; `null` marks a pattern that does not compile. */
interface PreparedRule {
  rule: Rule;
  actions?: { glob: CompiledGlob | null; pattern: string }[];
  globs?: (CompiledGlob | null)[];
  allowed: Map<number, (CompiledGlob | null)[]>; // by condition index
}

function prepare(rule: Rule): PreparedRule {
  const allowed = new Map<number, (CompiledGlob | null)[]>();
  rule.conditions.forEach((c, i) => {
    if (c.type === 'file_access_control' && c.allowed_paths) allowed.set(i, c.allowed_paths.map((p) => compileGlob(p, 'path')));
  });
  return {
    rule,
    actions: rule.applies_to?.actions?.map((p) => ({ glob: compileGlob(p, 'action'), pattern: p })),
    globs: rule.globs?.map((p) => compileGlob(p, 'path')),
    allowed,
  };
}

// Rules are validated before they get here, so a pattern that does not compile is a bug
// upstream; in a scope it counts as matching (scopes err on the side of applying), in
// allowed_paths as not matching (the path is then not allowed). Both fail closed.
const scopeMatch = (g: CompiledGlob | null, s: string): boolean => g === null || matchGlob(g, s);
const allowMatch = (g: CompiledGlob | null, s: string): boolean => g !== null && matchGlob(g, s);

/** `applicable`, plus the `applies_to.when` error that made it so, if any. */
function applies(p: PreparedRule, req: CheckRequest, env: EvaluationEnv): { applies: boolean; whenError?: EvalError } {
  const { rule } = p;
  if (!rule.enabled) return { applies: false };
  if (rule.alwaysApply === true) return { applies: true };
  const when = rule.applies_to?.when;
  if (!p.actions && !p.globs && !when) return { applies: rule.alwaysApply !== false };
  const type = req.action.type;
  if (p.actions && !p.actions.some((a) => (chargeAction(a.pattern, type, env), scopeMatch(a.glob, type)))) return { applies: false };
  if (p.globs) {
    const path = req.action['path'];
    // No path: the rule is not about files. A path that is not a string, or that cannot be
    // normalized, counts as matching (docs/semantics.md "Scope": scopes err toward applying).
    if (path === undefined || path === null) return { applies: false };
    const norm = typeof path === 'string' ? normalizePath(path) : undefined;
    if (norm?.ok) chargeList(rule.globs!, norm.path, env);
    if (norm?.ok && !p.globs.some((g) => scopeMatch(g, norm.path))) return { applies: false };
  }
  if (when) {
    const r = evaluateClause(when.expr, req, env);
    if (!r.ok) return { applies: true, whenError: r.error };
    return { applies: r.value };
  }
  return { applies: true };
}

/**
 * Charges an action pattern's match as the VM does: a pattern without wildcards, or a literal
 * followed only by stars, is compiled to a comparison (no glob work); any other is matched,
 * and charged, only when the type starts with its literal prefix.
 */
function chargeAction(pattern: string, type: string, env: EvaluationEnv): void {
  if (env.globWork === undefined || actionPatternKind(pattern).kind !== 'glob') return;
  if (type.startsWith(literalPrefix(pattern))) env.globWork.charge(codePointLength(pattern) * (codePointLength(type) + 1));
}

/** Charges matching a rule's own patterns (all of them, as the VM does) against a normalized path. */
function chargeList(patterns: readonly string[], path: string, env: EvaluationEnv): void {
  env.globWork?.charge(codePointsOf(patterns) * (codePointLength(path) + 1));
}

type ClauseResult = { code: string; message: string } | undefined;

const evalError = (error: EvalError): ClauseResult => ({ code: 'eval_error', message: formatEvalError(error) });
const failed = (code: ConditionCode, cond: Condition, subject: Json): ClauseResult =>
  ({ code, message: conditionMessage(code, cond, subject) });

/** The violation of one typed condition, if any: the first failing check in the documented order. */
function checkCondition(cond: Condition, allowed: (CompiledGlob | null)[] | undefined, req: CheckRequest, env: EvaluationEnv): ClauseResult {
  switch (cond.type) {
    case 'expression': {
      const r = evaluateClause(cond.expr.expr, req, env);
      if (!r.ok) return evalError(r.error);
      return r.value ? undefined : failed('expression', cond, null);
    }
    case 'encryption_required': {
      const subject = readPath(cond.field, req, env);
      const alg = child(subject, 'algorithm');
      if (typeof alg !== 'string' || !cond.algorithms.includes(alg)) return failed('encryption_algorithm', cond, subject);
      if (cond.key_rotation_days === undefined) return undefined;
      const age = child(subject, 'key_age_days');
      if (typeof age !== 'number' || age > cond.key_rotation_days) return failed('encryption_key_age', cond, subject);
      return undefined;
    }
    case 'file_access_control': {
      const subject = readPath(cond.field, req, env);
      if (typeof subject !== 'string') return failed('path_invalid', cond, subject);
      const norm = normalizePath(subject);
      if (!norm.ok) return failed('path_invalid', cond, subject);
      // Later checks report the normalized path: it is what was judged.
      if (allowed) chargeList(cond.allowed_paths!, norm.path, env);
      if (allowed && !allowed.some((g) => allowMatch(g, norm.path))) return failed('path_not_allowed', cond, norm.path);
      if (blockedExtension(norm.path, cond.blocked_extensions ?? []) !== undefined) return failed('extension_blocked', cond, norm.path);
      return undefined;
    }
    case 'rate_limit_check':
      return undefined; // stateful: the host takes the token after the evaluator (src/engine/rate-limit.ts)
  }
}

function evaluateRule(p: PreparedRule, req: CheckRequest, env: EvaluationEnv, whenError: EvalError | undefined): ClauseOutcome[] {
  const { rule } = p;
  const out: ClauseOutcome[] = [];
  const add = (clause: string, r: ClauseResult): void => {
    if (r) out.push({ rule_id: rule.rule_id, clause, code: r.code, message: r.message });
  };
  if (whenError) add('applies_to.when', evalError(whenError));
  rule.conditions.forEach((c, i) => add(`conditions[${i}]`, checkCondition(c, p.allowed.get(i), req, env)));
  rule.prohibited.forEach((c, i) => {
    const r = evaluateClause(c.when.expr, req, env);
    add(`prohibited[${i}]`, !r.ok ? evalError(r.error) : r.value ? { code: 'prohibited', message: c.message } : undefined);
  });
  rule.required.forEach((c, i) => {
    const r = evaluateClause(c.check.expr, req, env);
    add(`required[${i}]`, !r.ok ? evalError(r.error) : r.value ? undefined : { code: 'required', message: c.message });
  });
  return out;
}

/**
 * The oracle as an `Evaluator`: every applicable rule, every clause, no short-circuit across
 * rules. Globs are compiled once here.
 *
 * @example createOracleEvaluator(rules).evaluate(request, { tenant: 'default', time: now })
 */
export function createOracleEvaluator(rules: readonly Rule[]): Evaluator {
  const prepared = rules.map(prepare);
  return {
    rules,
    evaluate(req: CheckRequest, given: EvaluationEnv): EvaluationOutcome {
      const env = { ...given, globWork: new GlobWork() }; // one budget per check
      const applicable: string[] = [];
      const violated: ClauseOutcome[] = [];
      for (const p of prepared) {
        try {
          const a = applies(p, req, env);
          if (!a.applies) continue;
          applicable.push(p.rule.rule_id);
          for (const v of evaluateRule(p, req, env, a.whenError)) violated.push(v);
        } catch (err) {
          if (err instanceof OverBudgetError) err.ruleId ??= p.rule.rule_id; // named as the VM names it
          throw err;
        }
      }
      return { applicable, violated };
    },
  };
}

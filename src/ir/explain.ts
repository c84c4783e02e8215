// Explanations (SPEC §4, `explain: true`): for each violated clause, its source and the request
// values it read. The clause is evaluated again by the reference evaluator (evaluate.ts) with a
// read hook, since only a walk of the IR can say which paths `a || b` actually reached; the VM
// (or, with `evaluator: 'oracle'`, the oracle) decided the outcome; this only shows what
// it looked at.

import type { CheckRequest, Condition, Expr, ExplanationEntry, Json, PathRef, Rule } from './types.js';
import { pathText } from './messages.js';
import type { EvaluationEnv } from './outcome.js';
import { codePointLength, firstCodePoints } from '../builtins/text.js';
import { collectPaths } from '../expr/paths.js';
import { evaluateExpr, readPath } from './evaluate.js';
import { OverBudgetError } from './glob-work.js';

/** `clause` names no clause of the rule (`conditions[7]` of a rule with two conditions, say). */
export class UnknownClauseError extends Error {
  constructor(readonly ruleId: string, readonly clause: string) {
    super(`rule \`${ruleId}\` has no clause \`${clause}\``);
    this.name = 'UnknownClauseError';
  }
}

const list = (xs: readonly string[]): string => '[' + xs.map((x) => JSON.stringify(x)).join(', ') + ']';

/** A typed condition as compact text, e.g. `file_access_control(allowed_paths: ["src/**"], field: action.path)`. */
function conditionSource(c: Condition): string {
  const parts: string[] = [];
  switch (c.type) {
    case 'expression':
      return c.expr.source;
    case 'encryption_required':
      parts.push(`algorithms: ${list(c.algorithms)}`);
      if (c.key_rotation_days !== undefined) parts.push(`key_rotation_days: ${c.key_rotation_days}`);
      parts.push(`field: ${pathText(c.field)}`);
      break;
    case 'file_access_control':
      if (c.allowed_paths) parts.push(`allowed_paths: ${list(c.allowed_paths)}`);
      if (c.blocked_extensions) parts.push(`blocked_extensions: ${list(c.blocked_extensions)}`);
      parts.push(`field: ${pathText(c.field)}`);
      break;
    case 'rate_limit_check':
      parts.push(`requests_per_minute: ${c.requests_per_minute}`, `burst_limit: ${c.burst_limit}`, `key: ${c.key.source}`);
      break;
  }
  return `${c.type}(${parts.join(', ')})`;
}

/** The paths a typed condition reads whatever the request (an `expression` condition's are found by evaluating it). */
function conditionPaths(c: Condition): PathRef[] {
  switch (c.type) {
    case 'expression': return [];
    case 'encryption_required': {
      const at = (seg: string): PathRef => ({ root: c.field.root, segments: [...c.field.segments, seg] });
      return c.key_rotation_days === undefined ? [at('algorithm')] : [at('algorithm'), at('key_age_days')];
    }
    case 'file_access_control': return [c.field];
    case 'rate_limit_check': return collectPaths(c.key.expr);
  }
}

/** A clause's source, and its expression or, for a typed condition, the paths it reads. */
function clauseParts(rule: Rule, clause: string): { source: string; expr?: Expr; paths: PathRef[] } | undefined {
  if (clause === 'applies_to.when') {
    const w = rule.applies_to?.when;
    return w && { source: w.source, expr: w.expr, paths: [] };
  }
  const m = /^(conditions|prohibited|required)\[(0|[1-9][0-9]*)\]$/.exec(clause);
  if (!m) return undefined;
  const i = Number(m[2]);
  if (m[1] === 'conditions') {
    const c = rule.conditions[i];
    return c && { source: conditionSource(c), ...(c.type === 'expression' ? { expr: c.expr.expr } : {}), paths: conditionPaths(c) };
  }
  const e = m[1] === 'prohibited' ? rule.prohibited[i]?.when : rule.required[i]?.check;
  return e && { source: e.source, expr: e.expr, paths: [] };
}

/** Longest string, and longest list or object as JSON text, an explanation shows whole. */
const SHOWN_MAX = 1024;

/**
 * A value as an explanation shows it: whole when small; a long string cut to its first
 * SHOWN_MAX characters with its length named; a large list or object replaced by a line saying
 * what it was. An explanation repeats values for every violated clause, so a request near the
 * size limits against many rules would otherwise answer hundreds of megabytes (or fail).
 */
function shown(v: Json, seen: ShownValues): Json {
  if (typeof v === 'string') {
    const length = v.length <= SHOWN_MAX ? v.length : codePointLength(v);
    return length <= SHOWN_MAX ? v : `${firstCodePoints(v, SHOWN_MAX)}… (${length} characters, cut)`;
  }
  if (typeof v !== 'object' || v === null) return v;
  let s = seen.get(v);
  if (s === undefined) {
    const over = `over ${SHOWN_MAX} characters as JSON: not shown`;
    s = jsonLength(v, SHOWN_MAX) <= SHOWN_MAX ? v
      : Array.isArray(v) ? `(a list of ${v.length} items, ${over})` : `(an object of ${Object.keys(v).length} members, ${over})`;
    seen.set(v, s);
  }
  return s;
}

/** The first n code points of s (a pair of surrogates is one, and never split). */
/**
 * What shown() gave for the lists and objects of one request, for the explanation of one
 * check: many violated clauses may read one large value, and enumerating its keys (even to
 * stop early) costs its size each time. One per check, since an embedder may change a
 * request object and check it again.
 */
export type ShownValues = WeakMap<object, Json>;

/**
 * The length of `v` as JSON, counted only until it passes `max` (then some number over it):
 * every violated clause that reads a large value asks, so serializing it whole each time made
 * explaining cost clauses × request size (91 ms for 100 clauses over 40 KiB).
 */
function jsonLength(v: Json, max: number): number {
  if (typeof v === 'string') return v.length > max ? v.length : JSON.stringify(v).length;
  if (typeof v !== 'object' || v === null) return JSON.stringify(v).length;
  let n = 1; // the opening bracket; each member adds itself and a comma or the closing bracket
  if (Array.isArray(v)) {
    for (const item of v) {
      n += jsonLength(item, max - n) + 1;
      if (n > max) return n;
    }
  } else {
    for (const key in v) {
      n += jsonLength(key, max - n) + 1 + jsonLength(v[key], max - n) + 1; // "key":value,
      if (n > max) return n;
    }
  }
  return Math.max(n, 2); // [] and {}
}

/**
 * A clause's source text and the values of the paths it read (null when missing): for an
 * expression, those its evaluation reached (`a || b` with `a` true never reads `b`, and
 * request values may be personal data), or every path it names once the explanation's glob
 * budget (`env.globWork`) is spent; for a typed condition, its fields.
 * Throws UnknownClauseError when the rule has no such clause.
 *
 * @example explainClause(rule, 'prohibited[0]', req, env).values // { 'action.type': 'db.write' }
 */
export function explainClause(rule: Rule, clause: string, req: CheckRequest, env: EvaluationEnv, seen: ShownValues = new WeakMap()): ExplanationEntry {
  const parts = clauseParts(rule, clause);
  if (!parts) throw new UnknownClauseError(rule.rule_id, clause);
  const read: PathRef[] = [...parts.paths];
  if (parts.expr !== undefined) {
    const at = read.length;
    try {
      evaluateExpr(parts.expr, req, { tenant: env.tenant, time: env.time, onRead: (p) => read.push(p), ...(env.globWork ? { globWork: env.globWork } : {}) });
    } catch (err) {
      if (!(err instanceof OverBudgetError)) throw err;
      // Past the explanation's glob budget: every path the clause names, not just those its
      // evaluation reached (the caller's own request values; never logged).
      read.splice(at, read.length - at, ...collectPaths(parts.expr));
    }
  }
  const values: { [path: string]: Json } = {};
  for (const p of read) {
    const text = pathText(p);
    if (!Object.hasOwn(values, text)) values[text] = shown(readPath(p, req, env), seen); // a path read twice is shown once
  }
  return { rule_id: rule.rule_id, clause, source: parts.source, values };
}

// The one function that turns a raw rule (from any reader) into a normalized `Rule` (SPEC §3.1):
// defaults filled in, aliases merged, every field typed, every expression parsed at its exact
// source position, every glob compiled once to prove it valid. All problems of a rule are
// reported together; a rule with any error is not returned (fail closed: it never half-loads).

import type { Diagnostic, Effect, Expr, ProhibitedClause, RequiredClause, Rule, Scope, Severity, Span } from './types.js';
import { checkGlobs, normalizeCondition, unique } from './normalize-conditions.js';
import { didYouMean } from '../diagnostics/did-you-mean.js';
import { FieldReader, present, type RawMap } from './normalize-reads.js';
import { rawTypeName, type RawEntry, type RawValue } from '../rules/raw.js';

const RULE_FIELDS = [
  'rule_id', 'name', 'description', 'category', 'effect', 'severity', 'enabled',
  'alwaysApply', 'always_apply', 'applies_to', 'globs', 'conditions', 'prohibited', 'required', 'advisory',
] as const;

const CLAUSE_FIELDS: readonly string[] = ['conditions', 'prohibited', 'required'];

export const RULE_ID_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;
/**
 * Ids longer than this are refused (chosen; the SPEC sets no limit): an API rule is kept in a
 * file named by its id, and a file name has at most 255 bytes (a 240-letter id was a 503).
 * 200 leaves room for the extension and a temporary name's suffix, and keeps every id the
 * store could hold before the limit but the few of 201–225 characters.
 */
const MAX_RULE_ID_LENGTH = 200;
export const RULE_ID_HELP =
  'a rule id starts with a lowercase letter or digit, followed by lowercase letters, digits, `.`, `_` or `-`';

const EFFECTS: readonly Effect[] = ['deny', 'warn'];
const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high', 'critical'];

/**
 * @example normalizeRule(readYaml('rule_id: a\nprohibited: [{when: "true"}]', 'a.yaml').values[0], 'a.yaml')
 */
export function normalizeRule(raw: RawValue, file: string): { rule?: Rule; diagnostics: Diagnostic[] } {
  const r = new FieldReader();
  const rule = normalizeWith(r, raw, file);
  return { ...(rule && r.errorCount() === 0 ? { rule } : {}), diagnostics: r.diagnostics };
}

function normalizeWith(r: FieldReader, raw: RawValue, file: string): Rule | undefined {
  if (raw.kind !== 'map') {
    // Not "`rule` must be a map": no field is named `rule` (a YAML list of scalars said so).
    r.error(raw.span, 'invalid-type', `a rule must be a map of its fields (\`rule_id\`, \`conditions\`, …), got ${rawTypeName(raw)}`);
    return undefined;
  }
  const map = raw;
  r.unknownKeys(map, RULE_FIELDS, (k) => `unknown field \`${k}\``);
  const f = present(map);
  const str = (key: string): string | undefined => {
    const e = f.get(key);
    return e && r.string(e.value, key);
  };

  const ruleId = readRuleId(r, f.get('rule_id'), map.span);
  const name = str('name');
  const description = str('description');
  const category = str('category');
  const effect = f.has('effect') ? r.oneOf(f.get('effect')!.value, 'effect', EFFECTS) : 'deny';
  const severity = f.has('severity') ? r.oneOf(f.get('severity')!.value, 'severity', SEVERITIES) : 'high';
  const enabledEntry = f.get('enabled');
  const enabled = enabledEntry ? r.boolean(enabledEntry.value, 'enabled') : true;
  const always = readAlwaysApply(r, f);
  const appliesTo = f.has('applies_to') ? readScope(r, f.get('applies_to')!.value) : undefined;
  const globs = f.has('globs') ? readGlobs(r, f.get('globs')!.value) : undefined;

  const list = (key: string): RawValue[] => {
    const e = f.get(key);
    return (e && r.list(e.value, key)) ?? [];
  };
  const conditionsRaw = list('conditions');
  const prohibitedRaw = list('prohibited');
  const requiredRaw = list('required');
  const conditions = conditionsRaw.map((c, i) => normalizeCondition(r, c, `conditions[${i}]`));
  const prohibited = prohibitedRaw.map((c, i) => readClause(r, c, `prohibited[${i}]`, 'when'));
  const required = requiredRaw.map((c, i) => readClause(r, c, `required[${i}]`, 'check'));
  const advisoryEntry = f.get('advisory');
  const advisory = advisoryEntry ? r.stringList(advisoryEntry.value, 'advisory')?.map((a) => a.value) : [];

  checkWholeRule(r, f, ruleId, always, conditionsRaw.length + prohibitedRaw.length + requiredRaw.length, map.span);
  if (r.errorCount() > 0 || ruleId === undefined || effect === undefined || severity === undefined ||
      enabled === undefined || advisory === undefined) return undefined;
  const rule: Rule = {
    rule_id: ruleId,
    name: name ?? ruleId,
    description: description ?? '',
    category: category ?? 'general',
    effect,
    severity,
    enabled,
    conditions: conditions.filter((c) => c !== undefined),
    prohibited: prohibited.filter((c): c is ProhibitedClause => c !== undefined && 'when' in c),
    required: required.filter((c): c is RequiredClause => c !== undefined && 'check' in c),
    advisory,
    source: { file, span: map.span, idSpan: f.get('rule_id')?.value.span },
  };
  if (always) rule.alwaysApply = always.value;
  if (appliesTo?.scope) rule.applies_to = appliesTo.scope;
  if (globs) rule.globs = globs;
  return rule;
}

/** Checks of the rule as a whole: something to enforce, and a way to apply (SPEC §3.1, §3.5). */
function checkWholeRule(
  r: FieldReader, f: Map<string, RawEntry>, ruleId: string | undefined,
  always: { value: boolean; span: Span } | undefined, rawClauses: number, mapSpan: Span,
): void {
  const shown = ruleId === undefined ? 'the rule' : `rule \`${ruleId}\``;
  // Counted on the raw clauses: a clause with its own error should not also trigger this one,
  // nor a misspelled clause field (`prohibted:`), whose own error says what was meant.
  const misspelledClause = [...f.keys()].some((k) => !(RULE_FIELDS as readonly string[]).includes(k) && CLAUSE_FIELDS.includes(didYouMean(k, RULE_FIELDS) ?? ''));
  if (rawClauses === 0 && !misspelledClause) {
    r.error(f.get('rule_id')?.value.span ?? mapSpan, 'no-checkable-clause', `${shown} has no checkable clause`,
      'add a `prohibited`, `required` or `conditions` entry; `advisory` clauses are never enforced');
  }
  if (always?.value === false && !hasScope(f)) {
    r.error(always.span, 'never-applies', `${shown} can never apply: \`alwaysApply\` is false and it has no scope`,
      'remove `alwaysApply: false`, or scope the rule with `applies_to` or `globs`');
  }
  if (always?.value === true && hasScope(f)) {
    r.warn(always.span, 'ignored-scope', `${shown} applies always: \`alwaysApply\` is true, so its scope is ignored`,
      'remove `applies_to` and `globs`, or remove `alwaysApply: true` to apply the rule only within its scope');
  }
}

function readRuleId(r: FieldReader, e: RawEntry | undefined, mapSpan: Span): string | undefined {
  if (!e) {
    r.error(mapSpan, 'missing-field', 'missing required field `rule_id`', 'every rule needs a unique `rule_id`, like `db-access-control`');
    return undefined;
  }
  const id = r.string(e.value, 'rule_id');
  if (id === undefined) return undefined;
  if (!RULE_ID_PATTERN.test(id)) {
    r.error(e.value.span, 'invalid-rule-id', `invalid rule id \`${id}\``, RULE_ID_HELP);
    return undefined;
  }
  if (id.length > MAX_RULE_ID_LENGTH) {
    r.error(e.value.span, 'invalid-rule-id', `rule id of ${id.length} characters; at most ${MAX_RULE_ID_LENGTH}`, 'an id names the rule in every decision and, added through the API, its file: shorten it');
    return undefined;
  }
  // A decision's `mge.engine` violation means MGE itself failed (fail closed); a rule of that
  // name would make its denials read as internal failures, and the other way round.
  if (id.startsWith('mge.')) {
    r.error(e.value.span, 'reserved-rule-id', `rule id \`${id}\` is reserved: ids starting with \`mge.\` name MGE's own denials (\`mge.engine\`: an internal failure)`, 'choose another id');
    return undefined;
  }
  return id;
}

/** `alwaysApply` and its alias `always_apply`: one field written two ways, so never both. */
function readAlwaysApply(r: FieldReader, f: Map<string, RawEntry>): { value: boolean; span: Span } | undefined {
  const camel = f.get('alwaysApply');
  const snake = f.get('always_apply');
  if (camel && snake) {
    const later = camel.keySpan.line > snake.keySpan.line ? camel : snake;
    r.error(later.keySpan, 'conflicting-alias', 'both `alwaysApply` and `always_apply` are given',
      'they are the same field; keep one of them');
    return undefined;
  }
  const e = camel ?? snake;
  if (!e) return undefined;
  const value = r.boolean(e.value, e.key);
  return value === undefined ? undefined : { value, span: e.value.span };
}

/** `applies_to: {actions?, when?}`; `scope` is undefined when neither part is given. */
function readScope(r: FieldReader, v: RawValue): { scope?: Scope } | undefined {
  const map = r.map(v, 'applies_to');
  if (!map) return undefined;
  r.unknownKeys(map, ['actions', 'when'], (k) => `unknown field \`${k}\` in \`applies_to\``);
  const f = present(map);
  const scope: Scope = {};
  const actions = f.get('actions');
  if (actions) {
    const list = r.stringList(actions.value, 'applies_to.actions');
    if (list && checkGlobs(r, list, 'action')) scope.actions = unique(list.map((g) => g.value));
    if (list?.length === 0) {
      r.error(actions.value.span, 'never-applies', '`applies_to.actions` is empty, so the rule never applies',
        'list action types like `db.*`, or remove `actions` to apply to every action');
    }
  }
  const when = f.get('when');
  if (when) {
    const expr = r.test(when.value, 'applies_to.when');
    if (expr) scope.when = expr;
    if (expr && isLiteral(expr.expr, false)) {
      r.warn(expr.expr.span, 'constant-test', '`applies_to.when` is always false, so the rule never applies',
        'write the condition the rule applies under, or remove the rule (`enabled: false` keeps it off on purpose)');
    }
  }
  return scope.actions || scope.when ? { scope } : {};
}

/** `globs`: a list of path globs, or Cursor's comma-separated string (`"*.ts, src/**"`). */
function readGlobs(r: FieldReader, v: RawValue): string[] | undefined {
  const list = v.kind === 'string' ? commaSeparated(v) : r.stringList(v, 'globs');
  if (!list) return undefined;
  if (list.length === 0) {
    r.error(v.span, 'never-applies', '`globs` is empty, so the rule never applies',
      'list path globs like `src/**`, or remove `globs`');
    return undefined;
  }
  return checkGlobs(r, list, 'path') ? unique(list.map((g) => g.value)) : undefined;
}

/** The parts of a comma-separated string, each with the span it is written at (a bad glob is pointed at, not the whole string). */
function commaSeparated(v: Extract<RawValue, { kind: 'string' }>): Array<{ value: string; span: Span }> {
  const parts: Array<{ value: string; span: Span }> = [];
  let start = 0;
  for (const piece of v.value.split(',')) {
    const lead = piece.length - piece.trimStart().length;
    const value = piece.trim();
    if (value !== '') parts.push({ value, span: partSpan(v, start + lead, start + lead + value.length) });
    start += piece.length + 1;
  }
  return parts;
}

/** Where value characters `[from, to)` of a string are written: exact where the reader says, else from its first character on one line. */
function partSpan(v: Extract<RawValue, { kind: 'string' }>, from: number, to: number): Span {
  if (v.textAt) return v.textAt(from, to);
  const s = v.textStart;
  if (s === undefined || (v.span.endLine !== undefined && v.span.endLine !== s.line)) return v.span;
  return { file: s.file, line: s.line, col: s.col + from, endLine: s.line, endCol: s.col + to };
}

/** A prohibited (`when`) or required (`check`) clause; the message defaults to the expression. */
function readClause(r: FieldReader, v: RawValue, label: string, exprKey: 'when'): ProhibitedClause | undefined;
function readClause(r: FieldReader, v: RawValue, label: string, exprKey: 'check'): RequiredClause | undefined;
function readClause(r: FieldReader, v: RawValue, label: string, exprKey: 'when' | 'check'):
  ProhibitedClause | RequiredClause | undefined {
  const map: RawMap | undefined = r.map(v, label);
  if (!map) return undefined;
  r.unknownKeys(map, ['message', exprKey], (k) => `unknown field \`${k}\` in \`${label}\``);
  const f = present(map);
  const exprEntry = f.get(exprKey);
  if (!exprEntry) {
    r.error(map.span, 'missing-field', `missing field \`${exprKey}\` in \`${label}\``,
      `write the expression that ${exprKey === 'when' ? 'makes the action prohibited' : 'must hold'}`);
    return undefined;
  }
  const msgEntry = f.get('message');
  const message = msgEntry ? r.message(msgEntry.value, `${label}.message`) : undefined;
  const expr = r.test(exprEntry.value, `${label}.${exprKey}`);
  // `when: false` or `check: true` never denies: a placeholder left in, or a clause turned off
  // by hand; `applies_to: []` is refused for the same reason.
  if (expr && isLiteral(expr.expr, exprKey === 'check')) {
    r.warn(expr.expr.span, 'constant-test', `\`${label}.${exprKey}\` is always ${exprKey === 'check'}, so this clause never denies`,
      'write the condition it should test, or remove the clause');
  }
  if (!expr || (msgEntry && message === undefined)) return undefined;
  const text = message ?? expr.source;
  return exprKey === 'when'
    ? { message: text, when: expr, span: map.span }
    : { message: text, check: expr, span: map.span };
}

/** Whether `e` is the literal `value` (`true`, `false`), not an expression that may yield it. */
function isLiteral(e: Expr, value: boolean): boolean {
  return e.kind === 'literal' && e.value === value;
}

/** Whether a scope is written at all (judged on the raw text, so a typo inside it is not also "never applies"). */
function hasScope(f: Map<string, RawEntry>): boolean {
  const scope = f.get('applies_to')?.value;
  const parts = scope?.kind === 'map' ? present(scope) : new Map<string, RawEntry>();
  return f.has('globs') || parts.has('actions') || parts.has('when') || (scope !== undefined && scope.kind !== 'map');
}

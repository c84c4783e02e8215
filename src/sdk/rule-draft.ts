// The RuleBuilder's model: a rule exactly as it would be written in a JSON or YAML file
// (SPEC §3.1 field names), holding only the fields the author gave, so every serializer writes
// the same minimal rule and the loader fills in the same defaults for each.

import type { Effect, Json, Severity } from '../ir/types.js';

/** Parameters of each typed condition (SPEC §3.4), as written in rule files. */
export interface ConditionParameters {
  expression: { expr: string; message?: string };
  encryption_required: { algorithms: string[]; key_rotation_days?: number; field?: string };
  file_access_control: { allowed_paths?: string[]; blocked_extensions?: string[]; field?: string };
  rate_limit_check: { requests_per_minute: number; burst_limit?: number; key?: string };
}

/** Known types get their parameters checked by TypeScript; any other string is refused at run time. */
export type ParametersOf<T extends string> = T extends keyof ConditionParameters ? ConditionParameters[T] : { [key: string]: Json };

export interface DraftCondition {
  type: string;
  parameters: { [key: string]: Json };
}

/** Header fields spelled the same in files and in `createRule`. */
interface SharedHeader {
  description?: string;
  category?: string;
  effect?: Effect;
  severity?: Severity;
  enabled?: boolean;
  alwaysApply?: boolean;
  /** Cursor-style scope: globs over `action.path`. */
  globs?: string[];
}

export interface RuleDraft extends SharedHeader {
  rule_id: string;
  name?: string;
  applies_to?: { actions?: string[]; when?: string };
  conditions?: DraftCondition[];
  prohibited?: { message: string; when: string }[];
  required?: { message: string; check: string }[];
  advisory?: string[];
}

/** What `createRule` takes: the rule's header, in camelCase like the rest of the SDK. */
export interface RuleHeader extends SharedHeader {
  ruleId: string;
  name: string;
  /** Scope (SPEC §3.5): action-type globs and/or an expression. */
  appliesTo?: { actions?: string[]; when?: string };
}

/** Field order of every serialized rule: identity, then scope, then clauses. */
const DRAFT_FIELD_ORDER: readonly (keyof RuleDraft)[] = [
  'rule_id', 'name', 'description', 'category', 'effect', 'severity', 'enabled', 'alwaysApply',
  'applies_to', 'globs', 'conditions', 'prohibited', 'required', 'advisory',
];

/**
 * The draft for a header; fields left out stay out (the loader's defaults apply).
 * @example draftOf({ ruleId: 'r', name: 'R', category: 'security' }) // { rule_id: 'r', name: 'R', category: 'security' }
 */
export function draftOf(h: RuleHeader): RuleDraft {
  const d: RuleDraft = { rule_id: h.ruleId, name: h.name };
  if (h.description !== undefined) d.description = h.description;
  if (h.category !== undefined) d.category = h.category;
  if (h.effect !== undefined) d.effect = h.effect;
  if (h.severity !== undefined) d.severity = h.severity;
  if (h.enabled !== undefined) d.enabled = h.enabled;
  if (h.alwaysApply !== undefined) d.alwaysApply = h.alwaysApply;
  if (h.appliesTo !== undefined) d.applies_to = withoutUndefined(h.appliesTo) as RuleDraft['applies_to'];
  // A string is kept as it is, for the loader to read as it reads one in a file: spread, it
  // was one glob per character (`src/**` became `s`, `r`, `c`, …).
  if (h.globs !== undefined) d.globs = Array.isArray(h.globs) ? [...h.globs] : h.globs;
  return d;
}

/**
 * The draft's fields in DRAFT_FIELD_ORDER, as a plain JSON object.
 * @example Object.keys(orderedDraft({ name: 'R', rule_id: 'r' })) // ['rule_id', 'name']
 */
export function orderedDraft(d: RuleDraft): { [key: string]: Json } {
  const out: { [key: string]: Json } = {};
  for (const k of DRAFT_FIELD_ORDER) if (d[k] !== undefined) out[k] = d[k] as Json;
  return out;
}

/**
 * A copy without `undefined` members, which no rule format can hold (`{burst_limit: undefined}`
 * means "not given"). Other values are kept as they are, so the loader judges them; a
 * `__proto__` key stays a key (the loader refuses it as unknown). A value that holds itself,
 * which no format can write, throws SelfHoldingValueError.
 * @example withoutUndefined({ a: 1, b: undefined }) // { a: 1 }
 */
export function withoutUndefined<T>(v: T, holding: Set<object> = new Set()): T {
  if (v === null || typeof v !== 'object') return v;
  if (holding.has(v)) throw new SelfHoldingValueError();
  holding.add(v);
  let out: unknown;
  if (Array.isArray(v)) out = v.map((x) => withoutUndefined(x, holding));
  else {
    const copy: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (x !== undefined) Object.defineProperty(copy, k, { value: withoutUndefined(x, holding), enumerable: true, writable: true, configurable: true });
    }
    out = copy;
  }
  holding.delete(v);
  return out as T;
}

export class SelfHoldingValueError extends Error {
  override readonly name = 'SelfHoldingValueError';
  constructor() {
    super('a value that holds itself, which no rule format can write');
  }
}

// The JSON form of a normalized rule (SPEC §3.1), expressions as the text they were written in:
// what a policy_version hashes (compile/bundle.ts), what GET /api/v1/rules shows, what an API
// rule is kept as, and what a rule change compares. It is itself valid JSON rule input.

import type { Condition, Json, Rule } from './types.js';
import { pathText } from './messages.js';

function conditionJson(c: Condition): { [key: string]: Json } {
  switch (c.type) {
    case 'expression':
      return { type: c.type, parameters: { expr: c.expr.source, ...(c.message !== undefined ? { message: c.message } : {}) } };
    case 'encryption_required':
      return {
        type: c.type,
        parameters: {
          algorithms: c.algorithms,
          ...(c.key_rotation_days !== undefined ? { key_rotation_days: c.key_rotation_days } : {}),
          field: pathText(c.field),
        },
      };
    case 'file_access_control':
      return {
        type: c.type,
        parameters: {
          ...(c.allowed_paths !== undefined ? { allowed_paths: c.allowed_paths } : {}),
          ...(c.blocked_extensions !== undefined ? { blocked_extensions: c.blocked_extensions } : {}),
          field: pathText(c.field),
        },
      };
    case 'rate_limit_check':
      return {
        type: c.type,
        parameters: { requests_per_minute: c.requests_per_minute, burst_limit: c.burst_limit, key: c.key.source },
      };
  }
}

/**
 * The text an API rule is kept as when it has no text of its own (one of a set PUT, or written
 * back to a removed data directory): its JSON form, which loads back to the same policy.
 */
export function storedRuleText(r: Rule): string {
  return JSON.stringify(ruleJson(r), null, 2) + '\n';
}

/** The JSON form of one normalized rule. */
export function ruleJson(r: Rule): { [key: string]: Json } {
  const out: { [key: string]: Json } = {
    rule_id: r.rule_id,
    name: r.name,
    description: r.description,
    category: r.category,
    effect: r.effect,
    severity: r.severity,
    enabled: r.enabled,
  };
  if (r.alwaysApply !== undefined) out.alwaysApply = r.alwaysApply;
  if (r.applies_to !== undefined) {
    const scope: { [key: string]: Json } = {};
    if (r.applies_to.actions !== undefined) scope.actions = r.applies_to.actions;
    if (r.applies_to.when !== undefined) scope.when = r.applies_to.when.source;
    out.applies_to = scope;
  }
  if (r.globs !== undefined) out.globs = r.globs;
  out.conditions = r.conditions.map(conditionJson);
  out.prohibited = r.prohibited.map((p) => ({ message: p.message, when: p.when.source }));
  out.required = r.required.map((q) => ({ message: q.message, check: q.check.source }));
  out.advisory = r.advisory;
  return out;
}

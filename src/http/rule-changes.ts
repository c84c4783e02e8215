// Which rules a change changed, for its audit entries (audit/rule-change.ts): the API logs the
// rule it was asked to change; a file reload logs, per tenant, every rule that appeared,
// changed or disappeared between the two policies.

import type { Rule } from '../ir/types.js';
import { ruleJson } from '../ir/rule-json.js';
import type { RuleChangeOp } from '../audit/rule-change.js';

/**
 * What differs between two effective rule sets, by rule id (sorted): a rule whose normalized
 * content or origin (`fromApi`) changed is a `put`, one that is gone a `delete`; moving a rule
 * within its file is no change. An API rule whose id a file rule took is such a `put`, even
 * when both say the same (else a reload that changes the tenant's policy_version, its checks
 * all denied, leaves no entry).
 * @example ruleDiff(before.rules, after.rules, (r) => engine.isFromApi(tenant, r)) // [{ ruleId: 'no-friday', op: 'put' }]
 */
export function ruleDiff(before: readonly Rule[], after: readonly Rule[], fromApi: (rule: Rule) => boolean): Array<{ ruleId: string; op: RuleChangeOp }> {
  const text = (rules: readonly Rule[]) => new Map(rules.map((r) => [r.rule_id, (fromApi(r) ? 'a:' : 'f:') + ruleText(r)]));
  return contentDiff(text(before), text(after));
}

/** A rule's normalized content as text: equal texts, the same rule (source positions aside). */
export function ruleText(rule: Rule): string {
  return JSON.stringify(ruleJson(rule));
}

/** ruleDiff over rule id → content (or any fingerprint of it). */
export function contentDiff(old: ReadonlyMap<string, string>, now: ReadonlyMap<string, string>): Array<{ ruleId: string; op: RuleChangeOp }> {
  const out: Array<{ ruleId: string; op: RuleChangeOp }> = [];
  for (const [id, t] of now) if (old.get(id) !== t) out.push({ ruleId: id, op: 'put' });
  for (const id of old.keys()) if (!now.has(id)) out.push({ ruleId: id, op: 'delete' });
  return out.sort((a, b) => (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0));
}

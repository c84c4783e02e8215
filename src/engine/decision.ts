// The decision rule (SPEC §4), in one place: any violated deny rule denies; warn rules report.
// Evaluators say which clauses are violated; this file orders them, attaches effect and
// severity, and words the reasoning.

import type { Rule, Violation } from '../ir/types.js';
import type { ClauseOutcome } from '../ir/outcome.js';
import type { OverBudgetError } from '../ir/glob-work.js';

const APPROVED_REASONING = 'All rules passed';

/** The pseudo-rule that internal failures are charged to (a fail-closed denial). */
export const ENGINE_RULE_ID = 'mge.engine';

export interface Verdict {
  approved: boolean;
  reasoning: string;
  rule_ids: string[];
  violations: Violation[];
  warnings: Violation[];
}

const CLAUSE_KIND_ORDER: Record<string, number> = {
  'applies_to.when': 0,
  conditions: 1,
  prohibited: 2,
  required: 3,
};

/** `conditions[10]` → [1, 10]: clauses sort by kind, then numerically by index. */
function clauseKey(clause: string): [number, number] {
  const open = clause.indexOf('[');
  if (open < 0) return [CLAUSE_KIND_ORDER[clause] ?? 9, 0];
  return [CLAUSE_KIND_ORDER[clause.slice(0, open)] ?? 9, Number(clause.slice(open + 1, -1))];
}

export function compareViolations(a: { rule_id: string; clause: string }, b: { rule_id: string; clause: string }): number {
  if (a.rule_id !== b.rule_id) return a.rule_id < b.rule_id ? -1 : 1;
  const [ka, ia] = clauseKey(a.clause);
  const [kb, ib] = clauseKey(b.clause);
  return ka - kb || ia - ib;
}

/**
 * Turns violated clauses into the decision's verdict.
 * `rulesById` must hold every applicable rule.
 */
export function decide(
  applicable: readonly string[],
  violated: readonly ClauseOutcome[],
  rulesById: ReadonlyMap<string, Rule>,
): Verdict {
  const violations: Violation[] = [];
  const warnings: Violation[] = [];
  for (const c of violated) {
    const rule = rulesById.get(c.rule_id);
    // An outcome naming no known rule is an engine fault: charge it as a deny (fail closed).
    // So is a store that could not be asked, whatever the rule's effect (SPEC §4: an
    // unreachable store is never an approval, not even through a warn rule).
    const effect = c.code === 'state_unavailable' ? 'deny' : rule?.effect ?? 'deny';
    const v: Violation = {
      rule_id: c.rule_id,
      clause: c.clause,
      code: c.code,
      message: c.message,
      effect,
      severity: rule?.severity ?? 'critical',
    };
    (effect === 'deny' ? violations : warnings).push(v);
  }
  violations.sort(compareViolations);
  warnings.sort(compareViolations);
  // The VM reports rules in rule_id order already (the bundle sorts them): then no sort.
  const rule_ids = inOrder(applicable) ? applicable.slice() : [...applicable].sort();
  return { approved: violations.length === 0, reasoning: reasoningFor(violations), rule_ids, violations, warnings };
}

/** Whether `ids` is in the order Array#sort gives strings (UTF-16 code units). */
function inOrder(ids: readonly string[]): boolean {
  for (let i = 1; i < ids.length; i++) if (ids[i - 1] > ids[i]) return false;
  return true;
}

function reasoningFor(violations: readonly Violation[]): string {
  if (violations.length === 0) return APPROVED_REASONING;
  const first = violations[0];
  const more = violations.length - 1;
  const tail = more === 0 ? '' : ` (and ${more} more violation${more === 1 ? '' : 's'})`;
  return `Denied by ${first.rule_id}: ${first.message}${tail}`;
}

/**
 * The verdict when the engine itself failed: never an approval. `ruleId`, when known, is the
 * rule being evaluated (a VM trap): named so an operator can find it; the denial is still
 * the whole check's, not that rule's (its effect may be `warn`).
 */
export function internalFailure(detail: string, ruleId?: string): Verdict {
  return engineDenial('internal_error', `internal error, denied (fail closed): ${detail}${ruleId === undefined ? '' : ` (in rule \`${ruleId}\`)`}`);
}

/** The verdict for a check whose rules needed more glob matching than one check may do. */
export function overBudget(err: OverBudgetError): Verdict {
  return engineDenial('over_budget', `${err.message}${err.ruleId === undefined ? '' : `, reached in rule \`${err.ruleId}\``}, denied (fail closed)`);
}

/** The verdict for every check of a tenant whose rules cannot stand as they are (TenantPolicy.refusal). */
export function refusedPolicyDenial(refusal: string): Verdict {
  return engineDenial('rules_refused', `${refusal}; denied (fail closed)`);
}

function engineDenial(code: string, message: string): Verdict {
  const v: Violation = { rule_id: ENGINE_RULE_ID, clause: 'engine', code, message, effect: 'deny', severity: 'critical' };
  return { approved: false, reasoning: `Denied by ${ENGINE_RULE_ID}: ${message}`, rule_ids: [], violations: [v], warnings: [] };
}

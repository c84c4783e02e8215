// The per-check budget of glob matching (docs/semantics.md "Cost"). Matching costs pattern ×
// subject, so a tenant's many clauses over long request paths could hold the one event loop
// every tenant shares for seconds. Each check counts its matching in the units the VM counts
// (assembly/vm.ts charge()), at the same matches, and stops past CHECK_GLOB_BUDGET: the check
// is then denied as a whole (src/engine/decision.ts overBudget).

import { CHECK_GLOB_BUDGET } from '../../assembly/format.js';

/** A check needed more glob matching than CHECK_GLOB_BUDGET allows. */
export class OverBudgetError extends Error {
  override readonly name = 'OverBudgetError';
  /** The rule whose matching went over the budget (every rule before it spent some too). */
  ruleId?: string;
  constructor(
    /** In the VM: the index in the bundle of that rule (the evaluator names it). */
    readonly ruleIndex?: number,
  ) {
    super(`glob matching over the check's budget (pattern × (subject + 1) code points, summed over the check, over ${CHECK_GLOB_BUDGET})`);
  }
}

/** One check's glob matching so far. */
export class GlobWork {
  private spent = 0;

  constructor(private readonly budget = CHECK_GLOB_BUDGET) {}

  /** Count `cost` (pattern × (subject + 1) code points) before matching; throws OverBudgetError past the budget. */
  charge(cost: number): void {
    this.spent += cost;
    if (this.spent > this.budget) throw new OverBudgetError();
  }
}

/**
 * How the compiler tests an action pattern: `equal` (no wildcard), `prefix` (a literal then
 * only stars, `db.*`: a prefix test), or `glob` (matched, and charged to the glob budget). The
 * oracle charges by the same answer (src/ir/evaluate.ts chargeAction).
 */
export function actionPatternKind(pattern: string): { kind: 'equal' } | { kind: 'prefix'; prefix: string } | { kind: 'glob' } {
  const prefix = /^([^*?[]*)\*+$/.exec(pattern);
  if (prefix !== null) return { kind: 'prefix', prefix: prefix[1] };
  return /[*?[]/.test(pattern) ? { kind: 'glob' } : { kind: 'equal' };
}

/** The bytes of an action pattern before its first `*`, `?` or `[`: only types starting with it are matched (and charged). */
export function literalPrefix(pattern: string): string {
  const m = /[*?[]/.exec(pattern);
  return m === null ? pattern : pattern.slice(0, m.index);
}

/**
 * The glob budget of one check's explanation: `explain` re-evaluates the violated clauses in
 * the reference evaluator, several times slower than the VM, so it gets an eighth of the
 * check's budget; past it the remaining clauses show every path they name (see explainClause).
 */
export const EXPLAIN_GLOB_BUDGET = CHECK_GLOB_BUDGET / 8;

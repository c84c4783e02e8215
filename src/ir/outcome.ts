// What an evaluator (the IR oracle or the WASM VM) reports for one request, before the host
// adds stateful checks (rate limits), effects, ordering, ids, hashes and signatures.
// Both evaluators implement `Evaluator`; src/engine/decision.ts turns an outcome into a decision.

import type { CheckRequest, PathRef, Rule } from './types.js';
import type { GlobWork } from './glob-work.js';

/** One violated clause. `clause` is `conditions[i]`, `prohibited[i]`, `required[i]` or `applies_to.when`. */
export interface ClauseOutcome {
  rule_id: string;
  clause: string;
  code: string;
  message: string;
}

export interface EvaluationOutcome {
  /** rule_ids of the applicable rules, in any order. */
  applicable: string[];
  /** Violated clauses of applicable rules, in any order; rate_limit_check conditions are never here. */
  violated: ClauseOutcome[];
}

/** The check's environment: what `request.time` and `request.tenant` read. */
export interface EvaluationEnv {
  tenant: string;
  time: string;
  /** Told of each path the reference evaluator reads (for `explain`: only what was read). */
  onRead?: (path: PathRef) => void;
  /** The check's glob budget, charged by the reference evaluator (absent: not counted, as for explanations). */
  globWork?: GlobWork;
}

/** A compiled, immutable rule set for one tenant, able to evaluate requests. */
export interface Evaluator {
  readonly rules: readonly Rule[];
  evaluate(request: CheckRequest, env: EvaluationEnv): EvaluationOutcome;
}

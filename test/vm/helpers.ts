// Shared by the VM tests: outcomes in a canonical order (evaluators may report in any order).

import type { EvaluationOutcome } from '../../src/ir/outcome.js';

export function sorted(o: EvaluationOutcome): EvaluationOutcome {
  const key = (v: { rule_id: string; clause: string }): string => `${v.rule_id}\u0000${v.clause}`;
  return {
    applicable: [...o.applicable].sort(),
    violated: [...o.violated].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0)),
  };
}

// The action-type index (ARCHITECTURE.md hot path, decision 4): which rules can apply to a
// given action.type. Exact action types map straight to their rules; glob scopes are filtered
// by their literal prefix; unscoped rules are always candidates. The VM still checks every
// candidate's full scope, so the index only prunes and can never make a rule apply.

import type { Rule } from '../ir/types.js';
import { literalPrefix } from '../ir/glob-work.js';
import { BoundedMemo } from './bounded-memo.js';

export class RuleIndex {
  private readonly always: number[] = [];
  private readonly exact = new Map<string, number[]>();
  private readonly prefixed: { prefix: string; rule: number }[] = [];
  private readonly memo = new BoundedMemo<Uint32Array>();

  /** `rules` in bundle order (sorted by rule_id): candidates are indices into it. */
  constructor(rules: readonly Rule[]) {
    rules.forEach((r, i) => {
      if (!r.enabled) return;
      const actions = r.applies_to?.actions;
      if (r.alwaysApply === true || actions === undefined) {
        this.always.push(i);
        return;
      }
      for (const p of actions) {
        const prefix = literalPrefix(p);
        if (prefix === p) {
          const list = this.exact.get(p) ?? [];
          list.push(i);
          this.exact.set(p, list);
        } else {
          this.prefixed.push({ prefix, rule: i });
        }
      }
    });
  }

  /** Candidate rule indices for an action type, ascending and unique. */
  candidates(actionType: string): Uint32Array {
    let c = this.memo.get(actionType);
    if (c !== undefined) return c;
    const set = new Set<number>(this.always);
    for (const i of this.exact.get(actionType) ?? []) set.add(i);
    for (const p of this.prefixed) if (actionType.startsWith(p.prefix)) set.add(p.rule);
    c = Uint32Array.from(set).sort();
    this.memo.set(actionType, c, c.length);
    return c;
  }
}

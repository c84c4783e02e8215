// How GET /api/v1/rules shows a rule: the normalized model of SPEC §3.1 as JSON, expressions as
// the text they were written in. `rule` is itself valid JSON rule input, so a client can GET a
// rule, change it and PUT it back; where it came from sits beside it, not inside it.

import type { Json, Rule } from '../ir/types.js';
import { ruleJson } from '../ir/rule-json.js';

export interface RuleView {
  rule: { [key: string]: Json };
  /** `global`: from the rules directory's baseline, read-only over HTTP. */
  origin: 'global' | 'tenant';
  source: { file: string; line: number };
}

/** @example ruleView(rule) // { rule: {...}, origin: 'global', source: { file: 'db.mdc', line: 1 } } */
export function ruleView(r: Rule): RuleView {
  return {
    rule: ruleJson(r),
    origin: r.source.tenant === undefined ? 'global' : 'tenant',
    source: { file: r.source.file, line: r.source.span.line },
  };
}

// Property (b): repeating entries of the set-like lists — applies_to.actions, globs, algorithms,
// allowed_paths, blocked_extensions — changes no verdict: approval, rule_ids, and which clauses
// are violated with which codes. (Message texts: duplicates-messages.property.test.ts.)

import { describe, expect, it } from 'vitest';
import type { EngineDecision } from '../../src/engine/engine.js';
import { decidePair, forAllPolicies, TIMEOUT } from './helpers.js';
import { duplicateEntries } from './layout.js';

function verdict(d: EngineDecision) {
  const entry = ({ message: _m, ...rest }: EngineDecision['violations'][number]) => rest;
  return { approved: d.approved, rule_ids: d.rule_ids, violations: d.violations.map(entry), warnings: d.warnings.map(entry) };
}

describe('repeated list entries', () => {
  it('change no verdict', () =>
    forAllPolicies(async (rules, req, t) => {
      const [a, b] = await decidePair(rules, rules.map(duplicateEntries), req, t);
      expect(verdict(b)).toEqual(verdict(a));
    }), TIMEOUT);
});

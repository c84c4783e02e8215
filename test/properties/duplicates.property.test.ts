// Property (b): repeating entries of the set-like lists — applies_to.actions, globs, algorithms,
// allowed_paths, blocked_extensions — changes no verdict: approval, rule_ids, and which clauses
// are violated with which codes. (Message texts: duplicates-messages.property.test.ts.)
// policy_version is left out: the doc promises it only across formats and orders.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EngineDecision } from '../../src/engine/engine.js';
import { decide, RUNS } from './helpers.js';
import { duplicateEntries } from './layout.js';
import { policy, request, tenant } from './policy-gen.js';

function verdict(d: EngineDecision) {
  const entry = ({ message: _m, ...rest }: EngineDecision['violations'][number]) => rest;
  return { approved: d.approved, rule_ids: d.rule_ids, violations: d.violations.map(entry), warnings: d.warnings.map(entry) };
}

describe('repeated list entries', () => {
  it('change no verdict', async () => {
    await fc.assert(
      fc.asyncProperty(policy, request, tenant, async (rules, req, t) => {
        const [a, b] = await Promise.all([decide(rules, 'vm', req, t), decide(rules.map(duplicateEntries), 'vm', req, t)]);
        expect(verdict(b)).toEqual(verdict(a));
      }),
      RUNS,
    );
  });
});

// Property (c): one policy written as MDC, YAML and JSON gets the same policy_version for every
// tenant, and the same decision (SPEC §4 `policy_version`, docs/semantics.md "Decisions").

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine/engine.js';
import { NOW, RUNS, TIMEOUT, withoutId } from './helpers.js';
import { FORMATS, policy, request, TENANTS, writePolicy } from './policy-gen.js';

describe('one policy in MDC, YAML and JSON', () => {
  it('has the same policy_version for every tenant and the same decision', async () => {
    await fc.assert(
      fc.asyncProperty(policy, request, fc.constantFrom(...TENANTS), async (rules, req, t) => {
        const engines = await Promise.all(FORMATS.map((f) => createEngine({ rules: writePolicy(rules, f), evaluator: 'oracle', now: () => NOW })));
        const versions = engines.map((e) => TENANTS.map((tn) => e.policy(tn).policyVersion));
        expect(versions[1]).toEqual(versions[0]);
        expect(versions[2]).toEqual(versions[0]);
        const decisions = await Promise.all(engines.map(async (e) => withoutId(await e.evaluate(structuredClone(req), { tenant: t }))));
        expect(decisions[1]).toEqual(decisions[0]);
        expect(decisions[2]).toEqual(decisions[0]);
      }),
      RUNS,
    );
  }, TIMEOUT);
});

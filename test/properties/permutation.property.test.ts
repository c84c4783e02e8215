// Property (b): permuting rules, spreading them over other files and mixing formats changes
// neither the decision nor policy_version (docs/semantics.md: the bundle holds the rules sorted by
// rule_id and no source positions, so the same policy in any order has the same version).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide, decideFiles, RUNS, TIMEOUT, withoutId } from './helpers.js';
import { layout, relayout } from './layout.js';
import { request, tenant } from './policy-gen.js';

describe('rule order and file layout', () => {
  it('change neither decision nor policy_version', async () => {
    await fc.assert(
      fc.asyncProperty(layout, request, tenant, async (l, req, t) => {
        const [a, b] = await Promise.all([decide(l.rules, 'vm', req, t), decideFiles(relayout(l), 'vm', req, t)]);
        expect(withoutId(b)).toEqual(withoutId(a));
      }),
      RUNS,
    );
  }, TIMEOUT);
});

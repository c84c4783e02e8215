// Property (b), strict form: repeating entries of the set-like lists changes no decision at all,
// message texts and reasoning included (a rule listing `DES` twice still expects "one of `DES`").

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide, RUNS, withoutId } from './helpers.js';
import { duplicateEntries } from './layout.js';
import { policy, request, tenant } from './policy-gen.js';

describe('repeated list entries', () => {
  it('change no decision, messages included', async () => {
    await fc.assert(
      fc.asyncProperty(policy, request, tenant, async (rules, req, t) => {
        const [a, b] = await Promise.all([decide(rules, 'vm', req, t), decide(rules.map(duplicateEntries), 'vm', req, t)]);
        const { policy_version: _va, ...da } = withoutId(a);
        const { policy_version: _vb, ...db } = withoutId(b);
        expect(db).toEqual(da);
      }),
      RUNS,
    );
  });
});

// Property (b), strict form: repeating entries of the set-like lists changes no decision at all,
// message texts and reasoning included (a rule listing `DES` twice still expects "one of `DES`").
// policy_version is left out: docs/semantics.md promises it only across formats and orders.

import { describe, expect, it } from 'vitest';
import { decidePair, forAllPolicies, TIMEOUT, withoutId } from './helpers.js';
import { duplicateEntries } from './layout.js';

describe('repeated list entries', () => {
  it('change no decision, messages included', () =>
    forAllPolicies(async (rules, req, t) => {
      const [a, b] = await decidePair(rules, rules.map(duplicateEntries), req, t);
      const { policy_version: _va, ...da } = withoutId(a);
      const { policy_version: _vb, ...db } = withoutId(b);
      expect(db).toEqual(da);
    }), TIMEOUT);
});

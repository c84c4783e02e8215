// Property over action-type scopes (SPEC §3.5, §3.7; docs/semantics.md "Globs"): with random
// applies_to.actions patterns — exact types, `*` runs, `?`, classes — a rule applies exactly when
// a model of action-mode globs (`.` and `/` ordinary, `*` any run, `?` one code point) says some
// pattern matches the type; the oracle and the VM (with its action-type index) agree.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideFiles, RUNS, TIMEOUT, withoutId } from './helpers.js';
import { modelGlob } from './models.js';
import { stringify } from './policy-gen.js';

const PATTERN_PARTS = ['*', '**', '?', 'db', '.', 'a', 'é', '😀', '[ab]', '[!a]', '[a-c]', '-'];
const TYPE_PARTS = ['db', '.', 'a', 'b', 'é', '😀', 'write', '-', 'ab'];

const pattern = fc.array(fc.constantFrom(...PATTERN_PARTS), { minLength: 1, maxLength: 5 }).map((ps) => ps.join(''));
const actionType = fc.array(fc.constantFrom(...TYPE_PARTS), { minLength: 1, maxLength: 5 }).map((ps) => ps.join(''));

describe('action-type scopes', () => {
  it('apply exactly when some pattern matches the type, on the oracle and the VM', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(pattern, { minLength: 1, maxLength: 3 }), actionType, async (actions, type) => {
        const rule = { rule_id: 'scoped', applies_to: { actions }, prohibited: [{ message: 'in scope', when: 'action.type != ""' }] };
        const files = [{ path: 'scoped.yaml', text: stringify(rule) }];
        const req = { action: type };
        const [oracle, vm] = await Promise.all([decideFiles(files, 'oracle', req, 'default'), decideFiles(files, 'vm', req, 'default')]);
        expect(withoutId(vm)).toEqual(withoutId(oracle));
        expect(vm.rule_ids).toEqual(actions.some((p) => modelGlob(p, 'action').test(type)) ? ['scoped'] : []);
      }),
      RUNS,
    );
  }, TIMEOUT);
});

// createEngineFromDir (`mge/node`): the engine over a rules directory, refused where it would
// approve every check for want of rules (a wrong path, an unmounted volume), as `mge serve`
// and `mge check` refuse it.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createEngineFromDir, NoRulesError } from '../../../src/adapters/node/index.js';

const root = mkdtempSync(join(tmpdir(), 'mge-from-dir-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('createEngineFromDir', () => {
  it('decides against the rules of the directory', async () => {
    const engine = await createEngineFromDir(new URL('../../../rules', import.meta.url).pathname);
    const denied = await engine.evaluate({ action: { type: 'db.write', table: 'users' }, context: { environment: 'production' } });
    expect(denied.approved).toBe(false);
  });

  it('refuses a directory that is not there, or that holds no rule file', async () => {
    await expect(createEngineFromDir(join(root, 'missing'))).rejects.toThrow(NoRulesError);
    // Said to a library caller: not the CLI's `--rules DIR` (a review, 11-29).
    await expect(createEngineFromDir(join(root, 'missing'))).rejects.toThrow(/^rules directory `.*missing` not found; a wrong path, or a volume not mounted\?$/);
    const empty = join(root, 'empty');
    mkdirSync(join(empty, 'notes'), { recursive: true });
    writeFileSync(join(empty, 'notes', 'README.md'), '# not a rule\n');
    await expect(createEngineFromDir(empty)).rejects.toThrow(/holds no rule file, so every request would be approved/);
  });

  it('takes `rules: []` as no rules on purpose', async () => {
    const none = join(root, 'none');
    mkdirSync(none);
    writeFileSync(join(none, 'none.yaml'), 'rules: []\n');
    const engine = await createEngineFromDir(none);
    expect(engine.ruleCount()).toBe(0);
    expect((await engine.evaluate({ action: 'anything' })).approved).toBe(true);
  });
});

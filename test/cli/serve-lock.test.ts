// One `mge serve` per data directory (src/adapters/node/data-dir-lock.ts): a second server on the
// same directory refuses to start, naming the first; after a crash the next one takes over.

import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCK_FILE } from '../../src/adapters/node/data-dir-lock.js';
import { spawnServe, writeRules } from '../http/e2e/server.js';

const root = mkdtempSync(join(tmpdir(), 'mge-lock-serve-'));
const data = join(root, 'data');
writeRules(join(root, 'rules'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const serve = () => spawnServe({ rulesDir: join(root, 'rules'), dataDir: data, apiKeys: '' });

describe('mge serve and its data directory', () => {
  it('refuses a second server on the same data directory, and takes over after a crash', async () => {
    const first = serve();
    await first.listening();
    expect(existsSync(join(data, LOCK_FILE))).toBe(true);
    expect(first.out()).toContain('(4 rules; watched;'); // two global, one for each of two tenants

    const second = serve();
    expect(await second.exited).toBe(2);
    expect(second.out() + second.err()).toContain(`is in use by process ${first.child.pid}`);

    first.child.kill('SIGKILL');
    await first.exited;
    const third = serve();
    await third.listening();
    third.child.kill('SIGTERM');
    expect(await third.exited).toBe(0);
    expect(existsSync(join(data, LOCK_FILE))).toBe(false);
  }, 60_000);

  it('says so when it serves no rules: every check is approved', async () => {
    /** What `mge serve` on the `empty` rules printed from start to a clean stop. */
    const startAndStop = async (): Promise<string> => {
      const served = spawnServe({ rulesDir: join(root, 'empty'), dataDir: join(root, 'data-empty'), apiKeys: '' });
      await served.listening();
      served.child.kill('SIGTERM');
      expect(await served.exited).toBe(0);
      return served.out();
    };
    mkdirSync(join(root, 'empty'));
    // No rule file at all is refused, on a first start too (a volume not mounted, say).
    const refused = spawnServe({ rulesDir: join(root, 'empty'), dataDir: join(root, 'data-empty'), apiKeys: '' });
    expect(await refused.exited).toBe(2);
    expect(refused.err()).toContain('holds no rule file, and the data directory keeps no API rule, so every check would be approved (a volume not mounted, a wrong path?); to start with no rules, leave a file holding `rules: []`');
    writeFileSync(join(root, 'empty', 'none.yaml'), 'rules: []\n');
    const bare = await startAndStop();
    expect(bare).toContain('(0 rules, 1 warning on stderr; watched;'); // the file holds no rules: said, as lint says it
    expect(bare).toContain('mge: warning: no rules loaded: every check is approved until rules are added\n');
    rmSync(join(root, 'empty', 'none.yaml'));
    // Rules for one tenant only: the others, `default` among them, get none.
    mkdirSync(join(root, 'empty', 'tenants', 'acme'), { recursive: true });
    writeFileSync(join(root, 'empty', 'tenants', 'acme', 'a.yaml'), 'rule_id: a\nprohibited: [{when: "true"}]\n');
    const some = await startAndStop();
    expect(some).toContain('(1 rule; watched;');
    // A rule of tenant `default` too: counted once, as acme's is (default's policy is no baseline).
    mkdirSync(join(root, 'empty', 'tenants', 'default'), { recursive: true });
    writeFileSync(join(root, 'empty', 'tenants', 'default', 'b.yaml'), 'rule_id: b\nprohibited: [{when: "true"}]\n');
    expect(await startAndStop()).toContain('(2 rules; watched;');
    expect(some).toContain('mge: warning: no global rules: tenant `default`, and any tenant without rules of its own, is checked against none (every check approved)\n');
  }, 60_000);
});

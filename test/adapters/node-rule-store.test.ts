import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeRuleStore } from '../../src/adapters/node-rule-store.js';
import { tenantDirName } from '../../src/adapters/node-audit-store.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('node rule store', () => {
  it('removes the temporary file of a PUT another process never committed, and keeps its own', async () => {
    dir = await mkdtemp(join(tmpdir(), 'mge-rule-store-'));
    const store = nodeRuleStore(dir);
    await store.save({ tenant: 'acme', ruleId: 'kept', text: 'rule_id: kept\n', format: 'yaml' });
    const folder = join(dir, 'api-rules', tenantDirName('acme'));
    const crashed = 'fresh.yaml.4242424.0123456789ab.tmp'; // a process killed between write and rename
    const own = `other.json.${process.pid}.ba9876543210.tmp`; // staged by this process right now
    await writeFile(join(folder, crashed), 'rule_id: fresh\n');
    await writeFile(join(folder, own), '{}');
    expect((await store.list()).map((r) => r.ruleId)).toEqual(['kept']);
    expect((await readdir(folder)).sort()).toEqual(['kept.yaml', own].sort());
  });
});

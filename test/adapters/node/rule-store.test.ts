import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nodeRuleStore } from '../../../src/adapters/node/rule-store.js';
import { tenantDirName } from '../../../src/adapters/node/tenant-dirs.js';
import type { RuleStore } from '../../../src/http/rule-store.js';

let dir: string;
let store: RuleStore;
let folder: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mge-rule-store-'));
  store = nodeRuleStore(dir);
  folder = join(dir, 'api-rules', tenantDirName('acme'));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

const rule = (ruleId: string, text = `rule_id: ${ruleId}\n`) => ({ tenant: 'acme', ruleId, text, format: 'yaml' as const });
const ids = async () => (await store.list()).map((r) => r.ruleId);

describe('node rule store', () => {
  it('shows a staged change only once committed, and a discarded one never', async () => {
    await store.save(rule('kept'));
    const change = await store.stageChange('acme', [rule('new')], ['kept']);
    expect(await ids()).toEqual(['kept']);
    await change.commit();
    expect(await ids()).toEqual(['new']);
    const dropped = await store.stageChange('acme', [rule('other')], ['new']);
    await dropped.discard();
    expect(await ids()).toEqual(['new']);
    expect((await readdir(folder)).sort()).toEqual(['new.yaml']);
  });

  it('finishes at start a change a crash left staged (its entry may be logged): all of it, never half', async () => {
    await store.save(rule('a'));
    await store.save(rule('b'));
    await store.stageChange('acme', [rule('a', 'rule_id: a\n# v2\n'), rule('c')], ['b']); // the process dies here
    expect(await ids()).toEqual(['a', 'b']);
    const next = nodeRuleStore(dir); // the next start
    await next.recover!();
    expect((await next.list()).map((r) => [r.ruleId, r.text])).toEqual([['a', 'rule_id: a\n# v2\n'], ['c', 'rule_id: c\n']]);
    expect((await readdir(folder)).sort()).toEqual(['a.yaml', 'c.yaml']);
  });

  it('drops at start the temporary files of a change cut short before it was noted, whatever process wrote them', async () => {
    await store.save(rule('kept'));
    // Killed between a write and the note (a container's server is pid 1 on every start).
    await writeFile(join(folder, `fresh.yaml.${process.pid}.0123456789ab.tmp`), 'rule_id: fresh\n');
    await writeFile(join(folder, '.pending'), '{"renames": [["fresh.yaml.1.0123', 'utf8'); // a torn note: never logged
    await nodeRuleStore(dir).recover!();
    expect(await ids()).toEqual(['kept']);
    expect(await readdir(folder)).toEqual(['kept.yaml']);
  });

  it('leaves a dot-folder under api-rules/ alone: no tenant\'s folder starts with a dot', async () => {
    // A re-review (11-28): `.x` was read as tenant `.x`'s rules, while the start's link check skipped it.
    await store.save(rule('kept'));
    await mkdir(join(dir, 'api-rules', '.x'));
    await writeFile(join(dir, 'api-rules', '.x', 'stray.yaml'), 'rule_id: stray\n');
    await nodeRuleStore(dir).recover!();
    expect((await store.list()).map((r) => [r.tenant, r.ruleId])).toEqual([['acme', 'kept']]);
  });

  it("a discarded change removes only its own note, never another's that reads the same", async () => {
    await store.save(rule('x'));
    const mine = await store.stageChange('acme', [], ['x']);
    await nodeRuleStore(dir).stageChange('acme', [], ['x']); // another writer's note, same removal, in its place
    await mine.discard();
    expect(await readdir(folder)).toContain('.pending');
  });
});

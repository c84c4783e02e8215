import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NodeAuditStore, NodeAuditStoreFactory, tenantDirName, tenantFromDirName } from '../../src/adapters/node-audit-store.js';
import { nodeCryptoBackend } from '../../src/adapters/node-crypto.js';
import { AuditLog } from '../../src/audit/log.js';
import { AuditLogs } from '../../src/audit/logs.js';
import { MemoryAuditStore } from '../../src/audit/memory-store.js';
import type { Json } from '../../src/ir/types.js';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'mge-store-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

const entry = (i: number): Json => ({ decision_id: `dec-${i}`, tenant: 't', text: 'é€😀'.repeat(i % 4) });
const all = async (it: AsyncIterable<string>) => { const out: string[] = []; for await (const x of it) out.push(x); return out; };

describe('NodeAuditStore', () => {
  it('keeps lines across reopen; the file is the export', async () => {
    const s = await NodeAuditStore.open(dir);
    const log = await AuditLog.open('t', s, { backend: nodeCryptoBackend });
    await Promise.all(Array.from({ length: 100 }, (_, i) => log.append(entry(i))));
    const exported = (await all(log.export())).join('');
    await log.close();
    expect(await readFile(join(dir, 'log.jsonl'), 'utf8')).toBe(exported);
    const again = await AuditLog.open('t', await NodeAuditStore.open(dir), { backend: nodeCryptoBackend });
    expect(again.size()).toBe(100);
    const mem = await AuditLog.open('t', new MemoryAuditStore(exported.trimEnd().split('\n')));
    expect(await again.root()).toBe(await mem.root());
    expect((await again.findByDecisionId('dec-57'))?.entry).toEqual(entry(57));
    expect(await again.entries(98, 5)).toEqual([entry(98), entry(99)]);
    await again.close();
  });

  it('group commit: many concurrent appends share few flushes', async () => {
    const s = await NodeAuditStore.open(dir);
    let syncs = 0;
    const fh = (s as unknown as { fh: { datasync: () => Promise<void> } }).fh;
    const original = fh.datasync.bind(fh);
    fh.datasync = () => { syncs++; return original(); };
    await Promise.all(Array.from({ length: 500 }, (_, i) => s.append([JSON.stringify(entry(i))])));
    expect(syncs).toBeGreaterThanOrEqual(1);
    expect(syncs).toBeLessThan(50);
    await s.close();
  });

  it('drops a torn last record, and a last record that is not JSON', async () => {
    const s = await NodeAuditStore.open(dir);
    await s.append(['{"a":1}', '{"a":2}']);
    await s.close();
    await appendFile(join(dir, 'log.jsonl'), '{"a":3,"b":"half');
    const s2 = await NodeAuditStore.open(dir);
    expect(s2.droppedTornBytes).toBe(16);
    expect(await all(s2.load())).toEqual(['{"a":1}', '{"a":2}']);
    await s2.append(['{"a":4}']);
    await s2.close();
    expect(await readFile(join(dir, 'log.jsonl'), 'utf8')).toBe('{"a":1}\n{"a":2}\n{"a":4}\n');
    await appendFile(join(dir, 'log.jsonl'), '\0\0\0\0\n');
    const s3 = await NodeAuditStore.open(dir);
    expect(await all(s3.load())).toEqual(['{"a":1}', '{"a":2}', '{"a":4}']);
    await s3.close();
  });

  it('refuses damage before the tail', async () => {
    await writeFile(join(dir, 'log.jsonl'), '{"a":1}\nnot json\n{"a":3}\n');
    await expect(AuditLog.open('t', await NodeAuditStore.open(dir))).rejects.toThrow('tenant `t`: stored entry 1 is not JSON');
  });

  it('fails closed when a write fails', async () => {
    const s = await NodeAuditStore.open(dir);
    const fh = (s as unknown as { fh: { write: () => Promise<never> } }).fh;
    fh.write = () => Promise.reject(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }));
    await expect(s.append(['{"a":1}'])).rejects.toThrow(/audit file write failed in .*ENOSPC/);
    await expect(s.append(['{"a":2}'])).rejects.toThrow(/ENOSPC/);
  });

  it('one directory per tenant, named reversibly', async () => {
    for (const t of ['acme', 'a.b', '..', '../x', 'a/b', '', 'é', '%41']) {
      const name = tenantDirName(t);
      expect(name).toMatch(/^[A-Za-z0-9_%-][A-Za-z0-9_.%-]*$/);
      expect(tenantFromDirName(name)).toBe(t);
    }
    const logs = new AuditLogs(new NodeAuditStoreFactory(dir), { backend: nodeCryptoBackend });
    await (await logs.get('acme')).append(entry(1));
    await (await logs.get('../evil')).append(entry(2));
    expect(await logs.tenants()).toEqual(['../evil', 'acme']);
    await logs.close();
    expect(await new NodeAuditStoreFactory(dir).tenants()).toEqual(['../evil', 'acme']);
  });
});

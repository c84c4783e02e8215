// AuditLogs: a tenant's log that failed (its opening, or a write to its store) answers with
// that failure for the reopen interval, then is opened again and goes on from its store.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NodeAuditStoreFactory, type NodeAuditStore } from '../../src/adapters/node/audit-store.js';
import { nodeCryptoBackend } from '../../src/adapters/node/crypto.js';
import { AuditLogs } from '../../src/audit/logs.js';
import { MemoryAuditStore } from '../../src/audit/memory-store.js';
import { AuditStoreError, type AuditStoreFactory } from '../../src/audit/store.js';
import { breakWrites } from './break-writes.js';

const entry = (n: number) => ({ decision_id: `d-${n}`, approved: true, n });

describe('AuditLogs reopens a log whose store failed', () => {
  it('answers with the failure for the interval, then opens the store again and goes on', async () => {
    let clock = 0;
    let failing = false;
    const stores = new Map<string, MemoryAuditStore>();
    // A memory store whose appends fail while `failing` is set (a disk full, say).
    const factory: AuditStoreFactory = {
      async open(tenant) {
        let s = stores.get(tenant);
        if (s === undefined) {
          s = new MemoryAuditStore();
          const append = s.append.bind(s);
          s.append = (lines) => (failing ? Promise.reject(new Error('ENOSPC: no space left on device')) : append(lines));
          stores.set(tenant, s);
        }
        return s;
      },
      async tenants() {
        return [...stores.keys()];
      },
    };
    const logs = new AuditLogs(factory, { backend: nodeCryptoBackend, now: () => clock, reopenAfterMs: 1000 });
    const first = await logs.get('t');
    await first.append(entry(1));
    expect(logs.retryAfterMs('t')).toBeUndefined();
    failing = true;
    await expect(first.append(entry(2))).rejects.toThrow(AuditStoreError);
    failing = false;
    // Within the interval: the same failed log, which refuses every append.
    expect(await logs.get('t')).toBe(first);
    expect(logs.retryAfterMs('t')).toBe(1000); // what a 503's Retry-After tells
    clock += 999;
    expect(logs.retryAfterMs('t')).toBe(1);
    expect(await logs.get('t')).toBe(first);
    await expect(first.append(entry(3))).rejects.toThrow('unavailable after a store failure');
    // After it: opened again from the store, with what the store holds.
    clock += 1;
    const second = await logs.get('t');
    expect(second).not.toBe(first);
    expect(second.size()).toBe(1);
    await second.append(entry(4));
    expect(await second.durableSize()).toBe(2);
    expect((await second.entries(0, 2)).map((e) => (e as { n: number }).n)).toEqual([1, 4]);
    // `reopenFailedNow` (the shutdown's last checkpoints) does not wait out the interval.
    failing = true;
    await expect(second.append(entry(5))).rejects.toThrow(AuditStoreError);
    failing = false;
    expect(await logs.get('t')).toBe(second);
    const third = await logs.get('t', { reopenFailedNow: true });
    expect(third).not.toBe(second);
    expect(await third.durableSize()).toBe(2);
    // A clock set back after a failure opens the log at the next call, not after the step.
    failing = true;
    await expect(third.append(entry(6))).rejects.toThrow(AuditStoreError);
    failing = false;
    clock -= 3_600_000;
    expect(logs.retryAfterMs('t')).toBe(0);
    expect(await logs.get('t')).not.toBe(third);
    await logs.close();
  });

  it('on the file store: a write that fails (EBADF) costs the interval, then the log goes on', async () => {
    let clock = 0;
    const dir = mkdtempSync(join(tmpdir(), 'mge-logs-'));
    const opened: NodeAuditStore[] = [];
    const files = new NodeAuditStoreFactory(dir, { fsync: 'never' });
    const factory: AuditStoreFactory = {
      async open(tenant) {
        const s = await files.open(tenant);
        opened.push(s);
        return s;
      },
      tenants: () => files.tenants(),
    };
    const logs = new AuditLogs(factory, { backend: nodeCryptoBackend, now: () => clock, reopenAfterMs: 500 });
    const first = await logs.get('acme');
    await first.append(entry(1));
    await first.append(entry(2));
    // The store's next write fails (EBADF), as on a failing disk.
    breakWrites(opened[0]);
    await expect(first.append(entry(3))).rejects.toThrow(AuditStoreError);
    expect(first.failedAt).toBe(0);
    clock += 500;
    const second = await logs.get('acme');
    expect(second).not.toBe(first);
    expect(opened).toHaveLength(2);
    await second.append(entry(4));
    const lines: string[] = [];
    for await (const line of second.export()) lines.push(line);
    expect(lines.map((l) => (JSON.parse(l) as { n: number }).n)).toEqual([1, 2, 4]);
    const root = await second.root();
    await logs.close();
    // A fresh open of the directory reads the same three entries and the same root.
    const again = new AuditLogs(new NodeAuditStoreFactory(dir), { backend: nodeCryptoBackend });
    expect(await (await again.get('acme')).root()).toBe(root);
    await again.close();
  });
});


// A review (11-27): a rules reload that ended after the shutdown closed the logs opened its
// tenants' logs again and wrote past the last checkpoint, after the data dir's lock was let go.
describe('AuditLogs once closed', () => {
  it('opens no log again: a late append is refused, not written', async () => {
    const { MemoryAuditStoreFactory } = await import('../../src/audit/memory-store.js');
    const logs = new AuditLogs(new MemoryAuditStoreFactory());
    await (await logs.get('acme')).append(entry(1));
    await logs.close();
    await expect(logs.get('acme')).rejects.toThrow(AuditStoreError);
    await expect(logs.get('beta')).rejects.toThrow(/closed/);
  });
});

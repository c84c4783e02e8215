// The file audit store asks, right before each write, whether it may still write (the data
// directory's lock lease: node-data-dir-lock.ts). Lines queued while a sync was in flight were
// written after the lease lapsed, into the log of the server that took over (a re-review).

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NodeAuditStore } from '../../src/adapters/node-audit-store.js';
import { Lifecycle } from '../../src/http/lifecycle.js';

const dir = mkdtempSync(join(tmpdir(), 'mge-may-write-'));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('NodeAuditStore mayWrite', () => {
  it('writes while it may; lines wait a while for it to come back, then fail and are not written', async () => {
    let may = true;
    const store = await NodeAuditStore.open(join(dir, 'acme'), { fsync: 'always', mayWrite: () => may });
    await store.append(['{"a":1}']);
    // A short lapse (a pause shorter than the lease's staleness): written once it is back, and
    // the store does not fail (a re-review: failing it refused a lone server's checks 10 s more).
    may = false;
    const waiting = store.append(['{"a":2}']);
    setTimeout(() => (may = true), 300);
    await waiting;
    expect(readFileSync(join(dir, 'acme', 'log.jsonl'), 'utf8')).toBe('{"a":1}\n{"a":2}\n');
    // A lapse that lasts: refused, nothing written.
    may = false;
    await expect(store.append(['{"a":3}'])).rejects.toThrow('not written: this server has not read its data directory lock back as its own');
    expect(readFileSync(join(dir, 'acme', 'log.jsonl'), 'utf8')).toBe('{"a":1}\n{"a":2}\n');
    await store.close().catch(() => undefined);
  }, 20_000);
});

describe('Lifecycle writable', () => {
  it('answers 503 instead of running work while it may not write', async () => {
    let may = false;
    const lifecycle = new Lifecycle(10, () => may);
    await expect(lifecycle.run(async () => 'ran')).rejects.toMatchObject({ status: 503 });
    may = true;
    expect(await lifecycle.run(async () => 'ran')).toBe('ran');
  });
});

// Every write `mge serve` makes into its data directory asks first whether its lock lease still
// holds (node/data-dir-lock.ts: `fresh()`, passed down as `mayWrite`). A server paused until
// another took its lock over must write nothing when it runs again: lines queued behind a
// stalled sync reached the other's log, and a reload that ran on replaced the other's record of
// the rules in force (re-reviews, 11-28). Also: directories made on the way are synced, so a new
// tenant's log survives a power cut with its path.

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NodeAuditStore } from '../../../src/adapters/node/audit-store.js';
import { keepFiles } from '../../../src/adapters/node/kept-files.js';
import { LeaseLapsedError, makeDirDurably } from '../../../src/adapters/node/new-file.js';
import { NONCES_FILE, NodeNonceStore } from '../../../src/adapters/node/nonce-store.js';
import { nodeRuleStore } from '../../../src/adapters/node/rule-store.js';
import { RULES_IN_FORCE_FILE, writeRulesInForce } from '../../../src/adapters/node/rules-in-force.js';
import type { Checkpoint } from '../../../src/audit/checkpoint.js';
import { AuditLogs } from '../../../src/audit/logs.js';
import { MemoryAuditStore } from '../../../src/audit/memory-store.js';
import { AuditStoreError, AuditStorePausedError } from '../../../src/audit/store.js';
import { silentLogger } from '../../../src/http/logger.js';
import { Lifecycle } from '../../../src/http/lifecycle.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mge-may-write-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const LAPSED = 'has not read its data directory lock back as its own';
const checkpoint = (treeSize: number): Checkpoint => ({ alg: 'HS256', kid: 'k', root_hash: 'a'.repeat(64), signature: 's', tenant: 'acme', timestamp: '2026-11-28T00:00:00.000Z', tree_size: treeSize });

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
    await expect(store.append(['{"a":3}'])).rejects.toThrow(`not written to \`${join(dir, 'acme', 'log.jsonl')}\`: this server ${LAPSED}`);
    expect(readFileSync(join(dir, 'acme', 'log.jsonl'), 'utf8')).toBe('{"a":1}\n{"a":2}\n');
    await store.close().catch(() => undefined);
  }, 20_000);

  it('makes no new log and writes no checkpoint while it may not (a store error: 503, not 500)', async () => {
    let may = false;
    await expect(NodeAuditStore.open(join(dir, 'acme'), { mayWrite: () => may })).rejects.toBeInstanceOf(AuditStoreError);
    expect(existsSync(join(dir, 'acme'))).toBe(false);
    may = true;
    const store = await NodeAuditStore.open(join(dir, 'acme'), { mayWrite: () => may });
    await store.appendCheckpoint(checkpoint(0));
    may = false;
    await expect(store.appendCheckpoint(checkpoint(1))).rejects.toBeInstanceOf(AuditStoreError);
    expect(readFileSync(join(dir, 'acme', 'checkpoints.jsonl'), 'utf8').trimEnd().split('\n')).toHaveLength(1);
    await store.close();
  });

  it('asks again right before cutting a failed log back at its reopen (the steps before it wait on the disk)', async () => {
    const file = join(dir, 'acme', 'log.jsonl');
    const store = await NodeAuditStore.open(join(dir, 'acme'));
    await store.close();
    writeFileSync(file, '{"a":1}\n{"b":2}\n{"next":3}\n');
    const st = statSync(file);
    let asked = 0;
    // Allowed when the open starts, lapsed by the cut (a re-review cut a successor's entries so).
    const open = NodeAuditStore.open(join(dir, 'acme'), { mayWrite: () => ++asked === 1, cutTo: { bytes: 8, dev: st.dev, ino: st.ino } });
    await expect(open).rejects.toBeInstanceOf(AuditStorePausedError);
    expect(statSync(file).size).toBe(st.size);
  });

  it('a log whose opening the lease refused opens at the next call, with no failure held for the reopen interval', async () => {
    let paused = true;
    const logs = new AuditLogs({
      open: async () => {
        if (paused) throw new AuditStorePausedError('not now');
        return new MemoryAuditStore();
      },
      tenants: async () => [],
    });
    await expect(logs.get('acme')).rejects.toBeInstanceOf(AuditStorePausedError);
    expect(logs.usable()).toBe(true); // /readyz: nothing failed
    expect(logs.retryAfterMs('acme')).toBeUndefined();
    paused = false;
    expect((await logs.get('acme')).tenant).toBe('acme'); // at once, not 10 s later
    await logs.close();
  });

  it('writes a removed log back only while it may', async () => {
    let may = true;
    const store = await NodeAuditStore.open(join(dir, 'acme'), { fsync: 'always', mayWrite: () => may });
    await store.append(['{"a":1}']);
    may = false;
    rmSync(join(dir, 'acme'), { recursive: true });
    await new Promise((r) => setTimeout(r, 1500)); // a few looks (every 0.5 s)
    expect(existsSync(join(dir, 'acme'))).toBe(false);
    may = true;
    for (let i = 0; i < 40 && !existsSync(join(dir, 'acme', 'log.jsonl')); i++) await new Promise((r) => setTimeout(r, 100));
    expect(readFileSync(join(dir, 'acme', 'log.jsonl'), 'utf8')).toBe('{"a":1}\n');
    await store.close().catch(() => undefined);
  }, 20_000);
});

describe('NodeNonceStore mayWrite', () => {
  it('refuses a nonce it may not write (kept used here: fail closed) and writes nothing', async () => {
    let may = true;
    const store = await NodeNonceStore.open(dir, { mayWrite: () => may });
    expect(await store.consumeOnce('acme', 'n1', Date.now() + 60_000)).toBe('ok');
    may = false;
    await expect(store.consumeOnce('acme', 'n2', Date.now() + 60_000)).rejects.toBeInstanceOf(LeaseLapsedError);
    expect(readFileSync(join(dir, NONCES_FILE), 'utf8').trimEnd().split('\n')).toHaveLength(1);
    may = true;
    expect(await store.consumeOnce('acme', 'n2', Date.now() + 60_000)).toBe('replayed');
    await store.close();
  });

  it('cuts a failed write back only once it may, before the next line', async () => {
    let may = true;
    const store = await NodeNonceStore.open(dir, { mayWrite: () => may });
    expect(await store.consumeOnce('acme', 'n1', Date.now() + 60_000)).toBe('ok');
    const whole = statSync(join(dir, NONCES_FILE)).size;
    const inner = store as unknown as { fh: { appendFile: (t: string) => Promise<void> } };
    const real = inner.fh.appendFile.bind(inner.fh);
    inner.fh.appendFile = async (t: string) => {
      await real(t.slice(0, 10)); // a torn write, and the lease lapses meanwhile
      may = false;
      throw new Error('EIO: i/o error');
    };
    await expect(store.consumeOnce('acme', 'n2', Date.now() + 60_000)).rejects.toThrow('EIO');
    expect(statSync(join(dir, NONCES_FILE)).size).toBe(whole + 10); // not cut while lapsed
    inner.fh.appendFile = real;
    may = true;
    expect(await store.consumeOnce('acme', 'n3', Date.now() + 60_000)).toBe('ok');
    const lines = readFileSync(join(dir, NONCES_FILE), 'utf8').trimEnd().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { n: string }).n)).toEqual(['n1', 'n3']);
    await store.close();
  });
});

describe('nodeRuleStore mayWrite', () => {
  const rule = (ruleId: string) => ({ tenant: 'acme', ruleId, text: `rule_id: ${ruleId}\n`, format: 'yaml' as const });

  it('discards a staged change while it may not write: the next start does not make a change answered "not made"', async () => {
    let may = true;
    const store = nodeRuleStore(dir, { mayWrite: () => may });
    await store.save(rule('kept'));
    const change = await store.stageChange('acme', [rule('refused')], ['kept']);
    may = false; // lapsed: the audit entry was refused (503), so the route discards
    await change.discard();
    may = true;
    const next = nodeRuleStore(dir); // the next start
    await next.recover?.();
    expect((await next.list()).map((r) => r.ruleId)).toEqual(['kept']);
  });

  it('a change refused while staged leaves none of its files, and says why it was refused', async () => {
    let asked = 0;
    const store = nodeRuleStore(dir, { mayWrite: () => ++asked <= 2 }); // the dir and the first rule, not the second
    await expect(store.stageChange('acme', [rule('a'), rule('b')], [])).rejects.toThrow(/not written to `.*b\.yaml\..*\.tmp`/);
    expect(readdirSync(join(dir, 'api-rules', 'acme'))).toEqual([]);
  });

  it('stages and commits nothing while it may not', async () => {
    let may = true;
    const store = nodeRuleStore(dir, { mayWrite: () => may });
    await store.save(rule('kept'));
    const change = await store.stageChange('acme', [rule('new')], ['kept']);
    may = false; // lapsed between the audit entry and the commit
    await expect(change.commit()).rejects.toBeInstanceOf(LeaseLapsedError);
    await expect(store.stageChange('acme', [rule('other')], [])).rejects.toBeInstanceOf(LeaseLapsedError);
    may = true;
    expect((await store.list()).map((r) => r.ruleId)).toEqual(['kept']);
  });
});

describe('writeRulesInForce mayWrite', () => {
  it('leaves the record as it was, with no temporary file, when the lease lapses while it writes', async () => {
    await writeRulesInForce(dir, { global: { a: 'file:1' }, tenants: {} });
    let asked = 0;
    // Allowed at the first ask (before the temporary file), lapsed at the second (before the rename).
    await expect(writeRulesInForce(dir, { global: { b: 'file:2' }, tenants: {} }, () => ++asked === 1)).rejects.toBeInstanceOf(LeaseLapsedError);
    expect(JSON.parse(readFileSync(join(dir, RULES_IN_FORCE_FILE), 'utf8'))).toEqual({ global: { a: 'file:1' }, tenants: {} });
    expect(readdirSync(dir)).toEqual([RULES_IN_FORCE_FILE]);
  });
});

describe('keepFiles when', () => {
  it('asks again right before writing a removed file back', async () => {
    let asked = 0;
    const path = join(dir, 'secret.key');
    // Allowed at each look's first ask, lapsed by the write (the look waits on the disk between).
    const kept = keepFiles([{ path, what: 'the receipt secret', text: 'x\n', mode: 0o600, when: () => ++asked % 2 === 1 }], silentLogger, 50);
    await new Promise((r) => setTimeout(r, 400));
    kept.cancel();
    expect(asked).toBeGreaterThan(2);
    expect(existsSync(path)).toBe(false);
  });
});

describe('makeDirDurably', () => {
  it('syncs the parent of each directory it made, and nothing when it made none', async () => {
    const synced: string[] = [];
    const sync = async (d: string) => void synced.push(d);
    await makeDirDurably(join(dir, 'audit', 'acme', 'deep'), sync);
    expect(synced).toEqual([join(dir, 'audit', 'acme'), join(dir, 'audit'), dir].map((d) => resolve(d)));
    // There already: its parent is synced still (another call may have made it and be syncing).
    synced.length = 0;
    await makeDirDurably(join(dir, 'audit', 'acme', 'deep'), sync);
    expect(synced).toEqual([resolve(dir, 'audit', 'acme')]);
    synced.length = 0;
    await makeDirDurably(join(dir, 'audit', 'beta'), sync);
    expect(synced).toEqual([resolve(dir, 'audit')]);
  });
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

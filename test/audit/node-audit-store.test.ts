import fc from 'fast-check';
import { pbkdf2 } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, open, readdir, readFile, rename, rm, symlink, writeFile, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NodeAuditStore, NodeAuditStoreFactory } from '../../src/adapters/node/audit-store.js';
import { HELD_CHECKPOINTS } from '../../src/adapters/node/checkpoint-file.js';
import { endsWithText } from '../../src/adapters/node/file-ends-with.js';
import { tenantDirName, tenantFromDirName } from '../../src/adapters/node/tenant-dirs.js';
import { nodeCryptoBackend } from '../../src/adapters/node/crypto.js';
import { AuditLog } from '../../src/audit/log.js';
import { AuditLogs } from '../../src/audit/logs.js';
import { MemoryAuditStore } from '../../src/audit/memory-store.js';
import type { Checkpoint } from '../../src/audit/checkpoint.js';
import type { Json } from '../../src/ir/types.js';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'mge-store-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

const entry = (i: number, tenant = 't'): Json => ({ decision_id: `dec-${i}`, tenant, text: 'é€😀'.repeat(i % 4) });
/** A checkpoint of `n` entries, as a store keeps it (the signature is not the store's to check). */
const cp = (n: number): Checkpoint => ({ tenant: 't', tree_size: n, root_hash: 'ab'.repeat(32), timestamp: '2026-11-26T00:00:00.000Z', alg: 'HS256', kid: 'k', signature: 'sig' });
const all = async (it: AsyncIterable<string>) => { const out: string[] = []; for await (const x of it) out.push(x); return out; };
/** Every fdatasync of `store` fails from now on, as on a device that fails its writes. */
const failSyncs = (store: NodeAuditStore): void => {
  const fh = (store as unknown as { fh: { datasync: () => Promise<void> } }).fh;
  fh.datasync = () => Promise.reject(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }));
};

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
    const cuts: unknown[] = [];
    const s2 = await NodeAuditStore.open(dir, { onTornTailCut: (cut) => cuts.push(cut) });
    expect(s2.droppedTornBytes).toBe(16);
    expect(cuts).toEqual([{ dir, bytes: 16 }]);
    expect(await all(s2.load())).toEqual(['{"a":1}', '{"a":2}']);
    await s2.append(['{"a":4}']);
    await s2.close();
    expect(await readFile(join(dir, 'log.jsonl'), 'utf8')).toBe('{"a":1}\n{"a":2}\n{"a":4}\n');
    await appendFile(join(dir, 'log.jsonl'), '\0\0\0\0\n');
    const s3 = await NodeAuditStore.open(dir);
    expect(await all(s3.load())).toEqual(['{"a":1}', '{"a":2}', '{"a":4}']);
    await s3.close();
  });

  it('cuts a torn tail only past the latest checkpoint; a torn entry it covers is left as evidence', async () => {
    const s = await NodeAuditStore.open(dir);
    await s.append(['{"a":1}', '{"a":2}']);
    const cp = (size: number) => ({ tenant: 't', tree_size: size, root_hash: '00'.repeat(32), timestamp: '2026-11-26T00:00:00.000Z', alg: 'HS256' as const, kid: 'k', signature: 's' });
    await s.appendCheckpoint(cp(1));
    await s.close();
    const file = join(dir, 'log.jsonl');
    await appendFile(file, '{"a":3,"b":"half');
    const s2 = await NodeAuditStore.open(dir); // entry 3 is past the checkpoint: cut, as always
    expect(s2.droppedTornBytes).toBe(16);
    await s2.appendCheckpoint(cp(2));
    await s2.close();
    await writeFile(file, '{"a":1}\n{"a":2');
    await expect(NodeAuditStore.open(dir)).rejects.toThrow('its latest checkpoint covers 2 entries and only 1 are whole');
    expect(await readFile(file, 'utf8')).toBe('{"a":1}\n{"a":2'); // not repaired
  });

  it('cuts a checkpoint torn by a crash or a full disk before writing the next one', async () => {
    const s = await NodeAuditStore.open(dir);
    await s.appendCheckpoint(cp(1));
    await s.appendCheckpoint(cp(2));
    const file = join(dir, 'checkpoints.jsonl');
    const whole = await readFile(file, 'utf8');
    await writeFile(file, whole.slice(0, -9)); // the second line torn inside its signature
    expect(await s.checkpoints()).toEqual([cp(1)]); // a torn last line is not read
    await s.appendCheckpoint(cp(3));
    // Glued onto the torn bytes, the third would make line 2 unreadable and refuse the log at
    // its next open; cut first, the file is two whole lines.
    expect(await s.checkpoints()).toEqual([cp(1), cp(3)]);
    expect(await readFile(file, 'utf8')).toBe(`${JSON.stringify(cp(1))}\n${JSON.stringify(cp(3))}\n`);
    await s.close();
    // A file that is nothing but a torn line is emptied first.
    await writeFile(file, '{"tenant":"t","tree_si');
    const s2 = await NodeAuditStore.open(dir);
    await s2.appendCheckpoint(cp(4));
    expect(await readFile(file, 'utf8')).toBe(`${JSON.stringify(cp(4))}\n`);
    await s2.close();
  });

  it('keeps a whole checkpoint that only lacks its newline (it was signed and written), and completes the line', async () => {
    const s = await NodeAuditStore.open(dir);
    await s.appendCheckpoint(cp(1));
    await s.appendCheckpoint(cp(2));
    const file = join(dir, 'checkpoints.jsonl');
    await writeFile(file, (await readFile(file, 'utf8')).slice(0, -1));
    // Skipped as torn, the newest checkpoint would no longer hold the log to what it signed.
    expect(await s.checkpoints()).toEqual([cp(1), cp(2)]);
    await s.appendCheckpoint(cp(3));
    expect(await readFile(file, 'utf8')).toBe([cp(1), cp(2), cp(3)].map((c) => JSON.stringify(c) + '\n').join(''));
    await s.close();
  });

  it('names the file and line of a damaged checkpoint, and cuts nothing while it cannot read them', async () => {
    const s = await NodeAuditStore.open(dir);
    await s.append(['{"a":1}']);
    await s.close();
    const cps = join(dir, 'checkpoints.jsonl');
    await writeFile(cps, '{"tenant":"t","tree_size":"1"}\n');
    const s2 = await NodeAuditStore.open(dir);
    await expect(s2.checkpoints()).rejects.toThrow(`\`${cps}\` line 1: not a checkpoint (SPEC §6 fields)`);
    // A member twice is read strictly, as the log's lines are (a review, 11-29).
    await writeFile(cps, `{"tenant":"x",${JSON.stringify(cp(1)).slice(1)}\n`);
    await expect(s2.checkpoints()).rejects.toThrow(`\`${cps}\` line 1: not strict JSON: duplicate key \`tenant\``);
    await s2.close();
    await writeFile(cps, 'garbage\n');
    await appendFile(join(dir, 'log.jsonl'), '{"a":2');
    await expect(NodeAuditStore.open(dir)).rejects.toThrow('its checkpoints cannot be read, so nothing was cut');
    expect(await readFile(join(dir, 'log.jsonl'), 'utf8')).toBe('{"a":1}\n{"a":2');
  });

  // A review (11-29): a checkpoint is kept for each request that finds the log grown; the file
  // was read as one string and every line held, and past 512 MiB the log never opened again.
  it('reads a long checkpoints file line by line, holding the newest, each key\'s newest and another tenant\'s first', async () => {
    const s = await NodeAuditStore.open(dir);
    const kid = (c: Checkpoint, k: string, tenant = 't'): Checkpoint => ({ ...c, kid: k, tenant });
    const lines: (Checkpoint | string)[] = [kid(cp(1), 'other', 'u'), kid(cp(2), 'old'), kid(cp(3), 'old')];
    for (let n = 4; n < HELD_CHECKPOINTS + 2_000; n++) lines.push(cp(n));
    lines.push(`{"tenant":"t","tree_size":99,"root_h`); // torn: set apart
    await writeFile(join(dir, 'checkpoints.jsonl'), lines.map((c) => (typeof c === 'string' ? c : JSON.stringify(c) + '\n')).join(''));
    const held = await s.checkpoints();
    // In file order: the first line of each of the first two tenants, `old`'s newest, the newest.
    expect(held.length).toBe(HELD_CHECKPOINTS + 3);
    expect(held.slice(0, 3)).toEqual([kid(cp(1), 'other', 'u'), kid(cp(2), 'old'), kid(cp(3), 'old')]);
    expect(held[3]).toEqual(cp(2_000));
    expect(held[held.length - 1]).toEqual(cp(HELD_CHECKPOINTS + 1_999));
    expect(await s.tornCheckpoint?.()).toMatchObject({ tree_size: 99 });
    await s.close();
  });

  it('reads lines back across offset pages, appended and after reopening', async () => {
    const lines = Array.from({ length: 8200 }, (_, i) => JSON.stringify(entry(i)));
    const s = await NodeAuditStore.open(dir, { fsync: 'never' });
    await s.append(lines);
    expect(await all(s.read(8188, 6))).toEqual(lines.slice(8188, 8194));
    await s.close();
    const s2 = await NodeAuditStore.open(dir, { fsync: 'never' });
    expect(await all(s2.read(8190, 3))).toEqual(lines.slice(8190, 8193));
    expect(await all(s2.read(8195, 100))).toEqual(lines.slice(8195));
    await s2.close();
  });

  it('reads any range exactly, across the marks every 256 lines, with multi-byte text', async () => {
    const lines = Array.from({ length: 1000 }, (_, i) => JSON.stringify({ i, t: 'é€😀'.repeat(i % 7) }));
    const s = await NodeAuditStore.open(dir, { fsync: 'never' });
    await s.append(lines.slice(0, 600));
    await s.append(lines.slice(600));
    for (const [from, count] of [[0, 1], [255, 2], [256, 256], [511, 1], [250, 600], [999, 5], [1000, 3], [0, 1000]]) {
      expect(await all(s.read(from, count)), `read(${from}, ${count})`).toEqual(lines.slice(from, from + count));
    }
    await fc.assert(fc.asyncProperty(fc.nat(1010), fc.nat(700), async (from, count) => {
      expect(await all(s.read(from, count))).toEqual(lines.slice(from, from + count));
    }), { numRuns: 100 });
    await s.close();
  });

  it('refuses damage before the tail', async () => {
    await writeFile(join(dir, 'log.jsonl'), '{"a":1}\nnot json\n{"a":3}\n');
    await expect(AuditLog.open('t', await NodeAuditStore.open(dir))).rejects.toThrow('tenant `t`: stored entry 2 (line 2 of its log) is not JSON');
  });

  it.skipIf(!existsSync('/dev/full'))('fails closed when a write fails', async () => {
    // The log's open file swapped for /dev/full: every write(2) fails with ENOSPC, as on a full disk.
    const s = await NodeAuditStore.open(dir);
    const inner = s as unknown as { fh: FileHandle };
    await inner.fh.close();
    inner.fh = await open('/dev/full', 'a+');
    await expect(s.append(['{"a":1}'])).rejects.toThrow(/audit file write failed in .*ENOSPC/);
    await expect(s.append(['{"a":2}'])).rejects.toThrow(/ENOSPC/);
  });

  it.skipIf(!existsSync('/dev/full'))('refuses a log that is no file (a device, a FIFO) when it opens', async () => {
    // A FIFO there opened and failed its first write with a bare EINVAL (11-29).
    await symlink('/dev/full', join(dir, 'log.jsonl'));
    await expect(NodeAuditStore.open(dir)).rejects.toThrow(`\`${join(dir, 'log.jsonl')}\` is a device, not a file; remove it`);
  });

  it('fails closed when fdatasync fails, and accepts nothing after', async () => {
    const s = await NodeAuditStore.open(dir);
    const fh = (s as unknown as { fh: { datasync: () => Promise<void> } }).fh;
    fh.datasync = () => Promise.reject(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }));
    await expect(s.append(['{"a":1}'])).rejects.toThrow(/audit file write failed in .*EIO/);
    await expect(s.append(['{"a":2}'])).rejects.toThrow(/EIO/);
  });

  it('opened again after a failed sync, keeps only what was answered: the unsynced bytes are cut', async () => {
    // What a failed write or sync left in the page cache reads back as if it were on disk; a
    // reopened log used to count it and append after it (a review lost answered decisions so).
    const factory = new NodeAuditStoreFactory(dir, { fsync: 'always' });
    const first = await factory.open('t');
    await first.append(['{"n":1}']);
    failSyncs(first);
    await expect(first.append(['{"n":2}', '{"n":3}'])).rejects.toThrow(/EIO/);
    await first.close();
    const file = join(dir, 'audit', 't', 'log.jsonl');
    expect(readFileSync(file, 'utf8')).toBe('{"n":1}\n{"n":2}\n{"n":3}\n'); // written, never synced, never answered
    const again = await factory.open('t');
    expect(await all(again.load())).toEqual(['{"n":1}']);
    expect(readFileSync(file, 'utf8')).toBe('{"n":1}\n');
    await again.append(['{"n":4}']);
    expect(await all(again.load())).toEqual(['{"n":1}', '{"n":4}']);
    await again.close();
  });

  it('a log file removed or moved away under it: refused, and what it answered written back to its path', async () => {
    // Until 11-27 checks were answered into the deleted file and all lost at the next start.
    for (const away of [(f: string) => rm(f), (f: string) => rename(f, `${f}.moved`)]) {
      const base = await mkdtemp(join(dir, 'gone-'));
      const factory = new NodeAuditStoreFactory(base, { fsync: 'always' });
      const s = await factory.open('t');
      await s.append(['{"n":1}', '{"n":2}']);
      const file = join(base, 'audit', 't', 'log.jsonl');
      await away(file);
      await s.append(['{"n":3}']); // answered in the half second before it is noticed: kept too
      await new Promise((r) => setTimeout(r, 1200)); // looked for twice a second
      await expect(s.append(['{"n":4}'])).rejects.toThrow(/was removed or replaced while the server ran/);
      await s.close(); // waits for the bytes to be written back
      expect(readFileSync(file, 'utf8')).toBe('{"n":1}\n{"n":2}\n{"n":3}\n');
      const again = await factory.open('t');
      expect(await all(again.load())).toEqual(['{"n":1}', '{"n":2}', '{"n":3}']);
      await again.close();
    }
  });

  // A fault-injection review (11-29): `sed -i` on the log under load; the copy of what the server
  // answered went beside it, and the next start opened the shorter file and served on (596 of
  // 1 977 answered decisions missing, `mge audit verify` passing).
  it('a log replaced by a file that lacks what it answered is not opened while the copy stands beside it', async () => {
    const factory = new NodeAuditStoreFactory(dir, { fsync: 'always' });
    const s = await factory.open('t');
    await s.append(['{"n":1}']);
    const file = join(dir, 'audit', 't', 'log.jsonl');
    await writeFile(`${file}.new`, readFileSync(file, 'utf8')); // `sed -i`: the content then, renamed over it
    await rename(`${file}.new`, file);
    await s.append(['{"n":2}']); // answered before the swap is seen
    await new Promise((r) => setTimeout(r, 1200));
    await s.close();
    const copies = (await readdir(join(dir, 'audit', 't'))).filter((n) => n.startsWith('log.jsonl.restored-'));
    expect(copies).toHaveLength(1);
    expect(readFileSync(join(dir, 'audit', 't', copies[0]), 'utf8')).toBe('{"n":1}\n{"n":2}\n');
    const refused = new RegExp(`beside the audit log \`.*log\.jsonl\` stands \`${copies[0]}\`: the log was replaced while a server ran`);
    await expect(new NodeAuditStoreFactory(dir).open('t')).rejects.toThrow(refused); // the next start
    // The operator's choice: the copy put in place.
    await rename(join(dir, 'audit', 't', copies[0]), file);
    const again = await new NodeAuditStoreFactory(dir).open('t');
    expect(await all(again.load())).toEqual(['{"n":1}', '{"n":2}']);
    await again.close();
  });

  it('a log cut short in place is refused at once, and not opened while the note says so', async () => {
    const factory = new NodeAuditStoreFactory(dir, { fsync: 'always' });
    const s = await factory.open('t');
    await s.append(['{"n":1}', '{"n":2}']);
    const file = join(dir, 'audit', 't', 'log.jsonl');
    const fh = await open(file, 'r+');
    await fh.truncate(0); // logrotate's copytruncate
    await fh.close();
    await new Promise((r) => setTimeout(r, 1200));
    await expect(s.append(['{"n":3}'])).rejects.toThrow(/was cut short in place while the server ran \(0 of the 16 bytes written are left\): answered decisions are gone from it/);
    await s.close();
    const notes = (await readdir(join(dir, 'audit', 't'))).filter((n) => n.startsWith('log.jsonl.cut-'));
    expect(notes).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(dir, 'audit', 't', notes[0]), 'utf8'))).toMatchObject({ answered_bytes: 16, found: 'cut short in place while the server ran (0 of the 16 bytes written are left)' });
    await expect(new NodeAuditStoreFactory(dir).open('t')).rejects.toThrow(/was cut short or overwritten in place while a server ran, and decisions it answered are gone from it \(the note says how\); put it back from a backup/);
    await writeFile(file, '{"n":1}\n{"n":2}\n'); // put back, then the note removed
    await rm(join(dir, 'audit', 't', notes[0]));
    const again = await new NodeAuditStoreFactory(dir).open('t');
    expect(await all(again.load())).toEqual(['{"n":1}', '{"n":2}']);
    await again.close();
  });

  // A re-review (11-29): `cp other/log.jsonl log.jsonl` keeps the inode, and a longer file its
  // size too; the server answered on into another server's log.
  it('a log overwritten or added to in place is refused too: its length and last written bytes are looked at', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['same length', '{"m":1}\n{"m":2}\n', /was overwritten in place while the server ran \(the last bytes it wrote are no longer there\): answered decisions are gone from it/],
      ['longer', '{"m":1}\n{"m":2}\n{"m":3}\n', /was added to in place while the server ran \(24 bytes where it wrote 16\)/],
      ['appended', '{"n":1}\n{"n":2}\n{"x":1}\n', /was added to in place while the server ran \(24 bytes where it wrote 16\)/],
    ];
    for (const [what, text, refused] of cases) {
      const base = await mkdtemp(join(dir, 'inplace-'));
      const s = await new NodeAuditStoreFactory(base, { fsync: 'always' }).open('t');
      await s.append(['{"n":1}', '{"n":2}']);
      const file = join(base, 'audit', 't', 'log.jsonl');
      await writeFile(file, text); // in place (truncate, then write): the same inode
      await new Promise((r) => setTimeout(r, 1200));
      await expect(s.append(['{"n":3}']), what).rejects.toThrow(refused);
      await s.close();
      expect((await readdir(join(base, 'audit', 't'))).filter((n) => n.startsWith('log.jsonl.cut-')), what).toHaveLength(1);
      await expect(new NodeAuditStoreFactory(base).open('t'), what).rejects.toThrow(/cut short or overwritten in place/);
    }
  });

  // A re-review (11-29): with slow syncs filling the thread pool, the look's read-back waited
  // behind them, overlapping looks compared one look's bytes with another's, and healthy logs
  // were noted as overwritten (their tenants refused until an operator stepped in).
  it('no false change under slow syncs that fill the thread pool, many tenants appending', async () => {
    const TENANTS = ['a', 'b', 'c', 'd', 'e', 'f'];
    const factory = new NodeAuditStoreFactory(dir, { fsync: 'always' });
    const stores = await Promise.all(TENANTS.map((t) => factory.open(t)));
    for (const s of stores) {
      const fh = (s as unknown as { fh: { datasync: () => Promise<void> } }).fh;
      const sync = fh.datasync.bind(fh);
      // ~100 ms of the pool's time each, as a slow disk's sync takes.
      fh.datasync = async () => { await new Promise((r) => pbkdf2('x', 'y', 60_000, 32, 'sha256', r)); return sync(); };
    }
    const until = Date.now() + 2500;
    await Promise.all(stores.map(async (s, i) => {
      for (let n = 0; Date.now() < until; n++) await s.append([`{"t":${i},"n":${n},"pad":"${'x'.repeat(n % 97)}"}`]);
    }));
    for (const s of stores) await s.close();
    for (const t of TENANTS) expect(await readdir(join(dir, 'audit', t)), t).toEqual(['log.jsonl']);
  }, 20_000);

  it('last bytes that cannot be read back (the store closed its file meanwhile) are not taken for an overwrite', async () => {
    const s = await new NodeAuditStoreFactory(dir, { fsync: 'always' }).open('t');
    await s.append(['{"n":1}']);
    const fh = (s as unknown as { fh: FileHandle }).fh;
    expect(await endsWithText(fh, 8, '{"n":1}\n')).toBe(true);
    expect(await endsWithText(fh, 8, '{"n":2}\n')).toBe(false);
    await s.close();
    expect(await endsWithText(fh, 8, '{"n":2}\n')).toBe(true);
    expect((await readdir(join(dir, 'audit', 't'))).filter((n) => n.includes('.cut-'))).toEqual([]);
  });

  // A re-review (11-29): under load the bytes answered lag a sync behind the bytes written, and
  // a cut smaller than the group being synced went unseen until the load paused.
  it('a cut smaller than the group being synced is seen, and that group is refused, not answered', async () => {
    const factory = new NodeAuditStoreFactory(dir, { fsync: 'always' });
    const s = await factory.open('t');
    await s.append(['{"n":1}']);
    const fh = (s as unknown as { fh: { datasync: () => Promise<void> } }).fh;
    const sync = fh.datasync.bind(fh);
    fh.datasync = async () => { await new Promise((r) => setTimeout(r, 1500)); return sync(); };
    const group = s.append(['{"n":2}', '{"n":3}', '{"n":4}', '{"n":5}']); // written at once, synced slowly
    const settled = group.then(() => 'answered', (err: Error) => err.message);
    await new Promise((r) => setTimeout(r, 50));
    const file = join(dir, 'audit', 't', 'log.jsonl');
    const cut = await open(file, 'r+');
    await cut.truncate(30); // 10 of the group's 32 bytes: still past the 8 answered
    await cut.close();
    expect(await settled).toMatch(/was cut short in place while the server ran \(30 of the 40 bytes written are left\)/);
    await s.close();
  });

  it("a write-back's copy a crash left beside the log is removed when the log is first opened, nothing else", async () => {
    const tenantDir = join(dir, 'audit', 't');
    await mkdir(tenantDir, { recursive: true });
    await writeFile(join(tenantDir, 'log.jsonl'), '{"n":1}\n');
    const left = ['log.jsonl.1.0a1b2c3d4e5f.tmp', `log.jsonl.${process.pid}.abcdefabcdef.tmp`];
    for (const name of left) await writeFile(join(tenantDir, name), '{"n":1}\n'.repeat(1000));
    const mine = ['notes.tmp', 'log.jsonl.backup.tmp', 'log.jsonl.1.abc.tmp'];
    for (const name of mine) await writeFile(join(tenantDir, name), 'mine');
    const factory = new NodeAuditStoreFactory(dir, { fsync: 'always' });
    const s = await factory.open('t');
    expect((await readdir(tenantDir)).sort()).toEqual(['log.jsonl', ...mine].sort());
    expect(await all(s.load())).toEqual(['{"n":1}']);
    await s.close();
  });

  it('writes a removed log back also when its directory went too, when removed again, or just before close', async () => {
    const lines = ['{"n":1}', '{"n":2}'];
    const cases: Array<[string, (file: string) => Promise<void>]> = [
      ['directory removed', (f) => rm(join(f, '..'), { recursive: true })],
      ['removed twice', async (f) => { await rm(f); await new Promise((r) => setTimeout(r, 1200)); await rm(f); }],
      ['removed right before close', (f) => rm(f)],
    ];
    for (const [what, away] of cases) {
      const base = await mkdtemp(join(dir, 'again-'));
      const factory = new NodeAuditStoreFactory(base, { fsync: 'always' });
      const s = await factory.open('t');
      await s.append(lines);
      const file = join(base, 'audit', 't', 'log.jsonl');
      await away(file);
      if (what !== 'removed right before close') await new Promise((r) => setTimeout(r, 1200));
      await s.close();
      expect(readFileSync(file, 'utf8'), what).toBe('{"n":1}\n{"n":2}\n');
    }
  });

  it('after a failure, cuts only its own file: one that took the name meanwhile is left whole', async () => {
    const factory = new NodeAuditStoreFactory(dir, { fsync: 'always' });
    const first = await factory.open('t');
    await first.append(['{"n":1}']);
    failSyncs(first);
    await expect(first.append(['{"n":2}'])).rejects.toThrow(/EIO/);
    const file = join(dir, 'audit', 't', 'log.jsonl');
    // An editor's save: a new file renamed over the log (no checkpoint covers it: read as it is).
    await writeFile(`${file}.new`, '{"n":1}\n{"n":7}\n{"n":8}\n');
    await rename(`${file}.new`, file);
    await first.close();
    const again = await factory.open('t');
    expect(await all(again.load())).toEqual(['{"n":1}', '{"n":7}', '{"n":8}']);
    await again.close();
  });

  it('fsync=always: an append resolves only after a sync that started once its bytes were in the file; one sync per group', async () => {
    const s = await NodeAuditStore.open(dir);
    const file = join(dir, 'log.jsonl');
    const fh = (s as unknown as { fh: { datasync: () => Promise<void> } }).fh;
    const original = fh.datasync.bind(fh);
    const syncedUpTo: number[] = []; // file size when each sync started
    let release: () => void = () => undefined;
    let gate = new Promise<void>((r) => (release = r));
    fh.datasync = async () => {
      syncedUpTo.push(statSync(file).size);
      await gate; // held open, so later appends arrive while it is in flight
      return original();
    };
    const resolved: number[] = [];
    const line = (i: number): string => JSON.stringify({ i, pad: 'x'.repeat(40) });
    const first = s.append([line(0)]).then(() => resolved.push(0));
    await new Promise((r) => setImmediate(r));
    expect(syncedUpTo).toHaveLength(1); // the first sync started and is held
    const later = [1, 2, 3].map((i) => s.append([line(i)]).then(() => resolved.push(i)));
    await new Promise((r) => setImmediate(r));
    // Queued behind the sync in flight (it began before them): neither written nor answered.
    expect(readFileSync(file, 'utf8').trimEnd().split('\n')).toHaveLength(1);
    expect(resolved).toEqual([]);
    const gateOne = release;
    gate = new Promise<void>((r) => (release = r));
    gateOne();
    await first;
    expect(resolved).toEqual([0]);
    // Then all three are written at once, and one more sync covers them.
    release();
    await Promise.all(later);
    expect(syncedUpTo).toEqual([syncedUpTo[0], statSync(file).size]);
    expect(resolved).toEqual([0, 1, 2, 3]);
    await s.close();
  });

  it('fsync=never: no sync, and the bytes are in the file when an append resolves', async () => {
    const s = await NodeAuditStore.open(dir, { fsync: 'never' });
    const fh = (s as unknown as { fh: { datasync: () => Promise<void> } }).fh;
    fh.datasync = () => Promise.reject(new Error('fdatasync must not be called'));
    await Promise.all([s.append(['{"a":1}']), s.append(['{"a":2}', '{"a":3}'])]);
    expect(await readFile(join(dir, 'log.jsonl'), 'utf8')).toBe('{"a":1}\n{"a":2}\n{"a":3}\n');
    await s.close();
  });

  it('refuses a line holding a newline without queueing any line of that call', async () => {
    const s = await NodeAuditStore.open(dir);
    await expect(s.append(['{"a":1}', '{"a":\n2}'])).rejects.toThrow('an audit line must not contain a newline');
    await s.append(['{"a":3}']);
    expect(await all(s.load())).toEqual(['{"a":3}']);
    await s.close();
    expect(await readFile(join(dir, 'log.jsonl'), 'utf8')).toBe('{"a":3}\n');
  });

  it('one directory per tenant, named reversibly', async () => {
    for (const t of ['acme', 'a.b', '..', '../x', 'a/b', '', 'é', '%41']) {
      const name = tenantDirName(t);
      expect(name).toMatch(/^[A-Za-z0-9_%-][A-Za-z0-9_.%-]*$/);
      expect(tenantFromDirName(name)).toBe(t);
    }
    const logs = new AuditLogs(new NodeAuditStoreFactory(dir), { backend: nodeCryptoBackend });
    await (await logs.get('acme')).append(entry(1, 'acme'));
    await (await logs.get('../evil')).append(entry(2, '../evil'));
    expect(await logs.tenants()).toEqual(['../evil', 'acme']);
    await logs.close();
    expect(await new NodeAuditStoreFactory(dir).tenants()).toEqual(['../evil', 'acme']);
  });
});

describe('scanLines', () => {
  it('yields every line with its offset, and a tail without newline apart, whatever the read size', async () => {
    const { open } = await import('node:fs/promises');
    const { scanLines } = await import('../../src/adapters/node/line-scan.js');
    const text = fc.stringMatching(/^[a-zé€😀 ]{0,40}$/u);
    await fc.assert(fc.asyncProperty(fc.array(text, { maxLength: 12 }), fc.option(text, { nil: undefined }), fc.integer({ min: 1, max: 64 }), async (lines, tail, chunk) => {
      const file = join(dir, 'scan.jsonl');
      const body = lines.map((l) => `${l}\n`).join('') + (tail ?? '');
      await writeFile(file, body);
      const bytes = Buffer.from(body);
      const fh = await open(file, 'r');
      try {
        const seen = [];
        for await (const l of scanLines(fh, 0, bytes.length, chunk)) {
          // `bytes` are a view that the next line reuses: checked while they are current.
          expect(Buffer.from(l.bytes).toString('utf8')).toBe(l.line);
          expect(l.utf8).toBe(true);
          seen.push({ line: l.line, offset: l.offset, complete: l.complete });
        }
        const expected: { line: string; offset: number; complete: boolean }[] = [];
        let offset = 0;
        for (const l of lines) {
          expected.push({ line: l, offset, complete: true });
          offset += Buffer.byteLength(l) + 1;
        }
        if (tail) expected.push({ line: tail, offset, complete: false });
        expect(seen).toEqual(expected);
      } finally {
        await fh.close();
      }
    }), { numRuns: 300 });
  });
});

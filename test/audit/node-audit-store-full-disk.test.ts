// A removed audit log written back on a nearly full disk (src/adapters/node/log-write-back.ts):
// the write-back's file writes are cut short here, as a file system with little room does.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';

/** Bytes a write of the write-back's temporary file may take (Infinity: all; 0: none). */
let room = Infinity;
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const open = (async (...args: Parameters<typeof fs.open>) => {
    const fh = await fs.open(...args);
    if (!String(args[0]).endsWith('.tmp')) return fh;
    const write = fh.write.bind(fh) as (b: Buffer, o: number, l: number, p: number) => Promise<{ bytesWritten: number; buffer: Buffer }>;
    (fh as unknown as { write: typeof write }).write = async (b, o, l, p) => (room === 0 ? { bytesWritten: 0, buffer: b } : write(b, o, Math.min(l, room), p));
    return fh;
  }) as typeof fs.open;
  return { ...fs, open };
});
const { NodeAuditStoreFactory } = await import('../../src/adapters/node/audit-store.js');

let dir: string | undefined;
afterEach(async () => {
  room = Infinity;
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

const all = async (it: AsyncIterable<string>) => { const out: string[] = []; for await (const x of it) out.push(x); return out; };
const settle = () => new Promise((r) => setTimeout(r, 1200)); // the log is looked at twice a second

it('never takes a short copy for the whole; while it cannot write back, keeps the open file and refuses to reopen', async () => {
  // A review: a write took part of a chunk without an error, a copy cut mid-line was linked as
  // the log, and the reopen then closed the only whole copy.
  dir = await mkdtemp(join(tmpdir(), 'mge-full-'));
  const factory = new NodeAuditStoreFactory(dir, { fsync: 'never' });
  const s = await factory.open('t');
  await s.append(['{"n":1}', '{"n":2}']);
  const file = join(dir, 'audit', 't', 'log.jsonl');
  room = 0; // no room at all
  await rm(file);
  await settle();
  await expect(s.close()).rejects.toThrow(/cannot be written back yet/);
  await expect(factory.open('t')).rejects.toThrow(/still being written back/);
  expect(existsSync(file)).toBe(false);
  // A shutdown now says so (a review: it said every decision was in its log, exit 0).
  await expect(factory.close()).rejects.toThrow(/removed audit log of `t` could not be written back/);
  room = 3; // a little room each write: written whole, in pieces
  await settle();
  expect(readFileSync(file, 'utf8')).toBe('{"n":1}\n{"n":2}\n');
  room = Infinity;
  const again = await factory.open('t');
  expect(await all(again.load())).toEqual(['{"n":1}', '{"n":2}']);
  await again.close();
});

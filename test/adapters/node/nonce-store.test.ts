// `mge serve`'s used nonces on disk (src/adapters/node/nonce-store.ts): a nonce consumed before
// a restart stays consumed after it, expired ones are dropped, the file is compacted, and a
// write that fails refuses (fail closed) without freeing the nonce.

import { mkdir, mkdtemp, readdir, readFile, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NONCES_FILE, NodeNonceStore } from '../../../src/adapters/node/nonce-store.js';
import type { MemoryNonceStore } from '../../../src/state/nonce-store.js';
import { wallAtMost } from '../../../src/adapters/node/server-clock.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mge-nonces-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * A store whose file holds 101 nonces, all expired by now (the clock at 100), past a rewrite
 * threshold of 100 lines: its next write considers a rewrite. `inner.compact` can be replaced.
 */
async function pastRewriteThreshold() {
  const clock = { now: 0 };
  const store = await NodeNonceStore.open(dir, { now: () => clock.now, compactAfter: 100 });
  for (let i = 0; i < 101; i++) await store.consumeOnce('acme', `n${i}`, clock.now + 10);
  clock.now = 100;
  const inner = store as unknown as { compact: () => Promise<void> };
  return { store, inner, real: inner.compact.bind(store), clock };
}

const lines = async () => (await readFile(join(dir, NONCES_FILE), 'utf8')).trimEnd().split('\n').filter((l) => l !== '');

describe('NodeNonceStore.writeBackIfGone', () => {
  it('writes a removed or emptied file back with the live nonces, and lets verifications queued meanwhile through', async () => {
    const now = 1_000_000;
    const store = await NodeNonceStore.open(dir, { now: () => now });
    expect(await store.consumeOnce('acme', 'n1', now + 65_000)).toBe('ok');
    expect(await store.writeBackIfGone()).toBe(false); // intact: nothing to do
    await rm(join(dir, NONCES_FILE));
    const [wrote, second] = await Promise.all([store.writeBackIfGone(), store.consumeOnce('acme', 'n2', now + 65_000)]);
    expect([wrote, second]).toEqual([true, 'ok']);
    await truncate(join(dir, NONCES_FILE), 0);
    expect(await store.writeBackIfGone()).toBe(true);
    expect(await store.consumeOnce('acme', 'n3', now + 65_000)).toBe('ok');
    const reopened = await NodeNonceStore.open(dir, { now: () => now });
    for (const n of ['n1', 'n2', 'n3']) expect(await reopened.consumeOnce('acme', n, now + 65_000)).toBe('replayed');
    await store.close();
    await reopened.close();
  });

  // A re-review (11-29): `cp backup nonces.jsonl` (the same inode, as long or longer) was not
  // seen, and after a crash every receipt verified before it verified again.
  it('writes back a file copied over in place, as long as it or longer', async () => {
    const now = 1_000_000;
    const store = await NodeNonceStore.open(dir, { now: () => now });
    expect(await store.consumeOnce('acme', 'n1', now + 65_000)).toBe('ok');
    const file = join(dir, NONCES_FILE);
    const before = await readFile(file, 'utf8');
    await writeFile(file, before.replace('n1', 'x1') + before.replace('n1', 'x2')); // in place: truncate, then write
    expect(await store.writeBackIfGone()).toBe(true);
    const reopened = await NodeNonceStore.open(dir, { now: () => now });
    expect(await reopened.consumeOnce('acme', 'n1', now + 65_000)).toBe('replayed');
    await reopened.close();
    await writeFile(file, before.replace('n1', 'x3')); // the same length, at the stop
    await store.close();
    const again = await NodeNonceStore.open(dir, { now: () => now });
    expect(await again.consumeOnce('acme', 'n1', now + 65_000)).toBe('replayed');
    await again.close();
  });

  it('does nothing once the store is closed (the stop\'s last look of the kept files comes after the close)', async () => {
    // A re-review (11-29): every clean stop logged an error, the look failing on a closed file.
    const store = await NodeNonceStore.open(dir, { now: () => 0 });
    expect(await store.consumeOnce('acme', 'n1', 65_000)).toBe('ok');
    await store.close();
    await rm(join(dir, NONCES_FILE));
    expect(await store.writeBackIfGone()).toBe(false);
  });
});

describe('NodeNonceStore', () => {
  it('remembers a consumed nonce across a restart, per tenant, until it expires', async () => {
    let now = 1_000_000;
    const first = await NodeNonceStore.open(dir, { now: () => now });
    expect(await first.consumeOnce('acme', 'n1', now + 65_000)).toBe('ok');
    expect(await first.consumeOnce('acme', 'n2', now + 1_000)).toBe('ok');
    expect(await first.consumeOnce('acme', 'n1', now + 65_000)).toBe('replayed');
    await first.close();

    now += 2_000; // n2 has expired, n1 has not
    const second = await NodeNonceStore.open(dir, { now: () => now });
    expect(await second.consumeOnce('acme', 'n1', now + 65_000)).toBe('replayed');
    expect(await second.consumeOnce('globex', 'n1', now + 65_000)).toBe('ok'); // another tenant's
    await second.close();
    // The start kept only the live nonce, then the latest expiry it left out; the appends follow.
    expect((await lines()).map((l) => JSON.parse(l) as { t: string; n: string })).toEqual([
      { e: 1_065_000, n: 'n1', t: 'acme' },
      { w: 1_001_000 },
      { e: 1_067_000, n: 'n1', t: 'globex' },
    ]);
  });

  // A review (11-28): after `rm nonces.jsonl` (or `rm -rf data`) the store kept appending to the
  // removed file, and every receipt verified until the restart verified again after it.
  it('writes its live nonces back when its file (or the whole data directory) is removed under it', async () => {
    const now = 1_000_000;
    const data = join(dir, 'data');
    await mkdir(data);
    const first = await NodeNonceStore.open(data, { now: () => now });
    expect(await first.consumeOnce('acme', 'before', now + 65_000)).toBe('ok');
    await rm(join(data, NONCES_FILE));
    expect(await first.consumeOnce('acme', 'after-file', now + 65_000)).toBe('ok');
    await rm(data, { recursive: true });
    expect(await first.consumeOnce('acme', 'after-dir', now + 65_000)).toBe('ok');
    await rename(join(data, NONCES_FILE), join(data, 'nonces.moved')); // moved away: a re-review
    expect(await first.consumeOnce('acme', 'after-move', now + 65_000)).toBe('ok');
    await rm(data, { recursive: true }); // and removed again, with no verify before the stop
    await first.close();
    const second = await NodeNonceStore.open(data, { now: () => now });
    for (const n of ['before', 'after-file', 'after-dir', 'after-move']) expect(await second.consumeOnce('acme', n, now + 65_000), n).toBe('replayed');
    // A write-back that fails at the stop is told, not dropped in silence (a re-review).
    await rm(join(data, NONCES_FILE));
    (second as unknown as { compact: () => Promise<void> }).compact = () => Promise.reject(new Error('disk full'));
    const lost: unknown[] = [];
    await second.close((err) => lost.push(err));
    expect(lost).toEqual([new Error('disk full')]);
  });

  it('writes its live nonces back when its file is emptied in place (`: > nonces.jsonl`)', async () => {
    const now = 1_000_000;
    const first = await NodeNonceStore.open(dir, { now: () => now });
    expect(await first.consumeOnce('acme', 'before', now + 65_000)).toBe('ok');
    await truncate(join(dir, NONCES_FILE), 0);
    expect(await first.consumeOnce('acme', 'after-cut', now + 65_000)).toBe('ok');
    await first.close();
    const second = await NodeNonceStore.open(dir, { now: () => now });
    for (const n of ['before', 'after-cut']) expect(await second.consumeOnce('acme', n, now + 65_000), n).toBe('replayed');
    await second.close();
  });

  it('keeps a nonce read back for the skew it is opened with longer (a restart that allows more skew is no replay window)', async () => {
    let now = 1_000_000;
    const first = await NodeNonceStore.open(dir, { now: () => now, skewMs: 0 });
    expect(await first.consumeOnce('acme', 'n1', now + 1_000)).toBe('ok'); // kept until its receipt's expiry + 0 s of skew
    await first.close();
    now += 3_000; // past what the first run kept it for; within a 5 s skew of that expiry
    const wider = await NodeNonceStore.open(dir, { now: () => now, skewMs: 5_000 });
    expect(await wider.consumeOnce('acme', 'n1', now + 5_000)).toBe('replayed');
    await wider.close();
    now += 3_001; // past that skew too (1 s + 5 s after the first check): forgotten, the line written once
    const later = await NodeNonceStore.open(dir, { now: () => now, skewMs: 5_000 });
    expect(await later.consumeOnce('acme', 'n1', now + 1_000)).toBe('ok');
    await later.close();
  });

  // A review (11-29): a clock stepped forward (or a start on a clock ahead) dropped the used
  // nonces as expired; set back, their receipts were unexpired again and verified a second time.
  it('refuses the receipts of nonces it dropped after the clock is set back, in the run and after a restart', async () => {
    const real = 1_000_000;
    let now = real;
    const store = await NodeNonceStore.open(dir, { now: () => now, skewMs: 5_000 });
    expect(await store.consumeOnce('acme', 'used', real + 65_000)).toBe('ok');
    now = real + 3_600_000; // an hour ahead: a verification drops it
    expect(await store.consumeOnce('acme', 'other', now + 65_000)).toBe('ok');
    now = real + 1_000; // set back
    expect(store.forgetClock()).toBeGreaterThan(real + 65_000); // verifyReceipt: `expired`, not a second use
    await store.close();

    // Used, stopped, started on a clock an hour ahead (the line is not loaded), then corrected.
    now = real;
    const before = await NodeNonceStore.open(dir, { now: () => now, skewMs: 5_000 });
    expect(await before.consumeOnce('acme', 'once', real + 70_000)).toBe('ok');
    await before.close();
    now = real + 3_600_000;
    await (await NodeNonceStore.open(dir, { now: () => now, skewMs: 5_000 })).close();
    now = real + 6_000;
    const corrected = await NodeNonceStore.open(dir, { now: () => now, skewMs: 5_000 });
    expect(corrected.forgetClock()).toBeGreaterThan(real + 70_000);
    // A receipt of the same life issued after the correction (by more than the skew) expires
    // later than anything dropped: not refused.
    expect(corrected.forgetClock()).toBeLessThan(now + 70_000);
    await corrected.close();
  });

  // A review (11-29): a rewrite built one string of every live nonce on the event loop: 1.7 s
  // with every tenant's checks held, at the million-nonce cap.
  it('rewrites a large file a chunk at a time, letting the event loop turn between chunks', async () => {
    const now = 1_000_000;
    const store = await NodeNonceStore.open(dir, { now: () => now });
    const inner = store as unknown as { memory: MemoryNonceStore; compact: () => Promise<void> };
    for (let i = 0; i < 60_000; i++) await inner.memory.consumeOnce('acme', `nonce-${i}-${'x'.repeat(24)}`, now + 65_000);
    const real = inner.memory.entries.bind(inner.memory);
    let turned = false;
    let afterATurn = 0;
    inner.memory.entries = function* () {
      setImmediate(() => void (turned = true));
      for (const e of real()) {
        if (turned) afterATurn++;
        yield e;
      }
    };
    await inner.compact();
    expect(afterATurn).toBeGreaterThan(0);
    expect(await lines()).toHaveLength(60_000);
    await store.close();
  });

  // A re-review (11-29): the mark held expiries plus the 5 s skew of the run that wrote them;
  // restarted with 60 s and the clock set back, a receipt used under 5 s verified again.
  it('counts the mark with this run\'s skew, which may be larger than the one that wrote it', async () => {
    const exp = 1_000_000;
    let now = exp - 30_000;
    const first = await NodeNonceStore.open(dir, { now: () => now, skewMs: 5_000 });
    expect(await first.consumeOnce('acme', 'used', exp + 5_000)).toBe('ok'); // verifyReceipt's expiry + skew
    await first.close();
    now = exp + 66_000; // started past expiry + the new skew: the line is not loaded
    const second = await NodeNonceStore.open(dir, { now: () => now, skewMs: 60_000 });
    now = exp + 30_000; // set back: within the receipt's expiry + 60 s
    expect(second.forgetClock()).toBeGreaterThan(exp + 60_000); // `expired`, not valid twice
    await second.close();
    await writeFile(join(dir, NONCES_FILE), '{"w":1e400}\n');
    const odd = await NodeNonceStore.open(dir, { now: () => now, skewMs: 60_000 });
    expect(Number.isFinite(odd.forgetClock())).toBe(true);
    await odd.close();
  });

  // A re-review (11-29): a clock an hour ahead dropped the nonces of the receipts issued on it,
  // and the mark of them then refused every receipt issued after the correction for the hour.
  it('drops no nonce early when the wall clock steps ahead (wallAtMost), so a correction refuses nothing new', async () => {
    let wall = 1_000_000;
    let steady = 50;
    const store = await NodeNonceStore.open(dir, { now: wallAtMost(() => wall, () => steady), skewMs: 5_000 });
    wall += 3_600_000; // an hour ahead, no time passed
    expect(await store.consumeOnce('acme', 'ahead', wall + 65_000)).toBe('ok'); // a receipt issued on the ahead clock
    wall += 120_000;
    steady += 120_000; // two minutes on
    expect(await store.consumeOnce('acme', 'later', wall + 65_000)).toBe('ok'); // by the wall clock alone, 'ahead' was dropped here
    expect(await store.consumeOnce('acme', 'ahead', wall - 120_000 + 65_000)).toBe('replayed');
    wall -= 3_600_000; // corrected
    expect(store.forgetClock()).toBeLessThanOrEqual(wall); // a receipt issued now is not refused
    await store.close();
  });

  it('takes a torn last line (a crash mid-write: that verify was never answered) as absent', async () => {
    await writeFile(join(dir, NONCES_FILE), `${JSON.stringify({ e: Date.now() + 60_000, n: 'kept', t: 'acme' })}\n{"e":17`);
    const store = await NodeNonceStore.open(dir);
    expect(await store.consumeOnce('acme', 'kept', Date.now() + 60_000)).toBe('replayed');
    await store.close();
  });

  it('compacts the file once it holds far more lines than live nonces', async () => {
    let now = 0;
    const store = await NodeNonceStore.open(dir, { now: () => now, compactAfter: 100 });
    for (let i = 0; i < 101; i++) expect(await store.consumeOnce('acme', `n${i}`, now + 10)).toBe('ok');
    now = 100; // every one of them expired
    expect(await store.consumeOnce('acme', 'last', now + 10)).toBe('ok'); // the 102nd line: past 100, compacted
    await store.close();
    expect(await lines()).toEqual([JSON.stringify({ e: 110, n: 'last', t: 'acme' }), JSON.stringify({ w: 10 })]);
  });

  it('refuses when the nonce cannot be written, keeps it used (fail closed), and cuts a torn write back', async () => {
    const store = await NodeNonceStore.open(dir);
    expect(await store.consumeOnce('acme', 'before', Date.now() + 60_000)).toBe('ok');
    // A disk that takes part of the line, then fails: the fragment must not glue onto the next line.
    const inner = store as unknown as { fh: { appendFile: (t: string) => Promise<void> } };
    const real = inner.fh.appendFile.bind(inner.fh);
    inner.fh.appendFile = async (t: string) => {
      await real(t.slice(0, 10));
      throw new Error('ENOSPC: no space left on device');
    };
    await expect(store.consumeOnce('acme', 'n1', Date.now() + 60_000)).rejects.toThrow('ENOSPC');
    expect(await store.consumeOnce('acme', 'n1', Date.now() + 60_000)).toBe('replayed');
    inner.fh.appendFile = real;
    expect(await store.consumeOnce('acme', 'n2', Date.now() + 60_000)).toBe('ok'); // later writes go on
    // A crash now (no close): what was answered `ok` is there on the next start.
    const again = await NodeNonceStore.open(dir);
    expect(await again.consumeOnce('acme', 'before', Date.now() + 60_000)).toBe('replayed');
    expect(await again.consumeOnce('acme', 'n2', Date.now() + 60_000)).toBe('replayed');
    await again.close();
    await store.close();
  });

  it('writes the nonces queued while a sync runs with one write and one sync', async () => {
    const store = await NodeNonceStore.open(dir);
    const inner = store as unknown as { fh: { datasync: () => Promise<void> } };
    const real = inner.fh.datasync.bind(inner.fh);
    let syncs = 0;
    inner.fh.datasync = () => (syncs++, real());
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => store.consumeOnce('acme', `n${i}`, Date.now() + 60_000)));
    expect(answers).toEqual(Array(50).fill('ok'));
    expect(syncs).toBeLessThanOrEqual(2); // the first alone, then the 49 queued behind it
    await store.close();
    expect(await lines()).toHaveLength(50);
  });

  it('answers a nonce whose line was synced even when the rewrite after it fails, and leaves no temporary file', async () => {
    const { store, inner, real, clock } = await pastRewriteThreshold();
    const now = clock.now;
    inner.compact = () => Promise.reject(new Error('EMFILE: too many open files'));
    expect(await store.consumeOnce('acme', 'kept', now + 10)).toBe('ok');
    inner.compact = real;
    await store.close();
    await writeFile(join(dir, `${NONCES_FILE}.1.0a1b2c3d4e5f.tmp`), 'left by a crash mid-rewrite');
    const again = await NodeNonceStore.open(dir, { now: () => now, compactAfter: 100 });
    expect(await again.consumeOnce('acme', 'kept', now + 10)).toBe('replayed');
    await again.close();
    expect((await readdir(dir)).sort()).toEqual([NONCES_FILE]);
    expect(await lines()).toEqual([JSON.stringify({ e: 110, n: 'kept', t: 'acme' }), JSON.stringify({ w: 10 })]);
  });

  it('cuts off a torn last line at start even when the rewrite fails, so the next nonce is not glued onto it', async () => {
    const exp = Date.now() + 60_000;
    await writeFile(join(dir, NONCES_FILE), `${JSON.stringify({ e: exp, n: 'kept', t: 'acme' })}\n{"e":17`);
    const proto = NodeNonceStore.prototype as unknown as { compact: () => Promise<void> };
    const real = proto.compact;
    proto.compact = () => Promise.reject(new Error('ENOSPC: no space left on device'));
    let store: NodeNonceStore;
    try {
      store = await NodeNonceStore.open(dir);
    } finally {
      proto.compact = real;
    }
    expect(await store.consumeOnce('acme', 'victim', exp)).toBe('ok');
    const again = await NodeNonceStore.open(dir); // a crash: no close
    expect(await again.consumeOnce('acme', 'victim', exp)).toBe('replayed');
    expect(await again.consumeOnce('acme', 'kept', exp)).toBe('replayed');
    await again.close();
    await store.close();
  });

  it('tries a failed rewrite again only once the file has doubled, not before every write', async () => {
    const { store, inner, real, clock } = await pastRewriteThreshold();
    const now = clock.now;
    let attempts = 0;
    inner.compact = () => (attempts++, Promise.reject(new Error('ENOSPC: no space left on device')));
    for (let i = 0; i < 100; i++) expect(await store.consumeOnce('acme', `m${i}`, now + 10)).toBe('ok');
    expect(attempts).toBe(1);
    inner.compact = real;
    await store.close();
  });

  it('refuses to start on a nonces file it cannot read', async () => {
    await mkdir(join(dir, NONCES_FILE)); // a directory where the file should be
    await expect(NodeNonceStore.open(dir)).rejects.toThrow(`\`${join(dir, NONCES_FILE)}\` is a directory, not a file; remove it`);
  });
});

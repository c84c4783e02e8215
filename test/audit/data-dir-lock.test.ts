import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDirLockedError, LOCK_FILE, lockDataDir, removeStaleLock, type LockLoss } from '../../src/adapters/node/data-dir-lock.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mge-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** This process's pid namespace, as a lock names it (none without /proc). */
const ours = (() => {
  try {
    return { pidns: readlinkSync('/proc/self/ns/pid') };
  } catch {
    return {};
  }
})();

/** A pid that ran and has exited (so nothing runs under it, barring reuse in the meantime). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((r) => child.once('exit', r));
  return child.pid!;
}

describe('lockDataDir', () => {
  it('holds the directory until released, refusing a second owner with who holds it', async () => {
    const lock = await lockDataDir(dir);
    const owner = JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8'));
    expect(owner).toMatchObject({ pid: process.pid, host: hostname() });
    const second = lockDataDir(dir);
    await expect(second).rejects.toThrow(DataDirLockedError);
    await expect(lockDataDir(dir)).rejects.toThrow(`is in use by process ${process.pid} on \`${hostname()}\``);
    await lock.release();
    const again = await lockDataDir(dir);
    await again.release();
  });

  it('is whole the moment it exists: of many takers at once, exactly one wins', async () => {
    // Each lock is written aside and linked in, so no taker ever reads it empty and, taking
    // the writer for gone, takes it over too.
    const tries = await Promise.allSettled(Array.from({ length: 20 }, () => lockDataDir(dir)));
    const won = tries.filter((t) => t.status === 'fulfilled');
    expect(won).toHaveLength(1);
    expect(tries.filter((t) => t.status === 'rejected').every((t) => (t as PromiseRejectedResult).reason instanceof DataDirLockedError)).toBe(true);
    expect((await readdir(dir)).sort()).toEqual([LOCK_FILE]);
    await (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof lockDataDir>>>).value.release();
  });

  it('takes over a lock whose process is gone, and a file that is not a lock', async () => {
    const pid = await deadPid();
    await writeFile(join(dir, LOCK_FILE), JSON.stringify({ pid, host: hostname(), since: '2026-01-01T00:00:00.000Z' }));
    const lock = await lockDataDir(dir);
    expect(JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    await lock.release();
    await writeFile(join(dir, LOCK_FILE), 'garbage');
    await (await lockDataDir(dir)).release();
  });

  it.skipIf(process.platform !== 'linux')('takes over a lock whose process was killed but not yet reaped (a zombie)', async () => {
    // The shell starts `sleep 0.05` and becomes `sleep 5`, which never waits: the short sleep
    // is left a zombie, which still answers signal 0.
    const parent = spawn('sh', ['-c', 'sleep 0.05 & echo $!; exec sleep 5']);
    try {
      const pid = Number(await new Promise<string>((r) => parent.stdout.once('data', (d: Buffer) => r(d.toString()))));
      for (let i = 0; i < 100 && !(await readFile(`/proc/${pid}/stat`, 'utf8')).match(/\) Z /); i++) await new Promise((r) => setTimeout(r, 20));
      expect(() => process.kill(pid, 0)).not.toThrow();
      await writeFile(join(dir, LOCK_FILE), JSON.stringify({ pid, host: hostname(), since: '2026-01-01T00:00:00.000Z' }));
      await (await lockDataDir(dir)).release();
    } finally {
      parent.kill();
    }
  });

  it('taking over a stale lock never removes a fresh one another server put there since it was read', async () => {
    const stale = JSON.stringify({ pid: await deadPid(), host: hostname(), since: '2026-01-01T00:00:00.000Z' });
    const fresh = JSON.stringify({ pid: process.pid, host: hostname(), since: 'just now' });
    // The stale lock was read; meanwhile another server took it over and wrote its own.
    await writeFile(join(dir, LOCK_FILE), fresh);
    expect(await removeStaleLock(join(dir, LOCK_FILE), stale)).toBe(false);
    expect(await readFile(join(dir, LOCK_FILE), 'utf8')).toBe(fresh); // put back
    expect(await readdir(dir)).toEqual([LOCK_FILE]); // nothing left aside
    await writeFile(join(dir, LOCK_FILE), stale);
    expect(await removeStaleLock(join(dir, LOCK_FILE), stale)).toBe(true);
    expect(await readdir(dir)).toEqual([]);
  });

  it('never takes over a lock from another host', async () => {
    await writeFile(join(dir, LOCK_FILE), JSON.stringify({ pid: await deadPid(), host: `${hostname()}-elsewhere`, since: '2026-01-01T00:00:00.000Z' }));
    await expect(lockDataDir(dir)).rejects.toThrow(DataDirLockedError);
  });

  it("takes over a lock naming this process's pid that this process did not take (a restarted container)", async () => {
    // `mge serve` as a container's pid 1, killed and restarted: the lock names pid 1, which
    // runs (it is the new server itself). Until 11-28 every restart refused, forever.
    await writeFile(join(dir, LOCK_FILE), JSON.stringify({ pid: process.pid, host: hostname(), since: '2026-01-01T00:00:00.000Z', start: 'another-boot/1', ...ours }));
    await (await lockDataDir(dir)).release();
    // A lock this process did take is held, under whatever name the directory is given.
    const held = await lockDataDir(dir);
    await expect(lockDataDir(join(dir, '.'))).rejects.toThrow(`is in use by process ${process.pid}`);
    await held.release();
  });

  it.skipIf(process.platform !== 'linux')('tells a process that now has the owner\'s pid from the owner by when the kernel started it', async () => {
    const child = spawn('sleep', ['5']);
    try {
      await new Promise((r) => child.once('spawn', r));
      const stat = await readFile(`/proc/${child.pid}/stat`, 'utf8');
      const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
      const boot = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();
      const lockOf = (start?: string) => JSON.stringify({ pid: child.pid, host: hostname(), since: '2026-01-01T00:00:00.000Z', ...(start === undefined ? {} : { start }), ...ours });
      await writeFile(join(dir, LOCK_FILE), lockOf(`${boot}/${ticks}`)); // the owner itself runs
      await expect(lockDataDir(dir)).rejects.toThrow(`is in use by process ${child.pid}`);
      await writeFile(join(dir, LOCK_FILE), lockOf()); // a lock that does not say: the pid decides
      await expect(lockDataDir(dir)).rejects.toThrow(DataDirLockedError);
      await writeFile(join(dir, LOCK_FILE), lockOf(`${boot}/${ticks - 1}`)); // an earlier process had this pid
      const lock = await lockDataDir(dir);
      const owner = JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8'));
      expect(owner.start).toMatch(new RegExp(`^${boot}/\\d+$`)); // and the new lock says when its owner started
      await lock.release();
    } finally {
      child.kill();
    }
  });

  it('in another pid namespace (another container, same host name), a lock is held while it is touched, stale once it is not', async () => {
    // A re-review (11-28): two containers sharing the volume and host name, each mge as pid 1:
    // the second took the first's lock (its "pid 1" was itself).
    const other = JSON.stringify({ pid: process.pid, host: hostname(), since: '2026-01-01T00:00:00.000Z', pidns: 'pid:[1]' });
    const file = join(dir, LOCK_FILE);
    await writeFile(file, other);
    const beat = setInterval(() => void utimes(file, new Date(), new Date()).catch(() => undefined), 200);
    try {
      await expect(lockDataDir(dir, { staleMs: 1500 })).rejects.toThrow('in another pid namespace (another container?), which keeps its lock fresh');
    } finally {
      clearInterval(beat);
    }
    // Untouched while watched: stale, whatever time the file shows (an hour ahead here: a
    // re-review's start waited for it; 30 s back took a live lock at once).
    const ahead = new Date(Date.now() + 3_600_000);
    await utimes(file, ahead, ahead);
    const started = performance.now();
    const lock = await lockDataDir(dir, { staleMs: 600 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(550); // watched the whole time
    const before = (await stat(file)).mtimeMs;
    await new Promise((r) => setTimeout(r, 1500));
    expect((await stat(file)).mtimeMs).toBeGreaterThan(before); // and the new holder touches it
    await lock.release();
  });

  it('a holder that finds another\'s lock in its place is told, and stops touching it', async () => {
    // A server paused past the staleness (docker pause, a VM suspended) and run again.
    const lost: LockLoss[] = [];
    const lock = await lockDataDir(dir, { onLost: (loss) => lost.push(loss) });
    const theirs = JSON.stringify({ pid: 1, host: hostname(), since: 'later', pidns: 'pid:[1]' });
    await writeFile(join(dir, LOCK_FILE), theirs);
    const old = new Date(Date.now() - 60_000);
    await utimes(join(dir, LOCK_FILE), old, old);
    for (const end = Date.now() + 3000; lost.length === 0 && Date.now() < end;) await new Promise((r) => setTimeout(r, 50));
    expect(lost).toEqual([{ because: "another process took this server's data directory lock (was this one paused or stalled for 10 s or more?)", holder: theirs }]);
    await new Promise((r) => setTimeout(r, 1200));
    expect(Math.abs((await stat(join(dir, LOCK_FILE))).mtimeMs - old.getTime())).toBeLessThan(1); // theirs, untouched by us
    await lock.release();
    expect(await readFile(join(dir, LOCK_FILE), 'utf8')).toBe(theirs); // and left alone
  });

  it('is fresh only while read back as its own within the lease: a holder that stalled writes nothing until its next beat', async () => {
    // A re-review (11-28): requests that waited while the holder was paused reached the other
    // server's log before the holder's next beat found the lock gone.
    const lock = await lockDataDir(dir);
    try {
      expect(lock.fresh()).toBe(true);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5_500); // stalled past the lease
      expect(lock.fresh()).toBe(false);
      for (const end = Date.now() + 3000; !lock.fresh() && Date.now() < end;) await new Promise((r) => setTimeout(r, 50));
      expect(lock.fresh()).toBe(true); // its beat read it back as its own
      // Removed within the lease, it is not lost (the server writes it back: node/kept-files.ts).
      rmSync(join(dir, LOCK_FILE));
      await new Promise((r) => setTimeout(r, 1200));
      expect(lock.lost()).toBeUndefined();
      await writeFile(join(dir, LOCK_FILE), lock.text);
      await writeFile(join(dir, LOCK_FILE), JSON.stringify({ pid: 1, host: 'elsewhere', since: 'now' }));
      for (const end = Date.now() + 3000; lock.lost() === undefined && Date.now() < end;) await new Promise((r) => setTimeout(r, 50));
      expect(lock.lost()?.holder).toContain('elsewhere');
      expect(lock.fresh()).toBe(false);
    } finally {
      await lock.release();
    }
  }, 20_000);

  it('a lock gone when its holder runs again after the lease is lost: another may have held it meanwhile', async () => {
    // A re-review: the successor stopped cleanly (its lock released) before the paused holder
    // woke; the holder wrote its own lock back and went on, on a log it no longer knew.
    const lock = await lockDataDir(dir);
    try {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5_500);
      rmSync(join(dir, LOCK_FILE));
      for (const end = Date.now() + 3000; lock.lost() === undefined && Date.now() < end;) await new Promise((r) => setTimeout(r, 50));
      expect(lock.lost()).toEqual({ because: 'this server lost its data directory lock (the lock was gone when this server ran again)' });
    } finally {
      await lock.release();
    }
  }, 20_000);

  it('a lock naming a start but no namespace (written earlier on 11-28) is judged as this namespace\'s', async () => {
    await writeFile(join(dir, LOCK_FILE), JSON.stringify({ pid: process.pid, host: hostname(), since: '2026-01-01T00:00:00.000Z', start: 'another-boot/1' }));
    await (await lockDataDir(dir)).release(); // our own pid, not taken by us: a previous life's
  });

  it('a lock from before 11-28 (no pid namespace named) is held while a process runs under its pid, as then', async () => {
    await writeFile(join(dir, LOCK_FILE), JSON.stringify({ pid: process.pid, host: hostname(), since: '2026-01-01T00:00:00.000Z' }));
    await expect(lockDataDir(dir)).rejects.toThrow(DataDirLockedError);
    await writeFile(join(dir, LOCK_FILE), JSON.stringify({ pid: await deadPid(), host: hostname(), since: '2026-01-01T00:00:00.000Z' }));
    await (await lockDataDir(dir)).release();
  });

  it('something other than a file in the lock\'s place loses the lock at once, and a second server is told what is there', async () => {
    // A re-review (11-28): a directory there was kept as held (read failed, touch worked), and
    // a FIFO there blocked the beat's read, and with it the whole server.
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const makers = [(p: string) => mkdirSync(p), (p: string) => execFileSync('mkfifo', [p]), (p: string) => symlinkSync(fifo, p), (p: string) => symlinkSync(join(dir, 'nowhere'), p), (p: string) => symlinkSync(LOCK_FILE, p), (p: string) => writeFileSync(p, 'x'.repeat(5000))];
    for (const make of makers) {
      const lost: LockLoss[] = [];
      const lock = await lockDataDir(dir, { onLost: (loss) => lost.push(loss) });
      rmSync(join(dir, LOCK_FILE));
      make(join(dir, LOCK_FILE));
      for (const end = Date.now() + 3000; lost.length === 0 && Date.now() < end;) await new Promise((r) => setTimeout(r, 50));
      expect(lost).toEqual([{ because: expect.stringMatching(/^this server lost its data directory lock \(`.*mge\.lock` is (a directory|a FIFO|a symbolic link|a file of 5000 bytes), not a lock file\)$/) }]);
      expect(lock.fresh()).toBe(false);
      await lock.release(); // leaves what is there alone
      await expect(lockDataDir(dir)).rejects.toThrow(/^data directory `.*`: `.*mge\.lock` is (a directory|a FIFO|a symbolic link|a file of 5000 bytes), not a lock file; remove it$/);
      rmSync(join(dir, LOCK_FILE), { recursive: true });
    }
  });

  it('release leaves a lock that is no longer ours alone', async () => {
    const lock = await lockDataDir(dir);
    const other = JSON.stringify({ pid: process.pid, host: hostname(), since: 'later' });
    await writeFile(join(dir, LOCK_FILE), other);
    await lock.release();
    expect(await readFile(join(dir, LOCK_FILE), 'utf8')).toBe(other);
  });
});

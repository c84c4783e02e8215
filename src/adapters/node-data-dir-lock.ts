// One `mge serve` per data directory: two processes appending to the same audit files would
// interleave their lines and each rebuild a different tree. The lock is a file holding the
// owner's pid, created exclusively; a lock whose process no longer runs (a crash, SIGKILL) is
// taken over, as PostgreSQL does with postmaster.pid.

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, readFile, rename, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { writeNewFile } from './node-new-file.js';

export const LOCK_FILE = 'mge.lock';

/** The data directory is held by another running process. */
export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError';
}

export interface DataDirLock {
  readonly path: string;
  /** Removes the lock file (only if it is still ours). */
  release(): Promise<void>;
}

interface Owner {
  pid: number;
  host: string;
  since: string;
}

function parseOwner(text: string): Owner | undefined {
  try {
    const o = JSON.parse(text) as Partial<Owner>;
    return typeof o.pid === 'number' && typeof o.host === 'string' && typeof o.since === 'string' ? (o as Owner) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether `pid` is a running process here (EPERM: it runs, as another user). A zombie (killed,
 * not yet reaped by its parent) answers signal 0 but holds nothing: on Linux its state in
 * /proc says so (a review's kill -9 and restart was refused while the parent had not reaped).
 */
function isRunning(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

function isZombie(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false; // no /proc (macOS), or it just went: signal 0 said it ran
  }
  // `pid (comm) state …`: comm may hold spaces and parentheses, so the state follows the last `)`.
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
}

/**
 * Takes the data directory's lock, or throws DataDirLockedError naming the process that holds
 * it. A lock from another host is never taken over (its pid means nothing here).
 *
 * @example const lock = await lockDataDir('./data'); … await lock.release()
 */
export async function lockDataDir(dir: string): Promise<DataDirLock> {
  const path = join(dir, LOCK_FILE);
  const me: Owner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  const text = JSON.stringify(me) + '\n';
  for (let attempt = 0; attempt < 3; attempt++) {
    // Linked in whole (node-new-file.ts): a lock is never seen empty or half written, so one
    // that does not parse was not written by a server, and no writer is ever mistaken for gone.
    if (await writeNewFile(path, text, 0o644)) return { path, release: () => releaseIfOurs(path, text) };
    let held: string;
    try {
      held = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // released meanwhile
      throw err;
    }
    const owner = parseOwner(held);
    if (owner !== undefined && (owner.host !== me.host || isRunning(owner.pid))) {
      throw new DataDirLockedError(
        `data directory \`${dir}\` is in use by process ${owner.pid} on \`${owner.host}\` (since ${owner.since}); run one mge serve per data directory, or remove \`${path}\` if that process is gone`,
      );
    }
    // The owner is gone (or the file is not a lock we wrote): take it over.
    await removeStaleLock(path, held);
  }
  throw new DataDirLockedError(`data directory \`${dir}\`: could not take \`${path}\` (another process keeps taking it)`);
}

/**
 * Removes the lock at `path` if it still holds `stale`. Moved aside and read there, not removed
 * by name: another server may have taken the stale lock over since it was read, and removing
 * its fresh lock would let two servers run on one data dir (a probe widened that window with
 * strace). A lock that is not the stale one is put back. Returns whether the stale one went.
 */
export async function removeStaleLock(path: string, stale: string): Promise<boolean> {
  const aside = `${path}.stale.${process.pid}.${randomBytes(6).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false; // taken away meanwhile
    throw err;
  }
  const moved = await readFile(aside, 'utf8').catch(() => undefined);
  if (moved !== stale) {
    // Another server's fresh lock: back where it was (unless a third took the name meanwhile).
    await link(aside, path).catch(() => undefined);
  }
  await unlink(aside).catch(() => undefined);
  return moved === stale;
}

async function releaseIfOurs(path: string, text: string): Promise<void> {
  try {
    if ((await readFile(path, 'utf8')) === text) await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

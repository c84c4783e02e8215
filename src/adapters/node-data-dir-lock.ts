// One `mge serve` per data directory: two processes appending to the same audit files would
// interleave their lines and each rebuild a different tree. The lock is a file holding the
// owner's pid, created exclusively; a lock whose process no longer runs (a crash, SIGKILL) is
// taken over, as PostgreSQL does with postmaster.pid. Beside the pid the lock names when the
// kernel started that process: a restarted container numbers its processes as before, and
// `mge serve` as pid 1 found "pid 1" running (itself) and refused to start, forever (a review).

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, readFile, rename, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { writeNewFile } from './node-new-file.js';

export const LOCK_FILE = 'mge.lock';

/** The data directory is held by another running process. */
export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError';
}

export interface DataDirLock {
  readonly path: string;
  /** What the lock file holds (written back if it is removed while the server runs). */
  readonly text: string;
  /** Removes the lock file (only if it is still ours). */
  release(): Promise<void>;
}

interface Owner {
  pid: number;
  host: string;
  since: string;
  /** When the kernel started the owner (`startOf`); absent where there is no /proc. */
  start?: string;
}

/** Locks this process holds (by path): its own pid in a lock it does not hold is a previous life's. */
const heldHere = new Set<string>();

function parseOwner(text: string): Owner | undefined {
  try {
    const o = JSON.parse(text) as Partial<Owner>;
    return typeof o.pid === 'number' && typeof o.host === 'string' && typeof o.since === 'string' && (o.start === undefined || typeof o.start === 'string') ? (o as Owner) : undefined;
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
 * When process `pid` started, as the kernel counts it: this boot's id and the clock ticks from
 * boot to its start (/proc/PID/stat field 22). Two processes given one pid, one after the
 * other, never share it. Undefined without /proc (macOS) or once the process is gone.
 */
function startOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ticks = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]; // fields from the 3rd (state) on
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    return /^\d+$/.test(ticks ?? '') ? `${boot}/${ticks}` : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether the lock at `path` still belongs to a running owner: one on another host always
 * does (its pid means nothing here); our own pid only if this process took that lock; another
 * pid if a process runs under it that started when the owner did (when the lock says).
 */
function isHeld(path: string, owner: Owner, host: string): boolean {
  if (owner.host !== host) return true;
  if (owner.pid === process.pid) return heldHere.has(resolve(path));
  if (!isRunning(owner.pid)) return false;
  const now = owner.start === undefined ? undefined : startOf(owner.pid);
  return now === undefined || now === owner.start;
}

/**
 * Takes the data directory's lock, or throws DataDirLockedError naming the process that holds
 * it. A lock from another host is never taken over (its pid means nothing here).
 *
 * @example const lock = await lockDataDir('./data'); … await lock.release()
 */
export async function lockDataDir(dir: string): Promise<DataDirLock> {
  const path = join(dir, LOCK_FILE);
  const start = startOf(process.pid);
  const me: Owner = { pid: process.pid, host: hostname(), since: new Date().toISOString(), ...(start === undefined ? {} : { start }) };
  const text = JSON.stringify(me) + '\n';
  for (let attempt = 0; attempt < 3; attempt++) {
    // Linked in whole (node-new-file.ts): a lock is never seen empty or half written, so one
    // that does not parse was not written by a server, and no writer is ever mistaken for gone.
    if (await writeNewFile(path, text, 0o644)) {
      heldHere.add(resolve(path));
      return { path, text, release: () => { heldHere.delete(resolve(path)); return releaseIfOurs(path, text); } };
    }
    let held: string;
    try {
      held = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // released meanwhile
      throw err;
    }
    const owner = parseOwner(held);
    if (owner !== undefined && isHeld(path, owner, me.host)) {
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

// One `mge serve` per data directory: two processes appending to the same audit files would
// interleave their lines and each rebuild a different tree. The lock is a file holding the
// owner's pid, created exclusively; a lock whose process no longer runs (a crash, SIGKILL) is
// taken over, as PostgreSQL does with postmaster.pid. Beside the pid the lock names when the
// kernel started that process and its pid namespace: a restarted container numbers its
// processes as before, and `mge serve` as pid 1 found "pid 1" running (itself) and refused to
// start, forever. A pid from another namespace (another container sharing the
// volume and the host name) means nothing here, so the holder also touches the lock every
// second: one not touched while a contender watches it for STALE_MS (a monotonic clock; the
// file's own times are only compared with each other) is taken over, one that is, never (without
// this, two containers, each mge as pid 1, took one data directory). A holder that was
// paused that long finds, at its next beat, another's lock in its place and is told (`onLost`).

import { randomBytes } from 'node:crypto';
import { accessSync, closeSync, constants, fstatSync, openSync, readFileSync, readlinkSync, utimesSync } from 'node:fs';
import { link, rename, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { whatIsThere, writeNewFile } from './new-file.js';

export const LOCK_FILE = 'mge.lock';

/** The data directory is held by another running process. */
export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError';
}

/** Why a holder lost its lock, once it did. */
export interface LockLoss {
  /** A sentence for the log, /healthz and every refused write ("another process took …"). */
  because: string;
  /** The lock found in this one's place, when another process's. */
  holder?: string;
}

export interface DataDirLockOptions {
  /** Called once when the lock is lost: another process's lock found in its place (taken over while this one was paused), or none that can be held again. */
  onLost?: (loss: LockLoss) => void;
  /**
   * Told when the lock stops reading back (out of file descriptors, an I/O error: writes wait
   * once the lease runs out) with the error, and when it reads back again, with none.
   */
  onUnreadable?: (err: NodeJS.ErrnoException | undefined) => void;
  /**
   * Told when the lock reads back as this server's but cannot be touched (a read-only or
   * immutable file system: the lease is not renewed, so writes wait), and when it can again.
   */
  onUntouchable?: (err: NodeJS.ErrnoException | undefined) => void;
  /** How long a lock from another pid namespace is watched for a beat before it is taken over (tests shorten it). */
  staleMs?: number;
}

export interface DataDirLock {
  readonly path: string;
  /** What the lock file holds (written back if it is removed while the server runs). */
  readonly text: string;
  /**
   * Whether this process may write to the data directory now: its lock read back as its own
   * within LEASE_MS (monotonic). A server paused long enough for another to take the lock over
   * writes nothing when it runs again, not even the requests that waited for it (else
   * they reach the other's log before the next beat finds the lock gone).
   */
  fresh(): boolean;
  /** Why the lock was lost, once it was (onLost was called then). */
  lost(): LockLoss | undefined;
  /** Removes the lock file (only if it is still ours). */
  release(): Promise<void>;
}

interface Owner {
  pid: number;
  host: string;
  since: string;
  /** When the kernel started the owner (`startOf`); absent where there is no /proc. */
  start?: string;
  /** The owner's pid namespace (`/proc/self/ns/pid`); absent where there is no /proc, and in locks of older versions. */
  pidns?: string;
}

/** How often a holder touches its lock, and how long untouched makes it stale (when its pid cannot be looked at). */
const HEARTBEAT_MS = 1000;
const STALE_MS = 10_000;
/** How long after its last read-back of its own lock a holder still writes: well under STALE_MS. */
const LEASE_MS = STALE_MS / 2;

/** Locks this process holds (by path): its own pid in a lock it does not hold is a previous life's. */
const heldHere = new Set<string>();

/** A lock is a line of JSON of ~200 bytes; anything much larger is not one. */
const MAX_LOCK_BYTES = 4096;

/**
 * What is where the lock belongs can be no server's lock: not a file (a directory, a FIFO, a
 * socket, a link), or one this process may not read. `fix` is what a second server is told.
 */
class UnusableLock extends Error {
  constructor(message: string, readonly fix = 'remove it') {
    super(message);
  }
}

/**
 * The lock's text. Opened without waiting and read only when it is a file: a FIFO put in its
 * place blocked the read, and with it the whole server; a directory was taken for a lock not
 * read, kept as held and never renewed. Not through a symbolic link: a
 * lock is linked in as a file (writeNewFile), so a link there is none of ours (a dangling one
 * read as "released" and refused a second server with "another process keeps taking it").
 */
function readLock(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENXIO') throw new UnusableLock(`\`${path}\` is a socket, not a lock file`);
    if (code === 'ELOOP') throw new UnusableLock(`\`${path}\` is a symbolic link, not a lock file`);
    // The lock file's mode bars this process (chmod 000 under its holder; kept as "not read for
    // now", the holder would refuse every write and say healthy, for good). A
    // directory this process may not search is not the lock's doing: passing, as EMFILE is.
    // Told to a second server, it may be a live server's of another user (umask 077): not
    // "remove it" alone (following that, the live one loses its lock).
    if ((code === 'EACCES' || code === 'EPERM') && searchable(dirname(path))) {
      throw new UnusableLock(`\`${path}\` may not be read by this process (permission denied)`, 'a server of another user may hold it: run `mge serve` as that user, or remove it once no server runs on this data directory');
    }
    throw err;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new UnusableLock(`\`${path}\` is ${whatIsThere(st)}, not a lock file`);
    // A lock is one line of JSON: a huge file there, read whole, blocked the server for seconds
    // and then failed as "not read" for good (3 GB there did).
    if (st.size > MAX_LOCK_BYTES) throw new UnusableLock(`\`${path}\` is a file of ${st.size} bytes, not a lock file`);
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/** Whether this process may look into `dir` (its x bit): a lock it cannot open there says nothing of the lock. */
function searchable(dir: string): boolean {
  try {
    accessSync(dir, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function parseOwner(text: string): Owner | undefined {
  try {
    const o = JSON.parse(text) as Partial<Owner>;
    const optional = (v: unknown) => v === undefined || typeof v === 'string';
    return typeof o.pid === 'number' && typeof o.host === 'string' && typeof o.since === 'string' && optional(o.start) && optional(o.pidns) ? (o as Owner) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether `pid` is a running process here (EPERM: it runs, as another user). A zombie (killed,
 * not yet reaped by its parent) answers signal 0 but holds nothing: on Linux its state in
 * /proc says so (else a kill -9 and restart is refused while the parent has not reaped).
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

function pidNamespace(): string | undefined {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return undefined;
  }
}

/**
 * Whether the lock at `path` still belongs to a running owner. One on another host always
 * does. In our pid namespace: our own pid only if this process took that lock; another pid if
 * a process runs under it that started when the owner did (when the lock says). In another
 * namespace: if the lock is still being touched. A lock from an older version (no namespace
 * named): if a process runs under its pid, as that version judged it.
 */
async function isHeld(path: string, owner: Owner, me: Owner, staleMs: number): Promise<boolean> {
  if (owner.host !== me.host) return true;
  // Older versions named no namespace in a lock; one naming only its start (from a version
  // between) is judged as this namespace's, as that version did.
  if (owner.pidns === undefined && owner.start === undefined && me.pidns !== undefined) return isRunning(owner.pid);
  if (owner.pidns !== undefined && owner.pidns !== me.pidns) return !(await untouched(path, staleMs));
  if (owner.pid === process.pid) return heldHere.has(resolve(path));
  if (!isRunning(owner.pid)) return false;
  const now = owner.start === undefined ? undefined : startOf(owner.pid);
  return now === undefined || now === owner.start;
}

/**
 * Whether the lock at `path` goes untouched while watched for `staleMs` (its holder beats every
 * HEARTBEAT_MS). The whole time, by the monotonic clock: a lock's time far in the past or the
 * future says nothing about its holder (by its times, a live lock set back 30 s is taken at
 * once, and one set forward is waited on for an hour).
 */
async function untouched(path: string, staleMs: number): Promise<boolean> {
  const touched = async (): Promise<number | undefined> => (await stat(path).catch(() => undefined))?.mtimeMs;
  const first = await touched();
  for (const start = performance.now(); performance.now() - start < staleMs;) {
    await new Promise((r) => setTimeout(r, Math.min(HEARTBEAT_MS / 2, staleMs)));
    const now = await touched();
    if (now === undefined) return true; // released meanwhile
    if (now !== first) return false;
  }
  return true;
}

/**
 * Takes the data directory's lock, or throws DataDirLockedError naming the process that holds
 * it. A lock from another host is never taken over (its pid means nothing here).
 *
 * @example const lock = await lockDataDir('./data'); … await lock.release()
 */
export async function lockDataDir(dir: string, opts: DataDirLockOptions = {}): Promise<DataDirLock> {
  // One taker at a time per lock in this process: a taker that read this process's pid in
  // a lock another taker here had just linked in, before it was noted as held here, took it
  // for a previous life's and took it over too (20 takers at once: two won, one run in four).
  const key = resolve(join(dir, LOCK_FILE));
  const mine = (taking.get(key) ?? Promise.resolve()).catch(() => undefined).then(() => takeLock(dir, opts));
  taking.set(key, mine);
  try {
    return await mine;
  } finally {
    if (taking.get(key) === mine) taking.delete(key);
  }
}

/** The taker of each lock in this process now (by path), the next waits for. */
const taking = new Map<string, Promise<unknown>>();

async function takeLock(dir: string, opts: DataDirLockOptions): Promise<DataDirLock> {
  const staleMs = opts.staleMs ?? STALE_MS;
  const path = join(dir, LOCK_FILE);
  const start = startOf(process.pid);
  const pidns = pidNamespace();
  const me: Owner = { pid: process.pid, host: hostname(), since: new Date().toISOString(), ...(start === undefined ? {} : { start }), ...(pidns === undefined ? {} : { pidns }) };
  const text = JSON.stringify(me) + '\n';
  for (let attempt = 0; attempt < 3; attempt++) {
    // Linked in whole (node/new-file.ts): a lock is never seen empty or half written, so one
    // that does not parse was not written by a server, and no writer is ever mistaken for gone.
    if (await writeNewFile(path, text, 0o644)) {
      heldHere.add(resolve(path));
      // Touched while held: a server in another pid namespace tells a live holder by it. Read
      // first: another's lock in its place means this one was taken for gone (paused too long).
      // Read and touched with synchronous calls: a few microseconds on a file this small, and
      // never queued behind the thread pool's fdatasyncs (a slow disk would delay the beat past
      // the lease, and a lone server would refuse checks).
      let lost: LockLoss | undefined;
      let unreadable = false;
      let untouchable = false;
      let confirmed = performance.now();
      const lose = (loss: LockLoss): void => {
        lost = loss;
        clearInterval(beat);
        opts.onLost?.(loss);
      };
      const gone = (what: string): void => lose({ because: `this server lost its data directory lock (${what})` });
      const beat = setInterval(() => {
        if (lost !== undefined) return;
        const asked = performance.now();
        let now: string;
        try {
          now = readLock(path);
        } catch (err) {
          // Nothing can be written back over it, and no server could take it: final.
          if (err instanceof UnusableLock) return gone(err.message);
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
            // Not read (out of file descriptors under a burst of connections, an I/O error):
            // not lost, which is final (else a few seconds of EMFILE stop the server for
            // good). Not renewed either, as what it holds was not seen: past the
            // lease writes wait, until a beat reads it back as this server's again. Touched (no
            // descriptor needed), so a taker in another pid namespace does not find it stale.
            if (!unreadable) opts.onUnreadable?.(err as NodeJS.ErrnoException);
            unreadable = true;
            try {
              const t = new Date();
              utimesSync(path, t, t);
            } catch {
              // the next beat asks again
            }
            return;
          }
          // Gone. Within the lease it was removed (written back by the server: node/kept-files.ts);
          // after it, another server may have held it meanwhile and released it (else
          // the paused holder writes its lock back and goes on, on a log it no longer knows).
          if (asked - confirmed >= LEASE_MS) gone('the lock was gone when this server ran again');
          return;
        }
        if (unreadable && now === text) opts.onUnreadable?.(undefined); // another's: said as lost below
        unreadable = false;
        if (now !== text) return lose({ because: 'another process took this server\'s data directory lock (was this one paused or stalled for 10 s or more?)', holder: now });
        try {
          const t = new Date();
          utimesSync(path, t, t);
          confirmed = asked; // touched: the lease runs from when it was read
          if (untouchable) opts.onUntouchable?.(undefined);
          untouchable = false;
        } catch (err) {
          // Not touched: the lease is not renewed (a taker in another pid namespace would find
          // it stale). Said, as writes wait once the lease runs out.
          if (!untouchable) opts.onUntouchable?.(err as NodeJS.ErrnoException);
          untouchable = true;
        }
      }, HEARTBEAT_MS);
      beat.unref();
      return {
        path, text,
        fresh: () => lost === undefined && performance.now() - confirmed < LEASE_MS,
        lost: () => lost,
        release: () => {
          clearInterval(beat);
          heldHere.delete(resolve(path));
          return releaseIfOurs(path, text);
        },
      };
    }
    let held: string;
    try {
      held = readLock(path);
    } catch (err) {
      if (err instanceof UnusableLock) throw new DataDirLockedError(`data directory \`${dir}\`: ${err.message}; ${err.fix}`);
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // released meanwhile
      throw err;
    }
    const owner = parseOwner(held);
    if (owner !== undefined && (await isHeld(path, owner, me, staleMs))) {
      const where = owner.pidns !== undefined && owner.pidns !== me.pidns ? ' in another pid namespace (another container?), which keeps its lock fresh' : '';
      throw new DataDirLockedError(
        `data directory \`${dir}\` is in use by process ${owner.pid} on \`${owner.host}\`${where} (since ${owner.since}); run one mge serve per data directory, or remove \`${path}\` if that process is gone`,
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
 * its fresh lock would let two servers run on one data dir (strace widens that window
 * enough). A lock that is not the stale one is put back. Returns whether the stale one went.
 */
export async function removeStaleLock(path: string, stale: string): Promise<boolean> {
  const aside = `${path}.stale.${process.pid}.${randomBytes(6).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false; // taken away meanwhile
    throw err;
  }
  let moved: string | undefined;
  try {
    moved = readLock(aside);
  } catch {
    moved = undefined;
  }
  if (moved !== stale) {
    // Another server's fresh lock: back where it was (unless a third took the name meanwhile).
    await link(aside, path).catch(() => undefined);
  }
  await unlink(aside).catch(() => undefined);
  return moved === stale;
}

async function releaseIfOurs(path: string, text: string): Promise<void> {
  try {
    if (readLock(path) === text) await unlink(path);
  } catch (err) {
    if (err instanceof UnusableLock) return; // not ours to remove
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

// Small files that must never be seen half written (the secret, the Ed25519 key, the data dir's
// lock, rules kept over HTTP): the bytes go to a temporary file of their own, are synced, and
// only then take the name (by a link, which fails if the name exists, or by a rename).

import { randomBytes } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { link, mkdir, open, readdir, readFile, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

/**
 * The data directory's write lease (DataDirLock.fresh), asked right before each write into it:
 * a server paused until another took its lock over writes nothing when it runs again.
 */
export type MayWrite = () => boolean;

/** Thrown instead of a write the lease no longer allows: nothing was written. */
export class LeaseLapsedError extends Error {
  override readonly name = 'LeaseLapsedError';
}

/** Throws (a LeaseLapsedError unless `as` says what), naming `file`, unless the lease allows a write now. */
export function refuseWithoutLease(mayWrite: MayWrite | undefined, file: string, as: new (message: string) => Error = LeaseLapsedError): void {
  if (mayWrite !== undefined && !mayWrite()) {
    throw new as(`not written to \`${file}\`: this server has not read its data directory lock back as its own, or could not touch it, for seconds (paused, another process took it, or its file system is read-only)`);
  }
}

/**
 * Makes `dir` and any missing parent, and syncs the parent of each directory made, so what is
 * then written and synced inside survives a power cut with its path (syncing a new file's own
 * directory is the caller's: unsynced, a new tenant's audit directory could vanish with the
 * decisions it had answered). `dir`'s parent is synced even when `dir` was there: another call
 * may have made it and still be syncing. `sync` is for tests.
 */
export async function makeDirDurably(dir: string, sync: (dir: string) => Promise<void> = syncDir): Promise<void> {
  const first = await mkdir(dir, { recursive: true });
  await syncMadeDirs(dir, first ?? dir, sync);
}

/** Syncs the parent of each directory from `dir` up to `first` (what `mkdir -p dir` said it made first). */
export async function syncMadeDirs(dir: string, first: string, sync: (dir: string) => Promise<void> = syncDir): Promise<void> {
  const top = resolve(first);
  for (let made = resolve(dir); ; made = dirname(made)) {
    await sync(dirname(made));
    if (made === top || dirname(made) === made) return;
  }
}

/** A temporary name beside `file`, unique per call: two writers in one process must not share one. */
export function temporaryNameFor(file: string): string {
  return `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
}

/**
 * Removes the temporary files `temporaryNameFor(file)` named that a crash left: a rewrite cut
 * short never replaced `file`, so they hold nothing it needs.
 */
export async function removeTemporariesOf(file: string): Promise<void> {
  const dir = dirname(file);
  const prefix = `${basename(file)}.`;
  for (const name of await readdir(dir)) {
    // Only the names temporaryNameFor makes: a user's `log.jsonl.backup.tmp` is not ours.
    if (name.startsWith(prefix) && TEMPORARY_SUFFIX.test(name.slice(prefix.length))) await unlink(join(dir, name)).catch(() => undefined);
  }
}

/** What temporaryNameFor adds after `<file>.`: the pid and 12 hex digits. */
const TEMPORARY_SUFFIX = /^\d+\.[0-9a-f]{12}\.tmp$/;

/** The text of `file`, or undefined when there is no such file (any other error is thrown). */
export async function readIfPresent(file: string, opts: ReadOptions = {}): Promise<string | undefined> {
  return (await readBytesIfPresent(file, opts))?.toString('utf8');
}

/** What a file system entry that is not a regular file is, for a message ("… is a FIFO, not a file"). */
export function whatIsThere(st: Pick<Stats, 'isDirectory' | 'isFIFO' | 'isSocket'>): string {
  return st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a FIFO' : st.isSocket() ? 'a socket' : 'a device';
}

export interface ReadOptions {
  /** A FIFO (`--checkpoint <(curl …)`) is read too; by default only a regular file is. */
  pipes?: boolean;
}

/**
 * The bytes of `file`, or undefined when there is no such file (any other error is thrown).
 * Only a regular file, unless `pipes`: the data directory's files are read at start, and a
 * FIFO put in place of `secret.key` or `nonces.jsonl` hung the start without a word (as one
 * in the lock's place did: node/data-dir-lock.ts). Opened without blocking, checked through
 * the handle.
 */
export async function readBytesIfPresent(file: string, opts: ReadOptions = {}): Promise<Buffer | undefined> {
  let bytes: Awaited<ReturnType<typeof readRegularFile>>;
  try {
    if (opts.pipes) return await readFile(file);
    bytes = await readRegularFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  if (!(bytes instanceof Uint8Array)) throw new Error(`\`${file}\` is ${bytes === 'too large' ? 'too large' : bytes.notAFile}, not a file; remove it`);
  return bytes;
}

/**
 * A regular file's bytes; what is there instead when `file` is not a regular file (a FIFO, a
 * directory, a socket: whatIsThere), 'too large' past `maxBytes`. Opened without blocking and
 * checked through the open handle: checked by name and then read, a file swapped for a FIFO in
 * between blocked the read forever, which hung `mge check` and stopped every later reload of
 * `mge serve`. Any other error (ENOENT) is thrown.
 */
export async function readRegularFile(file: string, maxBytes = Infinity): Promise<Buffer | 'too large' | { notAFile: string }> {
  const opened = await openRegular(file);
  if ('notAFile' in opened) return opened;
  try {
    return opened.size > maxBytes ? 'too large' : await opened.handle.readFile();
  } finally {
    await opened.handle.close();
  }
}

/**
 * A handle on regular file `file` to read line by line, or undefined when there is no such
 * file; anything else there is an error naming it. The caller closes the handle.
 */
export async function openRegularIfPresent(file: string): Promise<{ handle: FileHandle; size: number } | undefined> {
  let opened: Awaited<ReturnType<typeof openRegular>>;
  try {
    opened = await openRegular(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  if ('notAFile' in opened) throw new Error(`\`${file}\` is ${opened.notAFile}, not a file; remove it`);
  return opened;
}

/** `file` opened without blocking and checked through the handle (readRegularFile says why), or what is there instead. */
async function openRegular(file: string): Promise<{ handle: FileHandle; size: number } | { notAFile: string }> {
  // O_NONBLOCK is not defined on Windows, which has no FIFOs in the file system. A socket
  // cannot be opened at all (ENXIO): it is not a regular file either.
  const handle = await open(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0)).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENXIO') return undefined;
    throw err;
  });
  if (handle === undefined) return { notAFile: 'a socket' };
  let st: Stats;
  try {
    st = await handle.stat();
  } catch (err) {
    await handle.close();
    throw err;
  }
  if (st.isFile()) return { handle, size: st.size };
  await handle.close();
  return { notAFile: whatIsThere(st) };
}

/** Syncs a directory, so a file created or renamed in it survives a power cut. */
export async function syncDir(dir: string): Promise<void> {
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

/**
 * `err` with `file` named in its message: Node's read and write errors name none (`ENOSPC: no
 * space left on device, write`, `EISDIR: illegal operation on a directory, read`).
 */
export function namingFile(err: unknown, file: string, doing: 'reading' | 'writing'): unknown {
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.message === 'string' && !e.message.includes(file)) e.message = `${e.message} (${doing} \`${file}\`)`;
  return e;
}

/** Writes `text` to `path` (created or truncated, mode `mode`) and syncs it before resolving. */
export async function writeSynced(path: string, text: string, mode: number): Promise<void> {
  const fh = await open(path, 'w', mode);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } catch (err) {
    throw namingFile(err, path, 'writing');
  } finally {
    await fh.close();
  }
}

/**
 * Writes `text` to `file` only if no file has that name. False if the name was taken. Made, its
 * folder is synced, so the new name survives a power cut (else a key or API rule
 * written back and said so could be lost by one).
 * @example if (!(await writeNewFile('data/mge.lock', owner, 0o644))) … // someone holds it
 */
export async function writeNewFile(file: string, text: string, mode: number, sync: (dir: string) => Promise<void> = syncDir): Promise<boolean> {
  const tmp = temporaryNameFor(file);
  try {
    await writeSynced(tmp, text, mode);
    await link(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  await sync(dirname(file));
  return true;
}

/**
 * The text kept in `file`, or, when there is none, the one `make` gives, written there whole
 * (`created` says which). An empty or blank file is what an older first start left on a full
 * disk: nothing was ever made from it, so it is replaced (the caller holds the data dir's
 * lock), unless `refuse` gives a reason not to make one, told whether the file is missing or
 * empty (a log signed with the key it held). `what` names the file's content in errors.
 */
export async function keptOrCreated(
  file: string, what: string, mode: number, make: () => Promise<string>,
  refuse?: (missing: boolean) => Promise<string | undefined>,
): Promise<{ text: string; created: boolean }> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const kept = await readIfPresent(file);
    if (kept !== undefined && kept.trim() !== '') return { text: kept, created: false };
    const refused = await refuse?.(kept === undefined);
    if (refused !== undefined) throw new Error(refused);
    if (kept !== undefined) await unlink(file);
    const text = await make();
    let written: boolean;
    try {
      written = await writeNewFile(file, text, mode);
    } catch (err) {
      throw new Error(`cannot keep the generated ${what} in \`${file}\`: ${(err as Error).message}`);
    }
    if (written) return { text, created: true };
    // Another process created it meanwhile: read that one.
  }
  throw new Error(`\`${file}\` keeps changing while it is read; is another server starting on this data directory?`);
}

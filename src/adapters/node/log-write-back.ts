// Watches an open audit log's file at its path and, when it is removed or replaced under the
// running server, writes what the store answered (still readable through its open file) back.

import { fstatSync, statSync, type Stats } from 'node:fs';
import { link, open, readdir, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AuditStoreError, AuditStorePausedError } from '../../audit/store.js';
import { CHUNK } from './line-scan.js';
import { endsWithText } from './file-ends-with.js';
import { makeDirDurably, openRegularIfPresent, refuseWithoutLease, syncDir, temporaryNameFor, writeNewFile } from './new-file.js';

/** How often an open log looks whether its file was removed. */
const LINK_CHECK_MS = 500;

/**
 * Beside a log, `<log>.restored-<ms>`: the bytes a server answered, written back when another
 * file had taken the log's name; `<log>.cut-<ms>`: a note that the log was cut short, added to
 * or overwritten in place while a server ran. Either says the file at the log's path lacks
 * answered decisions.
 */
const SET_ASIDE = /^(.+)\.(restored|cut)-\d+$/;

/**
 * Refuses to open the log at `path` while a `.restored-` copy or a `.cut-` note stands beside
 * it: opened, it went on without the answered decisions it lacks (a review: 596 of 1 977 gone,
 * and the next checkpoint vouched for the rest). An operator's choice ends it.
 */
export async function refuseWhileSetAside(path: string): Promise<void> {
  const names = await readdir(dirname(path)).catch(() => [] as string[]);
  const found: string[] = [];
  let cut = false;
  for (const n of names.sort()) {
    const m = SET_ASIDE.exec(n);
    if (m?.[1] !== basename(path)) continue;
    // A copy the log begins with, byte for byte, is in it whole (the file that took the name
    // was the log and more, as an editor saves it): nothing answered is missing.
    if (m[2] === 'restored' && (await beginsWith(path, join(dirname(path), n)))) continue;
    found.push(n);
    cut ||= m[2] === 'cut';
  }
  if (found.length === 0) return;
  const what = found.map((n) => `\`${n}\``).join(', ');
  throw new AuditStoreError(
    `beside the audit log \`${path}\` stands ${what}: ` +
      (cut ? 'the log was cut short or overwritten in place while a server ran, and decisions it answered are gone from it (the note says how); put it back from a backup that holds them, then remove the note (with no backup, remove the note and cut the log after its last whole line: what it lost stays lost, and `mge audit verify` tells what its checkpoints no longer find)' :
        'the log was replaced while a server ran, and what that server answered was written there; put the file that holds every answered decision in place of the log (`mv`), and the other out of this directory') +
      '; until then the log is not opened',
  );
}

/** What the write-back needs of the store whose file it watches. */
export interface WatchedLog {
  /** The tenant's directory, and the log's path in it. */
  readonly dir: string;
  readonly path: string;
  /** The store's open file: the answered bytes are read from it, and it is closed once they are written back after the store's close. */
  readonly fh: FileHandle;
  readonly mayWrite: (() => boolean) | undefined;
  /** Where the bytes answered so far end: written, and with `always` synced too. */
  answeredEnd(): number;
  /**
   * Where the bytes written so far end, and the text of the last write (undefined before the
   * first). Writes are synchronous, so between two turns of the event loop the file is exactly
   * that long and ends with that text: shorter, longer or other, and someone changed it (the
   * answered end alone lags a sync behind: under load a cut smaller than the group being
   * synced hid behind it).
   */
  written(): { end: number; last: string | undefined };
  /** Whether the store has failed (a write that failed part way may have left bytes past the written end). */
  failed(): boolean;
  /** Once no write or sync is queued or in flight. */
  idle(): Promise<void>;
  /**
   * Makes the store refuse every append from now on (an earlier failure stays the one it
   * reports); `unanswered` too: lines written and still being synced are refused, not answered
   * (the file they went to was cut or overwritten under them).
   */
  refuseAppends(err: AuditStoreError, unanswered?: boolean): void;
}

export class LogWriteBack {
  private linkCheck: ReturnType<typeof setInterval> | undefined;
  /** Writing a removed log's answered bytes back (check); lastLook waits for it. */
  private restoring: Promise<void> | undefined;
  /** The copy written back at the log's path (check then watches it), and why the last try failed. */
  private restoredAs: Stats | undefined;
  private restoredBeside = false;
  /** The store's close was called while a write-back kept failing: its file is closed once it succeeds. */
  private closeOnceRestored = false;
  private restoreError: unknown;
  /** How the log was found changed in place: appends refused; and noted beside it (tried at each look until it is). */
  private cutFound: string | undefined;
  private cutNoted = false;
  /** The look under way: one at a time (overlapping looks each wrote a note). */
  private looking: Promise<void> | undefined;

  constructor(private readonly log: WatchedLog) {}

  /**
   * A log file removed (or moved away) under the running server would take every entry with it
   * at the next start (2 166 answered decisions lost, the next start silent). Looked
   * for twice a second (a look per write cost ~1.5 µs a check): the store then refuses appends
   * and writes what it answered, still readable through its open file, back to the log's path;
   * the log reopened 10 s later goes on from there.
   */
  watch(): void {
    this.linkCheck = setInterval(() => void this.look(), LINK_CHECK_MS);
    this.linkCheck.unref();
  }

  /** Stops looking twice a second (the store is closing). */
  stop(): void {
    clearInterval(this.linkCheck);
  }

  /**
   * Waits for a write-back under way, then looks once more: a removal in the last half second
   * (`rm log.jsonl` then a restart). Resolves to why the answered bytes could not be written
   * back, if they could not (then they live only in the open file).
   */
  async lastLook(): Promise<unknown> {
    await this.restoring;
    await this.looking;
    if (this.linkCheck !== undefined) await this.look();
    return this.restoreError;
  }

  private look(): Promise<void> {
    return (this.looking ??= this.check().finally(() => { this.looking = undefined; }));
  }

  /** Keeps trying to write back after the store's close, and closes its file once a copy stands. */
  closeWhenRestored(): void {
    this.closeOnceRestored = true;
    this.watch();
  }

  /** Whether answered bytes live only in the store's open file (a removed log not written back yet). */
  get unsaved(): boolean {
    return this.restoreError !== undefined;
  }

  /** Why the last write-back failed, while `unsaved`. */
  get unsavedBecause(): unknown {
    return this.restoreError;
  }

  /**
   * Whether the file at the log's path is still the one the store writes (or, once written
   * back, that copy); if not, refuses appends and writes the answered bytes back. Again on every
   * look (and at close) until a copy stands: a directory removed too, a copy removed again, a
   * failed write all get another try while the open file still holds the bytes.
   */
  private async check(): Promise<void> {
    if (this.restoring !== undefined || this.restoredBeside || this.cutNoted) return;
    const path = this.log.path;
    // Read on this thread with no await before the stats: what the file holds then (the copy
    // written back: the answered bytes).
    const written = this.log.written();
    const held = this.restoredAs === undefined ? written.end : this.log.answeredEnd();
    let open: Stats;
    let named: Stats | undefined;
    try {
      open = fstatSync(this.log.fh.fd);
      named = statIfPresent(path);
    } catch {
      return; // closed meanwhile
    }
    const expected = this.restoredAs ?? open;
    const intact = open.nlink > 0 || this.restoredAs !== undefined;
    if (intact && named !== undefined && named.ino === expected.ino && named.dev === expected.dev) {
      if (this.cutFound) return this.noteCut(path, this.cutFound);
      if (named.size < held) return this.noteCut(path, `cut short in place while the server ran (${named.size} of the ${held} bytes written are left)`);
      if (this.restoredAs !== undefined || this.log.failed()) return;
      if (named.size > held) return this.noteCut(path, `added to in place while the server ran (${named.size} bytes where it wrote ${held})`);
      if (written.last !== undefined && !(await endsWithText(this.log.fh, written.end, written.last))) return this.noteCut(path, 'overwritten in place while the server ran (the last bytes it wrote are no longer there)');
      return;
    }
    this.log.refuseAppends(new AuditStoreError(`the audit log file \`${path}\` was removed or replaced while the server ran; what it answered is written back there (or beside it, if another file took the name)`));
    this.restoring = this.restore(path).then(
      (copy) => {
        if (copy === undefined) this.restoredBeside = true; // a file took the name: the copy stands beside it
        this.restoredAs = copy;
        this.restoreError = undefined;
        if (this.closeOnceRestored) {
          clearInterval(this.linkCheck);
          void this.log.fh.close().catch(() => undefined);
        }
      },
      (err: unknown) => { this.restoreError = err; },
    ).finally(() => { this.restoring = undefined; });
    await this.restoring;
  }

  /**
   * The log changed in place (`truncate`, logrotate's `copytruncate`, `>>`, `cp other log`;
   * `how` says which): the answered bytes are gone from the one file there is, so nothing can
   * be written back. Appends are refused (they would land at other offsets than the log
   * counts), a group being synced too, and a note beside the log keeps every later open, this
   * server's or the next start's, from going on without them.
   */
  private async noteCut(path: string, how: string): Promise<void> {
    if (this.cutFound === undefined) {
      this.cutFound = how;
      this.log.refuseAppends(new AuditStoreError(`the audit log file \`${path}\` was ${how}: answered decisions are gone from it; put it back from a backup`), true);
    }
    const note = JSON.stringify({ log: path, found: how, answered_bytes: this.log.answeredEnd(), at: new Date().toISOString() }) + '\n';
    try {
      refuseWithoutLease(this.log.mayWrite, path, AuditStorePausedError);
      await writeNewFile(`${path}.cut-${Date.now()}`, note, 0o600);
      this.cutNoted = true;
    } catch {
      // Tried again at each look while the store is open; until it stands, only the count
      // check guards this server's reopen (a log with fewer entries than it answered).
    }
  }

  /**
   * Writes the answered bytes (up to answeredEnd, once no write or sync is in flight) to a new
   * file at `path`, unless a file has that name again (then beside it, `.restored-<ms>`);
   * resolves to the copy's stats when it is at `path`.
   */
  private async restore(path: string): Promise<Stats | undefined> {
    const { dir, fh, mayWrite } = this.log;
    await this.log.idle();
    // Read once: appends are refused by now and nothing is in flight, so it no longer moves.
    const goodEnd = this.log.answeredEnd();
    // Not into a data directory another server holds now (it may have made a log there).
    refuseWithoutLease(mayWrite, path, AuditStorePausedError);
    await makeDirDurably(dir); // the tenant's directory may be gone too
    const tmp = temporaryNameFor(path);
    try {
      const out = await open(tmp, 'wx', 0o600);
      try {
        const buf = Buffer.allocUnsafe(CHUNK);
        for (let pos = 0; pos < goodEnd;) {
          const { bytesRead } = await fh.read(buf, 0, Math.min(CHUNK, goodEnd - pos), pos);
          if (bytesRead === 0) throw new AuditStoreError(`the removed audit log \`${path}\` reads short (${pos} of ${goodEnd} bytes)`);
          // A nearly full disk takes part of a write without an error: the rest is written (or
          // the next write fails), never a short copy taken for the whole.
          for (let off = 0; off < bytesRead;) {
            const { bytesWritten } = await out.write(buf, off, bytesRead - off, pos + off);
            if (bytesWritten === 0) throw new AuditStoreError(`no room to write the removed audit log \`${path}\` back`);
            off += bytesWritten;
          }
          pos += bytesRead;
        }
        await out.datasync();
        const size = (await out.stat()).size;
        if (size !== goodEnd) throw new AuditStoreError(`the copy of the removed audit log \`${path}\` has ${size} of ${goodEnd} bytes`);
      } finally {
        await out.close();
      }
      let at = path;
      refuseWithoutLease(mayWrite, path, AuditStorePausedError);
      try {
        await link(tmp, path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        at = `${path}.restored-${Date.now()}`;
        await link(tmp, at);
      }
      await syncDir(dir);
      return at === path ? statSync(path) : undefined;
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
  }
}

/**
 * Whether the file at `path` begins with every byte of the file at `head`; false when either
 * is not a regular file (opened without blocking: a FIFO named like a set-aside copy hung the
 * tenant's log and `mge audit verify`; a re-review, 11-29).
 */
async function beginsWith(path: string, head: string): Promise<boolean> {
  const a = (await openRegularIfPresent(path).catch(() => undefined))?.handle;
  const b = (await openRegularIfPresent(head).catch(() => undefined))?.handle;
  try {
    if (a === undefined || b === undefined) return false;
    const bufA = Buffer.allocUnsafe(CHUNK);
    const bufB = Buffer.allocUnsafe(CHUNK);
    for (let pos = 0; ;) {
      const { bytesRead: n } = await b.read(bufB, 0, CHUNK, pos);
      if (n === 0) return true;
      const { bytesRead: m } = await a.read(bufA, 0, n, pos);
      if (m < n || !bufA.subarray(0, n).equals(bufB.subarray(0, n))) return false;
      pos += n;
    }
  } finally {
    await a?.close();
    await b?.close();
  }
}

/** The file at `path`, or undefined when there is none (also when its directory became a file). */
function statIfPresent(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

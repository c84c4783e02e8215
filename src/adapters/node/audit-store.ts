// The embedded audit store, default on Node (SPEC §6): one append-only JSON Lines file per
// tenant, `<data>/audit/<tenant>/log.jsonl`, byte for byte the tenant's export.
//
// Durability: an append resolves only after its bytes were written and, with the default
// `fsync: 'always'`, fdatasync'ed. Group commit: lines appended in one turn of the event loop
// are written together; while an fdatasync is in flight new lines queue up, and as soon as it
// ends the next group (everything queued) is written and synced, so N concurrent decisions cost
// one sync, not N. Writes are synchronous (a few KiB into the page cache; a thread-pool hop per
// write cost more here), fdatasync runs off the main thread. `fsync: 'never'` only writes
// (survives a process crash, not a power cut).
// Recovery: a last line without its newline (a torn write) is cut off; a last line that is
// not JSON is cut off too (a torn write the file system padded), unless the latest kept
// checkpoint covers it. Damage anywhere else is refused: the store will not open, and
// `mge audit verify` names the line.
// One process per data dir: two writers would each keep a tree the other does not see.

import { writeSync } from 'node:fs';
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Checkpoint, TornCheckpoint } from '../../audit/checkpoint.js';
import { PagedArray } from '../../audit/paged-array.js';
import { AuditStoreError, AuditStorePausedError, refuseMultiline, type AuditStore, type AuditStoreFactory } from '../../audit/store.js';
import { appendCheckpointLine, CHECKPOINTS, readCheckpointFile, readTornCheckpoint } from './checkpoint-file.js';
import { CHUNK, NL, scanLines } from './line-scan.js';
import { LogWriteBack, refuseWhileSetAside } from './log-write-back.js';
import { makeDirDurably, refuseWithoutLease, removeTemporariesOf, syncDir, whatIsThere } from './new-file.js';
import { isTenantDirName, tenantDirName, tenantFromDirName } from './tenant-dirs.js';

/** `<data>/audit/<tenant>/log.jsonl`: each tenant's log. */
export const AUDIT_DIR = 'audit';
export const LOG_FILE = 'log.jsonl';

export type FsyncPolicy = 'always' | 'never';

export interface NodeAuditStoreOptions {
  fsync?: FsyncPolicy;
  /**
   * Bytes of the log known good (written, and with `always` synced) when a write failed: the
   * file is cut to that length before it is read again (NodeAuditStore.open), since what a
   * failed write or sync left in the page cache reads back as if it were on disk.
   */
  cutTo?: { bytes: number; dev: number; ino: number };
  /** Told when opening cut a torn last record off (`mge serve` logs it as a warning). */
  onTornTailCut?: (cut: { dir: string; bytes: number }) => void;
  /**
   * Asked right before each write: false refuses it as a failed write (the data dir's lock
   * lease has lapsed: node/data-dir-lock.ts). Checked here and not only when a line is queued,
   * since lines wait while a sync is in flight (one stalled 15 s, and lines queued before the
   * lapse landed in the log of the server that took over).
   */
  mayWrite?: () => boolean;
}

/** How long queued lines wait for a lapsed lease to come back before the store fails, and how often they look. */
const LEASE_WAIT_MS = 3000;
const LEASE_RETRY_MS = 50;

interface Waiter {
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** Lines between two offsets kept in memory: a read seeks to the mark before its first line. */
const LINES_PER_MARK = 256;

export class NodeAuditStore implements AuditStore {
  /**
   * Start offset of every 256th line (line m·256 at slot m), in pages of 8 192: a read starts
   * at the mark before its first line and skips up to 255 lines, and the store keeps 1/32 byte
   * per line instead of 8. `end` is where the next line starts.
   */
  private readonly marks = new PagedArray((n) => new Float64Array(n), 1, 8192);
  private count = 0;
  private end = 0;
  /** Lines appended and not written yet, and their callers. */
  private pending: string[] = [];
  private pendingBytes = 0;
  private waiters: Waiter[] = [];
  private flushQueued = false;
  /** When a write first waited for the lock's lease (performance.now()), while it waits. */
  private leaseWaitSince: number | undefined;
  /** An fdatasync is in flight; lines appended meanwhile wait for it to end. */
  private syncing = false;
  private failure: unknown;
  /** The file was cut or overwritten in place: a group being synced is refused, not answered. */
  private lostInPlace: AuditStoreError | undefined;
  /** Where the bytes answered so far end: written, and with `always` synced too. */
  private goodEnd = 0;
  /** Where the bytes written so far end, and the text of the last write (synchronous writes: the file holds them at every turn). */
  private writtenEnd = 0;
  private lastWritten: string | undefined;
  /** The log file's identity when opened: only that file is cut after a failure (cutTo). */
  identity: { dev: number; ino: number } | undefined;
  /** Lines dropped as torn when the store opened (for the start-up log). */
  droppedTornBytes = 0;
  /** Watches the log's path; writes the answered bytes back there if the file is removed. */
  private readonly writeBack: LogWriteBack;

  private constructor(readonly dir: string, private readonly fh: FileHandle, private readonly fsync: FsyncPolicy, private readonly mayWrite?: () => boolean) {
    this.writeBack = new LogWriteBack({
      dir, path: join(dir, LOG_FILE), fh, mayWrite,
      answeredEnd: () => this.goodEnd,
      written: () => ({ end: this.writtenEnd, last: this.lastWritten }),
      failed: () => this.failed,
      idle: () => this.idle(),
      refuseAppends: (err, unanswered) => {
        this.failure ??= err;
        if (unanswered === true) this.lostInPlace ??= err;
      },
    });
  }

  static async open(dir: string, opts: NodeAuditStoreOptions = {}): Promise<NodeAuditStore> {
    // A tenant's first log is made here: not by a server whose lease lapsed, and its directory
    // durable before the first answered line is.
    refuseWithoutLease(opts.mayWrite, join(dir, LOG_FILE), AuditStorePausedError);
    await makeDirDurably(dir);
    const fh = await open(join(dir, LOG_FILE), 'a+', 0o600);
    const store = new NodeAuditStore(dir, fh, opts.fsync ?? 'always', opts.mayWrite);
    try {
      // After a failed write: only what was answered is kept (else a reopened log reads back
      // bytes whose write or sync had failed, appends after them, and a power cut then takes
      // answered decisions with it, on a device that fails its writes).
      const st = await fh.stat();
      // A FIFO there opened (read and write) and failed its first write with a bare EINVAL.
      if (!st.isFile()) throw new AuditStoreError(`\`${join(dir, LOG_FILE)}\` is ${whatIsThere(st)}, not a file; remove it`);
      store.identity = { dev: st.dev, ino: st.ino };
      const cut = opts.cutTo;
      if (cut !== undefined && cut.dev === st.dev && cut.ino === st.ino && st.size > cut.bytes) {
        refuseWithoutLease(opts.mayWrite, join(dir, LOG_FILE), AuditStorePausedError); // asked again: the steps above wait
        await fh.truncate(cut.bytes);
        await fh.datasync();
      }
      await store.recover();
      store.goodEnd = store.writtenEnd = store.end;
      await syncDir(dir);
    } catch (e) {
      await fh.close();
      throw e;
    }
    store.writeBack.watch();
    if (store.droppedTornBytes > 0) opts.onTornTailCut?.({ dir, bytes: store.droppedTornBytes });
    return store;
  }

  private record(offset: number): void {
    if (this.count % LINES_PER_MARK === 0) {
      const m = this.count / LINES_PER_MARK;
      this.marks.grow(m);
      this.marks.page(m)[this.marks.offset(m)] = offset;
    }
    this.count++;
  }

  /** Where line m·LINES_PER_MARK starts (m·LINES_PER_MARK < count). */
  private markOffset(m: number): number {
    return this.marks.page(m)[this.marks.offset(m)];
  }

  /**
   * Indexes the file and cuts off a torn last record. Only newlines are looked for here; the
   * lines are decoded once, when the log loads them (the last one also here, to check it).
   */
  private async recover(): Promise<void> {
    const size = (await this.fh.stat()).size;
    const buf = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(1, size)));
    let lineStart = 0;
    /** The start of the last complete line, recorded only once it is known not to be the last. */
    let last = -1;
    for (let pos = 0; pos < size;) {
      const { bytesRead } = await this.fh.read(buf, 0, Math.min(buf.length, size - pos), pos);
      if (bytesRead === 0) break;
      const data = buf.subarray(0, bytesRead);
      for (let i = data.indexOf(NL); i >= 0; i = data.indexOf(NL, i + 1)) {
        if (last >= 0) this.record(last);
        last = lineStart;
        lineStart = pos + i + 1;
      }
      pos += bytesRead;
    }
    // Complete lines end at lineStart; anything after it is a torn write.
    let goodEnd = lineStart;
    if (last >= 0) {
      const text = Buffer.alloc(lineStart - 1 - last);
      await this.fh.read(text, 0, text.length, last);
      let ok = true;
      try {
        JSON.parse(text.toString('utf8'));
      } catch {
        ok = false;
      }
      if (ok) this.record(last);
      else goodEnd = last;
    }
    if (goodEnd < size) {
      // Only what no checkpoint vouched for may be cut: a torn entry a checkpoint covers was
      // acknowledged, so the file is left as it is, as evidence, and the log refuses to open.
      let covered: number;
      try {
        covered = (await readCheckpointFile(join(this.dir, CHECKPOINTS))).reduce((most, c) => Math.max(most, c.tree_size), 0);
      } catch (err) {
        throw new AuditStoreError(`audit log in \`${this.dir}\` ends in a torn entry and its checkpoints cannot be read, so nothing was cut: ${(err as Error).message}`);
      }
      if (this.count < covered) {
        throw new AuditStoreError(`audit log in \`${this.dir}\` ends in a torn entry, but its latest checkpoint covers ${covered} entries and only ${this.count} are whole: acknowledged entries were damaged; the file is left as it is (\`mge audit verify\` tells more)`);
      }
      refuseWithoutLease(this.mayWrite, join(this.dir, LOG_FILE), AuditStorePausedError);
      this.droppedTornBytes = size - goodEnd;
      await this.fh.truncate(goodEnd);
      await this.fh.datasync();
    }
    this.end = goodEnd;
  }

  async *load(): AsyncIterable<string> {
    yield* this.read(0, this.count);
  }

  async *read(from: number, count: number): AsyncIterable<string> {
    const to = Math.min(this.count, from + count);
    if (from < 0 || from >= to) return;
    const first = Math.floor(from / LINES_PER_MARK);
    // The scan ends at the mark after the last line asked for, or at the end of the file.
    const after = Math.floor((to - 1) / LINES_PER_MARK) + 1;
    const endOffset = after * LINES_PER_MARK < this.count ? this.markOffset(after) : this.end;
    let line = first * LINES_PER_MARK;
    for await (const l of scanLines(this.fh, this.markOffset(first), endOffset)) {
      if (!l.complete || line >= to) break;
      if (!l.utf8) {
        throw new AuditStoreError(`line ${line + 1} of the audit log \`${join(this.dir, LOG_FILE)}\` is not valid UTF-8, so not the text that was logged: it was changed or damaged after it was written; the log is not opened (\`mge audit verify\` tells more)`);
      }
      if (line++ >= from) yield l.line;
    }
  }

  append(lines: readonly string[]): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (lines.length === 0) return Promise.resolve();
    // Checked before any is queued: a refused call leaves nothing half-appended.
    const refused = refuseMultiline(lines);
    if (refused !== undefined) return Promise.reject(refused);
    // Offsets are taken now, in call order; the bytes land in that order too. Lines stay text
    // until the one write: no Buffer per line and no copy to join them.
    for (const line of lines) {
      this.pending.push(line);
      this.record(this.end);
      const bytes = Buffer.byteLength(line, 'utf8') + 1;
      this.end += bytes;
      this.pendingBytes += bytes;
    }
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    // While a sync is in flight, its end starts the next group; otherwise the lines appended in
    // this turn of the event loop (every request read in one poll) share one write.
    if (!this.flushQueued && !this.syncing) {
      this.flushQueued = true;
      setImmediate(() => this.flush());
    }
    return done;
  }

  /** Writes every queued line at once; with fsync=always, then one fdatasync for all of them. */
  private flush(): void {
    this.flushQueued = false;
    // The lease lapsed (a pause): the lines wait for the next beat rather than failing the
    // store, which a reopen would then take ~10 s to clear (a lone server paused 6 s
    // would refuse checks for 10 s more). They fail below if the lease stays out LEASE_WAIT_MS.
    if (this.failure === undefined && this.mayWrite?.() === false) {
      this.leaseWaitSince ??= performance.now();
      if (performance.now() - this.leaseWaitSince < LEASE_WAIT_MS) {
        this.flushQueued = true;
        setTimeout(() => this.flush(), LEASE_RETRY_MS);
        return;
      }
    } else {
      this.leaseWaitSince = undefined;
    }
    const upTo = this.end;
    const lines = this.pending;
    const bytes = this.pendingBytes;
    const waiters = this.waiters;
    this.pending = [];
    this.pendingBytes = 0;
    this.waiters = [];
    try {
      if (this.failure !== undefined) throw this.failure;
      if (this.mayWrite?.() === false) refuseWithoutLease(this.mayWrite, join(this.dir, LOG_FILE), AuditStoreError); // the path joined only then
      const text = lines.join('\n') + '\n';
      const written = writeSync(this.fh.fd, text);
      // A short write (rare on a regular file) goes on from the byte where it stopped.
      if (written < bytes) {
        const data = Buffer.from(text, 'utf8');
        for (let off = written; off < data.length;) off += writeSync(this.fh.fd, data, off, data.length - off);
      }
      this.writtenEnd = upTo;
      this.lastWritten = text;
    } catch (e) {
      this.fail(e, waiters);
      return;
    }
    if (this.fsync === 'never') {
      this.goodEnd = upTo;
      for (const w of waiters) w.resolve();
      return;
    }
    // No write while the sync runs: a write into a page under writeback waits for the disk,
    // which would stall the event loop.
    this.syncing = true;
    this.fh.datasync().then(
      () => {
        if (this.lostInPlace !== undefined) return this.fail(this.lostInPlace, waiters);
        this.goodEnd = upTo;
        for (const w of waiters) w.resolve();
      },
      (e: unknown) => this.fail(e, waiters),
    ).finally(() => {
      this.syncing = false;
      if (this.pending.length > 0) this.flush();
    });
  }

  /** Once no write or sync is queued or in flight. */
  private async idle(): Promise<void> {
    while (this.flushQueued || this.syncing) await new Promise((r) => setImmediate(r));
  }

  /** Where the answered bytes end; after a failure, where the file is to be cut before it is read again. */
  get answeredEnd(): number {
    return this.goodEnd;
  }

  /** Whether a write or sync failed (the store refuses every append from then on). */
  get failed(): boolean {
    return this.failure !== undefined;
  }

  /** Whatever reached the file is cut off at the next open if torn; nothing more is accepted. */
  private fail(e: unknown, waiters: readonly Waiter[]): void {
    this.failure ??= new AuditStoreError(`audit file write failed in \`${this.dir}\`: ${String(e)}`);
    for (const w of waiters) w.reject(this.failure);
  }

  /** Appends one checkpoint line beside the log, whole or not at all (appendCheckpointLine). */
  appendCheckpoint(cp: Checkpoint): Promise<void> {
    return appendCheckpointLine(this.dir, cp, this.fsync === 'always', this.mayWrite);
  }

  async checkpoints(): Promise<Checkpoint[]> {
    return readCheckpointFile(join(this.dir, CHECKPOINTS));
  }

  tornCheckpoint(): Promise<TornCheckpoint | undefined> {
    return readTornCheckpoint(this.dir);
  }

  async close(): Promise<void> {
    this.writeBack.stop();
    await this.idle();
    const lost = await this.writeBack.lastLook();
    if (lost === undefined) return this.fh.close();
    // The open file holds the only copy (a removed file's space is not freed while it is
    // open, so a full disk may take this): kept open and tried again until written back.
    this.writeBack.closeWhenRestored();
    throw new AuditStoreError(`the audit log \`${join(this.dir, LOG_FILE)}\` was removed and cannot be written back yet (${String(lost)}); its open file is kept and the write-back tried again twice a second`);
  }

  /** Whether answered bytes live only in this store's open file (a removed log not written back yet). */
  get unsaved(): boolean {
    return this.writeBack.unsaved;
  }

  /** Why the last write-back failed, while `unsaved`. */
  get unsavedBecause(): unknown {
    return this.writeBack.unsavedBecause;
  }
}

/** One file store per tenant under `<dataDir>/audit/`. */
export class NodeAuditStoreFactory implements AuditStoreFactory {
  /** Each tenant's store last opened: one that failed is cut to its answered bytes when opened again. */
  private readonly opened = new Map<string, NodeAuditStore>();
  private root: Promise<void> | undefined;

  constructor(readonly dataDir: string, private readonly opts: NodeAuditStoreOptions = {}) {}

  async open(tenant: string): Promise<NodeAuditStore> {
    // `audit/` made (and synced into the data directory) once, before any tenant's directory:
    // two tenants' first logs at once must both wait for that sync.
    refuseWithoutLease(this.opts.mayWrite, join(this.dataDir, AUDIT_DIR), AuditStorePausedError);
    await (this.root ??= makeDirDurably(join(this.dataDir, AUDIT_DIR)).catch((err: unknown) => {
      this.root = undefined;
      throw err;
    }));
    const previous = this.opened.get(tenant);
    // A new file at the path now would take the name the write-back needs.
    if (previous?.unsaved) throw new AuditStoreError(`the audit log of tenant \`${tenant}\` was removed and is still being written back from the open file (${String(previous.unsavedBecause)}); not opened meanwhile`);
    // Only the failed store's own file: not one that took its name meanwhile (an editor's or a
    // backup tool's rename, a copy written back).
    const cutTo = previous?.failed && previous.identity !== undefined ? { bytes: previous.answeredEnd, ...previous.identity } : undefined;
    const dir = join(this.dataDir, AUDIT_DIR, tenantDirName(tenant));
    // A write-back cut short by a crash left its copy beside the log, as large as the log: gone
    // on the first open (the data directory's lock is held, and no write-back of this process
    // has begun). Not one of this process's: in a container every life may have one pid.
    if (previous === undefined) await removeTemporariesOf(join(dir, LOG_FILE)).catch(() => undefined);
    await refuseWhileSetAside(join(dir, LOG_FILE));
    const store = await NodeAuditStore.open(dir, cutTo === undefined ? this.opts : { ...this.opts, cutTo });
    this.opened.set(tenant, store);
    return store;
  }

  /**
   * Tries once more to write back every removed log still held only by its open file (a reopen
   * closed its store, whose close failed); rejects naming the tenants whose write-back still
   * fails: their answered decisions end with this process (else such a shutdown says
   * everything is in its log and exits 0).
   */
  async close(): Promise<void> {
    const lost: string[] = [];
    for (const [tenant, store] of this.opened) {
      if (store.unsaved) await store.close().catch(() => lost.push(tenant));
    }
    if (lost.length > 0) {
      throw new AuditStoreError(`the removed audit log of ${lost.map((t) => `\`${t}\``).join(', ')} could not be written back: the decisions it held are lost as this process ends`);
    }
  }

  async tenants(): Promise<string[]> {
    try {
      const entries = await readdir(join(this.dataDir, AUDIT_DIR), { withFileTypes: true });
      return entries.filter((e) => e.isDirectory() && isTenantDirName(e.name)).map((e) => tenantFromDirName(e.name)).sort();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  }
}

/** Whether some tenant's audit log in the data dir holds an entry (`<data>/audit/<t>/log.jsonl`, not empty). */
export async function hasAuditEntries(dataDir: string): Promise<boolean> {
  let tenants: string[];
  try {
    tenants = await readdir(join(dataDir, AUDIT_DIR));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  for (const t of tenants) {
    const size = await stat(join(dataDir, AUDIT_DIR, t, LOG_FILE)).then((s) => s.size, () => 0);
    if (size > 0) return true;
  }
  return false;
}

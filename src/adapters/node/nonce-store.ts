// `mge serve`'s used nonces, kept in the data dir so a restart does not forget them (SPEC §5:
// a receipt verifies once). In memory only, a receipt verified just before a restart would
// verify again after it, until it expired.
//
// The memory store decides (atomically, per tenant, as before); each nonce it accepts is then
// appended to `<data>/nonces.jsonl` and synced before the verification is answered, so an
// answered "valid" is never forgotten by a crash. Appends queued while a sync runs share the
// next write and sync (group commit), so one tenant's verifications do not queue every other
// tenant's behind one sync each. A write that fails rejects those nonces (the verify route
// answers `nonce_store_unavailable`, fail closed; they stay used) and the file is cut back to
// its last synced length, so a torn fragment never glues onto the next line (a torn last line
// found at start is cut off the same way); if even that fails, the store refuses every later
// nonce. At start the file's unexpired nonces are loaded
// and the file is rewritten with only them; while running it is rewritten the same way once it
// holds more lines than twice the live nonces (and 10 000). A rewrite that fails is dropped
// (the file only stays longer): the handle moves to the new file only once it has its name.

import { open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { MemoryNonceStore, type NonceStore } from '../../state/nonce-store.js';
import { endsWithText } from './file-ends-with.js';
import { wallAtMost } from './server-clock.js';
import { makeDirDurably, readBytesIfPresent, refuseWithoutLease, removeTemporariesOf, syncDir, temporaryNameFor, type MayWrite } from './new-file.js';

export const NONCES_FILE = 'nonces.jsonl';
const COMPACT_AFTER = 10_000;
/** Characters of a rewrite written at a time (about 1 MB): the event loop turns between them. */
const COMPACT_CHUNK_CHARS = 1 << 20;

const lineOf = (tenant: string, nonce: string, expiresAtMs: number): string => `${JSON.stringify({ e: expiresAtMs, n: nonce, t: tenant })}\n`;
/**
 * The latest expiry among the nonces a rewrite leaves out, `{"w": ms}` (MemoryNonceStore's
 * forgottenUpTo), its last line: a start on a clock stepped back still refuses their receipts.
 */
const forgottenLineOf = (upTo: number): string => (Number.isFinite(upTo) ? `${JSON.stringify({ w: upTo })}\n` : '');

interface Waiter {
  line: string;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class NodeNonceStore implements NonceStore {
  private queue: Waiter[] = [];
  private flushing: Promise<void> | undefined;
  private lines = 0;
  /** Lines past which a rewrite is considered (raised after one fails). */
  private compactAfter: number;
  /** A failed write left bytes past `size` that are still to be cut (the lease refused it then). */
  private cutPending = false;
  /** Why the file can no longer be trusted to hold what was answered; every nonce is refused then. */
  private broken: Error | undefined;
  /** The text of the last write, which the file ends with at `size` (undefined: nothing written since it was opened). */
  private lastText: string | undefined;
  /** close() was called: no more write-backs of the looks (close does its own). */
  private closing = false;

  private constructor(
    private readonly file: string,
    private readonly memory: MemoryNonceStore,
    private fh: FileHandle,
    /** Bytes of the file known written and synced: a failed append is cut back to this. */
    private size: number,
    /** The clock expired nonces are evicted by. */
    private readonly now: () => number,
    private readonly compactAt: number,
    private readonly mayWrite: MayWrite | undefined,
    /** The clock skew this server allows (open's `skewMs`). */
    private readonly skew: number,
  ) {
    this.compactAfter = compactAt;
  }

  /**
   * Opens (or creates) `<dataDir>/nonces.jsonl`, keeping its unexpired nonces.
   * `compactAfter`: lines before a rewrite is considered (default 10 000; smaller in tests).
   * `skewMs`: the clock skew this server allows. Every nonce is kept that much longer than its
   * line says: the run that wrote it may have allowed less (MGE_CLOCK_SKEW_SECONDS raised
   * across a restart), and a nonce forgotten while its receipt still verifies is a replay.
   * Lines keep what they say (a rewrite writes no longer expiry, so restarts do not add up).
   * `mayWrite`: the data directory's lease, asked before each append and rewrite; refused, the
   * nonces are not written (and stay used here: fail closed).
   */
  static async open(dataDir: string, opts: { maxEntries?: number; now?: () => number; compactAfter?: number; skewMs?: number; mayWrite?: MayWrite } = {}): Promise<NodeNonceStore> {
    // A step forward of the wall clock drops no nonce early (wallAtMost).
    const now = opts.now ?? wallAtMost();
    const skew = opts.skewMs ?? 0;
    // A nonce is evicted only once its expiry is `skew` in the past (see above).
    const evictionClock = () => now() - skew;
    const memory = new MemoryNonceStore(opts.maxEntries, evictionClock);
    const file = join(dataDir, NONCES_FILE);
    const bytes = (await readBytesIfPresent(file)) ?? Buffer.alloc(0);
    // Only whole lines count: a last line without its newline is a write a crash (or a failed
    // cut-back) left torn, whose verification was never answered. It is cut off below, before
    // anything is appended, so no later line can be glued onto it.
    const whole = bytes.lastIndexOf(0x0a) + 1;
    const t = now();
    let lines = 0;
    for (let at = 0; at < whole; ) {
      const end = bytes.indexOf(0x0a, at);
      const line = bytes.toString('utf8', at, end); // one line at a time: no string of the whole file
      at = end + 1;
      lines++;
      let entry: unknown;
      try {
        entry = JSON.parse(line);
      } catch {
        continue; // an empty or damaged line
      }
      const { e, n, t: tenant, w } = (entry ?? {}) as { e?: unknown; n?: unknown; t?: unknown; w?: unknown };
      if (typeof w === 'number' && Number.isFinite(w)) memory.noteForgotten(w); // not Infinity (`1e400`): every verification refused
      if (typeof e !== 'number' || typeof n !== 'string' || typeof tenant !== 'string') continue;
      // Not loaded, expired by this start's clock: forgotten from now on, even if the clock
      // was ahead and is set back later (its receipt would verify again).
      if (e + skew >= t) await memory.consumeOnce(tenant, n, e);
      else memory.noteForgotten(e);
    }
    // Rewrites a crash left half done are dropped: the file itself was never replaced by them.
    await removeTemporariesOf(file);
    const fh = await open(file, 'a+', 0o600); // read too: the last write is read back (fileGone)
    try {
      if (whole < bytes.length) await fh.truncate(whole);
    } catch (err) {
      await fh.close();
      throw err;
    }
    const store = new NodeNonceStore(file, memory, fh, whole, evictionClock, opts.compactAfter ?? COMPACT_AFTER, opts.mayWrite, skew);
    store.lines = lines;
    await store.compact().catch(() => undefined); // a full disk keeps the longer file
    return store;
  }

  /**
   * The memory store's clock: this one's less the skew, as it keeps nonces that much longer. Its
   * mark of what was dropped holds expiries plus the skew of the run that wrote them, which may
   * have been smaller (MGE_CLOCK_SKEW_SECONDS raised across a restart): a receipt is judged
   * with this run's skew, so the mark counts with it too (a re-review, 11-29: 5 s raised to
   * 60 s, the clock set back, and a receipt verified twice).
   */
  forgetClock(): number {
    return Math.max(this.memory.forgetClock(), this.memory.forgottenUpTo + this.skew + 1);
  }

  async consumeOnce(tenant: string, nonce: string, expiresAtMs: number): Promise<'ok' | 'replayed' | 'full'> {
    if (this.broken !== undefined) throw this.broken;
    const r = await this.memory.consumeOnce(tenant, nonce, expiresAtMs);
    if (r !== 'ok') return r;
    await new Promise<void>((resolve, reject) => {
      this.queue.push({ line: lineOf(tenant, nonce, expiresAtMs), resolve, reject });
      // Started a microtask later, so `flushing` is set before it runs: a flush that ends
      // without an await (every group refused) would otherwise clear it first, and then be
      // kept as in flight forever.
      this.flushing ??= Promise.resolve().then(() => this.flush());
    });
    return 'ok';
  }

  /** Writes and syncs everything queued, a group at a time, until the queue is empty. */
  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const group = this.queue.splice(0);
      const text = group.map((w) => w.line).join('');
      try {
        // Refused before the write, the file is not cut back either: it may be another's now.
        refuseWithoutLease(this.mayWrite, this.file);
      } catch (err) {
        for (const w of group) w.reject(err);
        continue;
      }
      try {
        if (this.broken !== undefined) throw this.broken;
        // A failed write's cut-back the lease refused then is made before anything is appended.
        if (this.cutPending) await this.fh.truncate(this.size);
        this.cutPending = false;
        await this.fh.appendFile(text);
        await this.fh.datasync();
        // The file removed or moved away under the server (`rm -rf data`, `mv`): these nonces
        // went into a file the next start does not read, so a receipt verified now verified
        // again then. The live nonces are written back, these included,
        // before any of them is answered. So are they when it was emptied in place (`: >`).
        if (await this.fileGone(this.size + Buffer.byteLength(text), text)) await this.compact();
        else this.lastText = text;
      } catch (err) {
        if (this.mayWrite !== undefined && !this.mayWrite()) this.cutPending = true;
        else {
          await this.fh.truncate(this.size).catch((cut: unknown) => {
            this.broken = new Error(`the nonces file could not be written nor cut back (${String(cut)}); restart to use it again`);
          });
        }
        for (const w of group) w.reject(err);
        continue;
      }
      this.size += Buffer.byteLength(text);
      this.lines += group.length;
      for (const w of group) w.resolve();
      if (this.lines > this.compactAfter) {
        this.memory.evictExpired(this.now()); // a heap peek when nothing has expired
        if (this.lines > 2 * this.memory.size) {
          // A rewrite that fails (a full disk) is tried again only once the file has doubled,
          // not before every later group.
          await this.compact().catch(() => void (this.compactAfter = 2 * this.lines));
        }
      }
    }
    this.flushing = undefined;
  }

  /**
   * Rewrites the file with the unexpired nonces only: written and synced under a temporary
   * name through the handle that then appends, so the handle is the named file's from the
   * rename on, whatever fails after it.
   */
  private async compact(): Promise<void> {
    this.memory.evictExpired(this.now());
    const tmp = temporaryNameFor(this.file);
    let fh: FileHandle | undefined;
    let size = 0;
    let n = 0;
    let text = '';
    let last = '';
    try {
      refuseWithoutLease(this.mayWrite, this.file);
      await makeDirDurably(dirname(this.file)); // the whole data directory may be gone
      fh = await open(tmp, 'a+', 0o600);
      const out = fh;
      const write = async (): Promise<void> => {
        if (text === '') return;
        await out.appendFile(text);
        size += Buffer.byteLength(text);
        last = text; // what the file ends with (fileGone reads its last characters back)
      };
      // A chunk at a time, letting checks run between: a million live nonces built into one
      // string held every tenant's checks for 1.7 s (a review, 11-29).
      for (const { tenant, nonce, expiresAtMs } of this.memory.entries()) {
        text += lineOf(tenant, nonce, expiresAtMs);
        n++;
        if (text.length >= COMPACT_CHUNK_CHARS) {
          await write();
          text = '';
        }
      }
      // Last, the latest expiry of what this rewrite left out (also of what was dropped while
      // it ran) and of what was dropped before.
      const forgotten = forgottenLineOf(this.memory.forgottenUpTo);
      if (forgotten !== '') n++;
      text += forgotten;
      await write();
      await fh.datasync();
      refuseWithoutLease(this.mayWrite, this.file);
      await rename(tmp, this.file);
    } catch (err) {
      await fh?.close().catch(() => undefined);
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    const old = this.fh;
    this.fh = fh;
    this.size = size;
    this.lastText = last;
    this.cutPending = false; // a new file: nothing past its end
    this.lines = n;
    this.compactAfter = this.compactAt;
    await old.close().catch(() => undefined);
    await syncDir(dirname(this.file)); // else a power cut could bring back the old file (a superset: safe)
  }

  /**
   * Whether the open file no longer holds what was written (removed, moved away, replaced),
   * or is shorter than the `written` bytes (cut in place: `: > nonces.jsonl`; else the receipts
   * verified before it verify again after the next start).
   */
  private async fileGone(written: number, last = this.lastText): Promise<boolean> {
    const open = await this.fh.stat();
    const named = await stat(this.file).catch(() => undefined);
    if (open.nlink === 0 || named === undefined || named.ino !== open.ino || named.dev !== open.dev || open.size < written) return true;
    // Copied over in place (`cp backup nonces.jsonl`, `cat other > nonces.jsonl`): the same file,
    // as long or longer, but no longer ending where it did with what was last written (a
    // re-review: every receipt verified before it verified again after a restart).
    return last !== undefined && !(await endsWithText(this.fh, written, last));
  }

  /**
   * Looked at every second by the server: a file removed, moved away, cut short or overwritten
   * while no verification came is written back now, not at the next verification or the stop (a
   * crash before either, and every receipt verified since the start verified again). A flush in
   * flight looks itself. Resolves to whether it wrote the file back.
   */
  async writeBackIfGone(): Promise<boolean> {
    // Closed: close() looked last (the stop's last look of the kept files comes after it).
    if (this.closing || this.flushing !== undefined || this.broken !== undefined) return false;
    let wrote = false;
    const look = (async () => {
      try {
        if (await this.fileGone(this.size)) {
          await this.compact();
          wrote = true;
        }
      } finally {
        // Verifications that came meanwhile wait behind this look (`flushing` was set): their
        // flush starts now, a microtask later for the reason consumeOnce gives.
        this.flushing = this.queue.length > 0 ? Promise.resolve().then(() => this.flush()) : undefined;
      }
    })();
    this.flushing = look.catch(() => undefined);
    await look;
    return wrote;
  }

  /**
   * Waits for the appends under way, then closes the file, written back first if it is gone;
   * a write-back that fails then is told to `onLost` (the receipts verified since may verify
   * again after the next start), since nothing else would say so.
   */
  async close(onLost?: (err: unknown) => void): Promise<void> {
    this.closing = true;
    while (this.flushing !== undefined) await this.flushing;
    if (this.broken === undefined && (await this.fileGone(this.size).catch(() => false))) {
      await this.compact().catch((err: unknown) => onLost?.(err));
    }
    await this.fh.close();
  }
}

// The signed checkpoints kept beside a tenant's log, one JSON line each: appended whole or
// not at all as far as readers go, and read back with a torn last line set apart.

import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { isCheckpoint, notACheckpoint, readCheckpointText, tornCheckpointOf, type Checkpoint, type TornCheckpoint } from '../../audit/checkpoint.js';
import { AuditStoreError, AuditStorePausedError } from '../../audit/store.js';
import { endOfLastLine, scanLines } from './line-scan.js';
import { openRegularIfPresent, refuseWithoutLease, syncDir } from './new-file.js';

/** Signed checkpoints, one JSON line each, beside the log. */
export const CHECKPOINTS = 'checkpoints.jsonl';

/**
 * Appends one checkpoint line to `dir`'s checkpoints file, whole or not at all as far as
 * readers go: a line torn by a crash or a full disk is cut before the next one is written (else
 * the two would be glued into one line no reader accepts), and a short write throws, so a
 * checkpoint is answered only once all of it is in the file. `sync`: fdatasync it (and a new
 * file's directory).
 */
export async function appendCheckpointLine(dir: string, cp: Checkpoint, sync: boolean, mayWrite: (() => boolean) | undefined): Promise<void> {
  const file = join(dir, CHECKPOINTS);
  refuseWithoutLease(mayWrite, file, AuditStorePausedError);
  const fh = await open(file, 'a+', 0o600);
  try {
    const size = (await fh.stat()).size;
    const whole = await endOfLastLine(fh, size);
    // After the last newline: a whole checkpoint that only lacks its newline gets it; a torn
    // one is cut (glued to the next, neither would read as a checkpoint).
    let tail = '';
    if (whole < size) {
      const rest = Buffer.alloc(size - whole);
      await fh.read(rest, 0, rest.length, whole);
      if (isCheckpoint(readCheckpointText(rest.toString('utf8')))) tail = '\n';
      else {
        refuseWithoutLease(mayWrite, file, AuditStorePausedError);
        await fh.truncate(whole);
      }
    }
    const bytes = Buffer.from(tail + JSON.stringify(cp) + '\n', 'utf8');
    refuseWithoutLease(mayWrite, file, AuditStorePausedError); // still, after the reads above
    for (let off = 0; off < bytes.length;) off += (await fh.write(bytes, off, bytes.length - off)).bytesWritten;
    if (sync) {
      await fh.datasync();
      // A new file's name must survive a power cut too.
      if (size === 0) await syncDir(dir);
    }
  } finally {
    await fh.close();
  }
}

/**
 * The lines of a kept checkpoints file to read. After the last newline is either nothing, a
 * line torn by a crash while writing it (ignored), or a whole checkpoint whose newline alone
 * is missing: that one was signed and written, so it is kept (ignoring it would let the log
 * it covers be changed unseen).
 */
export function keptCheckpointLines(text: string): string[] {
  const lines = text.split('\n');
  const tail = lines.pop()!;
  if (tail !== '' && isCheckpoint(readCheckpointText(tail))) lines.push(tail);
  return lines;
}

/** The newest checkpoints a start holds of a long file (readCheckpointFile says what else). */
export const HELD_CHECKPOINTS = 10_000;

/**
 * Checkpoints kept beside a log (see keptCheckpointLines for its last line), read line by line,
 * in file order, and of a long file only what opening a log asks of them: the newest
 * HELD_CHECKPOINTS lines, each key's newest (by tree size) and the first of each of the first
 * two tenants named (one of them is another tenant's, if any line is).
 * A checkpoint is kept for each request that finds the log grown (a monitor polling every
 * second on a busy log adds ~22 MB a day): read whole, such a file held every line in memory,
 * and past 512 MiB (one string's limit) the log never opened again (a review, 11-29).
 */
export async function readCheckpointFile(file: string): Promise<Checkpoint[]> {
  const opened = await openRegularIfPresent(file);
  if (opened === undefined) return [];
  const held = new HeldCheckpoints();
  try {
    let n = 0;
    for await (const { line, complete } of scanLines(opened.handle, 0, opened.size)) {
      n++;
      const cp = readCheckpointText(line);
      if (!complete && !isCheckpoint(cp)) break; // a torn last line: readTornCheckpoint's
      if (!isCheckpoint(cp)) throw new AuditStoreError(`\`${file}\` line ${n}: ${notACheckpoint(cp)}`);
      held.add(n, cp);
    }
  } finally {
    await opened.handle.close();
  }
  return held.inFileOrder();
}

/** Lines of a checkpoints file held as they are read (readCheckpointFile says which). */
class HeldCheckpoints {
  private recent: Array<{ n: number; cp: Checkpoint }> = [];
  private readonly newestByKid = new Map<string, { n: number; cp: Checkpoint }>();
  /** The first line of each tenant, for the first two named: whichever the log's, another's is among them. */
  private readonly firstByTenant = new Map<string, { n: number; cp: Checkpoint }>();

  add(n: number, cp: Checkpoint): void {
    const line = { n, cp };
    this.recent.push(line);
    if (this.recent.length >= 2 * HELD_CHECKPOINTS) this.recent = this.recent.slice(-HELD_CHECKPOINTS);
    const newest = this.newestByKid.get(cp.kid);
    if (newest === undefined || cp.tree_size >= newest.cp.tree_size) this.newestByKid.set(cp.kid, line);
    if (this.firstByTenant.size < 2 && !this.firstByTenant.has(cp.tenant)) this.firstByTenant.set(cp.tenant, line);
  }

  inFileOrder(): Checkpoint[] {
    const lines = new Map<number, Checkpoint>();
    for (const { n, cp } of [...this.recent.slice(-HELD_CHECKPOINTS), ...this.newestByKid.values(), ...this.firstByTenant.values()]) lines.set(n, cp);
    return [...lines.entries()].sort((a, b) => a[0] - b[0]).map(([, cp]) => cp);
  }
}

/** Bytes of a torn last line read back: a checkpoint line is well under this. */
const TORN_READ = 64 * 1024;

/** What survived of a torn last line of `dir`'s checkpoints file, if it ends in one. */
export async function readTornCheckpoint(dir: string): Promise<TornCheckpoint | undefined> {
  const opened = await openRegularIfPresent(join(dir, CHECKPOINTS));
  if (opened === undefined) return undefined;
  try {
    const whole = await endOfLastLine(opened.handle, opened.size);
    if (whole === opened.size) return undefined;
    const tail = Buffer.alloc(Math.min(opened.size - whole, TORN_READ));
    await opened.handle.read(tail, 0, tail.length, whole);
    return tornCheckpointOf(tail.toString('utf8'));
  } finally {
    await opened.handle.close();
  }
}

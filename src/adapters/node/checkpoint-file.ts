// The signed checkpoints kept beside a tenant's log, one JSON line each: appended whole or
// not at all as far as readers go, and read back with a torn last line set apart.

import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { isCheckpoint, notACheckpoint, readCheckpointText, tornCheckpointOf, type Checkpoint, type TornCheckpoint } from '../../audit/checkpoint.js';
import { AuditStoreError, AuditStorePausedError } from '../../audit/store.js';
import { endOfLastLine } from './line-scan.js';
import { readIfPresent, refuseWithoutLease, syncDir } from './new-file.js';

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

/** Checkpoints kept beside a log (see keptCheckpointLines for its last line). */
export async function readCheckpointFile(file: string): Promise<Checkpoint[]> {
  const text = await readIfPresent(file);
  if (text === undefined) return [];
  return keptCheckpointLines(text).map((l, i) => {
    const cp = readCheckpointText(l);
    if (!isCheckpoint(cp)) throw new AuditStoreError(`\`${file}\` line ${i + 1}: ${notACheckpoint(cp)}`);
    return cp;
  });
}

/** What survived of a torn last line of `dir`'s checkpoints file, if it ends in one. */
export async function readTornCheckpoint(dir: string): Promise<TornCheckpoint | undefined> {
  const text = await readIfPresent(join(dir, CHECKPOINTS));
  return text === undefined ? undefined : tornCheckpointOf(text);
}

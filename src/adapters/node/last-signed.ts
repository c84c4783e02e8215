// Which receipt algorithms a data directory has signed with, read from each tenant's log (its
// first and newest signed lines) and checkpoints file (every line). A key file missing beside logs its
// algorithm signed is a data directory restored without its key (or a key deleted), not a
// first start: a new key made there signs on, and the old one, put back, orphans what the new
// one signed (a review, 11-29; see node/hs256-secret.ts and node/ed25519-key.ts).

import { readdir, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { AUDIT_DIR, LOG_FILE } from './audit-store.js';
import { CHECKPOINTS } from './checkpoint-file.js';
import { CHUNK, NL, scanLines } from './line-scan.js';
import { openRegularIfPresent } from './new-file.js';
import { isTenantDirName } from './tenant-dirs.js';

/**
 * The algorithms (`HS256`, `Ed25519`) of each tenant's first and newest signed log entry and
 * of all its checkpoints. A file that cannot be read refuses, naming it; something other than a file there
 * counts for none (opening that tenant's log refuses it, naming it). Folders that are no
 * tenant's (`lost+found`) are passed over, as the store passes over them.
 */
export async function algsSigning(dataDir: string): Promise<Set<string>> {
  const algs = new Set<string>();
  const audit = join(dataDir, AUDIT_DIR);
  const entries = await readdir(audit, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw unreadable(audit, err);
  });
  for (const e of entries) {
    if (!e.isDirectory() || !isTenantDirName(e.name)) continue;
    const dir = join(audit, e.name);
    for (const alg of await signedAlgs(join(dir, LOG_FILE), false)) algs.add(alg);
    for (const alg of await signedAlgs(join(dir, CHECKPOINTS), true)) algs.add(alg);
  }
  return algs;
}

const unreadable = (path: string, err: unknown): Error =>
  new Error(`\`${path}\` cannot be read (${(err as Error).message}): it tells which key signed the logs, to refuse making a new one where the one that signed them is missing`);

/**
 * The algorithms of `file`'s signed lines: every one of a checkpoints file (a line a
 * checkpoint; a key used only between two switches signed some: a re-review, 11-29), the
 * first and the newest of a log.
 */
async function signedAlgs(file: string, every: boolean): Promise<Set<string>> {
  let opened: Awaited<ReturnType<typeof openRegularIfPresent>>;
  try {
    opened = await openRegularIfPresent(file);
  } catch (err) {
    if (typeof (err as NodeJS.ErrnoException).code !== 'string') return new Set(); // not a regular file
    throw unreadable(file, err);
  }
  const found = new Set<string>();
  if (opened === undefined) return found;
  try {
    const { handle, size } = opened;
    await addSigned(linesFromStart(handle, size), found, every);
    // From the end: a log's newest lines may be rule changes (unsigned), megabytes of them.
    if (!every) await addSigned(linesFromEnd(handle, size), found, false);
    return found;
  } finally {
    await opened.handle.close();
  }
}

/** Adds the algorithm of the first signed line of `lines` to `found`, or (`every`) of each. */
async function addSigned(lines: AsyncIterable<string>, found: Set<string>, every: boolean): Promise<void> {
  for await (const line of lines) {
    const alg = signedAlgOf(line);
    if (alg === undefined) continue;
    found.add(alg);
    if (!every || found.size === 2) return;
  }
}

async function* linesFromStart(fh: FileHandle, size: number): AsyncGenerator<string> {
  for await (const { line } of scanLines(fh, 0, size)) yield line;
}

/**
 * The lines of `fh`, last first (a torn last line included: it does not read as signed). A
 * line longer than a chunk is joined once, when its start is found (joined at every chunk, a
 * 128 MiB line took 9.6 s; a re-review).
 */
async function* linesFromEnd(fh: FileHandle, size: number): AsyncGenerator<string> {
  let rest: Buffer[] = []; // the end of the line being read, from later chunks
  for (let end = size; end > 0;) {
    const start = Math.max(0, end - CHUNK);
    const chunk = Buffer.alloc(end - start);
    await fh.read(chunk, 0, chunk.length, start);
    let stop = chunk.length;
    for (let cut = chunk.lastIndexOf(NL, stop - 1); stop > 0 && cut >= 0; cut = stop > 0 ? chunk.lastIndexOf(NL, stop - 1) : -1) {
      yield Buffer.concat([chunk.subarray(cut + 1, stop), ...rest.reverse()]).toString('utf8');
      rest = [];
      stop = cut;
    }
    rest.push(chunk.subarray(0, stop));
    end = start;
  }
  if (rest.length > 0) yield Buffer.concat(rest.reverse()).toString('utf8');
}

function signedAlgOf(line: string): string | undefined {
  if (line.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  const v = value as { alg?: unknown; signature?: unknown; receipt?: { alg?: unknown } } | null;
  const alg = typeof v?.receipt?.alg === 'string' ? v.receipt.alg : typeof v?.alg === 'string' && typeof v.signature === 'string' ? v.alg : undefined;
  return alg === 'HS256' || alg === 'Ed25519' ? alg : undefined;
}

// Which receipt algorithms a data directory has signed with, read from each tenant's log and
// checkpoints file: their first and newest signed lines. A key file missing beside logs its
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
 * checkpoint. A file that cannot be read refuses, naming it; something other than a file there
 * counts for none (opening that tenant's log refuses it, naming it). Folders that are no
 * tenant's (`lost+found`) are passed over, as the store passes over them.
 */
export async function algsSigning(dataDir: string): Promise<Set<string>> {
  const algs = new Set<string>();
  const entries = await readdir(join(dataDir, AUDIT_DIR), { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  for (const e of entries) {
    if (!e.isDirectory() || !isTenantDirName(e.name)) continue;
    for (const name of [LOG_FILE, CHECKPOINTS]) for (const alg of await firstAndLastSigned(join(dataDir, AUDIT_DIR, e.name, name))) algs.add(alg);
  }
  return algs;
}

async function firstAndLastSigned(file: string): Promise<string[]> {
  let opened: Awaited<ReturnType<typeof openRegularIfPresent>>;
  try {
    opened = await openRegularIfPresent(file);
  } catch (err) {
    if (typeof (err as NodeJS.ErrnoException).code !== 'string') return []; // not a regular file
    throw new Error(`\`${file}\` cannot be read (${(err as Error).message}): it tells which key signed the logs, to refuse making a new one where the one that signed them is missing`);
  }
  if (opened === undefined) return [];
  try {
    const { handle, size } = opened;
    const found: string[] = [];
    for await (const { line } of scanLines(handle, 0, size)) {
      const alg = signedAlgOf(line);
      if (alg !== undefined) {
        found.push(alg);
        break;
      }
    }
    // From the end: a log's newest lines may be rule changes (unsigned), megabytes of them.
    for await (const line of linesFromEnd(handle, size)) {
      const alg = signedAlgOf(line);
      if (alg !== undefined) {
        found.push(alg);
        break;
      }
    }
    return found;
  } finally {
    await opened.handle.close();
  }
}

/** The lines of `fh`, last first (a torn last line included: it does not read as signed). */
async function* linesFromEnd(fh: FileHandle, size: number): AsyncGenerator<string> {
  let carry = Buffer.alloc(0);
  for (let end = size; end > 0;) {
    const start = Math.max(0, end - CHUNK);
    const chunk = Buffer.alloc(end - start);
    await fh.read(chunk, 0, chunk.length, start);
    let data = carry.length === 0 ? chunk : Buffer.concat([chunk, carry]);
    for (let cut = data.lastIndexOf(NL); cut >= 0; cut = data.lastIndexOf(NL)) {
      yield data.subarray(cut + 1).toString('utf8');
      data = data.subarray(0, cut);
    }
    carry = Buffer.from(data);
    end = start;
  }
  if (carry.length > 0) yield carry.toString('utf8');
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

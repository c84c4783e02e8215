// Which receipt algorithms a data directory was last signing with, read from the end of each
// tenant's log and checkpoints file. A key file missing beside logs its algorithm signed last is
// a data directory restored without its key, not a first start: a new key made there signs on,
// and the old one, put back, orphans what the new one signed (a review, 11-29; see
// node/hs256-secret.ts and node/ed25519-key.ts).

import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AUDIT_DIR, LOG_FILE } from './audit-store.js';
import { CHECKPOINTS } from './checkpoint-file.js';
import { namingFile, openRegularIfPresent } from './new-file.js';

/** Bytes read from the end of each file: many checkpoints, and a decision line almost always. */
const TAIL = 1 << 20;

/**
 * The algorithms (`HS256`, `Ed25519`) of each tenant's newest signed entry and newest
 * checkpoint. A file that cannot be read refuses (its error names it); something other than a
 * file there counts for none (opening that tenant's log refuses it, naming it).
 */
export async function algsLastSigning(dataDir: string): Promise<Set<string>> {
  const algs = new Set<string>();
  const entries = await readdir(join(dataDir, AUDIT_DIR), { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    for (const name of [LOG_FILE, CHECKPOINTS]) {
      const alg = await lastSignedAlg(join(dataDir, AUDIT_DIR, e.name, name));
      if (alg !== undefined) algs.add(alg);
    }
  }
  return algs;
}

/** The alg of the last line of `file` that is signed (a decision's receipt, or a checkpoint). */
async function lastSignedAlg(file: string): Promise<string | undefined> {
  let opened: Awaited<ReturnType<typeof openRegularIfPresent>>;
  try {
    opened = await openRegularIfPresent(file);
  } catch (err) {
    if (typeof (err as NodeJS.ErrnoException).code === 'string') throw namingFile(err, file, 'reading');
    return undefined; // not a regular file
  }
  if (opened === undefined) return undefined;
  try {
    const length = Math.min(opened.size, TAIL);
    const tail = Buffer.alloc(length);
    await opened.handle.read(tail, 0, length, opened.size - length);
    // From the end: a torn last line, or the cut first one, does not read and is passed over.
    const lines = tail.toString('utf8').split('\n');
    for (let i = lines.length - 1; i >= 0; i--) {
      const alg = signedAlgOf(lines[i]);
      if (alg !== undefined) return alg;
    }
    return undefined;
  } finally {
    await opened.handle.close();
  }
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

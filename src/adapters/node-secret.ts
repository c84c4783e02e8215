// The HS256 secret for `mge serve` (SPEC §9): MGE_SECRET_KEY when set, else one generated on
// first start and kept in the data directory (mode 0600), so receipts stay verifiable across
// restarts without the operator handling a secret.

import { randomBytes } from 'node:crypto';
import { readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { writeNewFile } from './node-new-file.js';

export const SECRET_FILE = 'secret.key';

/** Where the secret came from, for the start-up message (never the secret itself). */
export type SecretSource = 'env' | 'data-dir' | 'generated';

/**
 * @example const { secret, source } = await loadOrCreateSecret(process.env.MGE_SECRET_KEY, './data')
 */
export async function loadOrCreateSecret(fromEnv: string | undefined, dataDir: string): Promise<{ secret: string; source: SecretSource }> {
  if (fromEnv !== undefined && fromEnv !== '') return { secret: fromEnv, source: 'env' };
  const file = join(dataDir, SECRET_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    let kept: string | undefined;
    try {
      kept = (await readFile(file, 'utf8')).trim();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (kept !== undefined && kept !== '') return { secret: kept, source: 'data-dir' };
    // An empty file is what an older first start left when its disk was full: no receipt was
    // ever signed with it, so a new secret replaces it (the caller holds the data dir's lock).
    if (kept === '') await unlink(file);
    const secret = randomBytes(32).toString('base64url');
    let written: boolean;
    try {
      written = await writeNewFile(file, secret + '\n', 0o600);
    } catch (err) {
      throw new Error(`cannot keep the generated secret in \`${file}\`: ${(err as Error).message}`);
    }
    if (written) return { secret, source: 'generated' };
    // Another process created it meanwhile: read that one.
  }
  throw new Error(`\`${file}\` keeps changing while it is read; is another server starting on this data directory?`);
}

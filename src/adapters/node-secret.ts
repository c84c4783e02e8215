// The HS256 secret for `mge serve` (SPEC §9): MGE_SECRET_KEY when set, else one generated on
// first start and kept in the data directory (mode 0600), so receipts stay verifiable across
// restarts without the operator handling a secret.

import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const SECRET_FILE = 'secret.key';

/** Where the secret came from, for the start-up message (never the secret itself). */
export type SecretSource = 'env' | 'data-dir' | 'generated';

/**
 * @example const { secret, source } = await loadOrCreateSecret(process.env.MGE_SECRET_KEY, './data')
 */
export async function loadOrCreateSecret(fromEnv: string | undefined, dataDir: string): Promise<{ secret: string; source: SecretSource }> {
  if (fromEnv !== undefined && fromEnv !== '') return { secret: fromEnv, source: 'env' };
  const file = join(dataDir, SECRET_FILE);
  try {
    const secret = (await readFile(file, 'utf8')).trim();
    if (secret !== '') return { secret, source: 'data-dir' };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const secret = randomBytes(32).toString('base64url');
  // `wx`: two servers starting on one empty data dir must not overwrite each other's secret.
  try {
    await writeFile(file, secret + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateSecret(undefined, dataDir);
    throw err;
  }
  return { secret, source: 'generated' };
}

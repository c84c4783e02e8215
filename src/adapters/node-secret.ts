// The HS256 secret for `mge serve` (SPEC §9): MGE_SECRET_KEY when set, else one generated on
// first start and kept in the data directory (mode 0600), so receipts stay verifiable across
// restarts without the operator handling a secret.

import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { keptOrCreated } from './node-new-file.js';

export const SECRET_FILE = 'secret.key';

/** Where the secret came from, for the start-up message (never the secret itself). */
export type SecretSource = 'env' | 'data-dir' | 'generated';

/**
 * @example const { secret, source } = await loadOrCreateSecret(process.env.MGE_SECRET_KEY, './data')
 */
export async function loadOrCreateSecret(fromEnv: string | undefined, dataDir: string): Promise<{ secret: string; source: SecretSource }> {
  if (fromEnv !== undefined && fromEnv !== '') return { secret: fromEnv, source: 'env' };
  const { text, created } = await keptOrCreated(join(dataDir, SECRET_FILE), 'secret', 0o600, async () => randomBytes(32).toString('base64url') + '\n');
  return { secret: text.trim(), source: created ? 'generated' : 'data-dir' };
}

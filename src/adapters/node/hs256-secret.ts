// The HS256 secret for `mge serve` (SPEC §9): MGE_SECRET_KEY when set, else one generated on
// first start and kept in the data directory (mode 0600), so receipts stay verifiable across
// restarts without the operator handling a secret.

import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { hasAuditEntries } from './audit-store.js';
import { algsSigning } from './last-signed.js';
import { keptOrCreated, namingFile } from './new-file.js';

export const SECRET_FILE = 'secret.key';

/** Where the secret came from, for the start-up message (never the secret itself). */
export type SecretSource = 'env' | 'data-dir' | 'generated';

/**
 * @example const { secret, source } = await loadOrCreateSecret(process.env.MGE_SECRET_KEY, './data')
 */
export async function loadOrCreateSecret(fromEnv: string | undefined, dataDir: string): Promise<{ secret: string; source: SecretSource }> {
  if (fromEnv !== undefined && fromEnv !== '') return { secret: fromEnv, source: 'env' };
  const file = join(dataDir, SECRET_FILE);
  // A new secret beside a log signed with the old one would leave every earlier entry
  // unverifiable, silently: an emptied secret file stops the start instead, and so does a
  // missing one where a tenant's first or newest signed entry, or a checkpoint, used HS256 (a data
  // dir restored without its key: a review, 11-29, saw the new secret sign on, and the old one,
  // put back, then orphan what the new one had signed). A missing one is made on the first
  // start, or for a data dir that only ever signed with Ed25519.
  const refuse = async (missing: boolean) => ((missing ? (await algsSigning(dataDir)).has('HS256') : await hasAuditEntries(dataDir))
    ? `\`${file}\` is ${missing ? 'missing' : 'empty'} but the data directory holds audit logs signed with ${missing ? 'an HS256 secret' : 'the secret it kept'}; `
      + `restore it (from the backup the data directory came from), or give the secret they were signed with as MGE_SECRET_KEY; to sign with a new secret on purpose, give that one as MGE_SECRET_KEY (or write it to the file) `
      + 'and the old one in MGE_PREVIOUS_SECRET_KEYS'
    : undefined);
  try {
    const { text, created } = await keptOrCreated(file, 'secret', 0o600, async () => randomBytes(32).toString('base64url') + '\n', refuse);
    return { secret: text.trim(), source: created ? 'generated' : 'data-dir' };
  } catch (err) {
    // A Node error, not one of keptOrCreated's own (which name the file): the file is named.
    throw typeof (err as NodeJS.ErrnoException).code === 'string' ? namingFile(err, file, 'reading') : err;
  }
}

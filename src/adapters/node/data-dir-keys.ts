// The verification keys a data directory holds: the HS256 secret `secret.key` and the public
// half of `ed25519.jwk`, whichever are there. A data dir that switched algorithms keeps both,
// and its log holds entries and checkpoints signed by each, so whatever checks that log
// (`mge audit verify --data`, and `mge serve` opening it) needs both, not only the key that
// signs now.

import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { importEd25519Public, importHs256Secret, type VerificationKey } from '../../receipt/keys.js';
import { ED25519_FILE, parseEd25519Jwk } from './ed25519-key.js';
import { readIfPresent } from './new-file.js';
import { SECRET_FILE } from './hs256-secret.js';

/**
 * An empty key file holds no key (the start that made it was cut short); one that is not a key
 * is an error naming it, or, given `skipBad`, is told to it and left out.
 * @example for (const k of await dataDirVerificationKeys('./data')) ring.add(k) */
export async function dataDirVerificationKeys(dataDir: string, skipBad?: (err: Error) => void, onlyOwnFiles = false): Promise<VerificationKey[]> {
  const keys: VerificationKey[] = [];
  const add = async (file: string, load: (file: string) => Promise<VerificationKey | undefined>): Promise<void> => {
    try {
      if (onlyOwnFiles) await ownFile(file);
      const key = await load(file);
      if (key !== undefined) keys.push(key);
    } catch (err) {
      // `mge serve` signing with the other key goes on without this one (and says so).
      if (skipBad === undefined || !(err instanceof Error)) throw err;
      skipBad(err);
    }
  };
  await add(join(dataDir, SECRET_FILE), async (file) => {
    const secret = (await readIfPresent(file))?.trim();
    return secret === undefined || secret === '' ? undefined : (await importHs256Secret(secret)).verification;
  });
  await add(join(dataDir, ED25519_FILE), async (file) => {
    const jwk = (await readIfPresent(file))?.trim();
    return jwk === undefined || jwk === '' ? undefined : importEd25519Public(parseEd25519Jwk(jwk, file));
  });
  return keys;
}

/**
 * Throws unless `file` (if there) is a regular file of this process's user that no one else
 * may write: a key another user dropped into a group-writable data dir, beside a signing key
 * kept elsewhere behind a link, verified a forged entry.
 */
async function ownFile(file: string): Promise<void> {
  const st = await lstat(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (st === undefined) return;
  const uid = process.getuid?.();
  const why = st.isSymbolicLink() ? 'it is a link' : !st.isFile() ? 'it is not a regular file'
    : uid !== undefined && st.uid !== uid ? 'another user owns it' : (st.mode & 0o022) !== 0 ? 'others may write it' : undefined;
  if (why !== undefined) throw new Error(`\`${file}\` is not trusted to verify the audit log: ${why}`);
}

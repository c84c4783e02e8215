// The verification keys a data directory holds: the HS256 secret `secret.key` and the public
// half of `ed25519.jwk`, whichever are there. A data dir that switched algorithms keeps both,
// and its log holds entries and checkpoints signed by each, so whatever checks that log
// (`mge audit verify --data`, and `mge serve` opening it) needs both, not only the key that
// signs now.

import { join } from 'node:path';
import { importEd25519Public, importHs256Secret, type VerificationKey } from '../receipt/keys.js';
import { ED25519_FILE, parseEd25519Jwk } from './node-ed25519.js';
import { readIfPresent } from './node-new-file.js';
import { SECRET_FILE } from './node-secret.js';

/**
 * An empty key file holds no key (the start that made it was cut short); one that is not a key
 * is an error naming it, or, given `skipBad`, is told to it and left out.
 * @example for (const k of await dataDirVerificationKeys('./data')) ring.add(k) */
export async function dataDirVerificationKeys(dataDir: string, skipBad?: (err: Error) => void): Promise<VerificationKey[]> {
  const keys: VerificationKey[] = [];
  const add = async (load: () => Promise<VerificationKey | undefined>): Promise<void> => {
    try {
      const key = await load();
      if (key !== undefined) keys.push(key);
    } catch (err) {
      // `mge serve` signing with the other key goes on without this one (and says so).
      if (skipBad === undefined || !(err instanceof Error)) throw err;
      skipBad(err);
    }
  };
  await add(async () => {
    const secret = (await readIfPresent(join(dataDir, SECRET_FILE)))?.trim();
    return secret === undefined || secret === '' ? undefined : (await importHs256Secret(secret)).verification;
  });
  await add(async () => {
    const jwkFile = join(dataDir, ED25519_FILE);
    const jwk = (await readIfPresent(jwkFile))?.trim();
    return jwk === undefined || jwk === '' ? undefined : importEd25519Public(parseEd25519Jwk(jwk, jwkFile));
  });
  return keys;
}

// The Ed25519 signing key for `mge serve` when receipts are to be publicly verifiable: given
// as a JWK file, or generated on first start and kept in the data dir (mode 0600), like the
// HS256 secret in node-secret.ts.

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KeyError, generateEd25519Jwk, type Ed25519PrivateJwk } from '../receipt/keys.js';

export const ED25519_FILE = 'ed25519.jwk';

/** Reads a private Ed25519 JWK file; undefined when it does not exist. */
export async function readEd25519Jwk(file: string): Promise<Ed25519PrivateJwk | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const jwk = JSON.parse(text) as Ed25519PrivateJwk;
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.d !== 'string') throw new KeyError(`\`${file}\` is not a private Ed25519 JWK`);
  return jwk;
}

/** Writes a private JWK with owner-only permissions; refuses to overwrite. */
export async function writeEd25519Jwk(file: string, jwk: Ed25519PrivateJwk): Promise<void> {
  await writeFile(file, JSON.stringify(jwk) + '\n', { mode: 0o600, flag: 'wx' });
}

/** @example const jwk = await loadOrCreateEd25519Key('./data') */
export async function loadOrCreateEd25519Key(dataDir: string): Promise<Ed25519PrivateJwk> {
  const file = join(dataDir, ED25519_FILE);
  const existing = await readEd25519Jwk(file);
  if (existing !== undefined) return existing;
  const jwk = await generateEd25519Jwk();
  try {
    await writeEd25519Jwk(file, jwk);
  } catch (e) {
    // Two servers starting on one empty data dir: keep the one that won.
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateEd25519Key(dataDir);
    throw e;
  }
  return jwk;
}

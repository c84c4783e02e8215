// The Ed25519 signing key for `mge serve` when receipts are to be publicly verifiable: given
// as a JWK file, or generated on first start and kept in the data dir (mode 0600), like the
// HS256 secret in node-secret.ts.

import { readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { KeyError, generateEd25519Jwk, type Ed25519PrivateJwk } from '../receipt/keys.js';
import { writeNewFile } from './node-new-file.js';

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
  let jwk: Ed25519PrivateJwk;
  try {
    jwk = JSON.parse(text) as Ed25519PrivateJwk;
  } catch {
    throw new KeyError(`\`${file}\` is not a private Ed25519 JWK (not JSON${text.trim() === '' ? ': the file is empty' : ''})`);
  }
  if (jwk?.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.d !== 'string') throw new KeyError(`\`${file}\` is not a private Ed25519 JWK`);
  return jwk;
}

/** Writes a private JWK with owner-only permissions, never half written; refuses to overwrite. */
export async function writeEd25519Jwk(file: string, jwk: Ed25519PrivateJwk): Promise<void> {
  if (!(await writeNewFile(file, JSON.stringify(jwk) + '\n', 0o600))) {
    throw Object.assign(new Error(`EEXIST: \`${file}\` already exists`), { code: 'EEXIST' });
  }
}

/** @example const jwk = await loadOrCreateEd25519Key('./data') */
export async function loadOrCreateEd25519Key(dataDir: string): Promise<Ed25519PrivateJwk> {
  const file = join(dataDir, ED25519_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    // An empty file is what an older first start left on a full disk: nothing was ever signed
    // with it, so a new key replaces it (the caller holds the data dir's lock).
    if ((await readFile(file, 'utf8').catch(() => undefined))?.trim() === '') await unlink(file);
    const existing = await readEd25519Jwk(file);
    if (existing !== undefined) return existing;
    const jwk = await generateEd25519Jwk();
    if (await writeNewFile(file, JSON.stringify(jwk) + '\n', 0o600)) return jwk;
    // Another process created it meanwhile: read that one.
  }
  throw new KeyError(`\`${file}\` keeps changing while it is read; is another server starting on this data directory?`);
}

// The Ed25519 signing key for `mge serve` when receipts are to be publicly verifiable: given
// as a JWK file, or generated on first start and kept in the data dir (mode 0600), like the
// HS256 secret in node/hs256-secret.ts.

import { join } from 'node:path';
import { KeyError, generateEd25519Jwk, importEd25519Private, type Ed25519PrivateJwk } from '../../receipt/keys.js';
import { keptOrCreated, writeNewFile } from './new-file.js';
import { hasAuditEntries } from './audit-store.js';
import { algsSigning } from './last-signed.js';

export const ED25519_FILE = 'ed25519.jwk';

/** A private Ed25519 JWK from the text of `file` (named in the error when it is not one). */
export function parseEd25519Jwk(text: string, file: string): Ed25519PrivateJwk {
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
  // An emptied key file beside a log it signed is refused, not replaced: a new key would leave
  // every earlier entry unverifiable; so is a missing one where a tenant's first or newest
  // signed entry, or a checkpoint, used Ed25519 (restored without its key, as for the HS256
  // secret). A missing one is made on the first start, or at the switch of a data dir that
  // only ever signed with HS256, whose entries verify with the secret.
  const refuse = async (missing: boolean) => ((missing ? (await algsSigning(dataDir)).has('Ed25519') : await hasAuditEntries(dataDir))
    ? `\`${file}\` is ${missing ? 'missing' : 'empty'} but the data directory holds audit logs ${missing ? 'signed with an Ed25519 key' : 'it may have signed'}; restore the key (from the backup the data directory came from; a new one would leave earlier entries unverifiable)${missing ? `; to sign with a new key on purpose, make one (\`mge keys ed25519 --out ${file}\`) and give the old public key in MGE_PREVIOUS_JWKS` : ''}`
    : undefined);
  const { text } = await keptOrCreated(file, 'Ed25519 key', 0o600, async () => JSON.stringify(await generateEd25519Jwk()) + '\n', refuse);
  const jwk = parseEd25519Jwk(text, file);
  // Imported here to name the file: the signer's import said only what is wrong.
  await importEd25519Private(jwk).catch((err: unknown) => {
    throw new KeyError(`\`${file}\`: ${err instanceof Error ? err.message : String(err)}`);
  });
  return jwk;
}

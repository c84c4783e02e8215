// The signing keys of `mge serve`: the receipt signer made from an HS256 secret or an Ed25519
// key (given, or kept in the data dir), the key files kept while serving, and a warning for a
// key file others can read.

import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { hs256VerificationKeys, importHs256Secret, WeakSecretError, type Ed25519PrivateJwk } from '../../receipt/keys.js';
import { createSigner, type Signer } from '../../receipt/sign.js';
import { nodeCryptoBackend } from './crypto.js';
import { ED25519_FILE, loadOrCreateEd25519Key } from './ed25519-key.js';
import { jwksFileKeys } from './jwks-file.js';
import type { KeptFile } from './kept-files.js';
import { loadOrCreateSecret, SECRET_FILE, type SecretSource } from './hs256-secret.js';

/** What the signer is made from (part of SidecarConfig, node/sidecar.ts). */
export interface SidecarKeyConfig {
  dataDir: string;
  /** MGE_SECRET_KEY; generated and kept in the data dir when absent. */
  secret?: string;
  /**
   * MGE_PREVIOUS_SECRET_KEYS: secrets signed with before a rotation, comma-separated; their
   * receipts and checkpoints still verify (SPEC §5: several keys accepted at once), none signs.
   */
  previousSecrets?: string;
  /**
   * MGE_PREVIOUS_JWKS: a JWKS file of Ed25519 public keys signed with before a rotation (or
   * before a switch to HS256); what they signed still verifies, receipts and the log alike.
   */
  previousJwks?: string;
  /** Receipt signatures: HS256 (default, one trust domain) or Ed25519 (key kept in the data dir, JWKS at /api/v1/keys). */
  receiptAlg?: 'HS256' | 'Ed25519';
  /** MGE_RECEIPT_TTL_SECONDS: how long a receipt is valid, in ms (default 60 000; SPEC §5). */
  receiptTtlMs?: number;
}

export interface SidecarKeys {
  signer: Signer;
  /** The HS256 secret and where it came from; none with Ed25519 receipts. */
  hs: { secret: string; source: SecretSource } | undefined;
  /** The Ed25519 signing key (kept in the data dir); none with HS256 receipts. */
  ed25519Key: Ed25519PrivateJwk | undefined;
}

export async function createSidecarSigner(cfg: SidecarKeyConfig): Promise<SidecarKeys> {
  // With Ed25519 receipts no HS256 secret is trusted but those listed as previous: a secret.key
  // that verified receipts no published key can would make the server and offline verifiers
  // disagree, and would be a signing credential nobody knows is live.
  const ed25519 = cfg.receiptAlg === 'Ed25519';
  const hs = ed25519 ? undefined : await loadOrCreateSecret(cfg.secret, cfg.dataDir);
  const ed25519Key = ed25519 ? await loadOrCreateEd25519Key(cfg.dataDir) : undefined;
  // Imported once here to name where a short secret came from; createSigner would not name it.
  if (hs !== undefined) {
    const where = hs.source === 'env' ? 'MGE_SECRET_KEY' : `\`${join(cfg.dataDir, SECRET_FILE)}\``;
    await importHs256Secret(hs.secret).catch((err: unknown) => {
      throw err instanceof WeakSecretError ? new WeakSecretError(`${where}: ${err.message}`) : err;
    });
  }
  const signer = await createSigner({
    backend: nodeCryptoBackend,
    ...(cfg.receiptTtlMs !== undefined ? { ttlMs: cfg.receiptTtlMs } : {}),
    extraVerificationKeys: [...await hs256VerificationKeys(cfg.previousSecrets), ...(cfg.previousJwks !== undefined ? await jwksFileKeys(cfg.previousJwks, 'MGE_PREVIOUS_JWKS') : [])],
    ...(hs !== undefined ? { hs256Secret: hs.secret } : {}),
    ...(ed25519Key !== undefined ? { alg: 'Ed25519', ed25519: { privateJwk: ed25519Key } } : {}),
  });
  return { signer, hs, ed25519Key };
}

/** The key file in the data dir this server signs with, if it signs with one (not MGE_SECRET_KEY). */
function signingKeyFile(keys: SidecarKeys): string | undefined {
  return keys.ed25519Key !== undefined ? ED25519_FILE : keys.hs?.source === 'env' ? undefined : SECRET_FILE;
}

/** The signing key file, written back while serving if it is removed (node/kept-files.ts). */
export function keptKeyFiles(dataDir: string, keys: SidecarKeys, mayWrite: () => boolean): KeptFile[] {
  const { hs, ed25519Key } = keys;
  return [
    ...(hs !== undefined && hs.source !== 'env' ? [{ path: join(dataDir, SECRET_FILE), what: 'the receipt secret', text: hs.secret + '\n', mode: 0o600, when: mayWrite }] : []),
    ...(ed25519Key !== undefined ? [{ path: join(dataDir, ED25519_FILE), what: 'the Ed25519 signing key', text: JSON.stringify(ed25519Key) + '\n', mode: 0o600, when: mayWrite }] : []),
  ];
}

/**
 * The signing key file, when group or others may read it (POSIX modes): MGE writes it 0600, but
 * one put there by hand (`openssl rand … > data/secret.key` under umask 022) was used silently.
 * Said, not refused: mounted secrets are often 0644 in a single-user container.
 */
export async function exposedKeyFiles(dataDir: string, keys: SidecarKeys): Promise<string[]> {
  const name = signingKeyFile(keys);
  if (name === undefined || process.platform === 'win32') return [];
  const file = join(dataDir, name);
  const mode = await stat(file).then((s) => s.mode, () => 0);
  return (mode & 0o077) === 0 ? [] : [`\`${file}\` is open to its group or other users (mode ${(mode & 0o777).toString(8).padStart(4, '0')}); it signs receipts: \`chmod 600 ${file}\``];
}

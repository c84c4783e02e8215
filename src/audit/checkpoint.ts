// Signed checkpoints (SPEC §6): a tenant's tree size and root, signed like receipts so anyone
// holding the key can later prove the log only grew since.

import type { Alg } from '../receipt/keys.js';
import { verifySignedObject, type SignatureCheck } from '../receipt/signed-object.js';
import type { KeyRing } from '../receipt/keys.js';
import type { CryptoBackend } from '../receipt/backend.js';

export interface UnsignedCheckpoint {
  tenant: string;
  tree_size: number;
  root_hash: string;
  timestamp: string;
}

export interface Checkpoint extends UnsignedCheckpoint {
  alg: Alg;
  kid: string;
  signature: string;
}

const FIELDS = ['alg', 'kid', 'root_hash', 'signature', 'tenant', 'timestamp', 'tree_size'];

/** Shape check for a checkpoint read from a file or a peer; the signature is checked apart. */
export function isCheckpoint(v: unknown): v is Checkpoint {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  if (Object.keys(o).sort().join() !== FIELDS.join()) return false;
  return typeof o.tenant === 'string'
    && typeof o.tree_size === 'number' && Number.isSafeInteger(o.tree_size) && o.tree_size >= 0
    && typeof o.root_hash === 'string' && /^[0-9a-f]{64}$/.test(o.root_hash)
    && typeof o.timestamp === 'string'
    && (o.alg === 'HS256' || o.alg === 'Ed25519')
    && typeof o.kid === 'string' && typeof o.signature === 'string';
}

/** Checks the signature of `cp` with the key its kid names. */
export function verifyCheckpointSignature(cp: Checkpoint, keys: KeyRing, backend?: CryptoBackend): Promise<SignatureCheck> {
  return verifySignedObject(cp as unknown as Record<string, unknown>, keys, backend);
}

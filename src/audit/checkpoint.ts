// Signed checkpoints (SPEC §6): a tenant's tree size and root, signed like receipts so anyone
// holding the key can later prove the log only grew since.

import type { Alg } from '../receipt/keys.js';
import { verifySignedObject, type SignatureCheck } from '../receipt/signed-object.js';
import type { KeyRing } from '../receipt/keys.js';
import type { CryptoBackend } from '../receipt/backend.js';
import { parseStrictJson } from '../json/strict-parse.js';

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

/**
 * What a torn last line of a kept checkpoints file still says: the tree size and root it was
 * written for, where they survived the cut. Such a line is skipped as a crash's debris, but a
 * root it names is the signer's word on the log: a log changed under it must not pass as if
 * the line had never been (the newest line cut, the entries it covered reordered).
 */
export interface TornCheckpoint {
  tree_size?: number;
  root_hash?: string;
  /** The torn line's length in characters. */
  length: number;
}

/** The torn last line of a checkpoints file's text (after its last newline, not a whole checkpoint), or undefined. */
export function tornCheckpointOf(text: string): TornCheckpoint | undefined {
  const tail = text.slice(text.lastIndexOf('\n') + 1);
  // Whole only as the lines before it are read (strictly): a last line with a member twice,
  // skipped by those readers, passed here as whole, so neither it nor what it says was
  // checked, and the next checkpoint cut it away (a review, 11-29).
  if (tail === '' || isCheckpoint(readCheckpointText(tail))) return undefined;
  const size = /"tree_size":(\d{1,15})[,}]/.exec(tail);
  const root = /"root_hash":"([0-9a-f]{64})"/.exec(tail);
  return { ...(size ? { tree_size: Number(size[1]) } : {}), ...(root ? { root_hash: root[1] } : {}), length: tail.length };
}

/** Checks the signature of `cp` with the key its kid names. */
export function verifyCheckpointSignature(cp: Checkpoint, keys: KeyRing, backend?: CryptoBackend): Promise<SignatureCheck> {
  return verifySignedObject(cp as unknown as Record<string, unknown>, keys, backend);
}

/**
 * A checkpoint line (or file) read strictly, as log lines are: a member twice (`"tenant":"beta"`
 * before the signed `"tenant":"acme"`) would verify, though a reader keeping the first
 * sees another tenant. Where it does not read so, its text: notACheckpoint says why.
 */
export function readCheckpointText(text: string): unknown {
  try {
    return parseStrictJson(text, CHECKPOINT_TEXT);
  } catch {
    return text;
  }
}

/** A file of checkpoints is as long as the caller kept it. */
const CHECKPOINT_TEXT = { maxBytes: 1 << 30 };

/**
 * Why `cp` (as readCheckpointText gave it: parsed, or the text that did not read) is no checkpoint.
 * @example notACheckpoint('{"a":1,"a":2}') // 'not strict JSON: duplicate key `a` at offset 7'
 */
export function notACheckpoint(cp: unknown): string {
  if (typeof cp === 'string') {
    try {
      parseStrictJson(cp, CHECKPOINT_TEXT);
    } catch (err) {
      return `not strict JSON: ${(err as Error).message}`;
    }
  }
  return 'not a checkpoint (SPEC §6 fields)';
}

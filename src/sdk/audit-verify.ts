// Checking what the audit endpoints return, on the client: that a decision the client received
// is in the log exactly as received (RFC 9162 inclusion), and that a checkpoint was signed by
// the server's key. With both, a client can later prove the server did not drop or rewrite it.

import { isCheckpoint, verifyCheckpointSignature } from '../audit/checkpoint.js';
import { leafHash, verifyConsistency, verifyInclusion } from '../audit/merkle.js';
import { fromHex, HexError, sha256, toHex } from '../receipt/hash.js';
import { canonicalBytes, jsonCopy } from '../receipt/jcs.js';
import type { Json } from '../ir/types.js';
import type { SignatureCheck } from '../receipt/signed-object.js';
import { importVerifierKeys, type VerifierKeys } from './verify.js';
import { MGEConfigError } from './errors.js';
import type { Checkpoint, ConsistencyProof, Decision, InclusionProof } from './types.js';
import { asObject } from '../json/is-object.js';

/**
 * The audit leaf hash of a decision as received: SHA-256(0x00 || C(decision)), without
 * `explanation`, which is never logged (SPEC §4, §6).
 * @example const leaf = await decisionLeafHash(decision) // "9f86d0…"
 */
export async function decisionLeafHash(decision: Decision & { explanation?: unknown }): Promise<string> {
  const { explanation: _explanation, ...logged } = decision;
  return toHex(await leafHash(sha256, canonicalBytes(logged as unknown as Json)));
}

/** The hashes of a path, or undefined unless it is a list of strings (fromHex checks them). */
function hashes(path: Json | undefined): Uint8Array[] | undefined {
  return Array.isArray(path) && path.every((h) => typeof h === 'string') ? (path as string[]).map(fromHex) : undefined;
}

/**
 * True when `proof` shows `decision` — byte for byte as received — in the tree it names; with a
 * `checkpoint`, also that the tree is the one the checkpoint covers (the same size, root and
 * tenant). The checkpoint's signature is not checked here: `verifyCheckpoint` does that, and
 * without it a proof only shows the decision is in some tree, which anyone can make. Anything
 * that is not such a proof is false, not an exception.
 *
 * @example
 * const proof = await client.audit.proof(decision.decision_id)
 * await verifyInclusionProof(decision, proof, await client.audit.checkpoint()) // true
 */
export async function verifyInclusionProof(decision: Decision, proof: InclusionProof, checkpoint?: Checkpoint): Promise<boolean> {
  // Each argument is judged on one reading, a copy (jsonCopy): read field by field, a getter
  // showed the checkpoint's size and root to the comparison and another tree's to the Merkle
  // check, and a decision outside the checkpointed tree passed.
  const d = asObject(jsonCopy(decision));
  const p = asObject(jsonCopy(proof));
  const cp = checkpoint == null ? undefined : asObject(jsonCopy(checkpoint)); // none given: no checkpoint to match
  if (d === undefined || p === undefined || (checkpoint != null && cp === undefined)) return false;
  if (typeof p.decision_id !== 'string' || p.decision_id !== d.decision_id) return false;
  if (cp && (cp.tree_size !== p.tree_size || cp.root_hash !== p.root_hash || cp.tenant !== d.tenant)) return false;
  const leaf = await decisionLeafHash(d as unknown as Decision);
  if (leaf !== p.leaf_hash || typeof p.leaf_index !== 'number' || typeof p.tree_size !== 'number' || typeof p.root_hash !== 'string') return false;
  try {
    const path = hashes(p.audit_path);
    return path !== undefined && await verifyInclusion(sha256, p.leaf_index, p.tree_size, fromHex(leaf), path, fromHex(p.root_hash));
  } catch (e) {
    if (e instanceof HexError) return false;
    throw e;
  }
}

/**
 * True when `proof` shows that the log at `newer` extends the log at `older` (RFC 9162
 * §2.1.4.2): nothing the older checkpoint covered was changed, removed or reordered. Check both
 * checkpoints' signatures with `verifyCheckpoint` first. Anything that is not such a proof is
 * false, not an exception.
 *
 * @example
 * const proof = await client.audit.consistency(kept.tree_size, now.tree_size)
 * await verifyConsistencyProof(kept, now, proof) // true
 */
export async function verifyConsistencyProof(older: Checkpoint, newer: Checkpoint, proof: ConsistencyProof): Promise<boolean> {
  const [a, b, p] = [asObject(jsonCopy(older)), asObject(jsonCopy(newer)), asObject(jsonCopy(proof))]; // one reading each
  if (a === undefined || b === undefined || p === undefined) return false;
  if (a.tenant !== b.tenant || p.first !== a.tree_size || p.second !== b.tree_size) return false;
  if (typeof a.tree_size !== 'number' || typeof b.tree_size !== 'number' || typeof a.root_hash !== 'string' || typeof b.root_hash !== 'string') return false;
  try {
    const path = hashes(p.proof);
    return path !== undefined && await verifyConsistency(sha256, a.tree_size, b.tree_size, fromHex(a.root_hash), fromHex(b.root_hash), path);
  } catch (e) {
    if (e instanceof HexError) return false;
    throw e;
  }
}

/**
 * Checks a checkpoint's signature with the server's keys (the HS256 secret or the JWKS). Any
 * other signed object, a receipt say, is `malformed`: it would verify, and it is no checkpoint.
 * The shape and the signature are checked on one reading of it (a copy).
 * `tenant` is required, as for verifyReceipt: one server key signs every tenant's checkpoints,
 * so another tenant's verifies too; it is `tenant_mismatch` (optional,
 * another tenant's tree could be pinned without it).
 * @example await verifyCheckpoint(await client.audit.checkpoint(), { jwks, tenant: 'acme' }) // 'ok'
 */
export async function verifyCheckpoint(checkpoint: Checkpoint, keys: VerifierKeys & { tenant: string }): Promise<SignatureCheck | 'tenant_mismatch'> {
  const tenant = keys?.tenant;
  if (typeof tenant !== 'string' || tenant === '') {
    throw new MGEConfigError('verifyCheckpoint: give `tenant`, the tenant whose log this is (`default` in the open mode): one server\'s key signs every tenant\'s checkpoints, so without it another tenant\'s would verify');
  }
  const ring = await importVerifierKeys(keys);
  const copy = jsonCopy(checkpoint);
  if (!isCheckpoint(copy)) return 'malformed';
  const sig = await verifyCheckpointSignature(copy, ring);
  return sig === 'ok' && copy.tenant !== tenant ? 'tenant_mismatch' : sig;
}

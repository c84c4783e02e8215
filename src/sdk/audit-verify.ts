// Checking what the audit endpoints return, on the client: that a decision the client received
// is in the log exactly as received (RFC 9162 inclusion), and that a checkpoint was signed by
// the server's key. With both, a client can later prove the server did not drop or rewrite it.

import { isCheckpoint, verifyCheckpointSignature } from '../audit/checkpoint.js';
import { leafHash, verifyConsistency, verifyInclusion } from '../audit/merkle.js';
import { fromHex, HexError, sha256, toHex } from '../receipt/hash.js';
import { canonicalBytes } from '../receipt/jcs.js';
import type { Json } from '../ir/types.js';
import type { SignatureCheck } from '../receipt/signed-object.js';
import { importVerifierKeys, type VerifierKeys } from './verify.js';
import type { Checkpoint, ConsistencyProof, Decision, InclusionProof } from './types.js';

/**
 * The audit leaf hash of a decision as received: SHA-256(0x00 || C(decision)), without
 * `explanation`, which is never logged (SPEC §4, §6).
 * @example const leaf = await decisionLeafHash(decision) // "9f86d0…"
 */
export async function decisionLeafHash(decision: Decision & { explanation?: unknown }): Promise<string> {
  const { explanation: _explanation, ...logged } = decision;
  return toHex(await leafHash(sha256, canonicalBytes(logged as unknown as Json)));
}

/**
 * True when `proof` shows `decision` — byte for byte as received — in the tree it names; with a
 * `checkpoint`, also that the tree is the one the checkpoint covers (the same size, root and
 * tenant). The checkpoint's signature is not checked here: `verifyCheckpoint` does that, and
 * without it a proof only shows the decision is in some tree, which anyone can make.
 *
 * @example
 * const proof = await client.audit.proof(decision.decision_id)
 * await verifyInclusionProof(decision, proof, await client.audit.checkpoint()) // true
 */
export async function verifyInclusionProof(decision: Decision, proof: InclusionProof, checkpoint?: Checkpoint): Promise<boolean> {
  if (proof.decision_id !== decision.decision_id) return false;
  if (checkpoint && (checkpoint.tree_size !== proof.tree_size || checkpoint.root_hash !== proof.root_hash || checkpoint.tenant !== decision.tenant)) return false;
  const leaf = await decisionLeafHash(decision);
  if (leaf !== proof.leaf_hash) return false;
  try {
    return await verifyInclusion(sha256, proof.leaf_index, proof.tree_size, fromHex(leaf), proof.audit_path.map(fromHex), fromHex(proof.root_hash));
  } catch (e) {
    if (e instanceof HexError) return false;
    throw e;
  }
}

/**
 * True when `proof` shows that the log at `newer` extends the log at `older` (RFC 9162
 * §2.1.4.2): nothing the older checkpoint covered was changed, removed or reordered. Check both
 * checkpoints' signatures with `verifyCheckpoint` first.
 *
 * @example
 * const proof = await client.audit.consistency(kept.tree_size, now.tree_size)
 * await verifyConsistencyProof(kept, now, proof) // true
 */
export async function verifyConsistencyProof(older: Checkpoint, newer: Checkpoint, proof: ConsistencyProof): Promise<boolean> {
  if (older.tenant !== newer.tenant || proof.first !== older.tree_size || proof.second !== newer.tree_size) return false;
  try {
    return await verifyConsistency(sha256, older.tree_size, newer.tree_size, fromHex(older.root_hash), fromHex(newer.root_hash), proof.proof.map(fromHex));
  } catch (e) {
    if (e instanceof HexError) return false;
    throw e;
  }
}

/**
 * Checks a checkpoint's signature with the server's keys (the HS256 secret or the JWKS). Any
 * other signed object, a receipt say, is `malformed`: it would verify, and it is no checkpoint
 * (a review, 11-27).
 * @example await verifyCheckpoint(await client.audit.checkpoint(), { jwks }) // 'ok'
 */
export async function verifyCheckpoint(checkpoint: Checkpoint, keys: VerifierKeys): Promise<SignatureCheck> {
  const ring = await importVerifierKeys(keys);
  return isCheckpoint(checkpoint) ? verifyCheckpointSignature(checkpoint, ring) : 'malformed';
}

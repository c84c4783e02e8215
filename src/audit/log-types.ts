// The public shapes of a tenant's audit log: what it is opened with, what it returns, what it
// refuses. Kept apart from AuditLog so callers can name them without the log's machinery.

import type { CryptoBackend } from '../receipt/backend.js';
import type { Checkpoint, TornCheckpoint } from './checkpoint.js';

/** Anything that signs checkpoints (the receipt Signer does). */
export interface CheckpointSigner {
  signCheckpoint(cp: { tenant: string; tree_size: number; root_hash: string; timestamp: string }): Promise<Checkpoint>;
}

/** What the log needs of a decision from Signer.signAudited (a SignedDecision has this shape). */
export interface SignedEntry {
  /** `tenant`: whose decision it is (a decision always names it; refused in another tenant's log). */
  unsigned: { decision_id: string; tenant?: string };
  auditLine: string;
  leafInput: string;
}

export interface InclusionProof {
  decision_id: string;
  leaf_index: number;
  tree_size: number;
  leaf_hash: string;
  audit_path: string[];
  root_hash: string;
}

export interface ConsistencyProof {
  first: number;
  second: number;
  proof: string[];
}

/** An entry the log refuses: not canonicalizable, or a decision_id already logged. */
export class AuditEntryError extends Error {
  override readonly name = 'AuditEntryError';
}

export interface AuditLogOptions {
  backend?: CryptoBackend;
  now?: () => number;
  /**
   * Checks, on opening, each stored entry the latest kept checkpoint does not cover (written
   * after it: a crash before the next checkpoint, or lines added while the server was down),
   * as `mge audit verify` would (`storedEntryProblem`); a problem refuses the log. Without it
   * those entries are only parsed. A memory store has none; `mge serve` passes its keys.
   */
  checkUncovered?: (line: string, tenant: string, index: number) => Promise<string | undefined>;
  /**
   * Checks, on opening, the newest kept checkpoint (its signature, with the server's keys);
   * a problem refuses the log. Without it a checkpoints file written while the server was down
   * (a forged entry and a checkpoint with its root) would be taken as the log's anchor and the
   * server would sign over it. `mge serve` passes its keys.
   */
  checkCheckpoint?: (cp: Checkpoint, kept: readonly Checkpoint[]) => Promise<string | undefined>;
  /**
   * Whether a kept checkpoint's signature verifies under a key this server holds. Given, only
   * entries such a checkpoint covers skip `checkUncovered`: a checkpoints file rewritten to one
   * line under a made-up kid would let an edited decision in unchecked. Without it the newest
   * kept checkpoint covers (a memory store has none to doubt).
   */
  trusted?: (cp: Checkpoint) => Promise<boolean>;
  /** The kid this server signs checkpoints with: a newest kept checkpoint under another is kept again under it. */
  ownKid?: string;
  /** Told of a torn last checkpoint line that did not refuse the log (it is cut at the next checkpoint). */
  onTornCheckpoint?: (tenant: string, torn: TornCheckpoint) => void;
  /**
   * The log must hold at least this many entries: on a reopen after a store failure, those
   * whose appends were answered before it (AuditLogs passes it). Fewer means a file restored
   * from a backup or cut short underneath the server, and answered decisions gone.
   */
  atLeast?: number;
  /**
   * Told, on opening, how many entries the log holds and how many its newest kept checkpoint
   * covers, when some are not covered. Only an earlier checkpoint kept elsewhere can show
   * that a checkpoint was removed from the file (and the log rewritten under it); `mge serve`
   * says when the gap is wider than it ever leaves one.
   */
  onUncovered?: (tenant: string, entries: number, covered: number) => void;
}

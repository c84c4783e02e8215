// What the routes need from the audit layer (SPEC §6), per tenant, and its one implementation
// over the trust layer's AuditLogs. The tenant is always an argument: no call can reach a log
// other than the one named, and the routes only ever name the caller's.

import type { Checkpoint } from '../audit/checkpoint.js';
import type { AuditLog, CheckpointSigner, ConsistencyProof, InclusionProof } from '../audit/log.js';
import type { AuditLogs } from '../audit/logs.js';
import { TreeSizeError } from '../audit/merkle-tree.js';
import type { Decision, Json } from '../ir/types.js';
import type { SignedDecision } from '../receipt/sign.js';

/** A tree size the log does not have: the route answers 400. */
export class AuditRangeError extends Error {
  override readonly name = 'AuditRangeError';
}

export interface AuditPort {
  /** Appends to the tenant's log; resolves only once the entries are durable (SPEC §6). */
  append(tenant: string, entries: readonly Json[]): Promise<void>;
  /** Appends signed decisions by the audit lines the signer already canonicalized, in order. */
  appendSigned(tenant: string, signed: readonly SignedDecision<Decision>[]): Promise<void>;
  size(tenant: string): Promise<number>;
  /** Entries `from` .. `from + limit - 1` (fewer at the end), in log order. */
  entries(tenant: string, from: number, limit: number): Promise<Json[]>;
  /** JSON Lines (each line ends in `\n`), in log order; streamed, never held whole. */
  export(tenant: string): AsyncIterable<string>;
  /**
   * A signed checkpoint covering every entry appended so far. `reopenFailedNow`: a log that
   * failed is tried again at once rather than after its interval (the shutdown's last chance).
   */
  checkpoint(tenant: string, opts?: { reopenFailedNow?: boolean }): Promise<Checkpoint>;
  /** undefined: no decision with that id in this tenant's log (or not within `treeSize`). */
  proof(tenant: string, decisionId: string, treeSize?: number): Promise<InclusionProof | undefined>;
  consistency(tenant: string, first: number, second: number): Promise<ConsistencyProof>;
  /** Tenants with a log, for /metrics. */
  tenants(): Promise<string[]>;
  /** Whole seconds (at least 1) until the tenant's failed log is tried again: a 503's Retry-After. */
  retryAfterSeconds(tenant: string): number;
  /**
   * True while the tenant's log has failed and is not yet due to be tried again: a check is
   * then refused before it is evaluated, so it takes no rate-limit token for an answer that
   * cannot be given.
   */
  failing(tenant: string): boolean;
  /** False while a tenant's log is failed (it did not open, or its store failed): /readyz. */
  usable(): boolean;
  /** Waits for pending appends, then closes the stores (graceful shutdown). */
  close(): Promise<void>;
}

function ranged<T>(work: Promise<T>): Promise<T> {
  return work.catch((err: unknown) => {
    throw err instanceof TreeSizeError ? new AuditRangeError(err.message) : err;
  });
}

/**
 * A checkpoint is kept, off the answer's path, once a log has this many entries past its last
 * one: entries after the last checkpoint are what a restart checks one by one (~50 µs each)
 * and what a checkpoint saved elsewhere cannot vouch for yet.
 */
export const CHECKPOINT_EVERY = 10_000;

/** @example const audit = auditPort(new AuditLogs(new MemoryAuditStoreFactory()), signer) */
export function auditPort(logs: AuditLogs, signer: CheckpointSigner, opts: { checkpointEvery?: number; onCheckpointFailed?: (tenant: string, err: unknown) => void } = {}): AuditPort {
  const every = opts.checkpointEvery ?? CHECKPOINT_EVERY;
  const keeping = new Set<AuditLog>();
  /** Starts keeping a checkpoint when the log grew `every` entries past its last one (one at a time). */
  const keepIfDue = (log: AuditLog): void => {
    if (log.uncheckpointed() < every || keeping.has(log)) return;
    keeping.add(log);
    // It never fails the decision that crossed the mark; the next append tries again. Told,
    // not dropped: a checkpoints file that cannot be written (a read-only or immutable
    // directory) fails no append, and went unsaid while the log grew uncovered.
    log.checkpoint(signer).catch((err: unknown) => opts.onCheckpointFailed?.(log.tenant, err)).finally(() => keeping.delete(log));
  };
  return {
    async append(tenant, entries) {
      const log = await logs.get(tenant);
      await log.appendMany(entries);
      keepIfDue(log);
    },
    async appendSigned(tenant, signed) {
      const log = await logs.get(tenant);
      // One check: one line, on the hot path's own call; a batch: one append of all its lines.
      if (signed.length === 1) await log.appendSigned(signed[0]);
      else if (signed.length > 1) await log.appendSignedMany(signed);
      keepIfDue(log);
    },
    async size(tenant) {
      return (await logs.get(tenant)).durableSize();
    },
    async entries(tenant, from, limit) {
      return (await logs.get(tenant)).entries(from, limit);
    },
    async *export(tenant) {
      yield* (await logs.get(tenant)).export();
    },
    async checkpoint(tenant, opts) {
      return (await logs.get(tenant, opts)).checkpoint(signer);
    },
    async proof(tenant, decisionId, treeSize) {
      const log = await logs.get(tenant);
      if (treeSize !== undefined && treeSize > (await log.durableSize())) {
        throw new AuditRangeError(`tree_size ${treeSize} is larger than the log (${await log.durableSize()} entries)`);
      }
      return ranged(log.proof(decisionId, treeSize));
    },
    async consistency(tenant, first, second) {
      const log = await logs.get(tenant);
      const size = await log.durableSize();
      if (second > size) throw new AuditRangeError(`\`second\` (${second}) is larger than the log (${size} entries)`);
      return ranged(log.consistency(first, second));
    },
    tenants: () => logs.tenants(),
    retryAfterSeconds: (tenant) => Math.max(1, Math.ceil((logs.retryAfterMs(tenant) ?? 0) / 1000)),
    failing: (tenant) => (logs.retryAfterMs(tenant) ?? 0) > 0,
    usable: () => logs.usable(),
    close: () => logs.close(),
  };
}

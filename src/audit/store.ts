// Where one tenant's audit log lives (SPEC §6). The log (src/audit/log.ts) owns hashing and
// proofs; a store only keeps lines. Implementations: memory (src/audit/memory-store.ts), the
// embedded append-only file (src/adapters/node/audit-store.ts). A shared one (PostgreSQL) is not
// built (docs/ARCHITECTURE.md, Scaling out).

import type { Checkpoint, TornCheckpoint } from './checkpoint.js';

/**
 * Entries are canonical JSON text (RFC 8785), one per entry, without a newline.
 * Order is the order of `append` calls: a store takes the lines synchronously, before its
 * first await, so two concurrent appends keep the order they were made in.
 */
export interface AuditStore {
  /** Lines already stored, in order; read once when the log opens. */
  load(): AsyncIterable<string>;
  /** Resolves once the lines are durable, and only after every earlier append resolved. */
  append(lines: readonly string[]): Promise<void>;
  /** Lines `from` .. `from + count - 1`, in order. */
  read(from: number, count: number): AsyncIterable<string>;
  appendCheckpoint(cp: Checkpoint): Promise<void>;
  checkpoints(): Promise<Checkpoint[]>;
  /** A store that can be cut mid-write (a file): what a torn last checkpoint line still says. */
  tornCheckpoint?(): Promise<TornCheckpoint | undefined>;
  close(): Promise<void>;
}

/** Opens one store per tenant, and lists the tenants that already have one. */
export interface AuditStoreFactory {
  open(tenant: string): Promise<AuditStore>;
  tenants(): Promise<string[]>;
  /**
   * At shutdown, once every log is closed: rejects if a store the logs let go of still holds
   * answered entries nowhere else (the file store: a removed log not written back yet).
   */
  close?(): Promise<void>;
}

/** The store failed (disk full, I/O error, torn file in the middle): answer 503, fail closed. */
export class AuditStoreError extends Error {
  override readonly name: string = 'AuditStoreError';
}

/**
 * A store that may not write for now (a server whose data-directory lease lapsed: a pause, a
 * stalled disk) refused before writing anything: nothing failed, and the next call tries again
 * (AuditLogs does not hold the log as failed for REOPEN_AFTER_MS, 10 s of 503s
 * after a one-second lapse).
 */
export class AuditStorePausedError extends AuditStoreError {
  override readonly name: string = 'AuditStorePausedError';
}

/** The one check a store makes of its lines: each is one entry, so none holds a newline. */
export function refuseMultiline(lines: readonly string[]): AuditStoreError | undefined {
  for (let i = 0; i < lines.length; i++) if (lines[i].includes('\n')) return new AuditStoreError('an audit line must not contain a newline');
  return undefined;
}

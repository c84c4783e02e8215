// What the routes need from the audit layer (SPEC §6), per tenant. The trust layer's AuditLogs
// is adapted to this in one place (see createApp's callers), so a store change never reaches
// the routes.

import type { Checkpoint } from '../audit/checkpoint.js';
import type { Json } from '../ir/types.js';

export interface InclusionProofView {
  decision_id: string;
  leaf_index: number;
  tree_size: number;
  leaf_hash: string;
  audit_path: string[];
  root_hash: string;
}

export interface ConsistencyProofView {
  first: number;
  second: number;
  proof: string[];
}

/** Thrown by `consistency`/`proof` for sizes the tree does not have: the route answers 400. */
export class AuditRangeError extends Error {
  override readonly name = 'AuditRangeError';
}

export interface AuditPort {
  /** Appends to the tenant's log; resolves only once the entries are durable (SPEC §6). */
  append(tenant: string, entries: readonly Json[]): Promise<void>;
  size(tenant: string): Promise<number>;
  /** Entries `from` .. `from + limit - 1` (fewer at the end), in log order. */
  entries(tenant: string, from: number, limit: number): Promise<Json[]>;
  /** Every entry, in log order, for streaming; a tenant without a log yields nothing. */
  export(tenant: string): AsyncIterable<Json>;
  /** A signed checkpoint covering every entry appended so far. */
  checkpoint(tenant: string): Promise<Checkpoint>;
  /** undefined: no decision with that id in this tenant's log (or not within `treeSize`). */
  proof(tenant: string, decisionId: string, treeSize?: number): Promise<InclusionProofView | undefined>;
  consistency(tenant: string, first: number, second: number): Promise<ConsistencyProofView>;
  /** Tenants with a log, for /metrics. */
  tenants(): string[];
  /** Flushes and closes the stores (graceful shutdown). */
  close(): Promise<void>;
}

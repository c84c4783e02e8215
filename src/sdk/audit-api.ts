// The audit endpoints (SPEC §6, §8), all read-only and therefore retried on transient failures.

import { jsonLines } from './json-lines.js';
import { AUDIT_ENTRY, CHECKPOINT, CONSISTENCY_PROOF, INCLUSION_PROOF } from './shapes.js';
import { pathSegment, type Transport } from './transport.js';
import type { AuditEntry, Checkpoint, ConsistencyProof, Decision, InclusionProof } from './types.js';

export interface ExportOptions {
  /** Also yield `rule_change` entries (default: decisions only). */
  includeRuleChanges?: boolean;
}

export class AuditApi {
  constructor(private readonly t: Transport) {}

  /**
   * The signed tree head covering every decision already answered.
   * @example const cp = await client.audit.checkpoint() // { tree_size, root_hash, signature, … }
   */
  checkpoint(): Promise<Checkpoint> {
    return this.t.json<Checkpoint>({ method: 'GET', path: '/api/v1/audit/checkpoint', idempotent: true }, CHECKPOINT);
  }

  /**
   * The inclusion proof of one decision, at `treeSize` (default: the current size).
   * @example const p = await client.audit.proof(decision.decision_id)
   */
  async proof(decisionId: string, treeSize?: number): Promise<InclusionProof> {
    return this.t.json<InclusionProof>({
      method: 'GET', path: `/api/v1/audit/proof/${pathSegment(decisionId, 'decision id')}`, query: { tree_size: treeSize }, idempotent: true,
    }, INCLUSION_PROOF);
  }

  /**
   * The RFC 9162 consistency proof between two tree sizes.
   * @example const c = await client.audit.consistency(10, 20)
   */
  consistency(first: number, second: number): Promise<ConsistencyProof> {
    return this.t.json<ConsistencyProof>({ method: 'GET', path: '/api/v1/audit/consistency', query: { first, second }, idempotent: true }, CONSISTENCY_PROOF);
  }

  /**
   * The tenant's log in order, streamed: decisions, plus rule changes when asked for.
   * @example for await (const d of client.audit.export()) console.log(d.decision_id, d.approved)
   */
  export(): AsyncGenerator<Decision>;
  export(opts: { includeRuleChanges: true }): AsyncGenerator<AuditEntry>;
  export(opts?: ExportOptions): AsyncGenerator<AuditEntry>;
  async *export(opts: ExportOptions = {}): AsyncGenerator<AuditEntry> {
    const call = { method: 'GET', path: '/api/v1/audit/export', idempotent: true } as const;
    const res = await this.t.stream(call);
    if (!res.body) return;
    for await (const entry of jsonLines<AuditEntry>(res.body, call.method, this.t.baseUrl + call.path, AUDIT_ENTRY, this.t.timeoutMs)) {
      if (opts.includeRuleChanges || !('kind' in entry && entry.kind === 'rule_change')) yield entry;
    }
  }
}

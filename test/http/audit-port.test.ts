// The HTTP app's audit port (src/http/audit-port.ts): a batch's decisions go to the log as one
// append, so their ids are checked together.

import { describe, expect, it } from 'vitest';
import { AuditLogs } from '../../src/audit/logs.js';
import { MemoryAuditStore, MemoryAuditStoreFactory } from '../../src/audit/memory-store.js';
import { newDecisionId } from '../../src/engine/decision-id.js';
import { auditPort } from '../../src/http/audit-port.js';
import type { Decision } from '../../src/ir/types.js';
import { createSigner } from '../../src/receipt/sign.js';
import { SECRET } from '../receipt/fixtures.js';

describe('auditPort.appendSigned', () => {
  // A review (11-27): checks logged while a batch was evaluated left the batch's ids below the
  // last one; appended one by one, each read a range of entries back (a 1 000-check batch
  // beside 50 single checks took 10–25× its CPU, and every append of the tenant waited).
  it('appends a batch whose ids fell below the last one with one read back per range', async () => {
    const factory = new MemoryAuditStoreFactory();
    const store = new MemoryAuditStore();
    let reads = 0;
    const read = store.read.bind(store);
    store.read = (from, count) => (reads++, read(from, count));
    factory.stores.set('acme', store);
    const signer = await createSigner({ hs256Secret: SECRET });
    const port = auditPort(new AuditLogs(factory), signer);
    let ms = 1_764_000_000_000;
    const decisions: Decision[] = Array.from({ length: 900 }, () => ({
      decision_id: newDecisionId(++ms), approved: true, reasoning: 'All rules passed', rule_ids: [], violations: [], warnings: [],
      tenant: 'acme', policy_version: 'sha256:00', timestamp: '2026-11-27T10:00:00.000Z', action_hash: 'ab'.repeat(32),
    }));
    const signed = await Promise.all(decisions.map((d) => signer.signAudited(d)));
    for (const [i, s] of signed.entries()) if (i % 3 !== 0) await port.appendSigned('acme', [s]);
    await port.appendSigned('acme', signed.filter((_, i) => i % 3 === 0));
    expect(await port.size('acme')).toBe(900);
    expect(reads).toBeLessThanOrEqual(3);
  });
});

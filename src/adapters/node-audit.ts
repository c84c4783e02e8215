// The audit log `mge serve` uses: the trust layer's file store under `<data>/audit/`, hashed
// with node:crypto, behind the HTTP app's audit port.

import { AuditLogs } from '../audit/logs.js';
import { auditPort, type AuditPort } from '../http/audit-port.js';
import type { Signer } from '../receipt/sign.js';
import { NodeAuditStoreFactory, type FsyncPolicy } from './node-audit-store.js';
import { nodeCryptoBackend } from './node-crypto.js';

/**
 * `fsync: 'always'` (default): an answered decision survives a power cut; `'never'`: it
 * survives a process crash only (see node-audit-store.ts for group commit).
 * @example const audit = await openNodeAudit('./data', signer)
 */
export async function openNodeAudit(dataDir: string, signer: Signer, opts: { fsync?: FsyncPolicy; reopenAfterMs?: number } = {}): Promise<AuditPort> {
  const logs = new AuditLogs(new NodeAuditStoreFactory(dataDir, { fsync: opts.fsync ?? 'always' }), {
    backend: nodeCryptoBackend, ...(opts.reopenAfterMs !== undefined ? { reopenAfterMs: opts.reopenAfterMs } : {}),
  });
  return auditPort(logs, signer);
}

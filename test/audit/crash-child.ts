// Child process for the crash test: appends signed decisions through the file store as fast as
// it can, 32 in flight, and prints `ack <decision_id>` only after an append resolved (durable).
// The parent SIGKILLs it mid-stream. Usage: node --import tsx crash-child.ts DATA_DIR RUN
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NodeAuditStoreFactory } from '../../src/adapters/node/audit-store.js';
import { nodeCryptoBackend } from '../../src/adapters/node/crypto.js';
import { AuditLogs } from '../../src/audit/logs.js';
import type { Decision } from '../../src/ir/types.js';
import { createSigner } from '../../src/receipt/sign.js';

const [dataDir, run] = process.argv.slice(2);
const secret = readFileSync(join(dataDir, 'secret.key'), 'utf8').trim();
const signer = await createSigner({ hs256Secret: secret, backend: nodeCryptoBackend });
const logs = new AuditLogs(new NodeAuditStoreFactory(dataDir), { backend: nodeCryptoBackend });
const log = await logs.get('acme');
let seq = 0;

async function one(): Promise<void> {
  const n = seq++;
  const d: Decision = {
    decision_id: `dec-${run}-${String(n).padStart(6, '0')}`, approved: n % 3 !== 0, reasoning: 'All rules passed',
    rule_ids: [], violations: [], warnings: [], tenant: 'acme', policy_version: 'sha256:00',
    timestamp: new Date().toISOString(), action_hash: 'ab'.repeat(32),
  };
  await log.append((await signer.sign(d)) as unknown as Parameters<typeof log.append>[0]);
  process.stdout.write(`ack ${d.decision_id}\n`);
  if (n % 200 === 0) await log.checkpoint(signer);
}

async function worker(): Promise<never> {
  for (;;) await one();
}

process.stdout.write('ready\n');
await Promise.all(Array.from({ length: 32 }, worker));

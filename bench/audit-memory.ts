// Memory an audit log keeps per decision, for as long as the process runs: the figures behind
// "1-2 bytes per decision" (file store) and "about 1.1 KB" (memory store) in the docs.
// Signs and appends N decisions from the repository's rules through each store, then reads
// heap + external memory after a full GC, before and after. Then reopens the file store as a
// restarted `mge serve` would after a SIGTERM (every line read and hashed again; the lines the
// checkpoint kept at the stop covers are not parsed, only their ids read) and times that.
//   npm run bench:memory            (N = 200 000, about 15 s; BENCH_DECISIONS=N to change it)

import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngineFromDir } from '../dist/src/adapters/node/index.js';
import { NodeAuditStore } from '../dist/src/adapters/node/audit-store.js';
import { nodeCryptoBackend } from '../dist/src/adapters/node/crypto.js';
import { AuditLog } from '../dist/src/audit/log.js';
import { MemoryAuditStore } from '../dist/src/audit/memory-store.js';
import type { AuditStore } from '../dist/src/audit/store.js';
import { createSigner } from '../dist/src/receipt/sign.js';
import { markdownTable } from './workloads/harness.js';
import { writeResultsSection } from './workloads/results-file.js';

const N = Number(process.env.BENCH_DECISIONS ?? 200_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc (npm run bench:memory does)');

const engine = await createEngineFromDir(new URL('../rules', import.meta.url).pathname);
const signer = await createSigner({ hs256Secret: 'bench-secret-that-is-at-least-32-bytes-long', backend: nodeCryptoBackend });
// Three denials (three, one and two violations): audit lines of 1 285, 912 and 1 109 characters.
const requests = [
  { action: { type: 'db.write', table: 'users' }, context: { environment: 'production', agent_id: 'agent-7' } },
  { action: { type: 'file.write', path: '/tmp/run.sh' }, context: { environment: 'staging' } },
  { action: { type: 'db.read', table: 'users' }, context: { environment: 'staging' } },
];

function used(): number {
  gc!();
  gc!();
  const m = process.memoryUsage();
  return m.heapUsed + m.external; // external already counts ArrayBuffers
}

async function perDecision(store: AuditStore): Promise<{ bytes: number; lineBytes: number }> {
  const log = await AuditLog.open('default', store, { backend: nodeCryptoBackend });
  const append = async (i: number) => log.appendSigned(await signer.signAudited(await engine.evaluate(requests[i % requests.length])));
  for (let i = 0; i < 1000; i++) await append(i); // every page and cache past its first allocation
  const before = used();
  let lineBytes = 0;
  for (let i = 0; i < N; i++) {
    const signed = await signer.signAudited(await engine.evaluate(requests[i % requests.length]));
    lineBytes += signed.auditLine.length;
    const done = log.appendSigned(signed);
    if (i % 64 === 63) await done; // group commit on the file store; bounded queue
  }
  await log.durableSize();
  const bytes = (used() - before) / N;
  // Still in use here, so nothing of it was collected before the reading.
  if (log.size() !== N + 1000) throw new Error(`log holds ${log.size()} entries, expected ${N + 1000}`);
  await log.checkpoint(signer); // as `mge serve` keeps one at SIGTERM: the restart below starts from it
  await log.close();
  return { bytes, lineBytes: lineBytes / N };
}

const dir = await mkdtemp(join(tmpdir(), 'mge-memory-'));
const started = new Date();
try {
  const file = await perDecision(await NodeAuditStore.open(join(dir, 'log'), { fsync: 'never' }));
  const memory = await perDecision(new MemoryAuditStore());
  const rows = [
    ['file store (`mge serve` on Node): tree, line offsets, decision index', file.bytes.toFixed(0)],
    ['memory store (Bun, Deno, Workers, browsers): the same plus every line', memory.bytes.toFixed(0)],
  ];
  const table = markdownTable(['store', 'bytes kept per decision'], rows);
  console.log(table);
  console.log(`(${N} decisions; audit lines average ${file.lineBytes.toFixed(0)} characters)`);
  const t0 = performance.now();
  const reopened = await AuditLog.open('default', await NodeAuditStore.open(join(dir, 'log'), { fsync: 'never' }), { backend: nodeCryptoBackend });
  const openMs = performance.now() - t0;
  const entries = reopened.size();
  await reopened.close();
  const restart = `Restart: reopening the file log of ${entries} entries (read and hash every line, checkpoint kept at the stop) took ${(openMs / 1000).toFixed(2)} s, ${((openMs * 1000) / entries).toFixed(1)} µs per entry.`;
  console.log(restart);
  writeResultsSection('audit-memory', [
    '## Audit log: memory kept per decision',
    '',
    `\`npm run bench:memory\`, ${started.toISOString()}, ${cpus().length} cores. ${N} signed decisions appended, three request kinds`,
    `in turn (audit lines average ${file.lineBytes.toFixed(0)} characters); heap + external memory after a full GC, before and after.`,
    'The log keeps this for as long as the process runs.',
    '',
    table,
    '',
    restart,
  ].join('\n'));
} finally {
  await rm(dir, { recursive: true, force: true });
}

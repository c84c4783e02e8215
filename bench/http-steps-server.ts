// The bare echo of bench/http-bare.ts --pre-read with MGE's per-request steps added one at a
// time, for `npm run bench:http -- --steps`: the server CPU each step adds over HTTP, where it
// is paid between network syscalls (in process, the same steps cost several times less). Like
// `mge serve`, it starts the requests of one event-loop turn after that turn's I/O phase.
//   --upto parse      strict JSON parse (SPEC §2 limits), echo
//   --upto evaluate   + Engine.evaluate on ./rules (node:crypto action hash), answer the decision
//   --upto sign       + HS256 receipt (Signer.signAudited), answer the audit line
//   --upto audit      + append to an in-memory audit log (AuditLog.appendSigned)

import { Hono } from 'hono';
import { nodeCheckTurn } from '../dist/src/adapters/node/check-turn.js';
import { nodeCryptoBackend } from '../dist/src/adapters/node/crypto.js';
import { readRulesDir } from '../dist/src/adapters/node/files.js';
import { preReadBodyOf } from '../dist/src/adapters/node/body.js';
import { startNodeServer } from '../dist/src/adapters/node/server.js';
import { AuditLog } from '../dist/src/audit/log.js';
import { MemoryAuditStore } from '../dist/src/audit/memory-store.js';
import { createEngine } from '../dist/src/engine/engine.js';
import { parseStrictJson } from '../dist/src/json/strict-parse.js';
import { createSigner } from '../dist/src/receipt/sign.js';

const STEPS = ['parse', 'evaluate', 'sign', 'audit'] as const;
const upto = STEPS.indexOf(process.argv[process.argv.indexOf('--upto') + 1] as (typeof STEPS)[number]);
if (upto < 0) throw new Error(`--upto takes one of ${STEPS.join(', ')}`);

const decoder = new TextDecoder();
const engine = await createEngine({ rules: await readRulesDir('rules'), crypto: nodeCryptoBackend });
const signer = await createSigner({ hs256Secret: 'bench-secret-bench-secret-bench-secret-0123456789', backend: nodeCryptoBackend });
const openLog = () => AuditLog.open('default', new MemoryAuditStore(), { backend: nodeCryptoBackend });
let log = await openLog();
let appended = 0;

const app = new Hono();
// As in `mge serve`: the requests read in one event-loop turn are handled after its I/O phase.
const turn = nodeCheckTurn();
app.post('/echo', async (c) => {
  await turn();
  const body = parseStrictJson(decoder.decode(preReadBodyOf(c.env)?.bytes));
  if (upto === 0) return c.json(body);
  const decision = await engine.evaluate(body);
  if (upto === 1) return c.json(decision);
  const signed = await signer.signAudited(decision);
  if (upto === 3) {
    await log.appendSigned(signed);
    // A fresh log now and then: the memory store keeps every line, and this runs for seconds.
    if (++appended % 50_000 === 0) log = await openLog();
  }
  // A fresh headers object each time: @hono/node-server writes Content-Length into it.
  return c.body(signed.auditLine, 200, { 'content-type': 'application/json' });
});

const running = await startNodeServer(app.fetch, { host: '127.0.0.1', port: 0 });
process.stdout.write(`steps: listening on ${running.url}\n`);
process.on('SIGTERM', () => void running.close().then(() => process.exit(0)));

// Run by retained-memory.test.ts with --expose-gc: keeps 100 nonces, 100 rate buckets and 100
// per-action-type memo keys whose strings come from 1 MiB request bodies parsed as the server
// parses them, and prints how much heap they hold after a full GC (in MB).

import { BoundedMemo } from '../../src/engine/bounded-memo.js';
import { parseStrictJson } from '../../src/json/strict-parse.js';
import { canonicalize } from '../../src/receipt/jcs.js';
import { MemoryNonceStore } from '../../src/state/nonce-store.js';
import { MemoryRateLimiter } from '../../src/state/rate-limiter.js';

const gc = (globalThis as { gc?: () => void }).gc!;
const heap = (): number => (gc(), gc(), process.memoryUsage().heapUsed);

const nonces = new MemoryNonceStore();
const memo = new BoundedMemo<number>(); // the per-action-type memos' keys
const limiter = new MemoryRateLimiter();
const pad = ' '.repeat(1 << 20);
const before = heap();
for (let i = 0; i < 100; i++) {
  // The strings a verify body and a check body hold, as the strict parser hands them out.
  const body = parseStrictJson(`{"nonce":"nonce-${String(i).padStart(4, '0')}-AAAAAAAAAAAAAAAA","tenant":"tenant-with-a-long-name","agent":"agent-${i}-with-a-long-name"}${pad}`, { maxBytes: 2 << 20 }) as Record<string, string>;
  await nonces.consumeOnce(body.tenant, body.nonce, Date.now() + 60_000);
  memo.set(body.agent, i, 1);
  limiter.take(`acme\u0000r\u00000\u0000${canonicalize(body.agent)}`, 10, 0.001, Date.now(), '\u0000r\u00000\u0000');
}
process.stdout.write(`${((heap() - before) / 1e6).toFixed(1)}\n`);

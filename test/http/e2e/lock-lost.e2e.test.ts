// A server whose data directory's lock another process took can serve no more: every write
// is refused (503), and /healthz says so too, so a liveness probe restarts it (until 11-28 it
// stayed 200, and the server answered 503 for good; a review).

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { LOCK_FILE } from '../../../src/adapters/node/data-dir-lock.js';
import { openNodeAudit } from '../../../src/adapters/node/audit.js';
import { startSidecar } from '../../../src/adapters/node/sidecar.js';
import { silentLogger } from '../../../src/http/logger.js';
import { writeRules } from './server.js';

async function start(): Promise<{ root: string; sidecar: Awaited<ReturnType<typeof startSidecar>> }> {
  const root = mkdtempSync(join(tmpdir(), 'mge-lock-lost-'));
  writeRules(join(root, 'rules'));
  const sidecar = await startSidecar({
    rulesDir: join(root, 'rules'), dataDir: join(root, 'data'), host: '127.0.0.1', port: 0,
    logger: silentLogger, openAudit: (d, s, { keysInDataDir }) => openNodeAudit(d, s, { dataDirKeys: keysInDataDir }), watch: false,
  });
  return { root, sidecar };
}

/** /healthz once it is no longer 200 (or after 4 s). */
async function healthOnceDead(url: string): Promise<Response> {
  let answer = await fetch(`${url}/healthz`);
  for (const end = Date.now() + 4000; answer.status === 200 && Date.now() < end;) {
    await new Promise((r) => setTimeout(r, 100));
    answer = await fetch(`${url}/healthz`);
  }
  return answer;
}

it('answers /healthz 503 problem+json once another process holds its lock', async () => {
  const { root, sidecar } = await start();
  try {
    expect((await fetch(`${sidecar.url}/healthz`)).status).toBe(200);
    writeFileSync(join(root, 'data', LOCK_FILE), JSON.stringify({ pid: 1, host: 'another-host', since: 'now' }) + '\n');
    const answer = await healthOnceDead(sidecar.url);
    expect(answer.status).toBe(503);
    expect(answer.headers.get('content-type')).toContain('application/problem+json');
    const detail = ((await answer.json()) as { detail: string }).detail;
    expect(detail).toMatch(/^another process took this server's data directory lock \(.*\): restart this server$/);
    // Checks and /readyz say the same, not "shutting down": the server runs on, refusing (a review).
    for (const res of [await fetch(`${sidecar.url}/readyz`), await fetch(`${sidecar.url}/api/v1/governance/check`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"action":"db.read"}' })]) {
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ type: 'urn:mge:problem:store-unavailable', detail });
    }
  } finally {
    await sidecar.shutdown();
  }
}, 15_000);

it('says what was found in the lock\'s place when that is not a lock (a directory), not that another process took it', async () => {
  const { root, sidecar } = await start();
  try {
    rmSync(join(root, 'data', LOCK_FILE));
    mkdirSync(join(root, 'data', LOCK_FILE));
    const answer = await healthOnceDead(sidecar.url);
    expect(answer.status).toBe(503);
    expect((await answer.json()).detail).toBe(`this server lost its data directory lock (\`${join(root, 'data', LOCK_FILE)}\` is a directory, not a lock file): restart this server`);
  } finally {
    await sidecar.shutdown();
  }
}, 15_000);

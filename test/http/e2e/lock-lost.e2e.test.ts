// A server whose data directory's lock another process took can serve no more: every write
// is refused (503), and /healthz says so too, so a liveness probe restarts it (until 11-28 it
// stayed 200, and the server answered 503 for good; a review).

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { LOCK_FILE } from '../../../src/adapters/node-data-dir-lock.js';
import { openNodeAudit } from '../../../src/adapters/node-audit.js';
import { startSidecar } from '../../../src/adapters/node-sidecar.js';
import { silentLogger } from '../../../src/http/logger.js';
import { writeRules } from './server.js';

it('answers /healthz 503 problem+json once another process holds its lock', async () => {
  const root = mkdtempSync(join(tmpdir(), 'mge-lock-lost-'));
  writeRules(join(root, 'rules'));
  const sidecar = await startSidecar({
    rulesDir: join(root, 'rules'), dataDir: join(root, 'data'), host: '127.0.0.1', port: 0,
    logger: silentLogger, openAudit: (d, s, { keysInDataDir }) => openNodeAudit(d, s, { dataDirKeys: keysInDataDir }), watch: false,
  });
  try {
    expect((await fetch(`${sidecar.url}/healthz`)).status).toBe(200);
    writeFileSync(join(root, 'data', LOCK_FILE), JSON.stringify({ pid: 1, host: 'another-host', since: 'now' }) + '\n');
    let answer = await fetch(`${sidecar.url}/healthz`);
    for (const end = Date.now() + 4000; answer.status === 200 && Date.now() < end;) {
      await new Promise((r) => setTimeout(r, 100));
      answer = await fetch(`${sidecar.url}/healthz`);
    }
    expect(answer.status).toBe(503);
    expect(answer.headers.get('content-type')).toContain('application/problem+json');
    expect((await answer.json()).detail).toContain('another process took this server\'s data directory lock: restart this server');
  } finally {
    await sidecar.shutdown();
  }
}, 15_000);

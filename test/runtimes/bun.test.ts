import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMOKE_KEY } from './fixtures/app-config.js';
import { BIN, runtimeMissing, startBun, type Started } from './launch.js';
import { logsByDefault, runtimeSmoke } from './smoke.js';

runtimeSmoke('Bun', startBun, runtimeMissing(BIN.bun));
logsByDefault('Bun', startBun, runtimeMissing(BIN.bun));

// Bun.serve cuts a request off after `idleTimeout` (10 s by default) even while its body is
// still arriving, with no answer; serveOnBun sets it past the app's 30 s body deadline.
describe.skipIf(runtimeMissing(BIN.bun) !== undefined)('Bun: a slow upload still arriving', () => {
  let server: Started;
  beforeAll(async () => { server = await startBun(); });
  afterAll(() => server?.stop());

  it('is answered after 12 s, not cut off', async () => {
    const port = Number(new URL(server.url).port);
    const body = JSON.stringify({ action: { type: 'x', pad: 'p'.repeat(230) } }); // 10 bytes every 500 ms: ~13 s
    const answer = await new Promise<string>((resolve) => {
      let got = '';
      const s = connect(port, '127.0.0.1', async () => {
        s.write(`POST /api/v1/governance/check HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nX-API-Key: ${SMOKE_KEY}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`);
        for (let i = 0; i < body.length && !s.destroyed; i += 10) {
          s.write(body.slice(i, i + 10));
          await new Promise((r) => setTimeout(r, 500));
        }
      });
      s.on('data', (d: Buffer) => (got += d.toString()));
      s.on('close', () => resolve(got));
      s.on('error', () => undefined);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
  }, 30_000);
});

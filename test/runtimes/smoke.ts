// The one HTTP smoke suite every runtime runs (node.test.ts, bun.test.ts, …): the same cases
// against the same app, served by that runtime's adapter. Receipts are also verified here, in
// Node, so a runtime whose crypto disagreed would fail.

import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Decision } from '../../src/ir/types.js';
import { verifyReceipt } from '../../src/receipt/verify.js';
import { SMOKE_ADMIN_KEY, SMOKE_KEY, SMOKE_SECRET } from './fixtures/app-config.js';
import type { Started } from './launch.js';

/**
 * One raw HTTP/1.1 exchange: fetch() resolves `..` and writes Host itself, and these cases are
 * about what each runtime hands the app. The status and the Content-Type of the answer.
 */
function rawHttp(url: string, request: string): Promise<{ status: number; type: string | undefined; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(request));
    let out = '';
    socket.on('data', (c: Buffer) => (out += c.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => {
      const head = out.slice(0, out.indexOf('\r\n\r\n'));
      let body = out.slice(head.length + 4);
      // The browser's proxy answers chunked: join the chunks.
      if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
        let joined = '';
        for (let at = 0; ;) {
          const eol = body.indexOf('\r\n', at);
          const size = parseInt(body.slice(at, eol), 16);
          if (!(size > 0)) break;
          joined += body.slice(eol + 2, eol + 2 + size);
          at = eol + 2 + size + 2;
        }
        body = joined;
      }
      resolve({ status: Number(head.slice(9, 12)), type: /\r\ncontent-type: *([^\r]*)/i.exec(head)?.[1], body });
    });
  });
}

export function runtimeSmoke(runtime: string, start: () => Promise<Started>, skipReason?: string, opts: { hostHeader?: boolean } = {}): void {
  if (skipReason !== undefined) console.warn(`\n!!! runtime smoke suite SKIPPED on ${runtime}: ${skipReason} !!!\n`);
  describe.skipIf(skipReason !== undefined)(`HTTP smoke on ${runtime}${skipReason ? ` (SKIPPED: ${skipReason})` : ''}`, () => {
    let server: Started;
    const post = (path: string, body: string, key: string | null = SMOKE_KEY) =>
      fetch(server.url + path, {
        method: 'POST', body,
        headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      });
    const check = async (body: unknown) => (await (await post('/api/v1/governance/check', JSON.stringify(body))).json()) as Decision;

    beforeAll(async () => {
      server = await start();
    }, 120_000);
    afterAll(async () => {
      await server?.stop();
    });

    it('approves, with a receipt that verifies offline', async () => {
      const d = await check({ action: { type: 'db.read' } });
      expect(d).toMatchObject({ approved: true, tenant: 'smoke', reasoning: 'All rules passed' });
      expect(await verifyReceipt(d, { keys: { secrets: [SMOKE_SECRET] }, action: { type: 'db.read' } })).toMatchObject({ valid: true });
    });

    it('denies', async () => {
      const d = await check({ action: 'db.write', context: { environment: 'production' } });
      expect(d.approved).toBe(false);
      expect(d.violations.map((v) => v.rule_id)).toEqual(['no-prod-writes']);
    });

    it('maps case by MGE\'s own Unicode tables, whatever the runtime\'s own', async () => {
      const self = await check({ action: 'payment.approve', context: { approver: 'Bob\uA7CE', requester: 'bob\uA7CF' } });
      expect(self.violations.map((v) => v.rule_id)).toEqual(['no-self-approval']);
      const file = await check({ action: { type: 'file.write', path: '/work/run.X\uA7CF' } });
      expect(file.violations.map((v) => [v.rule_id, v.code])).toEqual([['no-new-script-type', 'extension_blocked']]);
    });

    it('verifies a receipt once, then refuses the replay', async () => {
      const d = await check({ action: 'db.read' });
      const verify = async () => (await post('/api/v1/receipts/verify', JSON.stringify({ decision: d, action: 'db.read' }))).json();
      expect(await verify()).toEqual({ valid: true, approved: true });
      expect(await verify()).toEqual({ valid: false, reason: 'replayed' });
    });

    it('routes by the request path whatever the Host says, and resolves dot segments as Node does', async () => {
      const ask = (target: string, host: string) => rawHttp(server.url, `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${SMOKE_KEY}\r\nConnection: close\r\n\r\n`);
      // Deno and workerd glued this Host to the path and served /api/v1/keys for GET /healthz.
      // (In a browser page the requests come through a proxy that sets its own Host.)
      if (opts.hostHeader !== false) {
        const forged = await ask('/healthz', 'x/api/v1/keys?');
        expect(forged).toMatchObject({ status: 400, type: 'application/problem+json' });
      }
      expect((await ask('/api/v1/x/../../../healthz', '127.0.0.1')).status).toBe(200);
      const encoded = await ask('/api/v1/rules/%2e%2e', '127.0.0.1');
      expect(encoded.status).toBe(404);
      expect(JSON.parse(encoded.body)).toMatchObject({ detail: 'no route `GET /api/v1/`' });
    });

    it('refuses rule changes: they would live in one process (one isolate) only, lost at a restart', async () => {
      const admin = { authorization: `Bearer ${SMOKE_ADMIN_KEY}` };
      const rule = 'rule_id: no-transfers\nprohibited:\n  - message: no transfers\n    when: action.type == "payments.transfer"\n';
      const changes = [
        fetch(server.url + '/api/v1/rules/no-transfers', { method: 'PUT', body: rule, headers: { 'content-type': 'application/yaml', ...admin } }),
        fetch(server.url + '/api/v1/rules', { method: 'PUT', body: rule, headers: { 'content-type': 'application/yaml', ...admin } }),
        fetch(server.url + '/api/v1/rules/no-prod-writes', { method: 'DELETE', headers: admin }),
        fetch(server.url + '/api/v1/rules', { method: 'DELETE', headers: admin }),
      ];
      for (const res of await Promise.all(changes)) {
        expect(res.status).toBe(409);
        expect(res.headers.get('content-type')).toBe('application/problem+json');
        expect(((await res.json()) as { detail: string }).detail).toContain('rules are read-only over HTTP on this server');
      }
      expect((await check({ action: 'payments.transfer' })).approved).toBe(true);
      expect((await check({ action: 'db.write', context: { environment: 'production' } })).approved).toBe(false);
      const validate = await fetch(server.url + '/api/v1/rules/validate', { method: 'POST', body: rule, headers: { 'content-type': 'application/yaml', ...admin } });
      expect(await validate.json()).toMatchObject({ valid: true, rule_ids: ['no-transfers'] });
    });

    it('answers failures as problem+json', async () => {
      const cases: Array<[Promise<Response>, number]> = [
        [post('/api/v1/governance/check', '{"action":"x","action":"y"}'), 400],
        [post('/api/v1/governance/check', '{"action":"x"}', null), 401],
        [post('/api/v1/governance/check', `{"action":"${'a'.repeat(70_000)}"}`), 413],
        [fetch(server.url + '/nope'), 404],
      ];
      for (const [pending, status] of cases) {
        const res = await pending;
        expect(res.status).toBe(status);
        expect(res.headers.get('content-type')).toBe('application/problem+json');
        expect(await res.json()).toMatchObject({ status, type: expect.stringMatching(/^urn:mge:problem:/) });
      }
    });
  });
}

// Bun and Deno adapters log by default, as `mge serve` and a Worker do (until 11-28 they
// dropped refused keys and failures unless a logger was passed: a review).
export function logsByDefault(runtime: string, start: () => Promise<Started>, skipReason?: string): void {
  describe.skipIf(skipReason !== undefined)(`${runtime}: logs by default`, () => {
    let server: Started;
    beforeAll(async () => { server = await start(); }, 120_000);
    afterAll(() => server?.stop());

    it('a refused key is a `request refused` line', async () => {
      const res = await fetch(`${server.url}/api/v1/governance/check`, { method: 'POST', body: '{"action":"db.read"}', headers: { 'content-type': 'application/json', authorization: 'Bearer not-a-key-of-this-server-000' } });
      expect(res.status).toBe(401);
      for (const end = Date.now() + 5000; !server.output!().includes('"msg":"request refused"') && Date.now() < end;) await new Promise((r) => setTimeout(r, 50));
      expect(server.output!()).toContain('"msg":"request refused"');
    });
  });
}

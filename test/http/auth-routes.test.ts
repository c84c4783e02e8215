import { beforeAll, describe, expect, it } from 'vitest';
import { harness, KEYS, problem, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});

// [method, path, body, the weakest role allowed]
const ROUTES: Array<[string, string, unknown, 'checker' | 'auditor' | 'admin']> = [
  ['POST', '/api/v1/governance/check', { action: 'x' }, 'checker'],
  ['POST', '/api/v1/governance/check/batch', { requests: [] }, 'checker'],
  ['POST', '/api/v1/receipts/verify', { decision: {} }, 'checker'],
  ['GET', '/api/v1/rules', undefined, 'checker'],
  ['GET', '/api/v1/rules/no-prod-writes', undefined, 'checker'],
  ['PUT', '/api/v1/rules/new-rule', { rule_id: 'new-rule', prohibited: [{ message: 'm', when: 'false' }] }, 'admin'],
  ['DELETE', '/api/v1/rules/nothing-here', undefined, 'admin'],
  ['POST', '/api/v1/rules/validate', { rule_id: 'v', prohibited: [{ message: 'm', when: 'false' }] }, 'admin'],
  ['GET', '/api/v1/audit', undefined, 'auditor'],
  ['GET', '/api/v1/audit/export', undefined, 'auditor'],
  ['GET', '/api/v1/audit/checkpoint', undefined, 'auditor'],
  ['GET', '/api/v1/audit/proof/dec-x', undefined, 'auditor'],
  ['GET', '/api/v1/audit/consistency?first=1&second=1', undefined, 'auditor'],
];

const ROLE_KEYS = { checker: KEYS.acmeChecker, auditor: KEYS.acmeAuditor, admin: KEYS.acmeAdmin };

describe('authentication and roles (SPEC §7)', () => {
  for (const [method, path, body, weakest] of ROUTES) {
    it(`${method} ${path} needs a key and the ${weakest} role`, async () => {
      const none = await h.call(method, path, { body });
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Bearer realm="mge"');
      await problem(none);
      const wrong = await h.call(method, path, { body, key: 'not-a-configured-key-000000' });
      expect(wrong.status).toBe(401);
      for (const [role, key] of Object.entries(ROLE_KEYS)) {
        const res = await h.call(method, path, { body, key });
        const allowed = role === weakest || role === 'admin';
        if (allowed) expect(res.status, `${role} on ${method} ${path}`).not.toBe(403);
        else {
          expect(res.status, `${role} on ${method} ${path}`).toBe(403);
          expect((await problem(res)).detail).toBe(`this key lacks the \`${weakest}\` role`);
        }
      }
    });
  }

  it('accepts X-API-Key as well as Bearer', async () => {
    const res = await h.call('GET', '/api/v1/rules', { headers: { 'x-api-key': KEYS.acmeChecker } });
    expect(res.status).toBe(200);
  });

  it('leaves the unauthenticated routes open', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics', '/openapi.json', '/api/v1/keys']) {
      expect((await h.call('GET', path)).status, path).toBe(200);
    }
  });
});

describe('local open mode', () => {
  it('treats every request as tenant `default` with every role', async () => {
    const open = await harness({ keySpec: '' });
    const d = (await (await open.call('POST', '/api/v1/governance/check', { body: { action: 'db.read' } })).json()) as { tenant: string };
    expect(d.tenant).toBe('default');
    expect((await open.call('GET', '/api/v1/audit/checkpoint')).status).toBe(200);
    expect((await open.call('DELETE', '/api/v1/rules/none')).status).toBe(404);
  });

  it('answers only requests addressed to loopback: a page rebound to 127.0.0.1 sends its own Host (DNS rebinding)', async () => {
    const logged: Array<[string, string, Record<string, unknown>]> = [];
    const record = (level: string) => (msg: string, fields: Record<string, unknown> = {}) => void logged.push([level, msg, fields]);
    const open = await harness({ keySpec: '', logger: { info: record('info'), warn: record('warn'), error: record('error') } });
    for (const host of ['localhost', 'LOCALHOST:8080', '127.0.0.1:8080', '127.3.2.1', '[::1]:9']) {
      expect((await open.call('GET', '/api/v1/audit/checkpoint', { headers: { host } })).status, host).toBe(200);
    }
    // `127.0.0.256` names no address (a review, 11-27: it passed as loopback).
    for (const host of ['evil.example', 'rebind.example:8080', 'localhost.evil.example', '127.0.0.1.nip.io', '10.0.0.1:8080', '127.0.0.256']) {
      for (const [method, path, body] of [['GET', '/api/v1/audit'], ['PUT', '/api/v1/rules/pwn', { rule_id: 'pwn' }], ['GET', '/metrics']] as const) {
        const res = await open.call(method, path, { headers: { host }, ...(body ? { body } : {}) });
        expect(res.status, `${method} ${path} Host ${host}`).toBe(403);
        const p = await problem(res);
        expect(p.detail).toContain(`not Host \`${host}\``);
        expect(p.instance).toBe(path);
      }
    }
    // Logged as every refusal is, a warning naming the path (once per 10 s: a page may retry fast).
    expect(logged).toEqual([['warn', 'request refused', expect.objectContaining({ method: 'GET', path: '/api/v1/audit', status: 403 })]]);
    expect((await open.call('GET', '/api/v1/rules')).status).toBe(200); // nothing was added
    expect(await (await open.call('GET', '/api/v1/rules')).json()).not.toContainEqual(expect.objectContaining({ rule_id: 'pwn' }));
  });

  it('with keys, the Host is not what decides', async () => {
    const h = await harness();
    expect((await h.call('GET', '/api/v1/rules', { key: KEYS.acmeAdmin, headers: { host: 'mge.internal.example' } })).status).toBe(200);
  });
});

import { beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine/engine.js';
import { createSigner } from '../../src/receipt/sign.js';
import { harness, KEYS, RULES, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await harness();
  await h.call('POST', '/api/v1/governance/check', { key: KEYS.acmeChecker, body: { action: 'db.read' } });
  await h.call('POST', '/api/v1/governance/check', { key: KEYS.acmeChecker, body: { action: 'db.write', context: { environment: 'production' } } });
  await h.call('POST', '/api/v1/governance/check', { key: KEYS.acmeChecker, raw: '{' });
  await h.call('POST', '/api/v1/governance/check', { key: KEYS.acmeAuditor, body: { action: 'db.read' } }); // 403
});

describe('operational routes', () => {
  it('/metrics: mge_rule_set_info lists only the tenants a caller can be', async () => {
    // A rules folder no key is of, and a log of tenant default (left by an open-mode run).
    const engine = await createEngine({ rules: [...RULES, { path: 'tenants/initech/i.yaml', text: 'rule_id: i\nprohibited:\n  - message: m\n    when: "false"\n' }] });
    const keyed = await harness({ engine });
    const signed = await keyed.deps.signer.signAudited(await engine.evaluate({ action: { type: 'x' } }));
    await keyed.audit.appendSigned('default', [signed]);
    const infoTenants = async (h: Harness) =>
      [...(await (await h.call('GET', '/metrics')).text()).matchAll(/mge_rule_set_info\{tenant="([^"]*)"/g)].map((m) => m[1]);
    expect(await infoTenants(keyed)).toEqual(['acme', 'globex']);
    expect(await infoTenants(await harness({ engine, keys: [] }))).toEqual(['default']); // open mode
  });

  it('/healthz and /readyz (policy_version only in the open mode, where any caller may read the rules)', async () => {
    expect(await (await h.call('GET', '/healthz')).json()).toEqual({ status: 'ok' });
    expect(await (await h.call('GET', '/readyz')).json()).toEqual({ status: 'ready' });
    const open = await harness({ keys: [] });
    expect(await (await open.call('GET', '/readyz')).json()).toEqual({ status: 'ready', policy_version: open.deps.engine.policy('default').policyVersion });
  });

  // A review (11-28): /metrics showed each tenant's policy_version, a plain hash of its rules,
  // so anyone could confirm guesses of another tenant's rules offline.
  it('/metrics shows no policy_version, only a fingerprint keyed by the receipt key, per tenant', async () => {
    const fingerprints = async (x: Harness): Promise<Record<string, string>> =>
      Object.fromEntries([...(await (await x.call('GET', '/metrics')).text()).matchAll(/mge_rule_set_info\{tenant="([^"]*)",fingerprint="([0-9a-f]{32})"\} 1/g)].map((m) => [m[1], m[2]]));
    const text = await (await h.call('GET', '/metrics')).text();
    for (const tenant of ['acme', 'globex']) expect(text).not.toContain(h.deps.engine.policy(tenant).policyVersion.slice(7, 23));
    const first = await fingerprints(h);
    // Two tenants checked against the same rules (the global ones) show different values.
    const same = await harness({ engine: await createEngine({ rules: RULES.filter((r) => !r.path.startsWith('tenants/')) }) });
    expect(same.deps.engine.policy('acme').policyVersion).toBe(same.deps.engine.policy('globex').policyVersion);
    const sameFingerprints = await fingerprints(same);
    expect(sameFingerprints.acme).not.toBe(sameFingerprints.globex);
    // A replica with the same key shows the same; another key, other values.
    expect(await fingerprints(await harness())).toEqual(first);
    const otherKey = await createSigner({ hs256Secret: 'another-secret-another-secret-another-0123' });
    const other = await fingerprints(await harness({ signer: otherKey }));
    expect(other.acme).not.toBe(first.acme);
    // A rule change changes it.
    const x = await harness();
    const put = await x.call('PUT', '/api/v1/rules/extra', { key: KEYS.acmeAdmin, body: { rule_id: 'extra', prohibited: [{ message: 'm', when: 'action.type == "z.z"' }] } });
    expect(put.status, await put.clone().text()).toBe(201);
    const changed = await fingerprints(x);
    expect(changed.acme).not.toBe(first.acme);
    expect(changed.globex).toBe(first.globex);
  });

  it('/metrics: checks by outcome and tenant, latency, audit size, rule-set version, reloads', async () => {
    const res = await h.call('GET', '/metrics');
    expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    const text = await res.text();
    expect(text).toContain('mge_checks_total{tenant="acme",outcome="approved"} 1\n');
    expect(text).toContain('mge_checks_total{tenant="acme",outcome="denied"} 1\n');
    expect(text).toContain('mge_check_errors_total{tenant="acme",status="400"} 1\n');
    expect(text).toContain('mge_check_errors_total{tenant="acme",status="403"} 1\n');
    expect(text).toContain('mge_check_duration_seconds_count 2\n');
    expect(text).toContain('mge_audit_entries{tenant="acme"} 2\n');
    expect(text).toMatch(/mge_rule_set_info\{tenant="acme",fingerprint="[0-9a-f]{32}"\} 1\n/);
    expect(text).toMatch(/mge_rule_set_info\{tenant="globex",/); // a tenant of a key, with no check yet
    expect(text).toContain('# TYPE mge_rule_reloads_total counter');
    expect(text).not.toContain(KEYS.acmeChecker);
  });

  it('/openapi.json describes every route', async () => {
    const doc = (await (await h.call('GET', '/openapi.json')).json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe('3.1.0');
    const routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(routes.sort()).toEqual([
      'DELETE /api/v1/rules/{rule_id}', 'GET /api/v1/audit', 'GET /api/v1/audit/checkpoint', 'GET /api/v1/audit/consistency',
      'GET /api/v1/audit/export', 'GET /api/v1/audit/proof/{decision_id}', 'GET /api/v1/keys', 'GET /api/v1/rules',
      'GET /api/v1/rules/{rule_id}', 'GET /healthz', 'GET /metrics', 'GET /openapi.json', 'GET /readyz',
      'POST /api/v1/governance/check', 'POST /api/v1/governance/check/batch', 'POST /api/v1/receipts/verify',
      'POST /api/v1/rules/validate', 'PUT /api/v1/rules/{rule_id}', 'PUT /api/v1/rules', 'DELETE /api/v1/rules',
      // The path of the rule whose id is `validate` (a valid id) too: GET, PUT and DELETE reach it.
      'DELETE /api/v1/rules/validate', 'GET /api/v1/rules/validate', 'PUT /api/v1/rules/validate',
    ].sort());
    // Every $ref points at a schema that exists.
    const refs = JSON.stringify(doc).match(/#\/components\/schemas\/\w+/g) ?? [];
    const schemas = (doc as unknown as { components: { schemas: Record<string, unknown> } }).components.schemas;
    for (const r of new Set(refs)) expect(schemas[r.split('/').pop()!], r).toBeDefined();
    // In the open local mode every route, the open ones too, may answer 403 (a Host not loopback).
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, o] of Object.entries(ops)) expect(Object.keys((o as { responses: object }).responses), `${method} ${path}`).toContain('403');
    }
    // What the routes really answer is described (an OpenAPI review found these missing).
    type Op = { responses: Record<string, { description: string; content?: Record<string, unknown> }> };
    const opOf = (path: string, method: string) => doc.paths[path][method] as Op;
    for (const [path, method] of [['/api/v1/governance/check', 'post'], ['/api/v1/governance/check/batch', 'post'], ['/api/v1/receipts/verify', 'post'], ['/api/v1/rules/validate', 'post'], ['/api/v1/rules/{rule_id}', 'put']]) {
      expect(Object.keys(opOf(path, method).responses), `${method} ${path}`).toContain('408');
    }
    const metrics = await h.call('GET', '/metrics');
    expect(Object.keys(opOf('/metrics', 'get').responses[200].content!)).toEqual([metrics.headers.get('content-type')]);
    expect(opOf('/api/v1/rules/validate', 'post').responses[400].description).toContain('not UTF-8');
    expect((doc as unknown as { components: { responses: Record<string, unknown> } }).components.responses.MethodNotAllowed).toBeDefined();
  });

  it('/api/v1/keys publishes no HS256 secret', async () => {
    expect(await (await h.call('GET', '/api/v1/keys')).json()).toEqual({ keys: [] });
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { createWorker } from '../../src/adapters/workers.js';
import { OpenModeError } from '../../src/http/open-mode.js';
import { createStandaloneApp, NoRulesError } from '../../src/http/standalone.js';
import { WASM_BASE64 } from '../../src/engine/wasm-embedded.js';
import { RULES, SECRET } from './harness.js';

const wasm = new WebAssembly.Module(Buffer.from(WASM_BASE64, 'base64'));
const check = () => new Request('http://w/api/v1/governance/check', { method: 'POST', body: '{"action":"db.read"}', headers: { 'content-type': 'application/json' } });

describe('Workers adapter', () => {
  it('serves the app with the secret and keys from its bindings', async () => {
    const worker = createWorker({ rules: RULES, wasm });
    const res = await worker.fetch(check(), { MGE_SECRET_KEY: SECRET, MGE_OPEN_MODE: 'local' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ approved: true, tenant: 'default' });
    const keyed = createWorker({ rules: RULES, wasm });
    expect((await keyed.fetch(check(), { MGE_SECRET_KEY: SECRET, MGE_API_KEYS: 'acme:checker:acme-key-0000000000000' })).status).toBe(401);
  });

  it('serves no open mode unless told it runs locally: a deployed worker is reachable by anyone', async () => {
    for (const keys of [undefined, '', ' ']) {
      const worker = createWorker({ rules: RULES, wasm });
      const res = await worker.fetch(check(), { MGE_SECRET_KEY: SECRET, ...(keys === undefined ? {} : { MGE_API_KEYS: keys }) });
      expect(res.status).toBe(503);
      expect(((await res.json()) as { detail: string }).detail).toContain('does not serve the open mode (bind MGE_OPEN_MODE=local');
    }
  });

  it('answers 503 problem+json, never a decision, when no secret is bound', async () => {
    const worker = createWorker({ rules: RULES, wasm });
    const res = await worker.fetch(check(), {});
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const body = (await res.json()) as { detail: string; instance: string; type: string };
    expect(body.detail).toContain('MGE_SECRET_KEY is not bound');
    // Not a store outage to retry in a second (an embedding review, 11-27): nothing changes until redeployed.
    expect(body.type).toBe('urn:mge:problem:not-configured');
    expect(res.headers.get('retry-after')).toBe(null);
    expect(body.instance).toBe('/api/v1/governance/check');
  });
});

describe('Workers adapter: /openapi.json', () => {
  // An embedding review (11-27): 0.0.0 on Bun, Deno and Workers (no package.json to read there).
  it('names the package version, as mge serve does', async () => {
    const worker = createWorker({ rules: RULES, wasm });
    const res = await worker.fetch(new Request('http://127.0.0.1/openapi.json'), { MGE_SECRET_KEY: SECRET, MGE_OPEN_MODE: 'local' });
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(((await res.json()) as { info: { version: string } }).info.version).toBe(version);
  });
});

describe('Workers adapter: a bound value that does not load', () => {
  it('answers 503 without repeating what the binding holds, and tells the log once', async () => {
    const worker = createWorker({ rules: RULES, wasm });
    const logged: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((line: string) => void logged.push(line));
    try {
      for (let i = 0; i < 2; i++) {
        const res = await worker.fetch(check(), { MGE_SECRET_KEY: SECRET, MGE_API_KEYS: 'acme:checker:short' });
        expect(res.status).toBe(503);
        expect(((await res.json()) as { detail: string }).detail).toBe('the worker\'s configuration does not load; its log says why');
      }
    } finally {
      spy.mockRestore();
    }
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain('mge worker: the configuration does not load: MGE_API_KEYS entry 1');
  });
});

describe('open mode off loopback (Bun, Deno and any host given to createStandaloneApp)', () => {
  it('refuses a non-loopback host without keys, allows loopback, and any host with keys', async () => {
    for (const host of ['0.0.0.0', '::', '10.0.0.1', '']) {
      await expect(createStandaloneApp({ rules: RULES, secret: SECRET, host }), host).rejects.toThrow(OpenModeError);
    }
    for (const host of ['127.0.0.1', '::1', 'localhost']) await createStandaloneApp({ rules: RULES, secret: SECRET, host });
    await createStandaloneApp({ rules: RULES, secret: SECRET, host: '0.0.0.0', apiKeys: 'acme:checker:acme-key-0000000000000' });
  });

  it('refuses keys set but blank (a secret that did not resolve), on loopback too; only undefined is the open mode', async () => {
    // Until 11-28 `apiKeys: process.env.MGE_API_KEYS` holding '' served the open mode (a review:
    // a keyless DELETE of every rule answered 204 on Bun).
    for (const apiKeys of ['', ' ', '\n']) {
      await expect(createStandaloneApp({ rules: RULES, secret: SECRET, host: '127.0.0.1', apiKeys }), JSON.stringify(apiKeys)).rejects.toThrow('apiKeys (MGE_API_KEYS?) is set but empty');
    }
    // A Worker told it runs locally still serves the open mode with a blank binding.
    const worker = createWorker({ rules: RULES, wasm });
    expect((await worker.fetch(check(), { MGE_SECRET_KEY: SECRET, MGE_API_KEYS: '', MGE_OPEN_MODE: 'local' })).status).toBe(200);
  });
});

describe('no rule source (Bun, Deno, Workers)', () => {
  it('is refused, as `mge serve` refuses an empty rules directory: every check would be approved', async () => {
    // A review (11-28): `readRulesDir('./rules')` of an empty folder served approve-everything on Bun and Deno.
    await expect(createStandaloneApp({ rules: [], secret: SECRET })).rejects.toThrow(NoRulesError);
    await expect(createStandaloneApp({ rules: [], secret: SECRET })).rejects.toThrow('no rule source given (an empty rules folder, a volume not mounted, a bundle built without its rules?): every check would be approved');
    const spy = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const res = await createWorker({ rules: [], wasm }).fetch(check(), { MGE_SECRET_KEY: SECRET, MGE_OPEN_MODE: 'local' });
      expect(res.status).toBe(503);
    } finally {
      spy.mockRestore();
    }
    // Serving no rules on purpose: one source saying so.
    const { app } = await createStandaloneApp({ rules: [{ path: 'none.yaml', text: 'rules: []\n' }], secret: SECRET });
    expect(await (await app.request(check())).json()).toMatchObject({ approved: true });
  });
});

describe('the in-memory logs of createStandaloneApp (Bun, Deno, Workers)', () => {
  it("start with the rules in force, each tenant's own with its own, before any decision", async () => {
    const { app, engine } = await createStandaloneApp({ rules: RULES, secret: SECRET, apiKeys: 'acme:checker+auditor:acme-key-0000000000000,globex:auditor:globex-key-000000000000' });
    const auth = (key: string) => ({ authorization: `Bearer ${key}` });
    await app.request('/api/v1/governance/check', { method: 'POST', body: '{"action":"db.read"}', headers: { 'content-type': 'application/json', ...auth('acme-key-0000000000000') } });
    for (const [tenant, key] of [['acme', 'acme-key-0000000000000'], ['globex', 'globex-key-000000000000']]) {
      const { entries } = (await (await app.request('/api/v1/audit?limit=1000', { headers: auth(key) })).json()) as { entries: Array<Record<string, unknown>> };
      const policy = engine.policy(tenant);
      const puts = entries.filter((e) => e.kind === 'rule_change');
      expect(puts.map((e) => e.rule_id), tenant).toEqual(policy.rules.map((r) => r.rule_id).sort());
      expect(puts.every((e) => e.op === 'put' && e.policy_version === policy.policyVersion && e.by === 'rules-dir')).toBe(true);
      expect(entries.slice(0, puts.length)).toEqual(puts); // before any decision
    }
  });
});

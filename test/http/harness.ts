// Builds the real app (real engine, signer, nonce store and memory audit log) for app.request()
// tests, with two tenants and keys of every role, and a small client that speaks its HTTP.

import { AuditLogs } from '../../src/audit/logs.js';
import { MemoryAuditStoreFactory } from '../../src/audit/memory-store.js';
import { createEngine, type RuleSource } from '../../src/engine/engine.js';
import { parseApiKeys } from '../../src/http/api-keys.js';
import { createApp } from '../../src/http/app.js';
import { auditPort, type AuditPort } from '../../src/http/audit-port.js';
import type { AppDeps } from '../../src/http/deps.js';
import { ServerMetrics } from '../../src/http/metrics.js';
import { createSigner } from '../../src/receipt/sign.js';
import { MemoryNonceStore } from '../../src/state/nonce-store.js';

export const SECRET = 'test-secret-0123456789-abcdefghijklmnop';

export const KEYS = {
  acmeChecker: 'acme-checker-0000000000000001',
  acmeAuditor: 'acme-auditor-0000000000000002',
  acmeAdmin: 'acme-admin-00000000000000003',
  globexAdmin: 'globex-admin-0000000000000004',
  globexChecker: 'globex-checker-00000000000005',
};

export const KEY_SPEC = [
  `acme:checker:${KEYS.acmeChecker}`,
  `acme:auditor:${KEYS.acmeAuditor}`,
  `acme:admin:${KEYS.acmeAdmin}`,
  `globex:admin:${KEYS.globexAdmin}`,
  `globex:checker:${KEYS.globexChecker}`,
].join(',');

export const RULES: RuleSource[] = [
  {
    path: 'no-prod-writes.yaml',
    text: [
      'rule_id: no-prod-writes',
      'prohibited:',
      '  - message: Direct database modifications in production',
      '    when: action.type == "db.write" && context.environment == "production"',
      '',
    ].join('\n'),
  },
  {
    path: 'api-rate.yaml',
    text: [
      'rule_id: api-rate',
      'applies_to: { actions: ["api.*"] }',
      'conditions:',
      '  - type: rate_limit_check',
      '    parameters: { requests_per_minute: 60, burst_limit: 2 }',
      '',
    ].join('\n'),
  },
  { path: 'tenants/acme/acme-only.yaml', text: 'rule_id: acme-only\nprohibited:\n  - message: acme secrets stay put\n    when: action.type == "acme.secret"\n' },
  { path: 'tenants/globex/globex-only.yaml', text: 'rule_id: globex-only\nprohibited:\n  - message: globex secrets stay put\n    when: action.type == "globex.secret"\n' },
];

export interface Harness {
  app: ReturnType<typeof createApp>;
  deps: AppDeps;
  audit: AuditPort;
  metrics: ServerMetrics;
  call(method: string, path: string, opts?: { key?: string; body?: unknown; raw?: string; type?: string; headers?: Record<string, string> }): Promise<Response>;
}

/** @example const h = await harness(); const res = await h.call('POST', '/api/v1/governance/check', { key, body }) */
export async function harness(overrides: Partial<AppDeps> & { keySpec?: string; now?: () => number } = {}): Promise<Harness> {
  const now = overrides.now ?? Date.now;
  const engine = await createEngine({ rules: RULES, now });
  const signer = await createSigner({ hs256Secret: SECRET, now });
  const audit = auditPort(new AuditLogs(new MemoryAuditStoreFactory(), { now }), signer);
  const metrics = new ServerMetrics();
  const deps: AppDeps = {
    engine, signer, audit, metrics, now,
    nonceStore: new MemoryNonceStore(1_000_000, now),
    keys: await parseApiKeys(overrides.keySpec ?? KEY_SPEC),
    ...overrides,
  };
  const app = createApp(deps);
  return {
    app, deps, audit: deps.audit, metrics,
    call(method, path, opts = {}) {
      const headers: Record<string, string> = { ...opts.headers };
      if (opts.key !== undefined) headers.authorization = `Bearer ${opts.key}`;
      let body: string | undefined = opts.raw;
      if (opts.body !== undefined) body = JSON.stringify(opts.body);
      if (body !== undefined) headers['content-type'] = opts.type ?? 'application/json';
      return Promise.resolve(app.request(path, { method, headers, body }));
    },
  };
}

/** The problem+json body of a response, after checking it is one. */
export async function problem(res: Response): Promise<{ type: string; title: string; status: number; detail: string; [k: string]: unknown }> {
  if (res.headers.get('content-type') !== 'application/problem+json') {
    throw new Error(`expected problem+json, got ${res.status} ${res.headers.get('content-type')}: ${await res.text()}`);
  }
  const p = (await res.json()) as { type: string; title: string; status: number; detail: string };
  if (p.status !== res.status || typeof p.type !== 'string' || typeof p.title !== 'string' || typeof p.detail !== 'string') {
    throw new Error(`malformed problem: ${JSON.stringify(p)}`);
  }
  return p;
}

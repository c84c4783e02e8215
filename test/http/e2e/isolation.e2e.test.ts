// Tenant isolation over HTTP (SPEC §7): a key never reaches another tenant's rules, decisions,
// audit log or rate-limit buckets, whatever ids it guesses.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Decision } from '../../../src/ir/types.js';
import { KEYS } from '../harness.js';
import { startE2E, type E2E } from './server.js';

let e: E2E;
let acmeDecision: Decision;
beforeAll(async () => {
  e = await startE2E();
  acmeDecision = (await (await e.fetch('/api/v1/governance/check', { key: KEYS.acmeChecker, body: '{"action":"acme.secret"}' })).json()) as Decision;
  await e.fetch('/api/v1/rules/acme-api-rule', {
    method: 'PUT', key: KEYS.acmeAdmin, type: 'application/yaml',
    body: 'rule_id: acme-api-rule\nprohibited:\n  - message: m\n    when: action.type == "acme.api"\n',
  });
});
afterAll(async () => {
  await e.stop();
});

describe('tenant isolation', () => {
  it('rules: another tenant\'s file and API rules are invisible and untouchable', async () => {
    const G = KEYS.globexAdmin;
    for (const id of ['acme-only', 'acme-api-rule']) {
      expect((await e.fetch(`/api/v1/rules/${id}`, { key: G })).status, id).toBe(404);
      expect((await e.fetch(`/api/v1/rules/${id}`, { method: 'DELETE', key: G })).status, id).toBe(404);
    }
    const list = (await (await e.fetch('/api/v1/rules', { key: G })).json()) as { rules: Array<{ rule: { rule_id: string } }> };
    expect(list.rules.map((r) => r.rule.rule_id).sort()).toEqual(['api-rate', 'globex-only', 'no-prod-writes']);
    // globex may even create its own rule under acme's id: a separate namespace.
    const put = await e.fetch('/api/v1/rules/acme-api-rule', { method: 'PUT', key: G, type: 'application/yaml', body: 'rule_id: acme-api-rule\nprohibited:\n  - message: g\n    when: "false"\n' });
    expect(put.status).toBe(201);
    const acme = (await (await e.fetch('/api/v1/governance/check', { key: KEYS.acmeChecker, body: '{"action":"acme.api"}' })).json()) as Decision;
    expect(acme.approved).toBe(false);
  });

  it('decisions and audit: a guessed decision id of another tenant is not found', async () => {
    const res = await e.fetch(`/api/v1/audit/proof/${acmeDecision.decision_id}`, { key: KEYS.globexAdmin });
    expect(res.status).toBe(404);
    const exported = await (await e.fetch('/api/v1/audit/export', { key: KEYS.globexAdmin })).text();
    expect(exported).not.toContain(acmeDecision.decision_id);
    const page = (await (await e.fetch('/api/v1/audit', { key: KEYS.globexAdmin })).json()) as { tenant: string; entries: Array<{ tenant?: string }> };
    expect(page.tenant).toBe('globex');
    expect(page.entries.every((x) => x.tenant === undefined || x.tenant === 'globex')).toBe(true);
  });

  it('receipts: another tenant cannot verify (and so burn) a receipt', async () => {
    const body = JSON.stringify({ decision: acmeDecision });
    expect((await e.fetch('/api/v1/receipts/verify', { key: KEYS.globexChecker, body })).status).toBe(403);
    expect(await (await e.fetch('/api/v1/receipts/verify', { key: KEYS.acmeChecker, body })).json()).toEqual({ valid: true, approved: acmeDecision.approved });
  });

  it('rate-limit buckets are per tenant', async () => {
    const hit = async (key: string) =>
      ((await (await e.fetch('/api/v1/governance/check', { key, body: '{"action":"api.x","context":{"agent_id":"shared-agent"}}' })).json()) as Decision).approved;
    expect([await hit(KEYS.acmeChecker), await hit(KEYS.acmeChecker), await hit(KEYS.acmeChecker)]).toEqual([true, true, false]);
    expect(await hit(KEYS.globexChecker)).toBe(true);
  });
});

describe('a batch of costly checks shares the event loop', () => {
  it('lets another tenant\'s check through while it runs, instead of holding the loop to its end', async () => {
    const { mkdtempSync, mkdirSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const rulesDir = mkdtempSync(join(tmpdir(), 'mge-batch-rules-'));
    mkdirSync(rulesDir, { recursive: true });
    // Each `heavy` check: 16 glob() calls that keep every state alive, within the budget (2 000 × 512 each).
    const pattern = '*a'.repeat(255) + '*b';
    writeFileSync(join(rulesDir, 'heavy.yaml'), ['rule_id: heavy', 'applies_to: { actions: [heavy] }', 'required:',
      ...Array.from({ length: 16 }, () => `  - { message: m, check: 'glob(action.path, "${pattern}") || true' }`)].join('\n'));
    const e = await startE2E({ rulesDir });
    try {
      const heavy = { action: { type: 'heavy', path: 'a'.repeat(2000) } };
      const order: string[] = [];
      const batch = e.fetch('/api/v1/governance/check/batch', { key: KEYS.acmeChecker, body: JSON.stringify({ requests: Array(24).fill(heavy) }) })
        .then(async (r) => { expect(r.status).toBe(200); order.push('batch'); });
      await new Promise((r) => setTimeout(r, 20)); // the batch is under way
      const light = e.fetch('/api/v1/governance/check', { key: KEYS.globexChecker, body: '{"action":"light"}' })
        .then(async (r) => { expect(r.status).toBe(200); order.push('light'); });
      await Promise.all([batch, light]);
      expect(order).toEqual(['light', 'batch']);
    } finally {
      await e.stop();
    }
  });
});

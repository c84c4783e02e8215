import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeRuleStore } from '../../src/adapters/node/rule-store.js';
import { AuditLogs } from '../../src/audit/logs.js';
import { MemoryAuditStoreFactory } from '../../src/audit/memory-store.js';
import { AuditStoreError } from '../../src/audit/store.js';
import { auditPort } from '../../src/http/audit-port.js';
import type { RuleStore } from '../../src/http/rule-store.js';
import type { AuditPort } from '../../src/http/audit-port.js';
import { Lifecycle } from '../../src/http/lifecycle.js';
import { jsonLogger } from '../../src/http/logger.js';
import type { Signer } from '../../src/receipt/sign.js';
import { harness, KEYS, problem } from './harness.js';

const CHECK = '/api/v1/governance/check';

/** Runs `work` with the Node rule store of a fresh data dir, removed afterwards. */
async function withRuleStore(work: (store: RuleStore, dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'mge-rule-store-'));
  try {
    await work(nodeRuleStore(dir), dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('fail closed', () => {
  it('answers 503 and gives no decision when the audit log cannot append', async () => {
    const base = await harness();
    // Retry-After: when the failed log is tried again (was 1 s while the log waited 10).
    const audit: AuditPort = { ...base.audit, appendSigned: () => Promise.reject(new Error('disk full')), retryAfterSeconds: (t) => (t === 'acme' ? 7 : 1) };
    const h = await harness({ audit });
    const res = await h.call('POST', CHECK, { key: KEYS.acmeChecker, body: { action: 'db.read' } });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('7');
    const p = await problem(res);
    expect(p.detail).toBe('the audit log is unavailable; the decision is not given (and may not be recorded)');
    expect(JSON.stringify(p)).not.toContain('approved');
  });

  it('refuses checks while the log is failed before evaluating them: no rate-limit token taken for a 503', async () => {
    let now = Date.parse('2026-11-28T12:00:00Z');
    let broken = true;
    const factory = new MemoryAuditStoreFactory();
    const open = factory.open.bind(factory);
    factory.open = async (tenant) => {
      const store = await open(tenant);
      const append = store.append.bind(store);
      store.append = (lines) => (broken ? Promise.reject(new AuditStoreError('audit file write failed: ENOSPC')) : append(lines));
      return store;
    };
    const base = await harness({ now: () => now });
    const audit = auditPort(new AuditLogs(factory, { now: () => now, reopenAfterMs: 100 }), base.deps.signer);
    const h = await harness({ audit, now: () => now });
    const call = () => h.call('POST', CHECK, { key: KEYS.acmeChecker, body: { action: 'api.call' } });
    // The first check finds the store failed (its token spent: the failure shows only at the
    // append); the retries of an agent through the outage are refused before evaluation.
    const batch = () => h.call('POST', `${CHECK}/batch`, { key: KEYS.acmeChecker, body: { requests: [{ action: 'api.call' }, { action: 'api.call' }] } });
    for (let i = 0; i < 6; i++) expect((await (i % 2 === 0 ? call() : batch())).status).toBe(503);
    broken = false;
    now += 100; // the log is tried again; the bucket (burst 2, 1 a second) refilled 0.1
    const d = (await (await call()).json()) as { approved: boolean; violations: Array<{ code: string }> };
    expect(d.violations).toEqual([]);
    expect(d.approved).toBe(true);
  });

  it('logs a failing audit store once per 10 s per tenant, not once per refused check', async () => {
    const base = await harness();
    const audit: AuditPort = { ...base.audit, appendSigned: () => Promise.reject(new Error('disk full')) };
    let now = Date.parse('2026-11-26T12:00:00Z');
    const lines: string[] = [];
    const h = await harness({ audit, now: () => now, logger: jsonLogger((l) => lines.push(l)) });
    const failures = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'audit append failed');
    for (let i = 0; i < 50; i++) expect((await h.call('POST', CHECK, { key: KEYS.acmeChecker, body: { action: 'db.read' } })).status).toBe(503);
    expect(failures()).toHaveLength(1);
    now += 10_000;
    expect((await h.call('POST', CHECK, { key: KEYS.acmeChecker, body: { action: 'db.read' } })).status).toBe(503);
    expect(failures()).toHaveLength(2);
    expect(failures()[1]).toMatchObject({ level: 'error', tenant: 'acme', left_out: 49, left_out_since: '2026-11-26T12:00:00.000Z', error: { message: 'disk full' } });
  });

  it('answers 503, not 500, on every audit read when the store has failed', async () => {
    const base = await harness();
    const failed = () => Promise.reject(new AuditStoreError('audit file write failed in `x`: ENOSPC'));
    const audit: AuditPort = {
      ...base.audit, size: failed, entries: failed, checkpoint: failed, proof: failed, consistency: failed,
      export: async function* () {
        throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
      },
    };
    const h = await harness({ audit: { ...audit, retryAfterSeconds: () => 9 } });
    for (const path of ['/api/v1/audit', '/api/v1/audit/export', '/api/v1/audit/checkpoint', '/api/v1/audit/proof/dec-1', '/api/v1/audit/consistency?first=1&second=1']) {
      const res = await h.call('GET', path, { key: KEYS.acmeAuditor });
      expect(res.status, path).toBe(503);
      const which = path === '/api/v1/audit/checkpoint' ? 'the audit log of this tenant, or the checkpoints file kept beside it,' : 'the audit log of this tenant';
      expect((await problem(res)).detail, path).toBe(`${which} is unavailable; try again later`);
      expect(res.headers.get('retry-after'), path).toBe('9');
      // Every GET route's HEAD answers as its GET would (a review, 11-29: the export's was 200).
      const head = await h.call('HEAD', path, { key: KEYS.acmeAuditor });
      expect(head.status, `HEAD ${path}`).toBe(503);
    }
  });

  it('makes no rule change the audit log cannot record: 503, the previous rules keep serving', async () => {
    const base = await harness();
    let logWorks = true;
    const audit: AuditPort = { ...base.audit, append: (t, e) => (logWorks ? base.audit.append(t, e) : Promise.reject(new AuditStoreError('ENOSPC'))) };
    const h = await harness({ audit });
    const rule = 'rule_id: no-deletes\nprohibited:\n  - message: no deletes\n    when: action.type == "db.delete"\n';
    const version = async () => ((await (await h.call('GET', '/api/v1/rules', { key: KEYS.acmeChecker })).json()) as { policy_version: string }).policy_version;
    const before = await version();
    logWorks = false;
    const put = await h.call('PUT', '/api/v1/rules/no-deletes', { key: KEYS.acmeAdmin, raw: rule, type: 'application/yaml' });
    expect(put.status).toBe(503);
    expect((await problem(put)).detail).toContain('the rule change was not made');
    expect(await version()).toBe(before);
    expect((await h.call('GET', '/api/v1/rules/no-deletes', { key: KEYS.acmeChecker })).status).toBe(404);
    logWorks = true;
    expect((await h.call('PUT', '/api/v1/rules/no-deletes', { key: KEYS.acmeAdmin, raw: rule, type: 'application/yaml' })).status).toBe(201);
    const withRule = await version();
    logWorks = false;
    const del = await h.call('DELETE', '/api/v1/rules/no-deletes', { key: KEYS.acmeAdmin });
    expect(del.status).toBe(503);
    expect(await version()).toBe(withRule);
    expect((await h.call('GET', '/api/v1/rules/no-deletes', { key: KEYS.acmeChecker })).status).toBe(200);
  });

  it('makes no rule change it cannot store for the next start: 503, no audit entry, the previous rules keep serving', async () => {
    await withRuleStore(async (disk) => {
      let full = false;
      const ruleStore: RuleStore = { ...disk, stageChange: (t, put, removed) => (full ? Promise.reject(new Error('ENOSPC: no space left on device')) : disk.stageChange(t, put, removed)) };
      const h = await harness({ ruleStore });
      const rule = (msg: string) => `rule_id: no-deletes\nprohibited:\n  - message: ${msg}\n    when: action.type == "db.delete"\n`;
      const entries = async () => (await h.audit.entries('acme', 0, 100)).length;
      expect((await h.call('PUT', '/api/v1/rules/no-deletes', { key: KEYS.acmeAdmin, raw: rule('v1'), type: 'application/yaml' })).status).toBe(201);
      const logged = await entries();
      full = true;
      const put = await h.call('PUT', '/api/v1/rules/no-deletes', { key: KEYS.acmeAdmin, raw: rule('v2'), type: 'application/yaml' });
      expect(put.status).toBe(503);
      expect((await problem(put)).detail).toBe('the rule change could not be stored, so it was not made; the previous rules keep serving');
      const serving = (await (await h.call('GET', '/api/v1/rules/no-deletes', { key: KEYS.acmeChecker })).json()) as { rule: { prohibited: Array<{ message: string }> } };
      expect(serving.rule.prohibited[0].message).toBe('v1');
      expect(await entries()).toBe(logged); // no entry for a change not made
      expect((await disk.get('acme', 'no-deletes'))?.text).toBe(rule('v1'));
    });
  });

  it('stores a rule of the longest id on disk, and refuses a longer one with 422, not a 503 from the file system', async () => {
    await withRuleStore(async (ruleStore) => {
      const h = await harness({ ruleStore });
      const rule = (id: string) => `rule_id: ${id}\nprohibited:\n  - message: m\n    when: action.type == "x"\n`;
      const longest = 'a'.repeat(200);
      expect((await h.call('PUT', `/api/v1/rules/${longest}`, { key: KEYS.acmeAdmin, raw: rule(longest), type: 'application/yaml' })).status).toBe(201);
      expect((await ruleStore.get('acme', longest))?.text).toBe(rule(longest));
      const longer = 'q'.repeat(240); // a 503 "could not be stored" until 11-27: the file name was too long
      const put = await h.call('PUT', `/api/v1/rules/${longer}`, { key: KEYS.acmeAdmin, raw: rule(longer), type: 'application/yaml' });
      expect(put.status).toBe(422);
      expect(JSON.stringify(await problem(put))).toContain('rule id of 240 characters; at most 200');
    });
  });

  it('takes a stored change off the disk again when the audit log cannot record it', async () => {
    await withRuleStore(async (ruleStore, dir) => {
      const base = await harness();
      let logWorks = true;
      const audit: AuditPort = { ...base.audit, append: (t, e) => (logWorks ? base.audit.append(t, e) : Promise.reject(new AuditStoreError('ENOSPC'))) };
      const h = await harness({ audit, ruleStore });
      const rule = (msg: string) => `rule_id: kept\nprohibited:\n  - message: ${msg}\n    when: action.type == "x"\n`;
      expect((await h.call('PUT', '/api/v1/rules/kept', { key: KEYS.acmeAdmin, raw: rule('v1'), type: 'application/yaml' })).status).toBe(201);
      logWorks = false;
      expect((await h.call('PUT', '/api/v1/rules/kept', { key: KEYS.acmeAdmin, raw: rule('v2'), type: 'application/yaml' })).status).toBe(503);
      expect((await ruleStore.get('acme', 'kept'))?.text).toBe(rule('v1')); // the previous text put back
      expect((await h.call('PUT', '/api/v1/rules/other', { key: KEYS.acmeAdmin, raw: rule('v1').replace('kept', 'other'), type: 'application/yaml' })).status).toBe(503);
      expect(await ruleStore.get('acme', 'other')).toBeUndefined(); // a new one removed
      expect((await h.call('DELETE', '/api/v1/rules/kept', { key: KEYS.acmeAdmin })).status).toBe(503);
      expect((await ruleStore.get('acme', 'kept'))?.text).toBe(rule('v1')); // a deleted one restored
      expect((await readdir(join(dir, 'api-rules', 'acme'))).sort()).toEqual(['kept.yaml']);
      // The whole set at once: nothing staged stays, nothing removed stays removed.
      expect((await h.call('PUT', '/api/v1/rules', { key: KEYS.acmeAdmin, raw: rule('v3').replace('kept', 'fresh'), type: 'application/yaml' })).status).toBe(503);
      expect((await h.call('DELETE', '/api/v1/rules', { key: KEYS.acmeAdmin })).status).toBe(503);
      expect((await readdir(join(dir, 'api-rules', 'acme'))).sort()).toEqual(['kept.yaml']);
      expect((await ruleStore.get('acme', 'kept'))?.text).toBe(rule('v1'));
      expect(((await (await h.call('POST', CHECK, { key: KEYS.acmeChecker, body: { action: 'x' } })).json()) as { violations: Array<{ message: string }> }).violations.map((v) => v.message)).toContain('v1');
    });
  });

  it('a change logged whose files cannot be finished now still serves, and the next start finishes its files', async () => {
    await withRuleStore(async (disk) => {
      const ruleStore: RuleStore = {
        ...disk,
        stageChange: async (t, put, removed) => {
          const change = await disk.stageChange(t, put, removed);
          return { commit: () => Promise.reject(new Error('EIO: i/o error, rename')), discard: () => change.discard() };
        },
      };
      const h = await harness({ ruleStore });
      const yaml = 'rule_id: late\nprohibited:\n  - message: no late\n    when: action.type == "late"\n';
      expect((await h.call('PUT', '/api/v1/rules/late', { key: KEYS.acmeAdmin, raw: yaml, type: 'application/yaml' })).status).toBe(201);
      expect(((await (await h.call('POST', CHECK, { key: KEYS.acmeChecker, body: { action: 'late' } })).json()) as { approved: boolean }).approved).toBe(false);
      expect((await h.audit.entries('acme', 0, 10)).map((e) => (e as { rule_id?: string }).rule_id)).toContain('late');
      expect(await disk.get('acme', 'late')).toBeUndefined(); // not in place yet
      await disk.recover!(); // the next start
      expect((await disk.get('acme', 'late'))?.text).toBe(yaml);
    });
  });

  it('a PUT\'s text reaches what a restart loads only after its audit entry is logged (a crash between leaves no unrecorded rule)', async () => {
    await withRuleStore(async (ruleStore) => {
      const base = await harness();
      let release: () => void = () => undefined;
      const held = new Promise<void>((r) => (release = r));
      let storedWhileLogging: string[] | undefined;
      const audit: AuditPort = {
        ...base.audit,
        append: async (t, e) => {
          storedWhileLogging = (await ruleStore.list()).map((r) => r.ruleId); // what a crash now would leave
          await held;
          return base.audit.append(t, e);
        },
      };
      const h = await harness({ audit, ruleStore });
      const put = h.call('PUT', '/api/v1/rules/fresh', { key: KEYS.acmeAdmin, raw: 'rule_id: fresh\nprohibited:\n  - message: m\n    when: action.type == "x"\n', type: 'application/yaml' });
      while (storedWhileLogging === undefined) await new Promise((r) => setTimeout(r, 5));
      expect(storedWhileLogging).toEqual([]);
      release();
      expect((await put).status).toBe(201);
      expect((await ruleStore.list()).map((r) => r.ruleId)).toEqual(['fresh']);
    });
  });

  it('/metrics still answers while a tenant\'s audit log has failed, and says which', async () => {
    const base = await harness();
    await base.call('POST', CHECK, { key: KEYS.acmeChecker, body: { action: 'db.read' } });
    await base.call('POST', CHECK, { key: KEYS.globexChecker, body: { action: 'db.read' } });
    const audit: AuditPort = { ...base.audit, size: (t) => (t === 'acme' ? Promise.reject(new AuditStoreError('damaged')) : base.audit.size(t)) };
    const h = await harness({ audit });
    const res = await h.call('GET', '/metrics');
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('mge_audit_log_unavailable{tenant="acme"} 1\n');
    expect(text).toContain('mge_audit_log_unavailable{tenant="globex"} 0\n');
    expect(text).toContain('mge_audit_entries{tenant="globex"} 1\n');
    expect(text).not.toContain('mge_audit_entries{tenant="acme"}');
  });

  it('answers 503, naming the damage, when the log changed under the running server no longer reads back as its tree', async () => {
    const stores = new MemoryAuditStoreFactory();
    const first = await harness({ audit: auditPort(new AuditLogs(stores), (await harness()).deps.signer) });
    for (let i = 0; i < 300; i++) expect((await first.call('POST', CHECK, { key: KEYS.acmeChecker, body: { action: 'db.read' } })).status).toBe(200);
    // A restart: the tree is rebuilt from the store and keeps no leaf of a full block.
    const h = await harness({ audit: auditPort(new AuditLogs(stores), first.deps.signer) });
    expect((await h.call('GET', '/api/v1/audit?limit=1', { key: KEYS.acmeAuditor })).status).toBe(200);
    const lines = (await stores.open('acme')).lines;
    const id = (JSON.parse(lines[20]) as { decision_id: string }).decision_id;
    lines[20] = lines[20].replace(/"action_hash":"(.)/, (_m, c: string) => `"action_hash":"${c === '0' ? '1' : '0'}`);
    const res = await h.call('GET', `/api/v1/audit/proof/${id}`, { key: KEYS.acmeAuditor });
    expect(res.status).toBe(503);
    expect((await problem(res)).detail).toBe('the audit log of this tenant does not read back as it was written (changed on disk?); no proof is given from it; `mge audit verify` tells more');
  });

  it('answers 500 and gives no decision when signing fails', async () => {
    const base = await harness();
    const signer = Object.assign(Object.create(Object.getPrototypeOf(base.deps.signer) as object), base.deps.signer, {
      signAudited: () => Promise.reject(new Error('key gone')),
    }) as Signer;
    const h = await harness({ signer });
    const res = await h.call('POST', CHECK, { key: KEYS.acmeChecker, body: { action: 'db.read' } });
    expect(res.status).toBe(500);
    expect((await problem(res)).detail).toContain('nothing was approved');
    expect(await h.audit.size('acme')).toBe(0);
  });

  it('turns an unexpected throw into a logged 500 problem, with no secret in the log', async () => {
    const lines: string[] = [];
    const base = await harness();
    const engine = Object.assign(Object.create(Object.getPrototypeOf(base.deps.engine) as object), base.deps.engine, {
      policy: () => {
        throw new TypeError('boom');
      },
    });
    const h = await harness({ engine, logger: jsonLogger((l) => lines.push(l)) });
    const res = await h.call('GET', '/api/v1/rules', { key: KEYS.acmeChecker });
    expect(res.status).toBe(500);
    expect((await problem(res)).detail).toBe('internal error'); // "nothing was approved" is for checks
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({ level: 'error', msg: 'request failed', error: { name: 'TypeError', message: 'boom' } });
    expect(lines[0]).not.toContain(KEYS.acmeChecker);
  });

  it('logs a flood of refused credentials up to a rate, counting the rest into the next line', async () => {
    // Until 11-28 every keyless request logged a line: ~10 000 a second under a flood (a review).
    let t = Date.parse('2026-11-28T00:00:00.000Z');
    const lines: string[] = [];
    const h = await harness({ logger: jsonLogger((l) => lines.push(l), () => t), now: () => t });
    for (let i = 0; i < 260; i++) expect((await h.call('POST', CHECK, { body: { action: 'x' } })).status).toBe(401);
    expect(lines).toHaveLength(200);
    // A known key refused (403) is logged whatever the flood (a re-review: a keyless flood hid one).
    expect((await h.call('POST', CHECK, { key: KEYS.acmeAuditor, body: { action: 'x' } })).status).toBe(403);
    expect(JSON.parse(lines[200])).toMatchObject({ msg: 'request refused', status: 403, tenant: 'acme' });
    expect(JSON.parse(lines[200])).not.toHaveProperty('left_out');
    t += 1000;
    expect((await h.call('POST', CHECK, { body: { action: 'x' } })).status).toBe(401);
    expect(JSON.parse(lines[201])).toMatchObject({ msg: 'request refused', status: 401, left_out: 60, left_out_since: '2026-11-28T00:00:00.000Z' });
    expect(h.metrics.responses.render()).toContain('mge_http_responses_total{status="401"} 261'); // every one counted
  });

  it('holds each refused key to a rate of its own: one flood hides no other sender', async () => {
    // Until 11-28 (a session's own gap list) a 403 logged a line each, whatever the rate: a
    // client holding any configured key could write the log as fast as it could send.
    let t = Date.parse('2026-11-28T00:00:00.000Z');
    const lines: string[] = [];
    const h = await harness({ logger: jsonLogger((l) => lines.push(l), () => t), now: () => t });
    for (let i = 0; i < 260; i++) expect((await h.call('POST', CHECK, { key: KEYS.acmeAuditor, body: { action: 'x' } })).status).toBe(403);
    expect(lines).toHaveLength(200);
    expect((await h.call('GET', '/api/v1/audit/checkpoint', { key: KEYS.globexChecker })).status).toBe(403);
    expect((await h.call('POST', CHECK, { body: { action: 'x' } })).status).toBe(401);
    expect(lines.slice(200).map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ msg: 'request refused', status: 403, tenant: 'globex' }),
      expect.objectContaining({ msg: 'request refused', status: 401 }),
    ]);
    t += 1000;
    expect((await h.call('POST', CHECK, { key: KEYS.acmeAuditor, body: { action: 'x' } })).status).toBe(403);
    expect(JSON.parse(lines[202])).toMatchObject({ status: 403, tenant: 'acme', left_out: 60, left_out_since: '2026-11-28T00:00:00.000Z' });
    expect(lines.join('\n')).not.toContain(KEYS.acmeAuditor);
  });

  it('logs refused credentials (401, 403) as warnings, without the key', async () => {
    const lines: string[] = [];
    const h = await harness({ logger: jsonLogger((l) => lines.push(l)) });
    const wrong = 'not-a-key-000000000000000000000';
    expect((await h.call('POST', CHECK, { key: wrong, body: { action: 'x' } })).status).toBe(401);
    expect((await h.call('POST', CHECK, { key: KEYS.acmeAuditor, body: { action: 'x' } })).status).toBe(403);
    expect((await h.call('POST', CHECK, { body: { action: 'x' } })).status).toBe(401);
    expect(lines.map((l) => JSON.parse(l) as object)).toEqual([
      expect.objectContaining({ level: 'warn', msg: 'request refused', method: 'POST', path: CHECK, status: 401, detail: 'unknown API key' }),
      expect.objectContaining({ level: 'warn', status: 403, detail: 'this key lacks the `checker` role', tenant: 'acme', by: expect.stringMatching(/^key-[0-9a-f]{12}$/) }),
      expect.objectContaining({ level: 'warn', status: 401, detail: expect.stringContaining('an API key is required') }),
    ]);
    expect(lines.join('\n')).not.toContain(wrong);
    expect(lines.join('\n')).not.toContain(KEYS.acmeAuditor);
    // A pen-test (11-27): keyless 16 KB paths grew the log 10 MB a second; the path is cut.
    lines.length = 0;
    expect((await h.call('GET', `/api/v1/audit/proof/${'x'.repeat(16_000)}`)).status).toBe(401);
    expect(JSON.parse(lines[0])).toMatchObject({ msg: 'request refused', path: `/api/v1/audit/proof/${'x'.repeat(256 - 20)}… (15764 more characters)` });
    expect(lines[0].length).toBeLessThan(1_000);
  });

  it('holds no in-flight slot while a body is still arriving (Bun, Deno and Workers read it in the app)', async () => {
    const lifecycle = new Lifecycle(1);
    const h = await harness({ lifecycle });
    let finish!: () => void;
    const slow = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(new TextEncoder().encode('{"action":'));
        await new Promise<void>((r) => (finish = r));
        controller.enqueue(new TextEncoder().encode('"db.read"}'));
        controller.close();
      },
    });
    const uploading = h.app.request(CHECK, {
      method: 'POST', body: slow, duplex: 'half',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.acmeChecker}` },
    } as RequestInit);
    await new Promise((r) => setTimeout(r, 20));
    expect(lifecycle.inFlight).toBe(0);
    expect((await h.call('POST', CHECK, { key: KEYS.acmeChecker, body: { action: 'db.read' } })).status).toBe(200);
    finish();
    expect((await uploading).status).toBe(200);
  });

  // A review (11-29): a batch was one slot, and a thousand batches of 1 024 from one key ran at
  // once: 2 GB of decisions held, seconds a turn of the event loop, every tenant's checks 503.
  it('counts each request of a batch against the in-flight limit, and leaves a quarter of it to the other tenants', async () => {
    const lifecycle = new Lifecycle(8); // one tenant holds at most 6
    const h = await harness({ lifecycle });
    const batch = (n: number, key = KEYS.acmeChecker) => h.call('POST', '/api/v1/governance/check/batch', { key, body: { requests: Array.from({ length: n }, () => ({ action: 'db.read' })) } });
    const hold = (units: number, tenant?: string) => {
      let release!: () => void;
      const done = lifecycle.run(() => new Promise<void>((r) => (release = r)), units, tenant);
      return async () => (release(), await done);
    };
    let release = hold(5);
    expect((await batch(3)).status).toBe(200);
    const busy = await batch(4);
    expect(busy.status).toBe(429);
    expect((await problem(busy)).detail).toBe('more than 8 checks in flight (a batch counts each of its requests)');
    await release();
    // A batch larger than a tenant may hold takes that much, and runs once the tenant holds nothing else.
    const whole = await batch(20);
    expect(whole.status).toBe(200);
    expect(((await whole.json()) as { decisions: unknown[] }).decisions).toHaveLength(20);
    release = hold(1, 'acme');
    expect((await batch(20)).status).toBe(429);
    expect((await batch(5)).status).toBe(200);
    await release();
    // A flood of one tenant's work leaves the others room.
    release = hold(6, 'acme');
    const acme = await h.call('POST', CHECK, { key: KEYS.acmeChecker, body: { action: 'db.read' } });
    expect(acme.status).toBe(429);
    expect((await problem(acme)).detail).toBe('more than 6 checks of this tenant in flight (a batch counts each of its requests)');
    expect((await h.call('POST', CHECK, { key: KEYS.globexChecker, body: { action: 'db.read' } })).status).toBe(200);
    expect((await batch(2, KEYS.globexChecker)).status).toBe(200);
    await release();
    expect(lifecycle.inFlight).toBe(0);
  });

  // A re-review (11-29): with three quarters a tenant alone, two flooding tenants filled every slot.
  it('keeps the last sixteenth of the slots for tenants holding few: two floods leave a third tenant\'s checks room', async () => {
    const lifecycle = new Lifecycle(64); // a tenant holds at most 48; the last 4 go to one holding at most 1
    const h = await harness({ lifecycle });
    const holds: Array<() => void> = [];
    const hold = (units: number, tenant: string) => void lifecycle.run(() => new Promise<void>((r) => holds.push(r)), units, tenant);
    hold(48, 'acme');
    hold(12, 'beta');
    expect(lifecycle.inFlight).toBe(60);
    const check = (key: string) => h.call('POST', CHECK, { key, body: { action: 'db.read' } });
    expect((await check(KEYS.acmeChecker)).status).toBe(429); // its own three quarters
    // globex holds nothing: its checks get in, one at a time, while beta (holding 12) does not.
    hold(1, 'beta-more'); // a tenant holding none takes one of the last four
    expect((await check(KEYS.globexChecker)).status).toBe(200);
    expect(await lifecycle.run(async () => 'in', 1, 'globex')).toBe('in');
    // The refusal says why: the slots are not all taken (61 of 64), the last ones are kept.
    await expect(lifecycle.run(async () => 'in', 1, 'beta')).rejects.toThrow('61 of 64 check slots in use; the last 4 go only to a tenant holding at most 1');
    await expect(lifecycle.run(async () => 'in', 2, 'globex')).rejects.toThrow('61 of 64 check slots in use; the last 4 go only to a tenant holding at most 1');
    await expect(lifecycle.run(async () => 'in', 5, 'globex')).rejects.toThrow('more than 64 checks in flight');
    // A small limit (16 to 63: a reserve under 4) still lets a tenant holding none take one of
    // its last slots (a re-review, 11-29: "at most 0", so none could).
    const small = new Lifecycle(32);
    const smallHolds: Array<() => void> = [];
    for (const t of ['t0', 't1', 't2']) void small.run(() => new Promise<void>((r) => smallHolds.push(r)), 10, t);
    const first = small.run(() => new Promise<void>((r) => smallHolds.push(r)), 1, 'b');
    expect(small.inFlight).toBe(31);
    await expect(small.run(async () => 'in', 1, 'b')).rejects.toThrow('31 of 32 check slots in use; the last 2 go only to a tenant holding at most 1');
    for (const release of smallHolds) release();
    await first;
    // Weights that are not counts are one.
    expect(await lifecycle.run(async () => lifecycle.inFlight, Number.NaN, 'globex')).toBe(62);
    for (const release of holds) release();
    await new Promise((r) => setTimeout(r, 0));
    expect(lifecycle.inFlight).toBe(0);
  });

  it('answers 429 past the in-flight limit and 503 while draining', async () => {
    const lifecycle = new Lifecycle(1);
    const h = await harness({ lifecycle });
    let release!: () => void;
    const held = lifecycle.run(() => new Promise<void>((r) => (release = r)));
    const busy = await h.call('POST', CHECK, { key: KEYS.acmeChecker, body: { action: 'x' } });
    expect(busy.status).toBe(429);
    expect(busy.headers.get('retry-after')).toBe('1');
    const drained = lifecycle.drained();
    release();
    await held;
    await drained;
    const closing = await h.call('POST', CHECK, { key: KEYS.acmeChecker, body: { action: 'x' } });
    expect(closing.status).toBe(503);
    expect((await problem(closing)).type).toBe('urn:mge:problem:shutting-down');
    const ready = await h.call('GET', '/readyz');
    expect(ready.status).toBe(503);
    // As the checks say it (a review, 11-29: typed store-unavailable, and kept alive).
    expect(ready.headers.get('connection')).toBe('close');
    expect((await problem(ready)).type).toBe('urn:mge:problem:shutting-down');
    // Reads still answer until the connection closes: an auditor's proof is no decision.
    expect((await h.call('GET', '/api/v1/keys')).status).toBe(200);
  });
});

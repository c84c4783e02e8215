import { beforeEach, describe, expect, it } from 'vitest';
import { verifyReceipt } from '../../src/receipt/verify.js';
import { createEngine } from '../../src/engine/engine.js';
import type { Decision } from '../../src/ir/types.js';
import { harness, KEYS, problem, SECRET, type Harness } from './harness.js';

const CHECK = '/api/v1/governance/check';
const PROD_WRITE = { action: { type: 'db.write', table: 'users' }, context: { environment: 'production' } };

let h: Harness;
beforeEach(async () => {
  h = await harness();
});

describe('POST /api/v1/governance/check', () => {
  it('approves, signs, logs, and answers 200', async () => {
    const res = await h.call('POST', CHECK, { key: KEYS.acmeChecker, body: { action: 'db.read' } });
    expect(res.status).toBe(200);
    const d = (await res.json()) as Decision;
    expect(d).toMatchObject({ approved: true, reasoning: 'All rules passed', tenant: 'acme', violations: [] });
    expect(d.receipt?.alg).toBe('HS256');
    expect(await verifyReceipt(d, { keys: { secrets: [SECRET] }, action: 'db.read' })).toMatchObject({ valid: true });
    expect(await h.audit.entries('acme', 0, 10)).toEqual([d]);
  });

  it('answers with the logged entry itself: the body is byte for byte its exported line', async () => {
    const res = await h.call('POST', CHECK, { key: KEYS.acmeChecker, body: PROD_WRITE });
    expect(res.headers.get('content-type')).toBe('application/json');
    const body = await res.text();
    const lines: string[] = [];
    for await (const line of h.audit.export('acme')) lines.push(line);
    expect(lines).toEqual([`${body}\n`]);
  });

  it('signs and logs a denial whose message cuts a long value before an emoji (half of it could not be signed)', async () => {
    const rules = [{ path: 'files.yaml', text: 'rule_id: files\nconditions:\n  - type: file_access_control\n    parameters: { allowed_paths: ["workspace/**"] }\n' }];
    const own = await harness({ engine: await createEngine({ rules }) });
    const path = `${'a'.repeat(199)}😀/x`;
    const res = await own.call('POST', CHECK, { key: KEYS.acmeChecker, body: { action: { type: 'file.read', path } } });
    expect(res.status).toBe(200);
    const d = (await res.json()) as Decision;
    expect(d.violations.map((v) => v.message)).toEqual([`path \`${'a'.repeat(199)}😀…\` matches no allowed path (\`workspace/**\`)`]);
    expect(await own.audit.entries('acme', 0, 10)).toEqual([d]);
  });

  it('denies with 200 and the violation', async () => {
    const res = await h.call('POST', CHECK, { key: KEYS.acmeChecker, body: PROD_WRITE });
    expect(res.status).toBe(200);
    const d = (await res.json()) as Decision;
    expect(d.approved).toBe(false);
    expect(d.reasoning).toBe('Denied by no-prod-writes: Direct database modifications in production');
    expect(d.violations.map((v) => v.rule_id)).toEqual(['no-prod-writes']);
  });

  it('applies the caller tenant\'s own rules, never another tenant\'s', async () => {
    const acme = (await (await h.call('POST', CHECK, { key: KEYS.acmeChecker, body: { action: 'acme.secret' } })).json()) as Decision;
    const globex = (await (await h.call('POST', CHECK, { key: KEYS.globexChecker, body: { action: 'acme.secret' } })).json()) as Decision;
    expect([acme.approved, acme.tenant]).toEqual([false, 'acme']);
    expect([globex.approved, globex.tenant]).toEqual([true, 'globex']);
    expect(await h.audit.size('acme')).toBe(1);
    expect(await h.audit.size('globex')).toBe(1);
  });

  it('adds explanation with ?explain=true, outside the signature and the log', async () => {
    const res = await h.call('POST', `${CHECK}?explain=true`, { key: KEYS.acmeChecker, body: PROD_WRITE });
    const d = (await res.json()) as Decision & { explanation?: unknown[] };
    expect(d.explanation).toHaveLength(1);
    expect(await verifyReceipt(d, { keys: { secrets: [SECRET] } })).toMatchObject({ valid: true });
    const [logged] = (await h.audit.entries('acme', 0, 1)) as Array<Record<string, unknown>>;
    expect(logged.explanation).toBeUndefined();
    expect(logged.decision_id).toBe(d.decision_id);
  });

  it('takes `explain` as `true` or `false` only, once: anything else is a 400, not a silent no', async () => {
    const size = await h.audit.size('acme');
    const without = (await (await h.call('POST', `${CHECK}?explain=false`, { key: KEYS.acmeChecker, body: PROD_WRITE })).json()) as { explanation?: unknown };
    expect(without.explanation).toBeUndefined();
    for (const q of ['explain=1', 'explain=TRUE', 'explain=', 'explain=true&explain=false']) {
      for (const path of [CHECK, `${CHECK}/batch`]) {
        const res = await h.call('POST', `${path}?${q}`, { key: KEYS.acmeChecker, body: path === CHECK ? PROD_WRITE : { requests: [PROD_WRITE] } });
        expect(res.status, `${path}?${q}`).toBe(400);
        expect((await problem(res)).detail).toContain('the query parameter `explain` is `true` or `false`, given once');
      }
    }
    expect(await h.audit.size('acme')).toBe(size + 1); // only the explain=false check was logged
    const metrics = await (await h.call('GET', '/metrics')).text();
    expect(metrics).toMatch(/mge_check_errors_total\{tenant="acme",status="400"\} (\d+)/);
    expect(Number(/mge_check_errors_total\{tenant="acme",status="400"\} (\d+)/.exec(metrics)![1])).toBeGreaterThanOrEqual(8);
  });

  it('keeps rate-limit buckets per tenant', async () => {
    const call = (key: string) => h.call('POST', CHECK, { key, body: { action: 'api.call', context: { agent_id: 'agent-1' } } });
    const acme = [];
    for (let i = 0; i < 3; i++) acme.push(((await (await call(KEYS.acmeChecker)).json()) as Decision).approved);
    expect(acme).toEqual([true, true, false]); // burst 2
    const globex = ((await (await call(KEYS.globexChecker)).json()) as Decision);
    expect(globex.approved).toBe(true);
  });

  it('refuses a request of the wrong shape with 400 and logs nothing', async () => {
    const res = await h.call('POST', CHECK, { key: KEYS.acmeChecker, body: { action: 'x', tenant: 'globex' } });
    expect(res.status).toBe(400);
    expect((await problem(res)).detail).toContain('unknown top-level field `tenant`');
    expect(await h.audit.size('acme')).toBe(0);
  });
});

describe('POST /api/v1/governance/check/batch', () => {
  it('answers every request in order, each signed and logged', async () => {
    const res = await h.call('POST', `${CHECK}/batch`, { key: KEYS.acmeChecker, body: { requests: [{ action: 'db.read' }, PROD_WRITE] } });
    expect(res.status).toBe(200);
    const { decisions } = (await res.json()) as { decisions: Decision[] };
    expect(decisions.map((d) => d.approved)).toEqual([true, false]);
    expect(decisions.every((d) => d.receipt !== undefined)).toBe(true);
    expect(await h.audit.entries('acme', 0, 10)).toEqual(decisions);
  });

  it('answers {"decisions": [...]} built from the logged lines, in log order', async () => {
    const res = await h.call('POST', `${CHECK}/batch`, { key: KEYS.acmeChecker, body: { requests: [PROD_WRITE, { action: 'db.read' }] } });
    const lines: string[] = [];
    for await (const line of h.audit.export('acme')) lines.push(line.trimEnd());
    expect(await res.text()).toBe(`{"decisions":[${lines.join(',')}]}`);
  });

  it('refuses the whole batch when one request is malformed, naming it, and logs nothing', async () => {
    const res = await h.call('POST', `${CHECK}/batch`, { key: KEYS.acmeChecker, body: { requests: [{ action: 'db.read' }, { action: 7 }] } });
    expect(res.status).toBe(400);
    expect((await problem(res)).detail).toMatch(/^requests\[1\]: /);
    expect(await h.audit.size('acme')).toBe(0);
  });

  it('takes no rate-limit token for a batch it refuses (nothing of it is logged, so nothing of it may count)', async () => {
    const limited = { action: 'api.call', context: { agent_id: 'agent-batch' } };
    const res = await h.call('POST', `${CHECK}/batch`, { key: KEYS.acmeChecker, body: { requests: [limited, limited, { action: 7 }] } });
    expect(res.status).toBe(400);
    const after = await h.call('POST', `${CHECK}/batch`, { key: KEYS.acmeChecker, body: { requests: [limited, limited, limited] } });
    expect(((await after.json()) as { decisions: Decision[] }).decisions.map((d) => d.approved)).toEqual([true, true, false]); // burst 2, untouched
  });

  it('refuses anything but {requests: [...]}', async () => {
    for (const body of [[], { requests: {} }, { requests: [], extra: 1 }]) {
      const res = await h.call('POST', `${CHECK}/batch`, { key: KEYS.acmeChecker, body });
      expect(res.status).toBe(400);
      expect((await problem(res)).detail).toContain('{"requests": [...]}');
    }
  });
});

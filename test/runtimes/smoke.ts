// The one HTTP smoke suite every runtime runs (node.test.ts, bun.test.ts, …): the same cases
// against the same app, served by that runtime's adapter. Receipts are also verified here, in
// Node, so a runtime whose crypto disagreed would fail.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Decision } from '../../src/ir/types.js';
import { verifyReceipt } from '../../src/receipt/verify.js';
import { SMOKE_KEY, SMOKE_SECRET } from './fixtures/app-config.js';
import type { Started } from './launch.js';

export function runtimeSmoke(runtime: string, start: () => Promise<Started>, skipReason?: string): void {
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

    it('verifies a receipt once, then refuses the replay', async () => {
      const d = await check({ action: 'db.read' });
      const verify = async () => (await post('/api/v1/receipts/verify', JSON.stringify({ decision: d, action: 'db.read' }))).json();
      expect(await verify()).toEqual({ valid: true });
      expect(await verify()).toEqual({ valid: false, reason: 'replayed' });
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

import { beforeEach, describe, expect, it } from 'vitest';
import type { Decision } from '../../src/ir/types.js';
import { harness, KEYS, problem, type Harness } from './harness.js';
import { jsonLogger } from '../../src/http/logger.js';

const VERIFY = '/api/v1/receipts/verify';
const ACTION = { type: 'db.read', table: 'users' };
let now = Date.parse('2026-11-25T12:00:00.000Z');
let h: Harness;

async function decide(key: string, body: unknown = { action: ACTION }): Promise<Decision> {
  return (await (await h.call('POST', '/api/v1/governance/check', { key, body })).json()) as Decision;
}

async function verify(key: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await h.call('POST', VERIFY, { key, body });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

beforeEach(async () => {
  now = Date.parse('2026-11-25T12:00:00.000Z');
  h = await harness({ now: () => now });
});

describe('POST /api/v1/receipts/verify', () => {
  it('accepts a fresh receipt once, then refuses the replay', async () => {
    const d = await decide(KEYS.acmeChecker);
    expect(await verify(KEYS.acmeChecker, { decision: d, action: ACTION })).toEqual({ status: 200, json: { valid: true, approved: true } });
    expect(await verify(KEYS.acmeChecker, { decision: d, action: ACTION })).toEqual({ status: 200, json: { valid: false, reason: 'replayed' } });
  });

  it('takes a whole decision, however many warnings and however long their messages: not a check request\'s limits', async () => {
    const { receipt: _r, ...unsigned } = await decide(KEYS.acmeChecker);
    // A warn rule's 9 000-byte message, and a warning for each of 1 100 rules (a review's decision of 133 KB).
    const warnings = Array.from({ length: 1100 }, (_, i) => ({ rule_id: `w${String(i).padStart(4, '0')}`, clause: 'prohibited[0]', code: 'prohibited', message: i === 0 ? 'W'.repeat(9000) : 'warned' }));
    const big = await h.deps.signer.sign({ ...unsigned, warnings } as unknown as Decision);
    expect(JSON.stringify({ decision: big, action: ACTION }).length).toBeGreaterThan(64 * 1024);
    expect(await verify(KEYS.acmeChecker, { decision: big, action: ACTION })).toEqual({ status: 200, json: { valid: true, approved: true } });
    // Its own limit still holds: past 1 MiB, 413.
    const huge = await h.call('POST', VERIFY, { key: KEYS.acmeChecker, raw: JSON.stringify({ decision: big, action: ACTION, pad: 'x'.repeat(1024 * 1024) }) });
    expect(huge.status).toBe(413);
  });

  it('names each failure, without consuming the nonce', async () => {
    const d = await decide(KEYS.acmeChecker);
    const tampered = { ...d, approved: !d.approved };
    expect((await verify(KEYS.acmeChecker, { decision: tampered })).json).toEqual({ valid: false, reason: 'decision_mismatch' });
    expect((await verify(KEYS.acmeChecker, { decision: d, action: { type: 'db.drop' } })).json).toEqual({ valid: false, reason: 'action_mismatch' });
    expect((await verify(KEYS.acmeChecker, { decision: { ...d, receipt: { ...d.receipt, kid: 'nope' } } })).json).toEqual({ valid: false, reason: 'unknown_kid' });
    expect((await verify(KEYS.acmeChecker, { decision: { approved: true } })).json).toEqual({ valid: false, reason: 'malformed' });
    expect((await verify(KEYS.acmeChecker, { decision: d })).json).toEqual({ valid: true, approved: true });
  });

  it('refuses a context without its action with 400, and leaves the nonce unspent', async () => {
    const d = await decide(KEYS.acmeChecker, { action: ACTION, context: { environment: 'staging' } });
    const res = await h.call('POST', VERIFY, { key: KEYS.acmeChecker, body: { decision: d, context: { environment: 'production' } } });
    expect(res.status).toBe(400);
    expect((await problem(res)).detail).toContain('`context` needs `action`');
    expect((await verify(KEYS.acmeChecker, { decision: d, action: ACTION, context: { environment: 'staging' } })).json).toEqual({ valid: true, approved: true });
  });

  it('answers 503 when the nonce store fails, and logs why (a review: nothing was logged)', async () => {
    const lines: string[] = [];
    const failing = await harness({ now: () => now, nonceStore: { consumeOnce: () => Promise.reject(new Error('EROFS: read-only file system')), forgetClock: () => now }, logger: jsonLogger((l) => lines.push(l)) });
    const d = (await (await failing.call('POST', '/api/v1/governance/check', { key: KEYS.acmeChecker, body: { action: ACTION } })).json()) as Decision;
    const res = await failing.call('POST', VERIFY, { key: KEYS.acmeChecker, body: { decision: d, action: ACTION } });
    expect(res.status).toBe(503);
    const logged = lines.map((l) => JSON.parse(l) as { msg: string; error?: unknown }).find((l) => l.msg.startsWith('nonce store unavailable'));
    expect(JSON.stringify(logged?.error)).toContain('EROFS');
  });

  it('refuses an expired receipt', async () => {
    const d = await decide(KEYS.acmeChecker);
    now += 60_000 + 5_001;
    expect((await verify(KEYS.acmeChecker, { decision: d })).json).toEqual({ valid: false, reason: 'expired' });
  });

  it('refuses another tenant\'s receipt with 403 and leaves its nonce unspent', async () => {
    const d = await decide(KEYS.acmeChecker);
    const res = await h.call('POST', VERIFY, { key: KEYS.globexChecker, body: { decision: d } });
    expect(res.status).toBe(403);
    expect((await problem(res)).detail).toBe('the receipt belongs to another tenant');
    expect((await verify(KEYS.acmeChecker, { decision: d })).json).toEqual({ valid: true, approved: true });
  });

  it('refuses a body of the wrong shape with 400', async () => {
    const wrong = [
      [], { decision: 'x' }, { decision: {}, extra: 1 }, { decision: {}, audience: 3 }, { decision: {}, audience: '' },
      // Shapes no check takes: refused as requests, not answered as another action's receipt.
      { decision: {}, action: ACTION, context: null }, { decision: {}, action: ACTION, context: [] }, { decision: {}, action: 7 }, { decision: {}, action: { table: 'x' } },
    ];
    for (const body of wrong) {
      const res = await h.call('POST', VERIFY, { key: KEYS.acmeChecker, body });
      expect(res.status).toBe(400);
      await problem(res);
    }
  });

  it('binds to an audience when the verifier states one', async () => {
    const d = await decide(KEYS.acmeChecker, { action: ACTION, audience: 'executor-a' });
    expect((await verify(KEYS.acmeChecker, { decision: d, audience: 'executor-b' })).json).toEqual({ valid: false, reason: 'audience_mismatch' });
    expect((await verify(KEYS.acmeChecker, { decision: d, audience: 'executor-a' })).json).toEqual({ valid: true, approved: true });
  });

  it('refuses at construction a skew allowance that would switch expiry off (NaN, Infinity, negative)', async () => {
    for (const skewMs of [NaN, Infinity, -1, 1e20]) await expect(harness({ skewMs }), String(skewMs)).rejects.toThrow(/skewMs/);
    h = await harness({ now: () => now, skewMs: 0 });
    const d = await decide(KEYS.acmeChecker);
    now += 60_001;
    expect((await verify(KEYS.acmeChecker, { decision: d })).json).toEqual({ valid: false, reason: 'expired' });
  });
});

// Two `mge serve` processes behind one MGE_REDIS_URL (the scaling-out of docs/ARCHITECTURE.md):
// a rate limit holds across both, and a receipt verified by one is refused as replayed by the
// other; a Redis that cannot be used refuses the start; one that goes away fails closed.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS, SECRET } from '../harness.js';
import { spawnServe, writeRules, type ServeProcess } from './server.js';
import { ageEpoch, redisServerMissing, startRedis, type PrivateRedis } from '../../adapters/node/redis-server.js';

const missing = redisServerMissing();
if (missing !== undefined) console.warn(`\n!!! Redis shared-state e2e SKIPPED: ${missing} !!!\n`);

const CHECK = '/api/v1/governance/check';
const apiCall = JSON.stringify({ action: { type: 'api.call' }, context: { agent_id: 'agent-7' } });

async function post(url: string, path: string, body: string, key = KEYS.acmeChecker): Promise<Response> {
  return fetch(url + path, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body });
}

async function stop(p: ServeProcess): Promise<number | null> {
  p.child.kill('SIGTERM');
  return p.exited;
}

describe.skipIf(missing !== undefined)('two instances sharing Redis', () => {
  let redis: PrivateRedis;
  let root: string;
  let a: ServeProcess & { url: string };
  let b: ServeProcess & { url: string };

  beforeAll(async () => {
    redis = await startRedis();
    await ageEpoch(redis.port); // a store up for a while: receipts verify at once
    root = mkdtempSync(join(tmpdir(), 'mge-shared-'));
    writeRules(join(root, 'rules'));
    // One secret, as replicas behind a load balancer have: a receipt of one verifies at the other.
    const env = { MGE_SECRET_KEY: SECRET, MGE_REDIS_URL: `redis://127.0.0.1:${redis.port}` };
    const spawnOne = async (name: string) => {
      const p = spawnServe({ rulesDir: join(root, 'rules'), dataDir: join(root, name), env });
      return { ...p, url: await p.listening() };
    };
    [a, b] = await Promise.all([spawnOne('data-a'), spawnOne('data-b')]);
  }, 60_000);

  afterAll(async () => {
    for (const p of [a, b]) if (p !== undefined && p.child.exitCode === null) await stop(p);
    await redis?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('says where the shared state is, at start', () => {
    expect(a.out()).toContain(`mge: shared state: rate limits and used nonces in Redis at redis://127.0.0.1:${redis.port} (MGE_REDIS_URL)`);
  });

  it('holds a rate limit across both instances', async () => {
    // api-rate: burst 2 per agent. One check at each instance spends it; the third is denied.
    expect((await (await post(a.url, CHECK, apiCall)).json()).approved).toBe(true);
    expect((await (await post(b.url, CHECK, apiCall)).json()).approved).toBe(true);
    const third = await (await post(a.url, CHECK, apiCall)).json();
    expect(third.approved).toBe(false);
    expect(third.violations.map((v: { code: string }) => v.code)).toEqual(['rate_limited']);
    // Tenant globex's bucket for the same rule and agent is its own.
    expect((await (await post(b.url, CHECK, apiCall, KEYS.globexChecker)).json()).approved).toBe(true);
  });

  it('refuses at one instance a receipt the other has verified', async () => {
    const decision = await (await post(a.url, CHECK, JSON.stringify({ action: { type: 'db.read' } }))).json();
    expect(decision.approved).toBe(true);
    const verify = JSON.stringify({ decision });
    expect(await (await post(b.url, '/api/v1/receipts/verify', verify)).json()).toEqual({ valid: true, approved: true });
    expect(await (await post(a.url, '/api/v1/receipts/verify', verify)).json()).toEqual({ valid: false, reason: 'replayed' });
    expect(await (await post(b.url, '/api/v1/receipts/verify', verify)).json()).toEqual({ valid: false, reason: 'replayed' });
  });

  it('refuses, after Redis restarts empty, a receipt the other instance verified before', async () => {
    const decision = await (await post(a.url, CHECK, JSON.stringify({ action: { type: 'db.read' } }))).json();
    const verify = JSON.stringify({ decision });
    expect(await (await post(a.url, '/api/v1/receipts/verify', verify)).json()).toEqual({ valid: true, approved: true });
    await redis.restart(); // no persistence: the used nonce is gone
    // Until b has reconnected and looked at the server again (ready), then no longer.
    for (let i = 0; i < 100 && (await fetch(b.url + '/readyz')).status !== 200; i++) await new Promise((r) => setTimeout(r, 50));
    expect((await fetch(b.url + '/readyz')).status).toBe(200);
    const answer = await post(b.url, '/api/v1/receipts/verify', verify);
    expect(answer.status).toBe(503);
    expect(await answer.json()).toMatchObject({ detail: 'the nonce store is unavailable; the receipt was not accepted' });
    expect(b.out()).toMatch(/shared state \(Redis\) may have lost used nonces/);
    // So is a fresh one, for the clock margin (a minute; redis-state.test.ts has the rest).
    const fresh = await (await post(a.url, CHECK, JSON.stringify({ action: { type: 'db.read' } }))).json();
    expect((await post(b.url, '/api/v1/receipts/verify', JSON.stringify({ decision: fresh }))).status).toBe(503);
  });

  it('fails closed when Redis goes away: rate-limited checks denied, receipts refused, not ready', async () => {
    const up = async () => /^mge_shared_state_up (\d)$/m.exec(await (await fetch(a.url + '/metrics')).text())?.[1];
    expect(await up()).toBe('1');
    await redis.stop();
    const denied = await (await post(a.url, CHECK, JSON.stringify({ action: { type: 'api.call' }, context: { agent_id: 'fresh' } }))).json();
    expect(denied.approved).toBe(false);
    expect(denied.violations.map((v: { code: string }) => v.code)).toEqual(['state_unavailable']);
    // A check no rate limit applies to does not need the store.
    expect((await (await post(a.url, CHECK, JSON.stringify({ action: { type: 'db.read' } }))).json()).approved).toBe(true);
    const decision = await (await post(b.url, CHECK, JSON.stringify({ action: { type: 'db.read' } }))).json();
    const verify = await post(b.url, '/api/v1/receipts/verify', JSON.stringify({ decision }));
    expect(verify.status).toBe(503);
    expect(verify.headers.get('content-type')).toBe('application/problem+json');
    expect((await fetch(a.url + '/readyz')).status).toBe(503);
    expect(await up()).toBe('0');
    expect((await fetch(a.url + '/healthz')).status).toBe(200);
  });

  it('refuses to start when MGE_REDIS_URL cannot be used, without printing its password', async () => {
    const p = spawnServe({ rulesDir: join(root, 'rules'), dataDir: join(root, 'data-c'), env: { MGE_SECRET_KEY: SECRET, MGE_REDIS_URL: `redis://u:hunter2@127.0.0.1:${redis.port}` } });
    expect(await p.exited).toBe(2);
    expect(p.err()).toContain(`mge serve: MGE_REDIS_URL: the Redis server at redis://127.0.0.1:${redis.port} cannot keep the rate limits and used nonces`);
    expect(p.out() + p.err()).not.toContain('hunter2');
  });
});

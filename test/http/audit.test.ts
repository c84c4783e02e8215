import { beforeEach, describe, expect, it } from 'vitest';
import { verifyCheckpointSignature, type Checkpoint } from '../../src/audit/checkpoint.js';
import { verifyConsistency, verifyInclusion } from '../../src/audit/merkle.js';
import type { Decision } from '../../src/ir/types.js';
import { webCryptoBackend } from '../../src/receipt/backend.js';
import { fromHex } from '../../src/receipt/hash.js';
import { MAX_EXPORTS_PER_TENANT } from '../../src/http/routes/audit.js';
import { harness, KEYS, problem, type Harness } from './harness.js';

let h: Harness;
const sha = webCryptoBackend.sha256;

async function check(key: string, action: string): Promise<Decision> {
  return (await (await h.call('POST', '/api/v1/governance/check', { key, body: { action } })).json()) as Decision;
}

async function get<T>(path: string, key = KEYS.acmeAuditor): Promise<T> {
  const res = await h.call('GET', path, { key });
  expect(res.status, path).toBe(200);
  return (await res.json()) as T;
}

beforeEach(async () => {
  h = await harness();
});

describe('audit routes', () => {
  it('pages the log in order', async () => {
    const ds = [await check(KEYS.acmeChecker, 'a'), await check(KEYS.acmeChecker, 'b'), await check(KEYS.acmeChecker, 'c')];
    const page = await get<{ tree_size: number; from: number; entries: Decision[] }>('/api/v1/audit?from=1&limit=1');
    expect(page).toEqual({ tenant: 'acme', tree_size: 3, from: 1, entries: [ds[1]] });
    expect((await get<{ entries: unknown[] }>('/api/v1/audit?from=9')).entries).toEqual([]);
    for (const q of ['from=-1', 'limit=0', 'limit=x']) expect((await h.call('GET', `/api/v1/audit?${q}`, { key: KEYS.acmeAuditor })).status, q).toBe(400);
    // 20 digits: refused, saying why (it is an integer; it has more than 15 digits).
    const long = await h.call('GET', '/api/v1/audit?limit=99999999999999999999', { key: KEYS.acmeAuditor });
    expect((await problem(long)).detail).toBe('`limit` must be an integer ≥ 1 of at most 15 digits, in decimal without leading zeros');
  });

  it('signs a checkpoint covering every answered decision', async () => {
    await check(KEYS.acmeChecker, 'a');
    await check(KEYS.acmeChecker, 'b');
    const cp = await get<Checkpoint>('/api/v1/audit/checkpoint');
    expect(cp).toMatchObject({ tenant: 'acme', tree_size: 2, alg: 'HS256' });
    expect(await verifyCheckpointSignature(cp, h.deps.signer.keys)).toBe('ok');
  });

  it('gives inclusion proofs that verify against the checkpoint root', async () => {
    const ds = [];
    for (const a of ['a', 'b', 'c', 'd', 'e']) ds.push(await check(KEYS.acmeChecker, a));
    const cp = await get<Checkpoint>('/api/v1/audit/checkpoint');
    for (const [i, d] of ds.entries()) {
      const p = await get<{ leaf_index: number; tree_size: number; leaf_hash: string; audit_path: string[]; root_hash: string }>(`/api/v1/audit/proof/${d.decision_id}`);
      expect([p.leaf_index, p.tree_size, p.root_hash]).toEqual([i, 5, cp.root_hash]);
      expect(await verifyInclusion(sha, p.leaf_index, p.tree_size, fromHex(p.leaf_hash), p.audit_path.map(fromHex), fromHex(p.root_hash))).toBe(true);
    }
    const old = await get<{ tree_size: number }>(`/api/v1/audit/proof/${ds[1].decision_id}?tree_size=2`);
    expect(old.tree_size).toBe(2);
    expect((await h.call('GET', `/api/v1/audit/proof/${ds[3].decision_id}?tree_size=2`, { key: KEYS.acmeAuditor })).status).toBe(404);
    expect((await h.call('GET', `/api/v1/audit/proof/${ds[0].decision_id}?tree_size=99`, { key: KEYS.acmeAuditor })).status).toBe(400);
    for (const q of ['tree_size=02', 'tree_size=2&tree_size=3']) {
      expect((await h.call('GET', `/api/v1/audit/proof/${ds[0].decision_id}?${q}`, { key: KEYS.acmeAuditor })).status, q).toBe(400);
    }
  });

  it('gives consistency proofs between sizes', async () => {
    for (const a of ['a', 'b', 'c']) await check(KEYS.acmeChecker, a);
    const cp3 = await get<Checkpoint>('/api/v1/audit/checkpoint');
    for (const a of ['d', 'e']) await check(KEYS.acmeChecker, a);
    const cp5 = await get<Checkpoint>('/api/v1/audit/checkpoint');
    const p = await get<{ first: number; second: number; proof: string[] }>('/api/v1/audit/consistency?first=3&second=5');
    expect(await verifyConsistency(sha, 3, 5, fromHex(cp3.root_hash), fromHex(cp5.root_hash), p.proof.map(fromHex))).toBe(true);
    // Also a number with another spelling (`03`, `+3`) and a parameter given twice (which one?).
    for (const q of ['first=5&second=3', 'first=1&second=9', 'first=1', 'first=0&second=1', 'first=03&second=5', 'first=%2B3&second=5', 'first=3&second=5&second=4']) {
      const res = await h.call('GET', `/api/v1/audit/consistency?${q}`, { key: KEYS.acmeAuditor });
      expect(res.status, q).toBe(400);
      await problem(res);
    }
    const beyond = await h.call('GET', '/api/v1/audit/consistency?first=1&second=9', { key: KEYS.acmeAuditor });
    expect((await problem(beyond)).detail).toBe('`second` (9) is larger than the log (5 entries)');
  });

  it('exports JSON Lines in log order', async () => {
    const ds = [await check(KEYS.acmeChecker, 'a'), await check(KEYS.acmeChecker, 'b')];
    const res = await h.call('GET', '/api/v1/audit/export', { key: KEYS.acmeAuditor });
    expect(res.headers.get('content-type')).toBe('application/jsonl; charset=utf-8');
    const lines = (await res.text()).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => (JSON.parse(l) as Decision).decision_id)).toEqual(ds.map((d) => d.decision_id));
  });

  // A review (11-29): every export held a read buffer for as long as its client kept the
  // connection, reading or not; 1 000 stalled ones held 1.3 GB.
  it('streams at most MAX_EXPORTS_PER_TENANT exports of a tenant at once (429 past it); one ended, read or cancelled, frees its slot', async () => {
    for (const a of ['a', 'b', 'c']) await check(KEYS.acmeChecker, a);
    await check(KEYS.globexChecker, 'g');
    const open = [];
    for (let i = 0; i < MAX_EXPORTS_PER_TENANT; i++) {
      const res = await h.call('GET', '/api/v1/audit/export', { key: KEYS.acmeAuditor });
      expect(res.status).toBe(200);
      open.push(res); // not read: its stream holds its slot
    }
    const refused = await h.call('GET', '/api/v1/audit/export', { key: KEYS.acmeAuditor });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect((await problem(refused)).detail).toContain(`at most ${MAX_EXPORTS_PER_TENANT} at once`);
    expect((await h.call('GET', '/api/v1/audit/export', { key: KEYS.globexAdmin })).status).toBe(200); // another tenant's own slots
    await open[0].body!.cancel();
    expect((await h.call('GET', '/api/v1/audit/export', { key: KEYS.acmeAuditor })).status).toBe(200); // cancelled: freed (and this one now holds it)
    await open[1].text(); // read to its end: freed
    const again = await h.call('GET', '/api/v1/audit/export', { key: KEYS.acmeAuditor });
    expect(again.status).toBe(200);
    expect((await again.text()).split('\n')).toHaveLength(4);
  });

  // A re-review (11-29): HEAD ran the export and dropped its body uncancelled; four HEADs held
  // the tenant's slots until a restart.
  it('answers HEAD of the export with its headers and takes no slot', async () => {
    await check(KEYS.acmeChecker, 'a');
    for (let i = 0; i <= MAX_EXPORTS_PER_TENANT; i++) {
      const res = await h.call('HEAD', '/api/v1/audit/export', { key: KEYS.acmeAuditor });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/jsonl; charset=utf-8');
    }
    expect((await h.call('GET', '/api/v1/audit/export', { key: KEYS.acmeAuditor })).status).toBe(200);
  });

  it("never reaches another tenant's log, even with a guessed decision id", async () => {
    const acme = await check(KEYS.acmeChecker, 'a');
    await check(KEYS.globexChecker, 'b');
    const res = await h.call('GET', `/api/v1/audit/proof/${acme.decision_id}`, { key: KEYS.globexAdmin });
    expect(res.status).toBe(404);
    expect((await problem(res)).detail).toBe(`no decision \`${acme.decision_id}\` in this tenant's log`);
    const exported = await (await h.call('GET', '/api/v1/audit/export', { key: KEYS.globexAdmin })).text();
    expect(exported).not.toContain(acme.decision_id);
    expect((await get<{ tree_size: number; tenant: string }>('/api/v1/audit/checkpoint', KEYS.globexAdmin))).toMatchObject({ tenant: 'globex', tree_size: 1 });
  });
});

// Offline verification of receipts the real server signed with Ed25519, using nothing but the
// public JWKS it serves at /api/v1/keys — what an execution layer outside the trust domain does.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MemoryNonceStore, MGEClient, offlineReceiptCheck, ReceiptRejected, verifyCheckpoint, verifyReceipt, type Jwks,
} from '../../src/sdk/index.js';
import { startLiveServer, type LiveServer } from './live-server.js';

let server: LiveServer;
let client: MGEClient;
let jwks: Jwks;

beforeAll(async () => {
  server = await startLiveServer({ alg: 'Ed25519' });
  client = new MGEClient(server.url);
  jwks = await client.keys();
});
afterAll(() => server.close());

const action = { type: 'db.write', table: 'orders' };
const context = { environment: 'staging' };

describe('Ed25519 receipts verified offline', () => {
  it('publishes only public keys, which also verify checkpoints', async () => {
    await client.checkCompliance('api.call');
    await expect(verifyCheckpoint(await client.audit.checkpoint(), { jwks, tenant: 'default' })).resolves.toBe('ok');
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'Ed25519' });
    expect(jwks.keys[0]).not.toHaveProperty('d');
  });

  it('accepts the receipt for the action it was issued for, and refuses the replay with a store', async () => {
    const d = await client.checkCompliance(action, context);
    expect(d.receipt?.alg).toBe('Ed25519');
    const nonceStore = new MemoryNonceStore();
    await expect(verifyReceipt(d, { tenant: 'default', jwks, action, context, nonceStore })).resolves.toEqual({ valid: true, approved: true, singleUseChecked: true });
    await expect(verifyReceipt(d, { tenant: 'default', jwks, action, context, nonceStore })).resolves.toEqual({ valid: false, reason: 'replayed', singleUseChecked: true });
  });

  it('names each failure with its SPEC reason code', async () => {
    const d = await client.checkCompliance(action, context, { audience: 'executor-1' });
    const reason = (x: unknown, o: object = {}) => verifyReceipt(x, { tenant: 'default', jwks, ...o }).then((r) => r.reason);
    expect(await reason(d, { action: { ...action, table: 'users' }, context })).toBe('action_mismatch');
    expect(await reason({ ...d, approved: !d.approved })).toBe('decision_mismatch');
    expect(await reason({ ...d, receipt: { ...d.receipt!, signature: d.receipt!.signature.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) } })).toBe('bad_signature');
    expect(await reason({ ...d, receipt: { ...d.receipt!, kid: 'someone-else' } })).toBe('unknown_kid');
    expect(await reason(d, { audience: 'executor-2' })).toBe('audience_mismatch');
    expect(await reason(d, { now: Date.parse(d.receipt!.expires_at) + 6_000 })).toBe('expired');
    expect(await reason({ ...d, receipt: undefined })).toBe('malformed');
    expect(await reason(d, { audience: 'executor-1', action, context })).toBeUndefined();
  });

  it('guards with an offline check: runs on approval, refuses a receipt bound elsewhere', async () => {
    const nonceStore = new MemoryNonceStore();
    const run = client.guard((table: string) => ({ action: { type: 'db.write', table }, context }), (t: string) => `ok ${t}`, {
      verify: offlineReceiptCheck({ tenant: 'default', jwks, nonceStore }),
    });
    await expect(run('orders')).resolves.toBe('ok orders');
    expect(nonceStore.size).toBe(1);

    const elsewhere = client.guard(() => ({ action, context, audience: 'executor-9' }), () => 'ran', {
      verify: offlineReceiptCheck({ tenant: 'default', jwks, audience: 'executor-1' }),
    });
    const e = await elsewhere().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ReceiptRejected);
    expect((e as ReceiptRejected).reason).toBe('audience_mismatch');
  });

  // A review (11-27): an offline check with its own audience refused every receipt of a
  // description naming none (the guard asked for none), and a Date in the context was judged
  // as its ISO string by the server but hashed as a Date offline (action_mismatch).
  it('guards offline: asks for the check\'s audience, and checks the action as it was sent', async () => {
    const when = new Date('2026-11-27T12:00:00.000Z');
    const ran: unknown[] = [];
    // As JavaScript callers write it (the types allow neither a Date nor an undefined member).
    const describe = (table: string) => ({ action: { type: 'db.write', table, schema: undefined }, context: { ...context, when } }) as never;
    const run = client.guard(describe, (t: string) => (ran.push(t), 'ran'), {
      verify: offlineReceiptCheck({ tenant: 'default', jwks, audience: 'executor-1', nonceStore: new MemoryNonceStore() }),
    });
    await expect(run('orders')).resolves.toBe('ran');
    const nan = client.guard(() => ({ action: { type: 'db.write', rows: NaN } }), () => ran.push('nan'), {
      verify: offlineReceiptCheck({ tenant: 'default', jwks }),
    });
    await expect(nan()).rejects.toThrow(/holds NaN, which JSON cannot carry/);
    expect(ran).toEqual(['orders']);
  });
});

import { describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import type { Decision } from '../../src/ir/types.js';
import { computeActionHash } from '../../src/receipt/decision-hash.js';
import { KeyRing, importHs256Secret } from '../../src/receipt/keys.js';
import { createSigner, type Signer } from '../../src/receipt/sign.js';
import { verifyReceipt } from '../../src/receipt/verify.js';
import { MemoryNonceStore, type NonceStore } from '../../src/state/nonce-store.js';
import { ACTION, CONTEXT, ED_JWK, SECRET, T0, counterBytes, decision } from './fixtures.js';

async function signed(signer: Signer, overrides: Partial<Decision> = {}): Promise<Decision> {
  return signer.sign(decision({ action_hash: await computeActionHash(ACTION, CONTEXT), ...overrides }));
}

const hsSigner = () => createSigner({ hs256Secret: SECRET, now: () => T0, randomBytes: counterBytes() });
const edSigner = () => createSigner({ ed25519: { privateJwk: ED_JWK }, now: () => T0, randomBytes: counterBytes() });

describe.each([['HS256', hsSigner], ['Ed25519', edSigner]] as const)('verifyReceipt %s', (alg, make) => {
  it('accepts a fresh receipt and says whether single use was checked', async () => {
    const s = await make();
    const d = await signed(s);
    expect(d.receipt!.alg).toBe(alg);
    expect(d.approved).toBe(false);
    expect(await verifyReceipt(d, { keys: s.keys, now: T0 })).toEqual({ valid: true, approved: false, singleUseChecked: false });
    expect(await verifyReceipt(d, { keys: s.keys, now: T0, action: ACTION, context: CONTEXT, nonceStore: new MemoryNonceStore(undefined, () => T0) }))
      .toEqual({ valid: true, approved: false, singleUseChecked: true });
  });

  // A denial's receipt is genuine (it proves the denial): an executor must not read `valid`
  // alone as leave to act (a review, 11-27), so the result says what the verified copy says.
  it('says whether the verified decision approved, read from the copy it verified', async () => {
    const s = await make();
    const approved = await signed(s, { approved: true, violations: [] });
    expect(await verifyReceipt(approved, { keys: s.keys, now: T0 })).toMatchObject({ valid: true, approved: true });
    // A Proxy answering `approved: false` to the verifier's one reading and `true` after.
    const denied = await signed(s);
    let reads = 0;
    const shifty = new Proxy(denied, { get: (t, k, r) => (k === 'approved' ? reads++ > 0 : Reflect.get(t, k, r)) });
    const r = await verifyReceipt(shifty, { keys: s.keys, now: T0 });
    expect(r).toMatchObject({ valid: true, approved: false });
    expect(shifty.approved).toBe(true); // what reading the object again would have told
  });

  it('bad_signature: a changed signature or a changed receipt field', async () => {
    const s = await make();
    const d = await signed(s);
    const sig = d.receipt!.signature;
    const other = sig[5] === 'A' ? 'B' : 'A';
    const tampered = { ...d, receipt: { ...d.receipt!, signature: sig.slice(0, 5) + other + sig.slice(6) } };
    expect((await verifyReceipt(tampered, { keys: s.keys, now: T0 })).reason).toBe('bad_signature');
    const later = { ...d, receipt: { ...d.receipt!, expires_at: '2026-11-24T11:30:00.000Z' } };
    expect((await verifyReceipt(later, { keys: s.keys, now: T0 })).reason).toBe('bad_signature');
  });

  it('unknown_kid', async () => {
    const s = await make();
    const d = await signed(s);
    expect((await verifyReceipt(d, { keys: new KeyRing(), now: T0 })).reason).toBe('unknown_kid');
    const renamed = { ...d, receipt: { ...d.receipt!, kid: 'other' } };
    expect((await verifyReceipt(renamed, { keys: s.keys, now: T0 })).reason).toBe('unknown_kid');
  });

  it('decision_mismatch: the decision changed after signing; explanation is not signed', async () => {
    const s = await make();
    const d = await signed(s);
    expect((await verifyReceipt({ ...d, approved: true }, { keys: s.keys, now: T0 })).reason).toBe('decision_mismatch');
    expect((await verifyReceipt({ ...d, extra: 1 }, { keys: s.keys, now: T0 })).reason).toBe('decision_mismatch');
    expect((await verifyReceipt({ ...d, explanation: [{ anything: true }] }, { keys: s.keys, now: T0 })).valid).toBe(true);
  });

  it('action_mismatch: another action or context than the one checked', async () => {
    const s = await make();
    const d = await signed(s);
    expect((await verifyReceipt(d, { keys: s.keys, now: T0, action: { ...ACTION, table: 'admins' }, context: CONTEXT })).reason).toBe('action_mismatch');
    expect((await verifyReceipt(d, { keys: s.keys, now: T0, action: ACTION })).reason).toBe('action_mismatch');
    // a context alone cannot be checked against action_hash: refused, never silently ignored
    expect((await verifyReceipt(d, { keys: s.keys, now: T0, context: CONTEXT })).reason).toBe('action_mismatch');
    // a bare-string action hashes as received, not expanded
    const bare = await signed(s, { action_hash: await computeActionHash('db.read', undefined) });
    expect((await verifyReceipt(bare, { keys: s.keys, now: T0, action: 'db.read' })).valid).toBe(true);
    expect((await verifyReceipt(bare, { keys: s.keys, now: T0, action: { type: 'db.read' } })).reason).toBe('action_mismatch');
  });

  it('audience_mismatch: a verifier that states its id refuses others', async () => {
    const s = await make();
    const d = await signed(s, { audience: 'executor-a' });
    expect((await verifyReceipt(d, { keys: s.keys, now: T0, audience: 'executor-a' })).valid).toBe(true);
    expect((await verifyReceipt(d, { keys: s.keys, now: T0, audience: 'executor-b' })).reason).toBe('audience_mismatch');
    expect((await verifyReceipt(d, { keys: s.keys, now: T0 })).valid).toBe(true);
    const unbound = await signed(s);
    expect((await verifyReceipt(unbound, { keys: s.keys, now: T0, audience: 'executor-a' })).reason).toBe('audience_mismatch');
  });

  it('expired, with inclusive skew boundaries at both ends', async () => {
    const s = await make();
    const d = await signed(s); // valid T0 .. T0 + 60 s
    const at = async (now: number, skewMs?: number) => (await verifyReceipt(d, { keys: s.keys, now, skewMs })).reason ?? 'ok';
    expect(await at(T0 + 60_000)).toBe('ok');
    expect(await at(T0 + 65_000)).toBe('ok');
    expect(await at(T0 + 65_001)).toBe('expired');
    expect(await at(T0 + 60_001, 0)).toBe('expired');
    expect(await at(T0 - 5_000)).toBe('ok');
    expect(await at(T0 - 5_001)).toBe('expired');
  });

  it('refuses a clock it cannot compare with (NaN, Infinity, a negative skew) instead of skipping expiry', async () => {
    const s = await make();
    const d = await signed(s); // valid T0 .. T0 + 60 s
    for (const bad of [{ now: NaN }, { now: Infinity }, { now: 'garbage' as unknown as number }, { skewMs: NaN }, { skewMs: Infinity }, { skewMs: 1e20 }, { skewMs: -1 }, { skewMs: 3_600_001 }, { skewMs: Number.MAX_SAFE_INTEGER }]) {
      await expect(verifyReceipt(d, { keys: s.keys, now: T0 + 3_600_000, ...bad }), JSON.stringify(bad)).rejects.toThrow(RangeError);
    }
    // At most an hour, as the server's MGE_CLOCK_SKEW_SECONDS (a review, 11-29: a skew of 5e9
    // ms verified a receipt 30 days expired).
    expect((await verifyReceipt(d, { keys: s.keys, now: T0 + 60_000 + 3_600_000, skewMs: 3_600_000 })).valid).toBe(true);
    await expect(verifyReceipt(d, { keys: s.keys, now: T0, skewMs: 5e9 })).rejects.toThrow('`skewMs` must be a whole number of milliseconds from 0 to 3600000 (an hour), got 5000000000');
  });

  it('replayed: the nonce is consumed once, and only after every other check passed', async () => {
    const s = await make();
    const d = await signed(s);
    const store = new MemoryNonceStore(undefined, () => T0); // its clock is the verifier's
    expect((await verifyReceipt({ ...d, approved: true }, { keys: s.keys, now: T0, nonceStore: store })).reason).toBe('decision_mismatch');
    expect((await verifyReceipt(d, { keys: s.keys, now: T0 + 70_000, nonceStore: store })).reason).toBe('expired');
    expect(store.size).toBe(0);
    expect((await verifyReceipt(d, { keys: s.keys, now: T0, nonceStore: store })).valid).toBe(true);
    expect(await verifyReceipt(d, { keys: s.keys, now: T0, nonceStore: store })).toEqual({ valid: false, reason: 'replayed', singleUseChecked: true });
  });

  // A review (11-29): a verification an hour ahead dropped the nonce as expired; with the clock
  // set back the receipt was unexpired again and verified a second time.
  it('a clock stepped back after the store dropped a used nonce refuses its receipt as expired, not valid twice', async () => {
    const s = await make();
    const d = await signed(s); // valid T0 .. T0 + 60 s
    const other = await signed(s);
    let clock = T0;
    const store = new MemoryNonceStore(undefined, () => clock);
    expect((await verifyReceipt(d, { keys: s.keys, now: clock, nonceStore: store })).valid).toBe(true);
    clock = T0 + 3_600_000; // ahead: the next verification drops the first nonce
    expect((await verifyReceipt(other, { keys: s.keys, now: clock, nonceStore: store })).reason).toBe('expired');
    await store.consumeOnce('default', 'any', clock + 60_000);
    clock = T0 + 1_000; // set back
    expect((await verifyReceipt(d, { keys: s.keys, now: clock, nonceStore: store })).reason).toBe('expired');
    expect((await verifyReceipt(other, { keys: s.keys, now: clock, nonceStore: store })).valid).toBe(false); // `expired` too: it was issued with the one dropped
  });

  it('a full or failing nonce store fails closed with its own reason', async () => {
    const s = await make();
    const full = new MemoryNonceStore(1, () => T0);
    await full.consumeOnce('default', 'someone-else', T0 + 1_000_000);
    const d = await signed(s);
    expect((await verifyReceipt(d, { keys: s.keys, now: T0, nonceStore: full })).reason).toBe('nonce_store_full');
    const down: NonceStore = { consumeOnce: () => Promise.reject(new Error('connection refused')), forgetClock: () => T0 };
    expect((await verifyReceipt(d, { keys: s.keys, now: T0, nonceStore: down })).reason).toBe('nonce_store_unavailable');
    // a custom store answering anything but 'ok' gives no proof of first use
    for (const answer of [undefined, 'maybe', true]) {
      const odd = { consumeOnce: async () => answer, forgetClock: () => T0 } as unknown as NonceStore;
      expect((await verifyReceipt(d, { keys: s.keys, now: T0, nonceStore: odd })).reason).toBe('nonce_store_unavailable');
    }
  });

  // A review (11-27): a store whose answer never came held verifyReceipt for ever.
  // A review (11-29): judged at a past `now` (a job's queue time), a receipt verified again once
  // the store had dropped its nonce by its own clock passed a second time.
  it('refuses a receipt past its expiry by the nonce store\'s clock, whatever `now` it is judged at', async () => {
    const s = await make();
    const d = await signed(s);
    let clock = T0;
    const store = new MemoryNonceStore(1000, () => clock);
    expect(await verifyReceipt(d, { keys: s.keys, now: T0, nonceStore: store })).toMatchObject({ valid: true });
    expect((await verifyReceipt(d, { keys: s.keys, now: T0, nonceStore: store })).reason).toBe('replayed');
    clock = T0 + 70_000; // past its expiry (60 s) and the skew (5 s): the store forgets it
    await store.consumeOnce(d.tenant, 'another receipt', clock + 60_000);
    expect(await verifyReceipt(d, { keys: s.keys, now: T0, nonceStore: store })).toEqual({ valid: false, reason: 'expired', singleUseChecked: true });
    // A store that names no clock forgets by the system's; one whose clock fails refuses.
    const plain: NonceStore = { consumeOnce: async () => 'ok' };
    expect((await verifyReceipt(d, { keys: s.keys, now: T0, nonceStore: plain })).reason).toBe('expired');
    const broken: NonceStore = { consumeOnce: async () => 'ok', forgetClock: () => { throw new Error('no clock'); } };
    expect((await verifyReceipt(d, { keys: s.keys, now: T0, nonceStore: broken })).reason).toBe('nonce_store_unavailable');
    // Without a store nothing is forgotten: judged at `now` alone, as documented.
    expect((await verifyReceipt(d, { keys: s.keys, now: T0 })).valid).toBe(true);
  });

  it('a nonce store that does not answer within STORE_DEADLINE_MS fails closed', async () => {
    const s = await make();
    const d = await signed(s);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const silent: NonceStore = { consumeOnce: () => new Promise(() => undefined), forgetClock: () => T0 };
      let settled = false;
      const verified = verifyReceipt(d, { keys: s.keys, now: T0, nonceStore: silent }).finally(() => (settled = true));
      // The signature is checked first (WebCrypto, off this thread): time moves until it answers.
      for (const until = Date.now() + 10_000; !settled && Date.now() < until;) await vi.advanceTimersByTimeAsync(100);
      expect(settled).toBe(true);
      expect((await verified).reason).toBe('nonce_store_unavailable');
    } finally {
      vi.useRealTimers();
    }
  });

  it('malformed: anything that is not a well-formed receipt', async () => {
    const s = await make();
    const d = await signed(s);
    const r = d.receipt!;
    const cases: unknown[] = [
      null, 'x', [], {}, { ...d, receipt: undefined }, { ...d, receipt: 'x' },
      { ...d, receipt: { ...r, extra: 1 } },
      { ...d, receipt: { ...r, alg: 'none' } },
      { ...d, receipt: { ...r, alg: 'RS256' } },
      { ...d, receipt: { ...r, nonce: 'AAAA' } },
      { ...d, receipt: { ...r, nonce: r.nonce + '=' } },
      { ...d, receipt: { ...r, issued_at: '2026-11-24T10:30:00Z' } },
      { ...d, receipt: { ...r, expires_at: '2026-11-24T10:29:59.999Z' } },
      { ...d, receipt: { ...r, decision_hash: r.decision_hash.toUpperCase() } },
      { ...d, receipt: { ...r, signature: 'not base64url!' } },
      { ...d, receipt: { ...r, kid: '' } },
      { ...d, action_hash: 5 },
      { ...d, reasoning: '\ud800' },
    ];
    for (const c of cases) expect((await verifyReceipt(c, { keys: s.keys, now: T0 })).reason, JSON.stringify(c)).toBe('malformed');
  });
});

describe('algorithm comes from the key', () => {
  it('refuses an HS256 receipt where the kid names an Ed25519 key', async () => {
    const ed = await edSigner();
    const { signing } = await importHs256Secret(SECRET, ed.kid); // attacker signs HS256 under the Ed25519 kid
    const hs = await createSigner({ hs256Secret: SECRET, kid: ed.kid, now: () => T0 });
    expect(hs.key.kid).toBe(signing.kid);
    const forged = await signed(hs);
    expect(forged.receipt!.alg).toBe('HS256');
    expect((await verifyReceipt(forged, { keys: ed.keys, now: T0 })).reason).toBe('bad_signature');
    // ... and even keyed with the public key bytes as an HMAC secret
    const pubAsSecret = await createSigner({ hs256Secret: JSON.stringify(ed.jwks().keys[0]), kid: ed.kid, now: () => T0 });
    expect((await verifyReceipt(await signed(pubAsSecret), { keys: ed.keys, now: T0 })).reason).toBe('bad_signature');
  });

  it('accepts several keys at once for rotation', async () => {
    const oldS = await createSigner({ hs256Secret: SECRET, now: () => T0 });
    const newS = await createSigner({ ed25519: { privateJwk: ED_JWK }, now: () => T0, extraVerificationKeys: [...[oldS.keys.get(oldS.kid)!]] });
    expect((await verifyReceipt(await signed(oldS), { keys: newS.keys, now: T0 })).valid).toBe(true);
    expect((await verifyReceipt(await signed(newS), { keys: newS.keys, now: T0 })).valid).toBe(true);
    // the secret/JWKS forms build the same ring
    const forms = { secrets: [SECRET], jwks: newS.jwks() };
    expect((await verifyReceipt(await signed(oldS), { keys: forms, now: T0 })).valid).toBe(true);
    expect((await verifyReceipt(await signed(newS), { keys: forms, now: T0 })).valid).toBe(true);
  });
});

describe('any single-byte change of a signed decision fails verification', () => {
  it.each([['HS256', hsSigner], ['Ed25519', edSigner]] as const)('%s', async (_alg, make) => {
    const s = await make();
    const d = await signed(s, { audience: 'executor-a' });
    const text = JSON.stringify(d);
    await fc.assert(fc.asyncProperty(fc.nat(text.length - 1), fc.integer({ min: 1, max: 255 }), async (pos, delta) => {
      const bytes = Buffer.from(text, 'utf8');
      bytes[pos] = (bytes[pos] + delta) & 0xff;
      let parsed: unknown;
      try {
        parsed = JSON.parse(bytes.toString('utf8'));
      } catch {
        return; // no longer JSON: nothing to present
      }
      // A change that decodes to the same value (e.g. a replaced invalid UTF-8 byte) is no change.
      if (JSON.stringify(parsed) === text) return;
      const r = await verifyReceipt(parsed, { keys: s.keys, now: T0, audience: 'executor-a', action: ACTION, context: CONTEXT });
      expect(r.valid).toBe(false);
    }), { numRuns: 1000 });
  });
});

// A review (11-27): the decision was read field by field (for its hash, then for each
// comparison), so a getter could show the signed value to the hash and another to the check.
describe('verifyReceipt reads the decision once', () => {
  /** `d` with `key` answering its signed value on the first read and `later` after. */
  function changing(d: Decision, key: 'tenant' | 'action_hash' | 'audience', later: string): Decision {
    const copy: Record<string, unknown> = { ...d };
    let reads = 0;
    Object.defineProperty(copy, key, { enumerable: true, get: () => (reads++ === 0 ? d[key] : later) });
    return copy as unknown as Decision;
  }

  it('refuses another tenant, action or audience behind a getter', async () => {
    const s = await hsSigner();
    const other = { type: 'db.drop' };
    const theirs = await signed(s, { tenant: 'evil', audience: 'exec-x' });
    const keys = s.keys;
    expect((await verifyReceipt(changing(theirs, 'tenant', 'acme'), { keys, now: T0, tenant: 'acme' })).reason).toBe('tenant_mismatch');
    expect((await verifyReceipt(changing(theirs, 'action_hash', await computeActionHash(other, CONTEXT)), { keys, now: T0, action: other, context: CONTEXT })).reason).toBe('action_mismatch');
    expect((await verifyReceipt(changing(theirs, 'audience', 'exec-1'), { keys, now: T0, audience: 'exec-1' })).reason).toBe('audience_mismatch');
    // The signed values themselves still verify through the same getters.
    expect((await verifyReceipt(changing(theirs, 'tenant', 'acme'), { keys, now: T0, tenant: 'evil' })).valid).toBe(true);
  });

  it('a getter that throws is a malformed receipt, not an exception', async () => {
    const s = await hsSigner();
    const d: Record<string, unknown> = { ...(await signed(s)) };
    Object.defineProperty(d, 'tenant', { enumerable: true, get: () => { throw new Error('boom'); } });
    expect(await verifyReceipt(d, { keys: s.keys, now: T0 })).toEqual({ valid: false, reason: 'malformed', singleUseChecked: false });
  });
});

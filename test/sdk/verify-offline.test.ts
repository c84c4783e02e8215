// The SDK's offline verifier over receipts made by the server's own signer (src/receipt/sign.ts),
// with HS256 secrets and Ed25519 JWKS. The end-to-end suite repeats this on receipts the running
// server issued.

import { describe, expect, it } from 'vitest';
import { computeActionHash } from '../../src/receipt/decision-hash.js';
import { generateEd25519Jwk } from '../../src/receipt/keys.js';
import { createSigner } from '../../src/receipt/sign.js';
import type { Decision } from '../../src/ir/types.js';
import { importVerifierKeys, MemoryNonceStore, MGEConfigError, offlineReceiptCheck, verifyReceipt } from '../../src/sdk/index.js';

const secret = 'a-test-secret-that-is-long-enough-0123456789';
const action = { type: 'db.write', table: 'users' };
const context = { environment: 'staging' };

async function decision(audience?: string): Promise<Decision> {
  return {
    decision_id: 'dec-01', approved: true, reasoning: 'All rules passed', rule_ids: ['r'], violations: [], warnings: [],
    tenant: 'default', policy_version: 'sha256:00', timestamp: new Date().toISOString(),
    action_hash: await computeActionHash(action, context), ...(audience ? { audience } : {}),
  };
}

describe('verifyReceipt (offline)', () => {
  it('accepts an HS256 receipt for the same action and says single use was not checked', async () => {
    const signed = await (await createSigner({ hs256Secret: secret })).sign(await decision());
    await expect(verifyReceipt(signed, { tenant: 'default', secret, action, context })).resolves.toEqual({ valid: true, approved: true, singleUseChecked: false });
  });

  it('accepts an Ed25519 receipt with only the public JWKS', async () => {
    const signer = await createSigner({ ed25519: { privateJwk: await generateEd25519Jwk() } });
    const signed = await signer.sign(await decision());
    const jwks = signer.jwks();
    expect(JSON.stringify(jwks)).not.toContain('"d"');
    await expect(verifyReceipt(signed, { tenant: 'default', jwks, action, context })).resolves.toEqual({ valid: true, approved: true, singleUseChecked: false });
  });

  it('refuses another action, a tampered decision, a wrong key, an expired receipt, a foreign audience', async () => {
    const signer = await createSigner({ hs256Secret: secret, ttlMs: 1000 });
    const signed = await signer.sign(await decision('executor-a'));
    const v = (d: unknown, o: object) => verifyReceipt(d, { tenant: 'default', secret, ...o }).then((r) => r.reason);
    expect(await v(signed, { action: { ...action, table: 'admins' }, context })).toBe('action_mismatch');
    expect(await v({ ...signed, approved: false }, {})).toBe('decision_mismatch');
    expect(await v(signed, { secret: 'another-secret-that-is-long-enough-0123456789' })).toBe('unknown_kid');
    expect(await v(signed, { now: Date.now() + 10_000 })).toBe('expired');
    expect(await v(signed, { audience: 'executor-b' })).toBe('audience_mismatch');
    expect(await v(signed, { audience: 'executor-a', action, context })).toBeUndefined();
    expect(await v({ ...signed, receipt: { ...signed.receipt, nonce: 'x' } }, {})).toBe('malformed');
  });

  // A review (11-27): one server's key signs every tenant's receipts, and an approval got under
  // another tenant's (laxer) rules verified for this tenant's executor, action and audience
  // bound as asked. The tenant is now required and compared.
  it('refuses a receipt of another tenant, and needs to be told the tenant', async () => {
    const signer = await createSigner({ hs256Secret: secret });
    const theirs = await signer.sign({ ...(await decision()), tenant: 'evil' });
    expect((await verifyReceipt(theirs, { tenant: 'default', secret, action, context })).reason).toBe('tenant_mismatch');
    expect((await verifyReceipt(theirs, { tenant: 'evil', secret, action, context })).valid).toBe(true);
    const { tenant: _t, ...untenanted } = await decision();
    expect((await verifyReceipt(await signer.sign(untenanted as Decision), { tenant: 'default', secret })).reason).toBe('tenant_mismatch');
    for (const tenant of [undefined, '', 7]) {
      await expect(verifyReceipt(theirs, { tenant, secret } as never), String(tenant)).rejects.toThrow(/give `tenant`, the tenant whose decisions this executor accepts/);
      expect(() => offlineReceiptCheck({ tenant, secret } as never), String(tenant)).toThrow(MGEConfigError);
    }
    const check = offlineReceiptCheck({ tenant: 'default', secret });
    expect((await check(theirs, { action, context })).reason).toBe('tenant_mismatch');
  });

  // The same review: these refused every receipt later, with a reason that hid the mistake.
  it('refuses set-up mistakes where they are made', async () => {
    const signed = await (await createSigner({ hs256Secret: secret })).sign(await decision());
    const bad: Array<[string, object, RegExp]> = [
      ['an empty audience', { audience: '' }, /`audience` is this executor's id/],
      ['a null nonce store', { nonceStore: null }, /`nonceStore` must have a `consumeOnce` method/],
      ['a numeric secret', { secret: 12345 }, /HS256 secret must be a string, got number/],
    ];
    for (const [name, o, says] of bad) {
      await expect(verifyReceipt(signed, { tenant: 'default', secret, ...o } as never), name).rejects.toThrow(says);
      if (name !== 'a numeric secret') expect(() => offlineReceiptCheck({ tenant: 'default', secret, ...o } as never), name).toThrow(says);
    }
    expect(() => offlineReceiptCheck({ tenant: 'default' })).toThrow(/needs keys/);
    expect(() => offlineReceiptCheck({ tenant: 'default', jwks: { keys: [] } })).toThrow(/needs keys/); // client.keys() of an HS256 server
  });

  it('refuses a JWKS key that is private, or labelled for another use or algorithm', async () => {
    const privateJwk = await generateEd25519Jwk();
    const signer = await createSigner({ ed25519: { privateJwk } });
    const signed = await signer.sign(await decision());
    const [pub] = signer.jwks().keys;
    for (const [bad, says] of [
      [{ ...pub, d: privateJwk.d }, 'holds a private key'], [{ ...pub, alg: 'HS256' }, '`alg` "HS256"'], [{ ...pub, use: 'enc' }, '`use` "enc"'], [{ ...pub, key_ops: ['sign'] }, 'key_ops'],
    ] as const) {
      await expect(verifyReceipt(signed, { tenant: 'default', jwks: { keys: [bad as JsonWebKey] } }), says).rejects.toThrow(says);
    }
    await expect(verifyReceipt(signed, { tenant: 'default', jwks: { keys: [pub] } })).resolves.toMatchObject({ valid: true });
  });

  it('refuses a `now` or `skewMs` it cannot use, so a NaN never switches the expiry check off', async () => {
    const signed = await (await createSigner({ hs256Secret: secret, ttlMs: 1000 })).sign(await decision());
    const late = Date.now() + 3_600_000;
    for (const bad of [{ now: new Date('bogus') }, { now: NaN }, { now: late, skewMs: Number(process.env.MGE_UNSET_SKEW) }, { now: late, skewMs: Infinity }, { now: late, skewMs: -5 }]) {
      await expect(verifyReceipt(signed, { tenant: 'default', secret, ...bad }), String(bad.now)).rejects.toThrow(MGEConfigError);
    }
    expect(() => offlineReceiptCheck({ tenant: 'default', secret, skewMs: NaN })).toThrow(MGEConfigError);
    expect((await verifyReceipt(signed, { tenant: 'default', secret, now: late, skewMs: 0 })).reason).toBe('expired');
  });

  it('refuses to check a context without its action (it cannot be checked alone)', async () => {
    const signed = await (await createSigner({ hs256Secret: secret })).sign(await decision());
    await expect(verifyReceipt(signed, { tenant: 'default', secret, context: { environment: 'production' } })).rejects.toThrow(MGEConfigError);
    await expect(verifyReceipt(signed, { tenant: 'default', secret, context: { environment: 'production' } })).rejects.toThrow('`context` needs `action`');
  });

  it('refuses the second use of a receipt when given a nonce store', async () => {
    const signed = await (await createSigner({ hs256Secret: secret })).sign(await decision());
    const nonceStore = new MemoryNonceStore();
    await expect(verifyReceipt(signed, { tenant: 'default', secret, nonceStore })).resolves.toEqual({ valid: true, approved: true, singleUseChecked: true });
    await expect(verifyReceipt(signed, { tenant: 'default', secret, nonceStore })).resolves.toEqual({ valid: false, reason: 'replayed', singleUseChecked: true });
  });

  it('verifies with keys imported once', async () => {
    const signer = await createSigner({ ed25519: { privateJwk: await generateEd25519Jwk() } });
    const keyRing = await importVerifierKeys({ jwks: signer.jwks() });
    for (let i = 0; i < 3; i++) {
      await expect(verifyReceipt(await signer.sign(await decision()), { tenant: 'default', keyRing, action, context })).resolves.toMatchObject({ valid: true });
    }
    const other = await (await createSigner({ hs256Secret: secret })).sign(await decision());
    await expect(verifyReceipt(other, { tenant: 'default', keyRing })).resolves.toMatchObject({ valid: false, reason: 'unknown_kid' });
  });

  it('refuses to run without keys', async () => {
    const signed = await (await createSigner({ hs256Secret: secret })).sign(await decision());
    await expect(verifyReceipt(signed, { tenant: 'default' })).rejects.toBeInstanceOf(MGEConfigError);
    await expect(verifyReceipt(signed, { tenant: 'default', jwks: { keys: [] } })).rejects.toThrow(/needs keys/);
  });

  it('reports keys it cannot use as MGEConfigError, like every SDK set-up error', async () => {
    const signed = await (await createSigner({ hs256Secret: secret })).sign(await decision());
    const bad: Array<[string, Parameters<typeof verifyReceipt>[1]]> = [
      ['a short secret', { tenant: 'default', secret: 'short' }],
      ['a key that is not Ed25519', { tenant: 'default', jwks: { keys: [{ kty: 'RSA', n: 'x', e: 'AQAB' }] } }],
      ['a JWKS that is not one', { tenant: 'default', jwks: 'nope' as never }],
    ];
    for (const [name, keys] of bad) {
      await expect(verifyReceipt(signed, keys), name).rejects.toBeInstanceOf(MGEConfigError);
      await expect(importVerifierKeys(keys), name).rejects.toBeInstanceOf(MGEConfigError);
    }
  });

  // A review (11-27): two keys under one kid were "last one wins" (the order of a merged JWKS
  // decided which receipts verified); one RSA key beside the real one stopped all verification.
  it('refuses two different keys under one kid, skips keys of other types, names a key that is no JWK', async () => {
    const jwk = await generateEd25519Jwk();
    const signed = await (await createSigner({ ed25519: { privateJwk: jwk } })).sign(await decision());
    const pub = { kty: 'OKP', crv: 'Ed25519', x: jwk.x, kid: jwk.kid };
    const other = { ...pub, x: (await generateEd25519Jwk()).x };
    for (const keys of [[pub, other], [other, pub]]) {
      await expect(verifyReceipt(signed, { tenant: 'default', jwks: { keys } })).rejects.toThrow(`kid \`${jwk.kid}\` names two different keys`);
    }
    await expect(verifyReceipt(signed, { tenant: 'default', jwks: { keys: [pub, { ...pub }] } })).resolves.toMatchObject({ valid: true }); // the same key twice
    const mixed = [{ kty: 'RSA', n: 'x', e: 'AQAB', kid: 'r1' }, { kty: 'OKP', crv: 'X25519', x: jwk.x }, pub];
    await expect(verifyReceipt(signed, { tenant: 'default', jwks: { keys: mixed } })).resolves.toMatchObject({ valid: true });
    await expect(verifyReceipt(signed, { tenant: 'default', jwks: { keys: [null as never, pub] } })).rejects.toThrow('keys[0] is not a JWK');
    const a = 'first-secret-that-is-long-enough-0123456789';
    const b = 'other-secret-that-is-long-enough-0123456789';
    await expect(importVerifierKeys({ secret: [{ secret: a, kid: 'k' }, { secret: b, kid: 'k' }] })).rejects.toThrow('kid `k` names two different keys');
    await expect(importVerifierKeys({ secret: [{ secret: a, kid: 'k' }, { secret: a, kid: 'k' }] })).resolves.toBeDefined();
  });

  it('offlineReceiptCheck passes the described action through', async () => {
    const signed = await (await createSigner({ hs256Secret: secret })).sign(await decision());
    const check = offlineReceiptCheck({ tenant: 'default', secret, nonceStore: new MemoryNonceStore() });
    expect((await check(signed, { action: { ...action, table: 'x' }, context })).reason).toBe('action_mismatch');
    expect((await check(signed, { action, context })).valid).toBe(true);
    expect((await check(signed, { action, context })).reason).toBe('replayed');
  });
});

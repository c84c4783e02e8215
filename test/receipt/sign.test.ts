import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { base64urlDecode, base64urlEncode, Base64UrlError } from '../../src/receipt/base64url.js';
import { computeDecisionHash } from '../../src/receipt/decision-hash.js';
import { auditLine } from '../../src/audit/log.js';
import type { Json } from '../../src/ir/types.js';
import { KeyError, WeakSecretError, generateEd25519Jwk, importEd25519Private, importJwksKey } from '../../src/receipt/keys.js';
import { MAX_TTL_MS, TtlError, createSigner } from '../../src/receipt/sign.js';
import { verifyReceipt } from '../../src/receipt/verify.js';
import { canonicalize } from '../../src/receipt/jcs.js';
import { webCryptoBackend } from '../../src/receipt/backend.js';
import { nodeCryptoBackend } from '../../src/adapters/node/crypto.js';
import { ED_JWK, SECRET, T0, decision, signedBody } from './fixtures.js';

describe('createSigner', () => {
  it('refuses HS256 secrets under 32 UTF-8 bytes, counting bytes not characters', async () => {
    await expect(createSigner({ hs256Secret: 'x'.repeat(31) })).rejects.toThrow(WeakSecretError);
    await expect(createSigner({ hs256Secret: 'x'.repeat(31) })).rejects.toThrow('HS256 secret has 31 bytes; at least 32 are required');
    await expect(createSigner({ hs256Secret: 'é'.repeat(16) })).resolves.toBeDefined(); // 32 bytes
    await expect(createSigner({})).rejects.toThrow(KeyError);
    // Long enough, and no secret at all (a review: 38 spaces in MGE_SECRET_KEY were taken).
    await expect(createSigner({ hs256Secret: ' '.repeat(38) })).rejects.toThrow('HS256 secret is only white space');
    await expect(createSigner({ hs256Secret: '\t\n'.repeat(20) })).rejects.toThrow(WeakSecretError);
  });

  it('refuses a TTL outside 1 ms .. 1 h', async () => {
    await expect(createSigner({ hs256Secret: SECRET, ttlMs: MAX_TTL_MS + 1 })).rejects.toThrow(TtlError);
    await expect(createSigner({ hs256Secret: SECRET, ttlMs: 0 })).rejects.toThrow('receipt TTL `0` ms must be an integer from 1 to 3600000');
    const s = await createSigner({ hs256Secret: SECRET, ttlMs: 1234, now: () => T0 });
    const r = (await s.sign(decision())).receipt!;
    expect(Date.parse(r.expires_at) - Date.parse(r.issued_at)).toBe(1234);
  });

  // A review (11-29): each of these signed, the log took the decision, and every verifier read
  // the receipt as `malformed` (`issued_at` `+010000-…`, a 12-byte nonce, a numeric kid).
  it('refuses to sign what no verifier can read: a kid that is no non-empty string, a clock past year 9999, a short nonce', async () => {
    for (const kid of ['', 5]) await expect(createSigner({ hs256Secret: SECRET, kid: kid as string })).rejects.toThrow(KeyError);
    await expect(createSigner({ hs256Secret: SECRET, kid: '' })).rejects.toThrow('`kid` must be a non-empty string, got an empty one');
    const future = await createSigner({ hs256Secret: SECRET, now: () => Date.UTC(10000, 0, 1) });
    await expect(future.sign(decision())).rejects.toThrow(/^the signer's clock \(option `now`\) gave 253402300800000, not milliseconds since the epoch a receipt can carry \(years 0000–9999\)$/);
    const short = await createSigner({ hs256Secret: SECRET, randomBytes: (n) => new Uint8Array(n - 4) });
    await expect(short.sign(decision())).rejects.toThrow("the signer's `randomBytes` gave 12 bytes, not a Uint8Array of the 16 bytes asked for");
    const tagged = (a: object) => Object.defineProperty(a, Symbol.toStringTag, { value: 'Uint8Array' });
    class Short extends Uint8Array { override get length() { return 16; } }
    for (const [give, named] of [
      [() => ({ length: 16, [Symbol.toStringTag]: 'Uint8Array' }), 'no typed array'], [() => tagged(new Float64Array(16)), 'a Float64Array'],
      [() => tagged(new Int8Array(16)), 'an Int8Array'], [() => new Short(4), '4 bytes'],
    ] as const) {
      const odd = await createSigner({ hs256Secret: SECRET, randomBytes: give as never });
      await expect(odd.sign(decision())).rejects.toThrow(`the signer's \`randomBytes\` gave ${named}, not a Uint8Array of the 16 bytes asked for`);
    }
    // A Uint8Array of another realm, and a Buffer, are bytes too (a re-review: refused).
    for (const make of [(n: number) => vm.runInNewContext(`new Uint8Array(${n}).fill(7)`) as Uint8Array, (n: number) => Buffer.alloc(n, 7), (n: number) => new Uint8ClampedArray(n).fill(7) as unknown as Uint8Array, (n: number) => new Uint8Array(n + 8).fill(7).subarray(8)]) {
      const other = await createSigner({ hs256Secret: SECRET, randomBytes: make, now: () => T0 });
      expect((await other.sign(decision())).receipt.nonce).toBe(base64urlEncode(new Uint8Array(16).fill(7)));
    }
    // A fractional clock signs its whole millisecond.
    const fractional = await createSigner({ hs256Secret: SECRET, now: () => T0 + 0.6 });
    const signed = await fractional.sign(decision());
    expect(signed.receipt.issued_at).toBe(new Date(T0).toISOString());
    expect((await verifyReceipt(signed, { keys: fractional.keys, now: T0 })).valid).toBe(true);
  });

  it('writes the receipt SPEC §5 describes', async () => {
    const s = await createSigner({ hs256Secret: SECRET, now: () => T0 });
    const d = decision();
    const out = await s.sign(d);
    const r = out.receipt!;
    expect(Object.keys(r).sort()).toEqual(['alg', 'decision_hash', 'expires_at', 'issued_at', 'kid', 'nonce', 'signature']);
    expect(r.issued_at).toBe('2026-11-24T10:30:00.000Z');
    expect(r.expires_at).toBe('2026-11-24T10:31:00.000Z');
    expect(base64urlDecode(r.nonce)).toHaveLength(16);
    expect(r.decision_hash).toBe(await computeDecisionHash(d));
    expect(base64urlDecode(r.signature)).toHaveLength(32);
    expect(r.kid).toMatch(/^hs256-[0-9a-f]{16}$/);
    // fresh nonces
    expect((await s.sign(d)).receipt!.nonce).not.toBe(r.nonce);
    // explanation is neither hashed nor removed
    const explained = await s.sign({ ...d, explanation: [] } as typeof d);
    expect(explained.receipt!.decision_hash).toBe(r.decision_hash);
  });

  it('signAudited gives the audit line the log would compute, without explanation', async () => {
    const s = await createSigner({ ed25519: { privateJwk: ED_JWK }, now: () => T0 });
    const d = { ...decision({ audience: 'x' }), explanation: [{ rule_id: 'r' }] } as ReturnType<typeof decision>;
    const { decision: signed, auditLine: line } = await s.signAudited(d);
    expect(line).toBe(auditLine(signed as unknown as Json));
    expect(line).not.toContain('explanation');
    expect(JSON.parse(line)).toEqual({ ...signedBody(signed) as object, receipt: signed.receipt });
  });

  it('signAudited leaves the decision as given and builds the signed copy once, when asked', async () => {
    const s = await createSigner({ hs256Secret: SECRET, now: () => T0 });
    const d = decision();
    const signed = await s.signAudited(d);
    expect(signed.unsigned).toBe(d);
    expect(d).not.toHaveProperty('receipt');
    expect(signed.decision).toEqual({ ...d, receipt: signed.receipt });
    expect(signed.decision).not.toBe(d);
    expect(signed.decision).toBe(signed.decision);
    expect(signed.auditLine).toBe(auditLine(signed.decision as unknown as Json));
  });

  it('signs the canonical form of the receipt, whatever the kid holds and whichever backend signs', async () => {
    const kid = 'k"\\ \u00e9\u2028\u0001';
    for (const backend of [undefined, nodeCryptoBackend]) {
      const s = await createSigner({ hs256Secret: SECRET, kid, now: () => T0, backend });
      const { decision: signed, auditLine: line } = await s.signAudited(decision());
      const { signature, ...unsigned } = signed.receipt;
      // The signature is over C(receipt without signature), computed here the slow, generic way.
      const mac = await (backend ?? webCryptoBackend).sign(s.key, canonicalize(unsigned as unknown as Json));
      expect(signature).toBe(base64urlEncode(mac));
      expect(line).toBe(auditLine(signed as unknown as Json));
      expect((await verifyReceipt(signed, { keys: s.keys, now: T0 })).valid).toBe(true);
    }
  });

  it('publishes only public keys in its JWKS', async () => {
    const hs = await createSigner({ hs256Secret: SECRET });
    expect(hs.jwks()).toEqual({ keys: [] });
    const ed = await createSigner({ ed25519: { privateJwk: ED_JWK } });
    const [k] = ed.jwks().keys;
    expect(k).toEqual({ kty: 'OKP', crv: 'Ed25519', x: ED_JWK.x, kid: ed.kid, alg: 'Ed25519', use: 'sig' });
    expect(JSON.stringify(ed.jwks())).not.toContain(ED_JWK.d);
    // RFC 7638 thumbprint of RFC 8032 TEST 1's key
    expect(ed.kid).toBe('kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k');
  });

  it('generates Ed25519 keys that sign and verify, with non-extractable private keys', async () => {
    const jwk = await generateEd25519Jwk();
    const { signing } = await importEd25519Private(jwk);
    expect(signing.key.extractable).toBe(false);
    expect(signing.key.usages).toEqual(['sign']);
    const s = await createSigner({ ed25519: { privateJwk: jwk }, now: () => T0 });
    expect(s.kid).toBe(jwk.kid);
    expect((await verifyReceipt(await s.sign(decision()), { keys: { jwks: s.jwks() }, now: T0 })).valid).toBe(true);
    await expect(importEd25519Private({ ...jwk, d: 'AAAA' })).rejects.toThrow('Ed25519 JWK `d` must be 32 bytes base64url');
  });
});

describe('base64url', () => {
  it('round-trips and refuses other spellings', () => {
    for (let n = 0; n < 40; n++) {
      const b = crypto.getRandomValues(new Uint8Array(n));
      expect(base64urlDecode(base64urlEncode(b))).toEqual(b);
      expect(base64urlEncode(b)).toBe(Buffer.from(b).toString('base64url'));
    }
    expect(base64urlEncode(new Uint8Array([0xfb, 0xff]))).toBe('-_8');
    for (const bad of ['-_9', 'AA==', 'A', 'AB+/', 'ä']) expect(() => base64urlDecode(bad), bad).toThrow(Base64UrlError);
  });
});

describe('Ed25519 public keys', () => {
  // The small-order points' encodings (as libsodium's blocklist), with the sign bit set too,
  // and a y not below p: each refused, as a key under which a forged signature could verify.
  const hex = (h: string) => base64urlEncode(Uint8Array.from(h.match(/../g)!.map((b) => parseInt(b, 16))));
  const weak = [
    '0100000000000000000000000000000000000000000000000000000000000000',
    'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    '0000000000000000000000000000000000000000000000000000000000000000',
    'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
    'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
    '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
    '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
    '0100000000000000000000000000000000000000000000000000000000000080',
  ];

  it('refuses a point of small order and a non-canonical y (a review, 11-28)', async () => {
    for (const h of weak) {
      await expect(importJwksKey({ kty: 'OKP', crv: 'Ed25519', x: hex(h) }), h).rejects.toThrow('is a point of small order');
    }
    await expect(importJwksKey({ kty: 'OKP', crv: 'Ed25519', x: hex('eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f') })).rejects.toThrow('is not canonically encoded');
    const good = await generateEd25519Jwk();
    await expect(importJwksKey({ kty: 'OKP', crv: 'Ed25519', x: good.x })).resolves.toMatchObject({ alg: 'Ed25519' });
  });

  it('says why a private JWK does not import (its x another key\'s), not "Invalid keyData"', async () => {
    const [a, b] = [await generateEd25519Jwk(), await generateEd25519Jwk()];
    await expect(importEd25519Private({ ...a, x: b.x })).rejects.toThrow('its `x` is not the public key of its `d`');
  });
});

// RFC 4231 (HMAC-SHA-256) and RFC 8032 (Ed25519) vectors through our own sign/verify path,
// on both backends: the portable WebCrypto one and the node:crypto fast path.
import { KeyObject, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { nodeCryptoBackend } from '../../src/adapters/node/crypto.js';
import { webCryptoBackend, type CryptoBackend } from '../../src/receipt/backend.js';
import { base64urlEncode } from '../../src/receipt/base64url.js';
import { fromHex, toHex } from '../../src/receipt/hash.js';
import { importEd25519Private, importHmacRaw, type Ed25519PrivateJwk } from '../../src/receipt/keys.js';

interface HmacCase { name: string; key_hex: string; data_hex: string; hmac_sha256_hex: string; truncate_bits?: number }
interface EdCase { name: string; secret_key_hex: string; public_key_hex: string; message_hex: string; signature_hex: string }

const read = <T>(p: string): T => JSON.parse(readFileSync(new URL(`../vectors/${p}`, import.meta.url), 'utf8')) as T;
const hmacCases = read<HmacCase[]>('hmac/rfc4231.json');
const edCases = read<EdCase[]>('ed25519/rfc8032.json');
const backends: CryptoBackend[] = [webCryptoBackend, nodeCryptoBackend];

function flip(b: Uint8Array, i: number): Uint8Array {
  const c = b.slice();
  c[i % Math.max(c.length, 1)] ^= 1;
  return c;
}

describe.each(backends.map((b) => [b.name, b] as const))('%s', (_name, backend) => {
  it.each(hmacCases.map((c) => [c.name, c] as const))('RFC 4231 %s', async (_n, c) => {
    const { signing, verification } = await importHmacRaw(fromHex(c.key_hex), 'k');
    const data = fromHex(c.data_hex);
    const mac = await backend.sign(signing, data);
    const bytes = c.truncate_bits === undefined ? mac : mac.subarray(0, c.truncate_bits / 8);
    expect(toHex(bytes)).toBe(c.hmac_sha256_hex);
    expect(await backend.verify(verification, data, mac)).toBe(true);
    expect(await backend.verify(verification, data, flip(mac, 7))).toBe(false);
    expect(await backend.verify(verification, data, mac.subarray(0, 31))).toBe(false);
  });

  it.each(edCases.map((c) => [c.name, c] as const))('RFC 8032 %s', async (_n, c) => {
    const seed = fromHex(c.secret_key_hex);
    // derive the public key from the seed independently of our code
    const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
    const derived = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({ format: 'jwk' });
    expect(Buffer.from(derived.x!, 'base64url').toString('hex')).toBe(c.public_key_hex);
    const jwk: Ed25519PrivateJwk = { kty: 'OKP', crv: 'Ed25519', x: base64urlEncode(fromHex(c.public_key_hex)), d: base64urlEncode(seed) };
    const { signing, verification } = await importEd25519Private(jwk);
    const msg = fromHex(c.message_hex);
    const sig = await backend.sign(signing, msg);
    expect(toHex(sig)).toBe(c.signature_hex);
    expect(await backend.verify(verification, msg, sig)).toBe(true);
    expect(await backend.verify(verification, msg, flip(sig, 0))).toBe(false);
    expect(await backend.verify(verification, msg, flip(sig, 63))).toBe(false);
    expect(await backend.verify(verification, msg.length > 0 ? flip(msg, 0) : new Uint8Array([0]), sig)).toBe(false);
    expect(await backend.verify(verification, msg, sig.subarray(0, 63))).toBe(false);
  });

  it('hashes like SHA-256', async () => {
    expect(toHex(await backend.sha256(new Uint8Array()))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(toHex(await backend.sha256(new TextEncoder().encode('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('node:crypto', () => {
  // The receipt path signs canonical text; a backend that answers in base64url directly must
  // give the vector's bytes too (only vectors whose message is UTF-8 text can be given as text).
  it('signBase64url gives the vectors\' MACs and signatures', async () => {
    const asText = (hex: string) => {
      try {
        return new TextDecoder('utf-8', { fatal: true }).decode(fromHex(hex));
      } catch {
        return undefined;
      }
    };
    let checked = 0;
    for (const c of hmacCases) {
      const text = asText(c.data_hex);
      if (text === undefined || c.truncate_bits !== undefined) continue;
      const { signing } = await importHmacRaw(fromHex(c.key_hex), 'k');
      expect(nodeCryptoBackend.signBase64url!(signing, text)).toBe(base64urlEncode(fromHex(c.hmac_sha256_hex)));
      checked++;
    }
    for (const c of edCases) {
      const text = asText(c.message_hex);
      if (text === undefined) continue;
      const seed = fromHex(c.secret_key_hex);
      const jwk: Ed25519PrivateJwk = { kty: 'OKP', crv: 'Ed25519', x: base64urlEncode(fromHex(c.public_key_hex)), d: base64urlEncode(seed) };
      const { signing } = await importEd25519Private(jwk);
      expect(nodeCryptoBackend.signBase64url!(signing, text)).toBe(base64urlEncode(fromHex(c.signature_hex)));
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(3);
  });

  it('never makes a KeyObject from a non-extractable CryptoKey (DEP0204) for keys imported through keys.ts', async () => {
    const from = vi.spyOn(KeyObject, 'from');
    try {
      const c = hmacCases[0];
      const { signing, verification } = await importHmacRaw(fromHex(c.key_hex), 'k');
      const mac = await nodeCryptoBackend.sign(signing, fromHex(c.data_hex));
      expect(toHex(mac)).toBe(c.hmac_sha256_hex);
      expect(await nodeCryptoBackend.verify(verification, fromHex(c.data_hex), mac)).toBe(true);
      nodeCryptoBackend.signBase64url!(signing, 'text');
      const e = edCases[0];
      const jwk: Ed25519PrivateJwk = { kty: 'OKP', crv: 'Ed25519', x: base64urlEncode(fromHex(e.public_key_hex)), d: base64urlEncode(fromHex(e.secret_key_hex)) };
      const ed = await importEd25519Private(jwk);
      const sig = await nodeCryptoBackend.sign(ed.signing, fromHex(e.message_hex));
      expect(toHex(sig)).toBe(e.signature_hex);
      expect(await nodeCryptoBackend.verify(ed.verification, fromHex(e.message_hex), sig)).toBe(true);
      expect(from).not.toHaveBeenCalled();
    } finally {
      from.mockRestore();
    }
  });
});

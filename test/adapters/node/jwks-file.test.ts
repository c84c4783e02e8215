// MGE_PREVIOUS_JWKS and --jwks files (src/adapters/node/jwks-file.ts): every bad content is a
// KeyError naming the file and the key's place, never a TypeError from inside.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jwksFileKeys } from '../../../src/adapters/node/jwks-file.js';
import { KeyError } from '../../../src/receipt/keys.js';
import { createSigner } from '../../../src/receipt/sign.js';
import { ED_JWK } from '../../receipt/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'mge-jwks-'));
const file = (name: string, text: string) => (writeFileSync(join(dir, name), text), join(dir, name));

describe('jwksFileKeys', () => {
  it('reads the keys of a JWKS file as /api/v1/keys serves it', async () => {
    const jwks = (await createSigner({ ed25519: { privateJwk: ED_JWK } })).jwks();
    expect(await jwksFileKeys(file('good.json', JSON.stringify(jwks)), 'MGE_PREVIOUS_JWKS')).toHaveLength(1);
  });

  it.each([
    ['null.json', '{"keys":[null]}', 'keys[0] is not a JWK'],
    // Keys of other types are skipped (RFC 7517 §5); a file left with none is refused.
    ['oct.json', '{"keys":[{"kty":"oct","k":"AAAA","kid":"x"}]}', 'holds no Ed25519 key (keys of other types are skipped)'],
    ['bad-x.json', '{"keys":[{"kty":"OKP","crv":"Ed25519","x":"AAAA"}]}', 'keys[0]: Ed25519 JWK `x` must be 32 bytes'],
    ['text.json', 'not json', 'is not JSON; MGE_PREVIOUS_JWKS takes a JWKS file'],
    ['list.json', '[]', 'is not a JWKS file'],
  ])('%s: a KeyError naming the file', async (name, text, says) => {
    const path = file(name, text);
    const read = jwksFileKeys(path, 'MGE_PREVIOUS_JWKS');
    await expect(read).rejects.toThrow(KeyError);
    await expect(jwksFileKeys(path, 'MGE_PREVIOUS_JWKS')).rejects.toThrow(says);
    await expect(jwksFileKeys(path, 'MGE_PREVIOUS_JWKS')).rejects.toThrow(path);
  });
});

describe('jwksFileKeys given something else than a file name', () => {
  it('does not print back a key or a JWK given in place of the name, and names an unreadable path', async () => {
    const pem = '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF\n-----END PRIVATE KEY-----';
    for (const given of ['q8V2xY0pL3mN7bR1tK9wZ5cHd4Fj', JSON.stringify(ED_JWK), `"${JSON.stringify(ED_JWK)}"`, pem, pem.replaceAll('\n', '\\n'),
      'k3J/aB+9xQ2mZ7wP4tL8vN1cR6yH0sD5fG3jK2lM=\n', 'correct horse battery staple', 'p@ss w0rd with.some words']) {
      const read = jwksFileKeys(given, 'MGE_PREVIOUS_JWKS');
      await expect(read).rejects.toThrow(`the value given (${given.length} characters, not shown: it does not read as a file's path) (MGE_PREVIOUS_JWKS) cannot be read as a file (ENOENT); MGE_PREVIOUS_JWKS takes the path of a JWKS file`);
    }
    await expect(jwksFileKeys(join(dir, 'absent.json'), '--jwks')).rejects.toThrow(`\`${join(dir, 'absent.json')}\` (--jwks) cannot be read as a file (ENOENT)`);
  });
});

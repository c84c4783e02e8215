// The Ed25519 key file of `mge serve` (src/adapters/node/ed25519-key.ts): a key that does not
// import is refused at start naming the file and why, not with the runtime's "Invalid keyData".

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ED25519_FILE, loadOrCreateEd25519Key } from '../../../src/adapters/node/ed25519-key.js';
import { KeyError, generateEd25519Jwk } from '../../../src/receipt/keys.js';

describe('loadOrCreateEd25519Key', () => {
  it('makes a key once, then reads it back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mge-ed25519-'));
    try {
      const made = await loadOrCreateEd25519Key(dir);
      expect(await loadOrCreateEd25519Key(dir)).toEqual(made);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a key whose `x` is not the public key of its `d`, naming the file (a review, 11-28)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mge-ed25519-'));
    try {
      const [a, b] = [await generateEd25519Jwk(), await generateEd25519Jwk()];
      await writeFile(join(dir, ED25519_FILE), JSON.stringify({ ...a, x: b.x }), { mode: 0o600 });
      const refused = loadOrCreateEd25519Key(dir);
      await expect(refused).rejects.toBeInstanceOf(KeyError);
      await expect(refused).rejects.toThrow(`\`${join(dir, ED25519_FILE)}\`: Ed25519 JWK does not import as a private key: its \`x\` is not the public key of its \`d\``);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the key file\'s kid', () => {
  it('is refused when not a non-empty string, naming the file (its receipts never verified)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mge-ed25519-'));
    try {
      for (const kid of [5, '', null]) {
        await writeFile(join(dir, ED25519_FILE), JSON.stringify({ ...(await generateEd25519Jwk()), kid }), { mode: 0o600 });
        await expect(loadOrCreateEd25519Key(dir), JSON.stringify(kid)).rejects.toThrow(`\`${join(dir, ED25519_FILE)}\`: Ed25519 JWK \`kid\` is a non-empty string (got ${JSON.stringify(kid)})`);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

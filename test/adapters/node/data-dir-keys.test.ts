// The keys `mge serve` keeps in its data directory: the HS256 secret (src/adapters/node/hs256-secret.ts)
// and the Ed25519 key (src/adapters/node/ed25519-key.ts).

import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ED25519_FILE, loadOrCreateEd25519Key } from '../../../src/adapters/node/ed25519-key.js';
import { writeNewFile, writeSynced } from '../../../src/adapters/node/new-file.js';
import { loadOrCreateSecret, SECRET_FILE } from '../../../src/adapters/node/hs256-secret.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mge-secret-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('loadOrCreateSecret', () => {
  it('generates one on first start, mode 0600, and reads the same one afterwards', async () => {
    const first = await loadOrCreateSecret(undefined, dir);
    expect(first.source).toBe('generated');
    expect(first.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(statSync(join(dir, SECRET_FILE)).mode & 0o777).toBe(0o600);
    expect(await loadOrCreateSecret(undefined, dir)).toEqual({ secret: first.secret, source: 'data-dir' });
    expect(readdirSync(dir)).toEqual([SECRET_FILE]); // no temporary file left behind
  });

  it('prefers MGE_SECRET_KEY', async () => {
    expect(await loadOrCreateSecret('from-the-environment', dir)).toEqual({ secret: 'from-the-environment', source: 'env' });
  });

  it('replaces an empty or blank file (left by a start that ran out of disk) instead of spinning', async () => {
    for (const left of ['', '\n  \n']) {
      writeFileSync(join(dir, SECRET_FILE), left);
      const r = await loadOrCreateSecret(undefined, dir);
      expect(r.source).toBe('generated');
      expect(readFileSync(join(dir, SECRET_FILE), 'utf8')).toBe(r.secret + '\n');
    }
  });

  it('refuses to replace an emptied one beside a log the old one signed, but makes a missing one (a data dir that was Ed25519\'s)', async () => {
    mkdirSync(join(dir, 'audit', 'acme'), { recursive: true });
    writeFileSync(join(dir, 'audit', 'acme', 'log.jsonl'), '{"decision_id":"dec-1"}\n');
    expect((await loadOrCreateSecret(undefined, dir)).source).toBe('generated');
    writeFileSync(join(dir, SECRET_FILE), '');
    await expect(loadOrCreateSecret(undefined, dir)).rejects.toThrow('is empty but the data directory holds audit logs');
    expect(readFileSync(join(dir, SECRET_FILE), 'utf8')).toBe(''); // left as it was
    expect(await loadOrCreateSecret('given-in-the-environment', dir)).toMatchObject({ source: 'env' });
    // An empty log (a tenant that never logged) is no reason to refuse.
    writeFileSync(join(dir, 'audit', 'acme', 'log.jsonl'), '');
    expect((await loadOrCreateSecret(undefined, dir)).source).toBe('generated');
  });

  // A review (11-29): a data dir restored without its secret.key started with a new secret,
  // which signed on; the old one, put back as the log's refusal asked, then orphaned those. Two
  // re-reviews: the newest checkpoint alone was not enough (no checkpoint yet, entries signed
  // after it, over a MiB of rule changes after them, a switch HS256 → Ed25519 → HS256).
  it('refuses to make a missing one where a tenant\'s first or newest signed entry or checkpoint used HS256, and makes one where only Ed25519 signed', async () => {
    const tenant = join(dir, 'audit', 'acme');
    mkdirSync(tenant, { recursive: true });
    writeFileSync(join(dir, 'audit', 'notes.txt'), 'a file beside the tenants\' folders\n');
    const entry = (alg: string) => JSON.stringify({ decision_id: `dec-${alg}`, receipt: { alg, kid: 'k', signature: 's' } });
    const change = (i: number) => JSON.stringify({ kind: 'rule_change', rule_id: `r${i}`, op: 'put', timestamp: '2026-11-29T00:00:00.000Z', padding: 'x'.repeat(200) });
    const cp = (alg: string) => JSON.stringify({ alg, kid: 'k', root_hash: 'ab'.repeat(32), signature: 's', tenant: 'acme', timestamp: '2026-11-29T00:00:00.000Z', tree_size: 1 });
    const file = join(dir, SECRET_FILE);
    const refused = async () => {
      await expect(loadOrCreateSecret(undefined, dir)).rejects.toThrow(`\`${file}\` is missing but the data directory holds audit logs signed with an HS256 secret; restore it (from the backup the data directory came from), or give the secret they were signed with as MGE_SECRET_KEY`);
      expect(existsSync(file)).toBe(false);
    };
    const made = async () => {
      expect((await loadOrCreateSecret(undefined, dir)).source).toBe('generated');
      rmSync(file);
    };
    writeFileSync(join(tenant, 'log.jsonl'), `${entry('Ed25519')}\n`);
    writeFileSync(join(tenant, 'checkpoints.jsonl'), `${cp('Ed25519')}\n${cp('HS256')}\n`);
    await refused();
    expect(await loadOrCreateSecret('given-in-the-environment', dir)).toMatchObject({ source: 'env' });
    writeFileSync(join(tenant, 'checkpoints.jsonl'), `${cp('Ed25519')}\n${cp('HS256')}`); // its newline missing
    await refused();
    writeFileSync(join(tenant, 'checkpoints.jsonl'), `${cp('Ed25519')}\n${cp('HS256').slice(0, 40)}`); // torn: the one before counts
    await made();
    rmSync(join(tenant, 'checkpoints.jsonl'));
    // No checkpoint yet: the log's newest signed entry, past a rule change and past 1.2 MB of them.
    writeFileSync(join(tenant, 'log.jsonl'), `${entry('Ed25519')}\n${entry('HS256')}\n${Array.from({ length: 5000 }, (_, i) => change(i)).join('\n')}\n`);
    await refused();
    // The first signed entry too: HS256, then Ed25519 (a switch), and now HS256 again.
    writeFileSync(join(tenant, 'log.jsonl'), `${entry('HS256')}\n${entry('Ed25519')}\n`);
    await refused();
    writeFileSync(join(tenant, 'log.jsonl'), `${entry('Ed25519')}\n${change(1)}\n${entry('Ed25519')}\n`); // only Ed25519 ever signed
    await made();
    // HS256 only between two Ed25519 stretches: every checkpoint counts (a re-review, 11-29).
    writeFileSync(join(tenant, 'checkpoints.jsonl'), `${cp('Ed25519')}\n${cp('HS256')}\n${cp('Ed25519')}\n`);
    await refused();
    rmSync(join(tenant, 'checkpoints.jsonl'));
    // A newest line of 3 MiB (read back chunk by chunk), the signed entry before it.
    writeFileSync(join(tenant, 'log.jsonl'), `${entry('Ed25519')}\n${entry('HS256')}\n${JSON.stringify({ kind: 'rule_change', padding: 'é'.repeat(3 << 19) })}\n`);
    await refused();
    // A folder that is no tenant's (lost+found) is passed over, as the store passes over it.
    writeFileSync(join(tenant, 'log.jsonl'), `${entry('Ed25519')}\n`);
    mkdirSync(join(dir, 'audit', 'lost+found'));
    writeFileSync(join(dir, 'audit', 'lost+found', 'log.jsonl'), `${entry('HS256')}\n`);
    await made();
  });

  it('names the file when it cannot be written', async () => {
    const missing = join(dir, 'no-such-dir');
    await expect(loadOrCreateSecret(undefined, missing)).rejects.toThrow(`cannot keep the generated secret in \`${join(missing, SECRET_FILE)}\``);
  });
});

describe('loadOrCreateEd25519Key', () => {
  it('generates one, mode 0600, reads it back, and replaces an empty file', async () => {
    const jwk = await loadOrCreateEd25519Key(dir);
    expect(jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519' });
    expect(statSync(join(dir, ED25519_FILE)).mode & 0o777).toBe(0o600);
    expect(await loadOrCreateEd25519Key(dir)).toEqual(jwk);
    writeFileSync(join(dir, ED25519_FILE), '');
    const fresh = await loadOrCreateEd25519Key(dir);
    expect(fresh.d).not.toBe(jwk.d);
    expect(readdirSync(dir)).toEqual([ED25519_FILE]);
  });

  it('refuses to replace an emptied key beside a log, but makes one where none was (a switch from HS256)', async () => {
    mkdirSync(join(dir, 'audit', 'acme'), { recursive: true });
    writeFileSync(join(dir, 'audit', 'acme', 'log.jsonl'), '{"decision_id":"dec-1"}\n');
    expect(await loadOrCreateEd25519Key(dir)).toMatchObject({ kty: 'OKP' });
    writeFileSync(join(dir, ED25519_FILE), '');
    await expect(loadOrCreateEd25519Key(dir)).rejects.toThrow('is empty but the data directory holds audit logs');
  });

  it('refuses to make a missing one where the logs\' newest checkpoints were signed with Ed25519', async () => {
    const tenant = join(dir, 'audit', 'acme');
    mkdirSync(tenant, { recursive: true });
    writeFileSync(join(tenant, 'log.jsonl'), '{"decision_id":"dec-1"}\n');
    const cp = (alg: string) => JSON.stringify({ alg, kid: 'k', root_hash: 'ab'.repeat(32), signature: 's', tenant: 'acme', timestamp: '2026-11-29T00:00:00.000Z', tree_size: 1 });
    writeFileSync(join(tenant, 'checkpoints.jsonl'), `${cp('Ed25519')}\n`);
    await expect(loadOrCreateEd25519Key(dir)).rejects.toThrow(`\`${join(dir, ED25519_FILE)}\` is missing but the data directory holds audit logs signed with an Ed25519 key; restore the key`);
    await expect(loadOrCreateEd25519Key(dir)).rejects.toThrow(`to sign with a new key on purpose, make one (\`mge keys ed25519 --out ${join(dir, ED25519_FILE)}\`) and give the old public key in MGE_PREVIOUS_JWKS`);
    writeFileSync(join(tenant, 'checkpoints.jsonl'), `${cp('HS256')}\n${cp('HS256')}\n`); // a switch from HS256: Ed25519 never signed
    expect(await loadOrCreateEd25519Key(dir)).toMatchObject({ kty: 'OKP' });
  });

  it('names a damaged key file instead of a bare JSON error', async () => {
    writeFileSync(join(dir, ED25519_FILE), '{"kty":"OKP","crv":');
    await expect(loadOrCreateEd25519Key(dir)).rejects.toThrow(`\`${join(dir, ED25519_FILE)}\` is not a private Ed25519 JWK (not JSON)`);
  });
});

describe('writeNewFile', () => {
  it('syncs the folder once it made the file, so the new name survives a power cut; a taken name is left alone', async () => {
    const synced: string[] = [];
    const file = join(dir, 'kept.txt');
    expect(await writeNewFile(file, 'a\n', 0o600, async (d) => void synced.push(d))).toBe(true);
    expect(synced).toEqual([dir]);
    expect(await writeNewFile(file, 'b\n', 0o600, async (d) => void synced.push(d))).toBe(false);
    expect(synced).toEqual([dir]);
    expect(readFileSync(file, 'utf8')).toBe('a\n');
    expect(readdirSync(dir)).toEqual(['kept.txt']); // no temporary left
  });
});

describe('writeSynced', () => {
  it.skipIf(!existsSync('/dev/full'))('names the file a write failed on (Node\'s ENOSPC names none)', async () => {
    await expect(writeSynced('/dev/full', 'x'.repeat(10), 0o600)).rejects.toThrow('ENOSPC: no space left on device, write (writing `/dev/full`)');
  });
});

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
  // which signed on; the old one, put back as the log's refusal asked, then orphaned those.
  it('refuses to make a missing one where the logs\' newest checkpoints were signed with HS256, but makes one after Ed25519 or no checkpoint', async () => {
    const tenant = join(dir, 'audit', 'acme');
    mkdirSync(tenant, { recursive: true });
    writeFileSync(join(dir, 'audit', 'notes.txt'), 'a file beside the tenants\' folders\n');
    writeFileSync(join(tenant, 'log.jsonl'), '{"decision_id":"dec-1"}\n');
    const cp = (alg: string) => JSON.stringify({ alg, kid: 'k', root_hash: 'ab'.repeat(32), signature: 's', tenant: 'acme', timestamp: '2026-11-29T00:00:00.000Z', tree_size: 1 });
    writeFileSync(join(tenant, 'checkpoints.jsonl'), `${cp('Ed25519')}\n${cp('HS256')}\n`);
    const file = join(dir, SECRET_FILE);
    await expect(loadOrCreateSecret(undefined, dir)).rejects.toThrow(`\`${file}\` is missing but the data directory holds audit logs signed with an HS256 secret; restore it (from the backup the data directory came from), or give the secret they were signed with as MGE_SECRET_KEY`);
    expect(existsSync(file)).toBe(false);
    expect(await loadOrCreateSecret('given-in-the-environment', dir)).toMatchObject({ source: 'env' });
    writeFileSync(join(tenant, 'checkpoints.jsonl'), `${cp('HS256')}\n${cp('Ed25519')}\n`); // signing with Ed25519 until now
    expect((await loadOrCreateSecret(undefined, dir)).source).toBe('generated');
  });

  // A re-review (11-29): the newest checkpoint alone was read, so a log with no checkpoint yet
  // (a kill -9 before the first stop), entries signed after the newest checkpoint, or a newest
  // checkpoint line missing only its newline, still had a new secret made.
  it('reads each tenant\'s newest signed entry too, and a newest checkpoint without its newline', async () => {
    const tenant = join(dir, 'audit', 'acme');
    mkdirSync(tenant, { recursive: true });
    const entry = (alg: string) => JSON.stringify({ decision_id: `dec-${alg}`, receipt: { alg, kid: 'k', signature: 's' } });
    const change = JSON.stringify({ kind: 'rule_change', rule_id: 'r', op: 'put', timestamp: '2026-11-29T00:00:00.000Z' });
    const cp = (alg: string) => JSON.stringify({ alg, kid: 'k', root_hash: 'ab'.repeat(32), signature: 's', tenant: 'acme', timestamp: '2026-11-29T00:00:00.000Z', tree_size: 1 });
    const refused = () => expect(loadOrCreateSecret(undefined, dir)).rejects.toThrow('is missing but the data directory holds audit logs signed with an HS256 secret');
    writeFileSync(join(tenant, 'log.jsonl'), `${entry('HS256')}\n${change}\n`); // no checkpoint; a rule change after the last decision
    await refused();
    writeFileSync(join(tenant, 'log.jsonl'), `${entry('Ed25519')}\n`);
    writeFileSync(join(tenant, 'checkpoints.jsonl'), `${cp('Ed25519')}\n${cp('HS256')}`); // its newline missing
    await refused();
    writeFileSync(join(tenant, 'checkpoints.jsonl'), `${cp('Ed25519')}\n${cp('HS256').slice(0, 40)}`); // torn: the one before counts
    expect((await loadOrCreateSecret(undefined, dir)).source).toBe('generated');
    rmSync(join(dir, SECRET_FILE));
    writeFileSync(join(tenant, 'log.jsonl'), `${entry('Ed25519')}\n${entry('HS256')}\n`); // entries after the newest (Ed25519) checkpoint
    await refused();
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
    writeFileSync(join(tenant, 'checkpoints.jsonl'), `${cp('Ed25519')}\n${cp('HS256')}\n`); // a switch from HS256
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

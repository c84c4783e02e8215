import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keysCommand } from '../../src/cli/keys.js';
import { parseApiKeys } from '../../src/http/api-keys.js';
import { createSigner } from '../../src/receipt/sign.js';
import { verifyReceipt } from '../../src/receipt/verify.js';
import { T0, decision } from './fixtures.js';

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await keysCommand(argv, { out: (s) => { out += s; }, err: (s) => { err += s; } });
  return { code, out, err };
}

describe('mge keys create', () => {
  it('prints a new key once and the hashed MGE_API_KEYS entry the server accepts', async () => {
    const r = await run('create', '--tenant', 'acme', '--role', 'checker+auditor');
    expect(r.code).toBe(0);
    const key = /api key \(shown once, give it to the client\): (mge_[A-Za-z0-9_-]{43})\n/.exec(r.out)![1];
    const entry = /MGE_API_KEYS entry \(stores only its hash\): +(\S+)\n/.exec(r.out)![1];
    expect(entry).toBe(`acme:checker+auditor:sha256:${createHash('sha256').update(key).digest('hex')}`);
    expect(entry).not.toContain(key);
    const [parsed] = await parseApiKeys(entry);
    expect(parsed).toMatchObject({ tenant: 'acme', roles: ['checker', 'auditor'] });
    const again = await run('create', '--tenant', 'acme', '--role', 'checker');
    expect(again.out).not.toContain(key);
  });

  it('notes that a tenant with upper-case letters cannot have a rules folder', async () => {
    const upper = await run('create', '--tenant', 'Acme', '--role', 'checker');
    expect(upper.code).toBe(0);
    expect(upper.err).toBe('mge keys: note: tenant `Acme` has upper-case letters: it can have rules through the API, but not in a `tenants/Acme/` folder (tenant folders are lower case)\n');
    expect((await run('create', '--tenant', 'acme', '--role', 'checker')).err).toBe('');
  });

  it('refuses bad tenants, roles and missing flags', async () => {
    expect(await run('create', '--tenant', '../x', '--role', 'admin')).toMatchObject({ code: 2 });
    expect((await run('create', '--tenant', 'acme', '--role', 'root')).err).toContain('unknown role `root` (roles: checker, auditor, admin)');
    expect((await run('create', '--tenant', 'acme', '--role', 'checker,auditor')).err).toContain('roles are joined with `+`: write `checker+auditor`');
    expect((await run('create', '--tenant', 'acme', '--role', 'checker+auditor,admin')).err).toContain('write `checker+auditor+admin`');
    expect((await run('create', '--tenant', 'acme', '--role', 'checker,checker')).err).not.toContain('write');
    const key = 'mge_' + 'Q'.repeat(43); // the key where the tenant goes: refused, not echoed
    const swapped = await run('create', '--tenant', key, '--role', 'checker');
    expect(swapped.err).toContain('`--tenant` holds what looks like an API key');
    expect(swapped.err).not.toContain(key);
    // A tenant that merely starts with `mge_` is a name (a review: one of 48 characters was refused).
    expect((await run('create', '--tenant', 'mge_platform-team-production-eu-west-1-cluster-a', '--role', 'checker')).err).not.toContain('looks like an API key');
    // A flag given twice is refused, not settled by the last one (an admin key silently became a checker's).
    expect(await run('create', '--tenant', 'acme', '--role', 'admin', '--role', 'checker')).toMatchObject({ code: 2, err: expect.stringContaining('`--role` is given more than once') });
    expect(await run('create', '--tenant', 'a', '--tenant=b', '--role', 'admin')).toMatchObject({ code: 2, err: expect.stringContaining('`--tenant` is given more than once') });
    expect(await run('create', '--tenant', 'acme', '--role', 'admin+admin')).toMatchObject({ code: 2, err: expect.stringContaining('role `admin` given twice') });
    expect((await run('create', '--tenant', 'acme')).err).toContain('`keys create` needs `--tenant T` and `--role R`');
    // Both given, and a stray word: that word is what is wrong (a review, 11-28).
    expect((await run('create', '--tenant', 'acme', '--role', 'checker', 'extra')).err).toContain('`keys create` takes no argument `extra`');
    expect((await run('nope')).err).toContain('unknown subcommand `nope`');
  });
});

describe('mge keys ed25519', () => {
  it('writes a private JWK (0600), prints the public JWKS, and refuses to overwrite', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mge-keys-'));
    try {
      const file = join(dir, 'k.jwk');
      const r = await run('ed25519', '--out', file);
      expect(r.code).toBe(0);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      const priv = JSON.parse(await readFile(file, 'utf8'));
      const jwks = JSON.parse(r.out);
      expect(jwks.keys).toHaveLength(1);
      expect(jwks.keys[0].d).toBeUndefined();
      expect(jwks.keys[0].kid).toBe(priv.kid);
      const s = await createSigner({ ed25519: { privateJwk: priv }, now: () => T0 });
      expect((await verifyReceipt(await s.sign(decision()), { keys: { jwks }, now: T0 })).valid).toBe(true);
      expect(await run('ed25519', '--out', file)).toMatchObject({ code: 2, err: `mge keys: \`${file}\` already exists; not overwriting a key\n` });
      const bare = await run('ed25519');
      expect(JSON.parse(bare.out).d).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const nowhere = join(dir, 'no-such-dir', 'k.jwk');
      expect(await run('ed25519', '--out', nowhere)).toMatchObject({ code: 2, err: expect.stringContaining(`mge keys: cannot write \`${nowhere}\`: `) });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

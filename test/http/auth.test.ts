import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ApiKeySpecError, parseApiKeys, sha256 } from '../../src/http/api-keys.js';
import { authenticate, hasRole, OPEN_PRINCIPAL } from '../../src/http/auth.js';
import { Unauthorized } from '../../src/http/problem.js';

const KEY_A = 'acme-checker-key-0123456789';
const KEY_B = 'globex-admin-key-0123456789';

async function hashedHex(key: string): Promise<string> {
  return [...(await sha256(key))].map((b) => b.toString(16).padStart(2, '0')).join('');
}

describe('parseApiKeys', () => {
  it('reads plain and hashed entries, separated by commas or newlines', async () => {
    const keys = await parseApiKeys(`acme:checker+auditor:${KEY_A},\n globex:admin:sha256:${await hashedHex(KEY_B)}`);
    expect(keys.map((k) => [k.tenant, k.roles])).toEqual([['acme', ['checker', 'auditor']], ['globex', ['admin']]]);
    expect(keys[1].hash).toEqual(await sha256(KEY_B));
    expect(keys[0].id).toMatch(/^key-[0-9a-f]{12}$/);
  });

  it('keeps key material out of its error messages', async () => {
    const secret = 'tiny-secret';
    await expect(parseApiKeys(`acme:checker:${secret}`)).rejects.toThrow(ApiKeySpecError);
    await expect(parseApiKeys(`acme:checker:${secret}`)).rejects.not.toThrow(secret);
    await expect(parseApiKeys(`acme:root:${KEY_A}`)).rejects.toThrow('unknown role `root`');
    await expect(parseApiKeys(`acme:checker+auditor+checker:${KEY_A}`)).rejects.toThrow('entry 1: role `checker` given twice');
    await expect(parseApiKeys(`../x:checker:${KEY_A}`)).rejects.toThrow('invalid tenant name');
    await expect(parseApiKeys(`acme.:checker:${KEY_A}`)).rejects.toThrow('entry 1: invalid tenant name (1–64 letters, digits, `_`, `.`, `-`, starting with a letter or digit, not ending in `.`)');
    await expect(parseApiKeys(`acme:checker:sha256:abc`)).rejects.toThrow('64 hex digits');
    await expect(parseApiKeys(`acme-checker`)).rejects.toThrow('entry 1');
  });

  it('refuses entries glued into one key by `;`, a space or `|`, and a key in quotes (each was accepted as one key nobody could use)', async () => {
    await expect(parseApiKeys(`acme:checker:${KEY_A};acme:admin:${KEY_B}`)).rejects.toThrow('entry 1: its key holds `;` and then what reads as another entry (`tenant:role:…`); separate entries with commas or newlines');
    await expect(parseApiKeys(`acme:checker:${KEY_A} globex:admin+auditor:${KEY_B}`)).rejects.toThrow('entry 1: its key holds a space and then what reads');
    await expect(parseApiKeys(`acme:checker:${KEY_A}|acme:admin:${KEY_B}`)).rejects.toThrow('its key holds `|`');
    await expect(parseApiKeys(`acme:checker:"${KEY_A}"`)).rejects.toThrow('entry 1: its key is in quotes, which would be part of the key; write it without them');
    await expect(parseApiKeys(`acme:checker:${KEY_A};acme:admin:${KEY_B}`)).rejects.not.toThrow(KEY_A);
    await expect(parseApiKeys(`acme:checker:${KEY_A}&x:Admin:${KEY_B}`)).rejects.toThrow('its key holds `&` and then');
    // A role's plural after the separator still reads as a glued entry.
    await expect(parseApiKeys(`acme:checker:${KEY_A};b:checkers:${KEY_B}`)).rejects.toThrow('its key holds `;` and then');
    // A `;` or a space alone is key material, and so is one followed by what is no role list.
    for (const key of [`${KEY_A};x y`, 'Tok3n;v2:abc:0123456789', 'a|b:cd:0123456789abcdef', 'pass phrase:with:colons-x',
      'release train 7:checked:2026-11-27', 'ops;v2:editor:8f3a9c1d2e4b5a6f', 'q9;x:admit:ZZZZZZZZZZZZZZZZZZ']) {
      expect(await parseApiKeys(`acme:checker:${key}`), key).toHaveLength(1);
    }
    await expect(parseApiKeys(`acme:checker:${KEY_A};   x:checker:${KEY_B}`)).rejects.toThrow('its key holds `;` and then');
    await expect(parseApiKeys(`acme:checker:${KEY_A} ;x:checker:${KEY_B}`)).rejects.toThrow('its key holds `;` and then');
    // Spaces around the colons, `#` as the separator, a colon as the separator, a comment (a review, 11-28).
    await expect(parseApiKeys(`acme:checker:${KEY_A}; beta : admin : ${KEY_B}`)).rejects.toThrow('its key holds `;` and then');
    await expect(parseApiKeys(`acme:checker:${KEY_A}#beta:admin:${KEY_B}`)).rejects.toThrow('its key holds `#` and then');
    await expect(parseApiKeys(`acme:checker:beta:admin:${KEY_B}`)).rejects.toThrow('entry 1: its key starts with what reads as another entry (`tenant:role:…`)');
    await expect(parseApiKeys(`acme:checker:beta : admin : ${KEY_B}`)).rejects.toThrow('entry 1: its key starts with what reads as another entry');
    // Two whole entries joined by a colon (a re-review, 11-28); the refusal says the way out.
    await expect(parseApiKeys(`acme:checker:${KEY_A}:beta:admin:${KEY_B}`)).rejects.toThrow('entry 1: its key holds `:` and then what reads as another entry (`tenant:role:…`); separate entries with commas or newlines (a key meant so can be listed as `sha256:` and its SHA-256 in hex)');
    await expect(parseApiKeys(`acme:checker:${KEY_A} # the CI key`)).rejects.toThrow('entry 1: its key holds ` #`, read as part of the key (comments are not read here); remove the comment');
    await expect(parseApiKeys(`acme:checker:${KEY_A} # the CI key`)).rejects.not.toThrow(KEY_A);
  });

  it('refuses a hash prefix in another spelling, and warns of a key of 64 hex digits (it may be a hash pasted without its prefix)', async () => {
    const hash = await hashedHex(KEY_A);
    for (const prefix of ['SHA256:', 'Sha256:', 'sha-256:', 'SHA-256:']) {
      await expect(parseApiKeys(`acme:admin:${prefix}${hash}`)).rejects.toThrow('entry 1: a hashed key starts `sha256:`, in lower case (as written, the hash would be the key)');
    }
    const warnings: string[] = [];
    expect(await parseApiKeys(`acme:admin:${hash}`, (m) => warnings.push(m))).toHaveLength(1);
    expect(warnings).toEqual(['MGE_API_KEYS entry 1: its key is 64 hex digits, taken as the key itself (as `openssl rand -hex 32` makes); if it is a key\'s SHA-256, write `sha256:` before it, or the hash is the credential']);
    await parseApiKeys(`acme:admin:sha256:${hash},b:checker:${KEY_B}`, (m) => warnings.push(m));
    expect(warnings).toHaveLength(1);
  });

  it('reads a key with a long run of spaces or separators in linear time', async () => {
    const start = performance.now();
    for (const inner of [' '.repeat(60_000), '; '.repeat(30_000), ' x'.repeat(30_000)]) {
      expect(await parseApiKeys(`acme:checker:k${inner}k-0123456789abcdef`)).toHaveLength(1);
    }
    expect(performance.now() - start).toBeLessThan(2_000);
  });

  it('refuses one key listed twice, plain or hashed, whatever the tenants (a key has one tenant)', async () => {
    await expect(parseApiKeys(`globex:admin:${KEY_A},acme:checker:${KEY_A}`)).rejects.toThrow('entry 2: the same key as entry 1');
    await expect(parseApiKeys(`acme:checker:${KEY_A},acme:auditor:sha256:${await hashedHex(KEY_A)}`)).rejects.toThrow('entry 2: the same key as entry 1');
    await expect(parseApiKeys(`acme:checker:${KEY_A},acme:checker:${KEY_A}`)).rejects.not.toThrow(KEY_A);
  });

  it('refuses keys no client could send, without quoting them', async () => {
    for (const key of [' spaced-key-material-0001', 'key-material-with-é-00001', 'key-material-with-tab\t0001']) {
      const err = await parseApiKeys(`acme:checker:${key}`).catch((e: unknown) => e as Error);
      expect(err).toBeInstanceOf(ApiKeySpecError);
      expect((err as Error).message).toContain('printable ASCII, with no space at either end');
      expect((err as Error).message).not.toContain(key.trim());
    }
    expect(await parseApiKeys(`acme:checker:${KEY_A}:with:colons~!`)).toHaveLength(1);
    // Inner spaces: sendable as X-API-Key (Bearer takes none), so accepted as before.
    const spaced = await parseApiKeys('acme:checker:correct horse battery staple');
    expect((await authenticate({ headers: new Headers({ 'x-api-key': 'correct horse battery staple' }) }, spaced)).tenant).toBe('acme');
  });

  it('quotes an unknown role only when it is a word (a key written in its place is not echoed)', async () => {
    await expect(parseApiKeys(`acme:cheker:${KEY_A}`)).rejects.toThrow('unknown role `cheker`');
    const sixteen = (await parseApiKeys(`acme:QwErTyUiOpAsDfGh:${KEY_A}`).catch((e: unknown) => e)) as Error; // a 16-letter key in the role's place
    expect(sixteen.message).not.toContain('QwErTyUiOpAsDfGh');
    const err = (await parseApiKeys(`acme:admin+s3cr3t-key-part:${KEY_A}`).catch((e: unknown) => e)) as Error;
    expect(err.message).toContain('unknown role (roles:');
    expect(err.message).not.toContain('s3cr3t');
  });

  it('refuses two tenants whose names differ only in case (one directory where case is ignored)', async () => {
    await expect(parseApiKeys(`Beta:admin:${KEY_A},beta:checker:${KEY_B}`)).rejects.toThrow('tenant `beta` differs from tenant `Beta` only in case');
    expect(await parseApiKeys(`Beta:admin:${KEY_A},Beta:checker:${KEY_B}`)).toHaveLength(2);
  });

  it('refuses any key swapped with a long tenant name, without printing either; takes names that only read as keys', async () => {
    for (const key of ['q8V2xY0pL3mN7bR1tK9wZ5cHd4Fj', 'f'.repeat(20) + '0123456789abcdef0123456789']) {
      const swapped = parseApiKeys(`${key}:checker:acme-production-eu`);
      await expect(swapped).rejects.toThrow('MGE_API_KEYS entry 1: the tenant field reads as a key and the key field as a name (neither shown)');
      await expect(parseApiKeys(`${key}:checker:acme-production-eu`)).rejects.not.toThrow(key);
    }
    // A tenant named like a key, given a key that reads as one, or a hash: taken as written.
    expect((await parseApiKeys('Prod2024EuWest1Cluster7:checker:q8V2xY0pL3mN7bR1tK9wZ5cHd4Fj'))[0].tenant).toBe('Prod2024EuWest1Cluster7');
    expect((await parseApiKeys('Prod2024EuWest1Cluster7:checker:team42-passphrase-key'))[0].tenant).toBe('Prod2024EuWest1Cluster7');
    expect(await parseApiKeys(`Prod2024EuWest1Cluster7:checker:sha256:${'ab'.repeat(32)}`)).toHaveLength(1);
    // UUIDs and object ids are ids, not keys, whatever the other field (a re-review, 11-28: one in five refused).
    for (let i = 0; i < 200; i++) {
      expect(await parseApiKeys(`${randomUUID()}:checker:${randomUUID()}`)).toHaveLength(1);
      expect(await parseApiKeys(`${randomBytes(12).toString('hex')}:checker:correct-horse-battery-staple`)).toHaveLength(1);
    }
  });

  it('refuses a list of separators only, and reads an empty one as no keys', async () => {
    await expect(parseApiKeys(' , ')).rejects.toThrow('lists no key');
    expect(await parseApiKeys('')).toEqual([]);
    expect(await parseApiKeys('  ')).toEqual([]);
  });
});

describe('authenticate', () => {
  it('is open mode (tenant default, every role) when no key is configured', async () => {
    expect(await authenticate({ headers: new Headers() }, [])).toBe(OPEN_PRINCIPAL);
    // ...without reading the headers at all (on Node that would build a web Headers object).
    const unread = { get headers(): Headers { throw new Error('headers were read'); } };
    expect(await authenticate(unread, [])).toBe(OPEN_PRINCIPAL);
  });

  it('accepts Bearer and X-API-Key, resolving tenant and roles', async () => {
    const keys = await parseApiKeys(`acme:checker:${KEY_A},globex:admin:${KEY_B}`);
    const a = await authenticate({ headers: new Headers({ authorization: `Bearer ${KEY_A}` }) }, keys);
    const b = await authenticate({ headers: new Headers({ 'x-api-key': KEY_B }) }, keys);
    expect([a.tenant, a.roles, b.tenant]).toEqual(['acme', ['checker'], 'globex']);
    expect(hasRole(a, 'auditor')).toBe(false);
    expect(hasRole(b, 'auditor')).toBe(true); // admin holds every role in its tenant
  });

  it('refuses missing, unknown, malformed and contradictory keys with 401', async () => {
    const keys = await parseApiKeys(`acme:checker:${KEY_A}`);
    const cases: Array<[Record<string, string>, string]> = [
      [{}, 'an API key is required'],
      [{ authorization: 'Bearer nope-nope-nope-nope' }, 'unknown API key'],
      [{ authorization: `Basic ${KEY_A}` }, 'must be `Bearer <key>`'],
      [{ authorization: `Bearer ${KEY_A}`, 'x-api-key': 'other-key-material-000' }, 'different keys'],
      [{ authorization: `Bearer ${KEY_A}x` }, 'unknown API key'],
    ];
    for (const [headers, message] of cases) {
      const err = await authenticate({ headers: new Headers(headers) }, keys).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Unauthorized);
      expect((err as Unauthorized).detail).toContain(message);
    }
  });
});

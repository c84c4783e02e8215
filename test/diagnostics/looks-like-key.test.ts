// looksLikeKey (src/diagnostics/looks-like-key.ts): random key material reads as a key, names
// of tenants and files read as names.

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { looksLikeKey, readsAsName } from '../../src/diagnostics/looks-like-key.js';

/** 1 000 fixed pseudo-random 32-byte keys (SHA-256 of a counter), so the count is the same every run. */
const keys = Array.from({ length: 1000 }, (_, i) => createHash('sha256').update(String(i)).digest());

describe('looksLikeKey', () => {
  it('reads random keys as keys: base64url, base64 and hex', () => {
    for (const encoding of ['base64url', 'base64'] as const) {
      const missed = keys.filter((k) => !looksLikeKey(k.toString(encoding))).length;
      expect(missed).toBeLessThan(10);
    }
    expect(keys.every((k) => looksLikeKey(k.toString('hex')) && looksLikeKey(k.toString('hex').toUpperCase()))).toBe(true);
  });

  it.each([
    'acme', 'acme-production-eu', 'AcmeCorp2024Production', 'customer-support-team-2024', 'tenantA-eu-west-1',
    '550e8400-e29b-41d4-a716-446655440000', '507f1f77bcf86cd799439011', '/etc/mge/previous-jwks.json', 'previous.jwks.json',
    'a1'.repeat(9), // too short to tell
  ])('reads %s as a name', (name) => {
    expect(looksLikeKey(name)).toBe(false);
  });

  it('reads hex ids (UUIDs, object ids, 32 hex digits) as ids, not keys', () => {
    const ids = keys.flatMap((k) => [k.toString('hex').slice(0, 24), k.toString('hex').slice(0, 32), k.toString('hex').slice(0, 32).replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-')]);
    expect(ids.filter(looksLikeKey)).toEqual([]);
  });

  it('reads words joined by `-`, `_` or `.` as a name, and no key', () => {
    for (const name of ['acme', 'acme-production-eu', 'tenant-eu-west-1', 'Acme_Corp.prod']) expect(readsAsName(name), name).toBe(true);
    for (const text of ['team42-eu', '2024-acme', 'acme--eu', ...keys.slice(0, 100).map((k) => k.toString('base64url'))]) expect(readsAsName(text), text).toBe(false);
  });
});

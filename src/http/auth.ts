// Who is calling (SPEC §7). A key is hashed and compared, in constant time, against every
// configured hash; the match gives the tenant and roles. With no key configured the server runs
// in local open mode: every request is tenant `default` with every role.

import { webCryptoBackend, type CryptoBackend } from '../receipt/backend.js';
import type { ApiKey, Role } from './api-keys.js';
import { Forbidden, Unauthorized } from './problem.js';

/** The authenticated caller. `keyId` is what logs and audit entries record as `by`. */
export interface Principal {
  tenant: string;
  roles: readonly Role[];
  keyId: string;
}

export const OPEN_PRINCIPAL: Principal = { tenant: 'default', roles: ['checker', 'auditor', 'admin'], keyId: 'local-open-mode' };

const encoder = new TextEncoder();

/** Equal-length byte arrays compared without an early exit. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** The presented key: `Authorization: Bearer <key>` or `X-API-Key: <key>`; Unauthorized when they are malformed or disagree. */
export function presentedKey(headers: Pick<Headers, 'get'>): string | undefined {
  const auth = headers.get('authorization');
  const header = headers.get('x-api-key') ?? undefined;
  if (auth !== null) {
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(auth);
    if (!m) throw new Unauthorized('the Authorization header must be `Bearer <key>`');
    if (header !== undefined && header !== m[1]) throw new Unauthorized('Authorization and X-API-Key name different keys');
    return m[1];
  }
  return header;
}

/**
 * Resolves the caller. Every configured hash is compared (no early exit), so the time taken does
 * not tell which key, or how much of one, matched. In open mode the request's headers are never
 * read (on Node that spares building a web Headers object per request).
 * @example const who = await authenticate(request, keys) // throws Unauthorized
 */
export async function authenticate(
  request: Pick<Request, 'headers'>,
  keys: readonly ApiKey[],
  backend: Pick<CryptoBackend, 'sha256'> = webCryptoBackend,
): Promise<Principal> {
  if (keys.length === 0) return OPEN_PRINCIPAL;
  const key = presentedKey(request.headers);
  if (key === undefined || key === '') throw new Unauthorized('an API key is required (Authorization: Bearer <key> or X-API-Key)');
  const found = keyOfHash(keys, await backend.sha256(encoder.encode(key)));
  if (found === undefined) throw new Unauthorized('unknown API key');
  return { tenant: found.tenant, roles: found.roles, keyId: found.id };
}

/** The configured key whose hash this is, every hash compared (no early exit); undefined when none. */
export function keyOfHash(keys: readonly ApiKey[], hash: Uint8Array): ApiKey | undefined {
  let found: ApiKey | undefined;
  for (const k of keys) {
    if (sameBytes(k.hash, hash) && found === undefined) found = k;
  }
  return found;
}

/** `admin` holds every role within its tenant (SPEC §7). */
export function hasRole(who: Principal, role: Role): boolean {
  return who.roles.includes(role) || who.roles.includes('admin');
}

/** @example requireRole(who, 'auditor') // throws Forbidden unless the key has it */
export function requireRole(who: Principal, role: Role): void {
  if (!hasRole(who, role)) throw new Forbidden(`this key lacks the \`${role}\` role`, who);
}

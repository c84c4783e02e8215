// API keys (SPEC §7): each key has one tenant and one or more roles, and is kept only as the
// SHA-256 of its bytes. `MGE_API_KEYS` lists them as `tenant:role[+role]:key` or, so that no
// plain key needs to sit in a config file, `tenant:role[+role]:sha256:<64 hex>`.

import { looksLikeKey, readsAsName } from '../diagnostics/looks-like-key.js';
import { TENANT_NAME_RULE, TENANT_PATTERN } from '../ir/tenant-name.js';

export const ROLES = ['checker', 'auditor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** A configured key. `id` names it in logs and audit entries (`by`); the key itself never appears. */
export interface ApiKey {
  id: string;
  tenant: string;
  roles: readonly Role[];
  /** SHA-256 of the key's UTF-8 bytes. */
  hash: Uint8Array;
}

export class ApiKeySpecError extends Error {
  override name = 'ApiKeySpecError';
}

/** SHA-256 of a string's UTF-8 bytes (WebCrypto, so it runs on every runtime). */
export async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
}

function hex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** A stable, non-secret name for a key: a short prefix of its hash (like an SSH fingerprint). */
export function keyId(hash: Uint8Array): string {
  return `key-${hex(hash.subarray(0, 6))}`;
}

/**
 * Why a `role[+role]` list is refused, or undefined when it is good: an unknown role, or one
 * given twice (`admin+admin` says something its writer did not mean).
 */
export function rolesProblem(text: string): string | undefined {
  // Real roles joined another way (`checker,auditor`): safe to name, and the fix is one character.
  const listed = text.split(/[+,;|&\s]+/);
  if (/[,;|&\s]/.test(text) && listed.every((w) => (ROLES as readonly string[]).includes(w)) && new Set(listed).size === listed.length) {
    return `roles are joined with \`+\`: write \`${listed.join('+')}\``;
  }
  const seen = new Set<string>();
  for (const r of text.split('+')) {
    if (!(ROLES as readonly string[]).includes(r)) {
      // A word is quoted (a typo: `cheker`); anything else may be a key written where the role
      // goes, and is not.
      const named = /^[A-Za-z]{1,15}$/.test(r) ? ` \`${r}\`` : ''; // a plain key has 16 or more characters
      return `unknown role${named} (roles: ${ROLES.join(', ')})`;
    }
    if (seen.has(r)) return `role \`${r}\` given twice`;
    seen.add(r);
  }
  return undefined;
}

/**
 * A key as `mge keys create` makes them: `mge_` and 32 random bytes as 43 base64url characters
 * (a tenant named `mge_platform-team-…`, of another length, is a name).
 */
export function looksLikeGeneratedKey(text: string): boolean {
  return /^mge_[A-Za-z0-9_-]{43}$/.test(text);
}

function parseRoles(text: string, entry: number): Role[] {
  const problem = rolesProblem(text);
  if (problem !== undefined) throw new ApiKeySpecError(`MGE_API_KEYS entry ${entry}: ${problem}`);
  return text.split('+') as Role[];
}

/** The tenants a caller can be: `default` in open mode (no key), else the keys' tenants, sorted. */
export function callerTenants(keys: readonly ApiKey[]): string[] {
  return keys.length === 0 ? ['default'] : [...new Set(keys.map((k) => k.tenant))].sort();
}

/**
 * Parses a comma- or newline-separated key list. Error messages name the entry by position and
 * never echo key material. `onWarning` hears of entries taken as written that may not mean it.
 * @example await parseApiKeys('acme:checker+auditor:s3cr3t-key-material')
 */
export async function parseApiKeys(spec: string, onWarning?: (message: string) => void): Promise<ApiKey[]> {
  const entries = spec.split(/[,\n]/).map((s) => s.trim()).filter((s) => s !== '');
  // Separators and nothing else is a list gone wrong, not a wish for the open mode.
  if (entries.length === 0 && spec.trim() !== '') throw new ApiKeySpecError('MGE_API_KEYS lists no key; unset it for the open local mode');
  const keys: ApiKey[] = [];
  const entryOfKey = new Map<string, number>();
  for (const [i, entry] of entries.entries()) {
    const n = i + 1;
    const first = entry.indexOf(':');
    const second = first < 0 ? -1 : entry.indexOf(':', first + 1);
    if (second < 0) throw new ApiKeySpecError(`MGE_API_KEYS entry ${n}: expected \`tenant:role[+role]:key\``);
    const tenant = entry.slice(0, first);
    if (!TENANT_PATTERN.test(tenant)) throw new ApiKeySpecError(`MGE_API_KEYS entry ${n}: invalid tenant name (${TENANT_NAME_RULE})`);
    // A generated key where the tenant goes (the fields swapped) would be printed in the banner
    // and published as a /metrics label, and the tenant name would be the credential.
    if (looksLikeGeneratedKey(tenant)) throw new ApiKeySpecError(`MGE_API_KEYS entry ${n}: the tenant field holds what looks like an API key (\`mge_…\`); the order is \`tenant:role[+role]:key\``);
    const roles = parseRoles(entry.slice(first + 1, second), n);
    const material = entry.slice(second + 1);
    // Any other key swapped with a long tenant name (`<key>:checker:acme-production-eu`) too:
    // both fields must read the wrong way round, so a name that reads as a key is still taken
    // beside a key that does not read as a name (or a `sha256:` hash, the way out).
    if (looksLikeKey(tenant) && readsAsName(material)) throw new ApiKeySpecError(`MGE_API_KEYS entry ${n}: the tenant field reads as a key and the key field as a name (neither shown); the order is \`tenant:role[+role]:key\`${AS_HASH}`);
    let hash: Uint8Array;
    const hashed = /^sha256:([0-9a-fA-F]{64})$/.exec(material);
    if (hashed) {
      hash = new Uint8Array(hashed[1].match(/../g)!.map((h) => parseInt(h, 16)));
    } else if (material.startsWith('sha256:')) {
      throw new ApiKeySpecError(`MGE_API_KEYS entry ${n}: \`sha256:\` must be followed by 64 hex digits`);
    } else if (/^sha-?256:/i.test(material)) {
      // Read as a plain key, the hash itself would be the credential.
      throw new ApiKeySpecError(`MGE_API_KEYS entry ${n}: a hashed key starts \`sha256:\`, in lower case (as written, the hash would be the key)`);
    } else {
      if (/^[0-9a-fA-F]{64}$/.test(material)) onWarning?.(`MGE_API_KEYS entry ${n}: its key is 64 hex digits, taken as the key itself (as \`openssl rand -hex 32\` makes); if it is a key's SHA-256, write \`sha256:\` before it, or the hash is the credential`);
      if (material.length < 16) throw new ApiKeySpecError(`MGE_API_KEYS entry ${n}: key shorter than 16 characters`);
      // What a client can send in a header: a key with a control or a non-ASCII character, or
      // with a space at either end (trimmed from a header value), would be configured and never
      // match. One with inner spaces can be sent as X-API-Key only (Bearer takes no space).
      if (!SENDABLE_KEY.test(material)) {
        throw new ApiKeySpecError(`MGE_API_KEYS entry ${n}: a key is printable ASCII, with no space at either end (a client could never send this one)`);
      }
      // `a:checker:k1;b:admin:k2` (or with a space) was one key, and neither meant key worked.
      // Only a role list of roles (or their plurals: `checkers`) reads as an entry:
      // `Tok3n;v2:abc:…` is a key.
      const glued = [...material.matchAll(GLUED_ENTRY)].find((g) => g[2].split('+').every(readsAsRole));
      // Joined by a colon (`acme:checker:beta:admin:k2`): the key starts as an entry does.
      const colonJoined = LEADING_ENTRY.exec(material);
      if (colonJoined !== null && colonJoined[1].split('+').every(readsAsRole)) {
        throw new ApiKeySpecError(`MGE_API_KEYS entry ${n}: its key starts with what reads as another entry (\`tenant:role:…\`); separate entries with commas or newlines${AS_HASH}`);
      }
      // A shell or .env comment is not one here: it would be part of the key.
      if (/\s#/.test(material)) throw new ApiKeySpecError(`MGE_API_KEYS entry ${n}: its key holds \` #\`, read as part of the key (comments are not read here); remove the comment${AS_HASH}`);
      if (glued !== undefined) {
        const mark = /[;|&#:]/.exec(glued[1]);
        const sep = mark === null ? 'a space' : `\`${mark[0]}\``;
        throw new ApiKeySpecError(`MGE_API_KEYS entry ${n}: its key holds ${sep} and then what reads as another entry (\`tenant:role:…\`); separate entries with commas or newlines${AS_HASH}`);
      }
      if (/^(["'`]).*\1$/.test(material)) {
        throw new ApiKeySpecError(`MGE_API_KEYS entry ${n}: its key is in quotes, which would be part of the key; write it without them`);
      }
      hash = await sha256(material);
    }
    // A key has one tenant and one set of roles (SPEC §7): a second entry would silently lose.
    const hashHex = hex(hash);
    const earlier = entryOfKey.get(hashHex);
    if (earlier !== undefined) {
      throw new ApiKeySpecError(`MGE_API_KEYS entry ${n}: the same key as entry ${earlier}; a key has one tenant, give its roles once joined with \`+\``);
    }
    entryOfKey.set(hashHex, n);
    // Tenant names are directory names (audit/<tenant>, api-rules/<tenant>): on a file system
    // that ignores case (macOS, Windows) `Acme` and `acme` would share one log and one rule set.
    const clash = keys.find((k) => k.tenant !== tenant && k.tenant.toLowerCase() === tenant.toLowerCase());
    if (clash !== undefined) {
      throw new ApiKeySpecError(`MGE_API_KEYS entry ${n}: tenant \`${tenant}\` differs from tenant \`${clash.tenant}\` only in case; they would share a data directory where case is ignored`);
    }
    keys.push({ id: keyId(hash), tenant, roles, hash });
  }
  return keys;
}

/**
 * A run of separators (`;`, `|`, `&`, `#`, `:`, white space), then `tenant:words[+words]:` (spaces
 * around the colons too); the words are
 * judged by readsAsRole. A match starts only where a run starts: `(\s)\s*` started at every
 * space of a run and was quadratic in it (0.37 s for 16 000 spaces).
 */
const GLUED_ENTRY = /(?<![;|&#:\s])([;|&#:\s]+)[A-Za-z0-9][A-Za-z0-9_.-]*\s*:\s*([A-Za-z]+(?:\+[A-Za-z]+)*)\s*:/g;

/** `tenant:roles:` at a key's start (judged by readsAsRole too). */
const LEADING_ENTRY = /^[A-Za-z0-9][A-Za-z0-9_.-]*\s*:\s*([A-Za-z]+(?:\+[A-Za-z]+)*)\s*:/;

/** The way out of a guess that refused a key meant as written: its hash is never read as anything else. */
const AS_HASH = ' (a key meant so can be listed as `sha256:` and its SHA-256 in hex)';

/**
 * A role, in any case, or its plural (`checkers`). Not every near miss: `admit`, `checked` or
 * `editor` after a `;` are as likely a key's own text (such keys would be refused).
 */
function readsAsRole(word: string): boolean {
  const w = word.toLowerCase();
  return (ROLES as readonly string[]).some((r) => w === r || w === r + 's');
}

const SENDABLE_KEY = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;

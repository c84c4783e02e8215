// Tenant names as directory names under the data dir (`audit/<dir>/`, the rules tree): a
// reversible escape, so any tenant name is one safe path segment and reads back as itself.

/** Tenant → directory name: a reversible escape, so no tenant name can reach `..` or `/`. */
export function tenantDirName(tenant: string): string {
  return Array.from(new TextEncoder().encode(tenant), (b, i) =>
    (/[A-Za-z0-9_-]/.test(String.fromCharCode(b)) || (b === 0x2e && i > 0)) ? String.fromCharCode(b) : '%' + b.toString(16).padStart(2, '0').toUpperCase(),
  ).join('') || '%';
}

export function tenantFromDirName(name: string): string {
  return name === '%' ? '' : decodeURIComponent(name);
}

/**
 * Whether a folder under `audit/` is one tenantDirName writes: a stray one (`.hidden`, `a%zz`)
 * is no tenant's log (it was read as tenant `.hidden`, whose folder is `%2Ehidden`).
 */
export function isTenantDirName(name: string): boolean {
  try {
    return tenantDirName(tenantFromDirName(name)) === name;
  } catch {
    return false; // a `%` that starts no escape
  }
}

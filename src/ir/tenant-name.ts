// Tenant names (SPEC §7), one rule wherever a name comes from: rule folders, API keys,
// requests, the CLI.

/**
 * What a tenant may be called, wherever it comes from (API keys, `mge check --tenant`, a
 * library caller): names are used as directory names (`rules/tenants/<t>`), so no separators
 * or dots-only, and no `.` at the end, which Windows drops from a folder's name (`acme.` and
 * `acme` would share one log).
 */
export const TENANT_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,62}[A-Za-z0-9_-])?$/;

/** TENANT_PATTERN in words, for messages. */
export const TENANT_NAME_RULE = '1–64 letters, digits, `_`, `.`, `-`, starting with a letter or digit, not ending in `.`';

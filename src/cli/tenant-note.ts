// A tenant named where its rules are not, by case: `MGE_API_KEYS='Acme:…'` next to
// `tenants/acme/`, or `mge check --tenant Acme`. Its checks then get the global rules only, and
// nothing said so (a tenant rule silently not applied). Only case: tenants
// a letter apart (`team1`, `team2`, `eu`, `us`) are usually meant, and a warning at every start
// would be noise.

/**
 * A warning for `tenant` when it has no rules of its own but a tenant with rules has its name
 * in another case; undefined otherwise (many tenants rightly have no rules of their own).
 * @example tenantNameNote('Acme', ['acme']) // 'tenant `Acme` has no rules of its own, but tenant `acme` has: …'
 */
export function tenantNameNote(tenant: string, ruleTenants: readonly string[]): string | undefined {
  if (ruleTenants.includes(tenant)) return undefined;
  const near = ruleTenants.find((t) => t.toLowerCase() === tenant.toLowerCase());
  if (near === undefined) return undefined;
  return `tenant \`${tenant}\` has no rules of its own, but tenant \`${near}\` has: tenant names are exact (case too), so \`${tenant}\`'s checks get the global rules only`;
}

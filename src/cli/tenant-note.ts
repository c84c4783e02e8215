// A tenant named where its rules are not: `MGE_API_KEYS='Acme:…'` next to `tenants/acme/`, or
// `mge check --tenant acem`. Its checks then get the global rules only, and nothing said so
// (a review's new user saw a tenant rule silently not apply).

import { didYouMean } from '../diagnostics/did-you-mean.js';

/**
 * A warning for `tenant` when it has no rules of its own but a tenant with rules has nearly
 * its name (another case, a typo); undefined otherwise (many tenants rightly have none).
 * @example tenantNameNote('Acme', ['acme']) // 'tenant `Acme` has no rules of its own, but tenant `acme` has: …'
 */
export function tenantNameNote(tenant: string, ruleTenants: readonly string[]): string | undefined {
  if (ruleTenants.includes(tenant)) return undefined;
  const near = ruleTenants.find((t) => t.toLowerCase() === tenant.toLowerCase()) ?? didYouMean(tenant, ruleTenants);
  if (near === undefined) return undefined;
  return `tenant \`${tenant}\` has no rules of its own, but tenant \`${near}\` has: tenant names are exact (case too), so \`${tenant}\`'s checks get the global rules only`;
}

// Each tenant's policy from the file rules and its API rules (SPEC §7: a tenant sees the global
// baseline plus its own), compiled aside: nothing here is swapped in (Engine does that), so an
// invalid change never replaces a valid policy.

import type { Diagnostic, Rule } from '../ir/types.js';
import { CompileError } from '../compile/errors.js';
import { DEFAULT_TENANT, RuleLoadError, type PoliciesAt } from './engine-types.js';
import { buildPolicy, refusedPolicy, type PolicyBuildOptions, type TenantPolicy } from './policy.js';

/** The rules read from the rules directory: the baseline, and each tenant's own. */
export interface FileRules {
  global: Rule[];
  tenants: Map<string, Rule[]>;
}

/** Every policy of a rule set, compiled and not yet serving. */
export interface Built {
  globalPolicy: TenantPolicy;
  policies: Map<string, TenantPolicy>;
}

/** The file a global or tenant file rule with this id comes from, if any. */
export function fileRuleOwnerIn(files: FileRules, tenant: string, ruleId: string): string | undefined {
  const rule = files.global.find((r) => r.rule_id === ruleId) ?? files.tenants.get(tenant)?.find((r) => r.rule_id === ruleId);
  return rule?.source.file;
}

/** Each tenant's policy among these (policies are immutable once built); the global one for any other. */
export function snapshotOf(global: TenantPolicy, policies: ReadonlyMap<string, TenantPolicy>): PoliciesAt {
  const own = new Map(policies);
  return (tenant) => own.get(tenant) ?? global;
}

/** Every policy for these file rules and the API rules, compiled aside; nothing is swapped. */
export async function buildAllPolicies(files: FileRules, apiRules: ReadonlyMap<string, ReadonlyMap<string, Rule>>, opts: PolicyBuildOptions): Promise<Built> {
  const tenants = new Set([...files.tenants.keys(), ...apiRules.keys()]);
  const policies = new Map<string, TenantPolicy>();
  try {
    const globalPolicy = await buildPolicy(DEFAULT_TENANT, files.global, opts);
    for (const tenant of tenants) policies.set(tenant, await buildTenantPolicy(tenant, apiRules.get(tenant), files, opts));
    return { globalPolicy, policies };
  } catch (err) {
    if (err instanceof CompileError) throw new RuleLoadError([compileDiagnostic(err, 'rules')]);
    throw err;
  }
}

/**
 * A tenant's policy: the global and its own file rules, then its API rules. An API rule whose
 * id a file rule took since it was put (a new global rule, a reload or a restart later) is
 * left out, and every check of the tenant is denied until one of the two goes (fail closed,
 * and only for that tenant): refusing the reload or the restart instead would let a tenant's
 * admin hold back every global rule by naming an API rule after it in advance. Likewise, when
 * `tolerant` (a reload, a restart's replay, a delete), API rules that no longer compile beside
 * the file rules (a compiler limit the new file rules cross) are left out and the tenant is
 * denied; a PUT that would cross it is refused instead (422).
 */
export async function buildTenantPolicy(tenant: string, api: ReadonlyMap<string, Rule> | undefined, files: FileRules, opts: PolicyBuildOptions, tolerant = true): Promise<TenantPolicy> {
  const own: Rule[] = [];
  const clashing: Rule[] = [];
  for (const rule of api?.values() ?? []) {
    if (fileRuleOwnerIn(files, tenant, rule.rule_id) === undefined) own.push(rule);
    else clashing.push(rule);
  }
  const fileRules = [...files.global, ...(files.tenants.get(tenant) ?? [])];
  let policy: TenantPolicy;
  try {
    policy = await buildPolicy(tenant, [...fileRules, ...own], opts);
  } catch (err) {
    if (!(err instanceof CompileError) || !tolerant || own.length === 0) throw err;
    // Without them: if the file rules alone fail too, the reload fails (the operator's files).
    policy = await buildPolicy(tenant, fileRules, opts);
    return refusedPolicy(policy, `tenant \`${tenant}\`'s API rules no longer compile beside the file rules (${err.message}), so none of them is in force: delete some of them`, [...own, ...clashing]);
  }
  if (clashing.length === 0) return policy;
  // Named in id order, without the files' paths: what a decision says depends on the rules
  // only, as its policy_version does (else the order of PUTs, or a file's rename, would change
  // both with no entry in the log).
  const ids = clashing.map((r) => `\`${r.rule_id}\``).sort();
  return refusedPolicy(policy, `tenant \`${tenant}\`'s API rule${ids.length === 1 ? '' : 's'} ${ids.join(', ')} ${ids.length === 1 ? 'has' : 'have'} the id of a file rule, and a rule id belongs to one rule: delete the API rule, or give the file rule another rule_id (GET /api/v1/rules shows the file rule in force)`, clashing);
}

/** A compiler limit (too many constants, say) reported like any other rule error. */
export function compileDiagnostic(err: CompileError, file: string): Diagnostic {
  return {
    severity: 'error',
    code: 'compile-error',
    message: err.message,
    span: { file, line: 1, col: 1 },
    ...(err.ruleId ? { help: `in rule \`${err.ruleId}\`` } : {}),
  };
}

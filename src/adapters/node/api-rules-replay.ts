// The rules kept through the HTTP API, at a start and while serving: replayed into the engine
// before the first check (one that no longer loads stops the start), and their files written
// back if they are removed from under the running server.

import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Engine } from '../../engine/engine.js';
import type { Logger } from '../../http/logger.js';
import { apiRulePath, type RuleStore, type StoredRule } from '../../http/rule-store.js';
import { storedRuleText } from '../../ir/rule-json.js';
import type { KeepFile } from './kept-files.js';
import { logRefusedTenants } from './reload.js';
import { API_RULES_DIR } from './rule-store.js';
import { RULE_FORMATS } from '../../rules/load.js';
import { SidecarConfigError } from './sidecar-config-error.js';
import { tenantDirName } from './tenant-dirs.js';

/**
 * Writes back each API rule whose file is gone (as a set PUT keeps it: the JSON of the normalized
 * rule), while no rule change is under way: a PUT or DELETE changes the files and the rules
 * serving in one step of the engine's, so a rule with no file of any format then was removed
 * from outside (`rm -rf data`): not written back, the next start would serve without the
 * tenant's API rules and say nothing. Each rule's files are looked for, not only the tenant's
 * folder (a PUT makes that again, and a look at it alone raced a DELETE).
 */
export async function writeBackApiRules(dataDir: string, engine: Engine, mayWrite: () => boolean, keep: KeepFile): Promise<void> {
  // A tenant at a time, so a write-back of many rules (an fsync each) holds other tenants'
  // rule changes no longer than its own (900 rules held a PUT 1.7 s).
  for (const tenant of engine.apiRuleTenants()) {
    await engine.whileUnchanged(async () => {
      const dir = join(dataDir, API_RULES_DIR, tenantDirName(tenant));
      // One listing a tenant a second, not a look at each rule's file in each format.
      const names = new Set(await readdir(dir).catch(() => []));
      for (const rule of engine.apiRulesOf(tenant)) {
        const gone = async () => !RULE_FORMATS.some((f) => names.has(`${rule.rule_id}.${f}`));
        await keep({ path: join(dir, `${rule.rule_id}.json`), what: `API rule \`${rule.rule_id}\` of tenant \`${tenant}\``, text: storedRuleText(rule), mode: 0o600, when: mayWrite }, gone);
      }
    });
  }
}

/**
 * Loads the rules added over HTTP before the restart; one that no longer loads stops the start.
 * One whose id a file rule took meanwhile loads, and its tenant's checks are denied (said).
 */
export async function replayApiRules(engine: Engine, store: RuleStore, logger: Logger): Promise<void> {
  await store.recover?.(); // a change a crash cut short after its entry is finished first
  const byTenant = new Map<string, StoredRule[]>();
  for (const r of await store.list()) {
    const rules = byTenant.get(r.tenant);
    if (rules === undefined) byTenant.set(r.tenant, [r]);
    else rules.push(r);
  }
  const failed: string[] = [];
  for (const [tenant, rules] of byTenant) {
    // One build per tenant (one per rule made a restart quadratic: 1 600 rules took 26 s).
    const sources = rules.map((r) => ({ text: r.text, format: r.format, path: apiRulePath(tenant, r.ruleId, r.format) }));
    const all = await engine.replayApiRules(tenant, sources).catch((err: unknown) => ({ ok: false as const, error: err }));
    if (!all.ok) failed.push(...await replayOneByOne(engine, rules, logger));
  }
  // Serving without it would drop a rule an admin put in place (a deny that no longer denies):
  // the server does not start until the rule is fixed, put again or removed.
  if (failed.length > 0) {
    throw new SidecarConfigError(`${failed.length === 1 ? 'a stored API rule no longer loads' : `${failed.length} stored API rules no longer load`}: ${failed.join(' | ')}; then start again`);
  }
  logRefusedTenants(engine, logger);
}

/** A tenant's stored rules one at a time, to name each that no longer loads (the start stops then). */
async function replayOneByOne(engine: Engine, rules: StoredRule[], logger: Logger): Promise<string[]> {
  const failed: string[] = [];
  for (const r of rules) {
    const result = await engine.putRule(r.tenant, { text: r.text, format: r.format, path: apiRulePath(r.tenant, r.ruleId, r.format) }).catch((err: unknown) => ({ ok: false as const, error: err }));
    if (result.ok) continue;
    const file = r.where ?? `${r.tenant}/${r.ruleId}.${r.format}`;
    const reason = 'conflict' in result
      ? `a file rule now has its id (${result.conflict.replace(' and is read-only here', '')}; fix: give the file rule another rule_id, or remove \`${file}\`)`
      : `${'diagnostics' in result ? result.diagnostics.map((d) => `${d.span.line}:${d.span.col}: ${d.message}`).join('; ') : String(result.error)} (fix or remove \`${file}\`)`;
    logger.error('a stored API rule no longer loads', { tenant: r.tenant, rule_id: r.ruleId, reason });
    failed.push(`tenant \`${r.tenant}\` rule \`${r.ruleId}\`: ${reason}`);
  }
  return failed;
}

// The file rules in force when `mge serve` last ran, per tenant, kept in
// `<data>/rules-in-force.json`, so a start logs the rule changes made while it was stopped
// (SPEC §6: rule changes are logged; until 11-27 a rule file edited between two runs took
// effect with no entry, and an auditor saw the policy version change with nothing saying why).
// API rules are left out: each of their changes is logged as it is made, and they are replayed
// from the data dir as they were.

import { createHash } from 'node:crypto';
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Engine, PoliciesAt } from '../engine/engine.js';
import type { AuditPort } from '../http/audit-port.js';
import type { Logger } from '../http/logger.js';
import { contentDiff, ruleChangeEntry, ruleText, type RuleChangeOp } from '../http/rule-changes.js';
import { readIfPresent, temporaryNameFor, writeSynced } from './node-new-file.js';

export const RULES_IN_FORCE_FILE = 'rules-in-force.json';

/** Tenant → rule id → SHA-256 of the rule's normalized content. */
export type RulesInForce = Record<string, Record<string, string>>;

/** The file rules each of `tenants` is checked against under `policies`. */
export function rulesInForce(engine: Engine, policies: PoliciesAt, tenants: readonly string[]): RulesInForce {
  const out: RulesInForce = {};
  for (const tenant of tenants) {
    const rules: Record<string, string> = {};
    for (const r of policies(tenant).rules) {
      if (!engine.isApiRule(tenant, r.rule_id)) rules[r.rule_id] = createHash('sha256').update(ruleText(r)).digest('hex');
    }
    out[tenant] = rules;
  }
  return out;
}

/** What changed for `tenant` since `before` was kept; nothing for a tenant it did not know. */
export function changedSince(before: RulesInForce, now: RulesInForce, tenant: string): Array<{ ruleId: string; op: RuleChangeOp }> {
  const was = Object.hasOwn(before, tenant) ? before[tenant] : undefined;
  if (typeof was !== 'object' || was === null) return [];
  return contentDiff(new Map(Object.entries(was)), new Map(Object.entries(now[tenant] ?? {})));
}

/** The record kept by the last run; undefined when there is none (a first start) or it does not read. */
export async function readRulesInForce(dataDir: string): Promise<RulesInForce | undefined> {
  const text = await readIfPresent(join(dataDir, RULES_IN_FORCE_FILE));
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as RulesInForce) : undefined;
  } catch {
    return undefined;
  }
}

/** Replaces the record whole (written aside, synced, renamed). */
export async function writeRulesInForce(dataDir: string, rules: RulesInForce): Promise<void> {
  const file = join(dataDir, RULES_IN_FORCE_FILE);
  const tmp = temporaryNameFor(file);
  await writeSynced(tmp, JSON.stringify(rules) + '\n', 0o600);
  await rename(tmp, file);
}

export interface StartRecordOptions {
  dataDir: string;
  engine: Engine;
  audit: AuditPort;
  /** Every tenant a caller can be or that has rules or a log (as a reload records). */
  tenants: readonly string[];
  logger: Logger;
  now: () => number;
}

/**
 * At start, before the first check: appends to each tenant's log the file rule changes since
 * the last run kept its record (`by: "rules-dir"`, as a reload's), then keeps the record of
 * the rules in force now. A log that cannot take them is named in the server log (its checks
 * are refused anyway while it fails); a first start, with no record, logs nothing.
 */
export async function logChangesWhileStopped(opts: StartRecordOptions): Promise<void> {
  const { dataDir, engine, audit, tenants, logger } = opts;
  const now = rulesInForce(engine, (t) => engine.policy(t), tenants);
  let before: RulesInForce | undefined;
  try {
    before = await readRulesInForce(dataDir);
  } catch (err) {
    // Kept as it is (not replaced): a later start that can read it still logs what changed.
    logger.error('the record of the rules in force does not read; rule files changed while the server was stopped are not logged', { error: err });
    return;
  }
  if (before !== undefined) {
    const timestamp = new Date(opts.now()).toISOString();
    for (const tenant of tenants) {
      const changes = changedSince(before, now, tenant);
      if (changes.length === 0) continue;
      const version = engine.policy(tenant).policyVersion;
      const entries = changes.map((c) => ruleChangeEntry(c.ruleId, c.op, version, 'rules-dir', timestamp));
      try {
        await audit.append(tenant, entries);
        logger.info('rule files changed while the server was stopped; logged', { tenant, rule_ids: changes.map((c) => c.ruleId), policy_version: version });
      } catch (err) {
        // Kept as it was for this tenant, so the next start tries to log these changes again.
        now[tenant] = before[tenant];
        logger.error('rule files changed while the server was stopped; not logged', { tenant, error: err });
      }
    }
  }
  await writeRulesInForce(dataDir, now).catch((err: unknown) => logger.error('the record of the rules in force was not kept; the next start cannot log what changes meanwhile', { error: err }));
}

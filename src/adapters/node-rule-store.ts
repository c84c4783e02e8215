// API rules on disk: `<data>/api-rules/<tenant>/<rule_id>.<json|yaml|mdc>`, written to a
// temporary file and renamed, so a crash leaves the old text or the new one, never half.

import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { RuleFormat } from '../engine/engine.js';
import type { RuleStore, StagedRule, StoredRule } from '../http/rule-store.js';
import { tenantDirName, tenantFromDirName } from './node-audit-store.js';
import { readIfPresent, temporaryNameFor, writeSynced } from './node-new-file.js';

const FORMATS: RuleFormat[] = ['json', 'yaml', 'mdc'];

/** `<data>/api-rules/`: the API rules kept for the next start. */
export const API_RULES_DIR = 'api-rules';

/**
 * Removes `name` when it is the temporary file of a PUT that another process began and never
 * committed (it was killed before the rename: the data-dir lock says that process is gone).
 * This process's own are left alone: one may be staged while `list` runs.
 */
async function removedIfLeftover(dir: string, name: string): Promise<boolean> {
  const m = /^.+\.(?:json|yaml|mdc)\.(\d+)\.[0-9a-f]{12}\.tmp$/.exec(name);
  if (!m) return false;
  if (Number(m[1]) !== process.pid) await rm(join(dir, name), { force: true });
  return true;
}

/** @example const store = nodeRuleStore('./data'); await store.list() */
export function nodeRuleStore(dataDir: string): RuleStore {
  const root = join(dataDir, API_RULES_DIR);
  const dirOf = (tenant: string) => join(root, tenantDirName(tenant));

  async function removeAll(tenant: string, ruleId: string, keep?: RuleFormat): Promise<void> {
    for (const f of FORMATS) if (f !== keep) await rm(join(dirOf(tenant), `${ruleId}.${f}`), { force: true });
  }

  // Synced under a temporary name of its own (two writes of one rule must not share one; `list`
  // skips `….tmp`), then renamed: the text is durable once staged, and in place once committed.
  async function stage(rule: StoredRule): Promise<StagedRule> {
    const dir = dirOf(rule.tenant);
    await mkdir(dir, { recursive: true });
    const file = join(dir, `${rule.ruleId}.${rule.format}`);
    const tmp = temporaryNameFor(file);
    try {
      await writeSynced(tmp, rule.text, 0o600);
    } catch (err) {
      await rm(tmp, { force: true }); // a full disk leaves no empty temporary file behind
      throw err;
    }
    return {
      async commit() {
        await rename(tmp, file);
        await removeAll(rule.tenant, rule.ruleId, rule.format); // a PUT in another format replaces the old file
      },
      discard: () => rm(tmp, { force: true }),
    };
  }

  return {
    stage,
    async save(rule: StoredRule) {
      await (await stage(rule)).commit();
    },
    remove: (tenant, ruleId) => removeAll(tenant, ruleId),
    async get(tenant, ruleId) {
      for (const format of FORMATS) {
        const where = join(dirOf(tenant), `${ruleId}.${format}`);
        const text = await readIfPresent(where);
        if (text !== undefined) return { tenant, ruleId, text, format, where };
      }
      return undefined;
    },
    async list() {
      const out: StoredRule[] = [];
      const tenants = await readdir(root, { withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') return [];
        throw e;
      });
      for (const t of tenants.filter((d) => d.isDirectory()).sort((a, b) => (a.name < b.name ? -1 : 1))) {
        for (const name of (await readdir(join(root, t.name))).sort()) {
          if (await removedIfLeftover(join(root, t.name), name)) continue;
          const m = /^(.+)\.(json|yaml|mdc)$/.exec(name);
          if (!m) continue;
          let tenant: string;
          try {
            tenant = tenantFromDirName(t.name);
          } catch {
            throw new Error(`\`${join(root, t.name)}\` is not a tenant folder MGE wrote (its name does not decode); move it away`);
          }
          const where = join(root, t.name, name);
          out.push({ tenant, ruleId: m[1], format: m[2] as RuleFormat, text: await readFile(where, 'utf8'), where });
        }
      }
      return out;
    },
  };
}

// Hot reload of the rules directory on a running `mge serve`: a good edit swaps the rules in,
// a bad edit is logged with its diagnostics and ignored while the old rules keep serving.

import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Decision } from '../../../src/ir/types.js';
import { KEY_SPEC, KEYS } from '../harness.js';
import { startE2E, type E2E } from './server.js';

// A tenant with a key and nothing else: no rules of its own, no check made.
const INITECH_AUDITOR = 'initech-auditor-00000000000006';

let e: E2E;
/** Rule changes in each auditor's log once started: the first start logs the rules in force. */
const atStart = new Map<string, number>();
beforeAll(async () => {
  e = await startE2E({ apiKeys: `${KEY_SPEC},initech:auditor:${INITECH_AUDITOR}` });
  for (const key of [KEYS.acmeAuditor, KEYS.globexAdmin, INITECH_AUDITOR]) atStart.set(key, (await ruleChanges(key)).length);
});
afterAll(async () => {
  await e.stop();
});

async function version(key: string = KEYS.acmeChecker): Promise<string> {
  return ((await (await e.fetch('/api/v1/rules', { key })).json()) as { policy_version: string }).policy_version;
}

async function approved(action: string): Promise<boolean> {
  return ((await (await e.fetch('/api/v1/governance/check', { key: KEYS.acmeChecker, body: JSON.stringify({ action }) })).json()) as Decision).approved;
}

async function ruleChanges(key: string): Promise<Array<Record<string, unknown>>> {
  const page = (await (await e.fetch('/api/v1/audit?limit=1000', { key })).json()) as { entries: Array<Record<string, unknown>> };
  return page.entries.filter((x) => x.kind === 'rule_change');
}

async function until(what: string, cond: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('hot reload', () => {
  it('swaps in a good edit', async () => {
    // A first start logs the rules in force into every tenant's log, a tenant with only a key too.
    for (const [key, n] of atStart) expect(n, key).toBeGreaterThan(0);
    const before = await version();
    expect(await approved('deploy.friday')).toBe(true);
    writeFileSync(join(e.rulesDir, 'no-friday.yaml'), 'rule_id: no-friday\nprohibited:\n  - message: not on fridays\n    when: action.type == "deploy.friday"\n');
    await until('the new policy', async () => (await version()) !== before);
    expect(await approved('deploy.friday')).toBe(false);
    await until('the reload in the log', () => e.logs.some((l) => JSON.parse(l).msg === 'rules reloaded'));
    // It names the tenants whose rules changed: a global rule reaches every one.
    const reloaded = JSON.parse(e.logs.find((l) => JSON.parse(l).msg === 'rules reloaded')!) as { tenants_changed: string[] };
    expect(reloaded.tenants_changed).toEqual(expect.arrayContaining(['acme', 'globex']));
    // Audited in every tenant's log (a global rule reaches them all), before the new rules
    // serve: by the time a check sees them, every entry is there, ahead of that check's.
    for (const [auditor, checker] of [[KEYS.acmeAuditor, KEYS.acmeChecker], [KEYS.globexAdmin, KEYS.globexChecker]]) {
      expect((await ruleChanges(auditor)).slice(atStart.get(auditor))).toMatchObject([{ kind: 'rule_change', rule_id: 'no-friday', op: 'put', by: 'rules-dir', policy_version: await version(checker) }]);
    }
    // A tenant that only has a key sees it too (its policy is the global rules alone).
    expect((await ruleChanges(INITECH_AUDITOR)).slice(atStart.get(INITECH_AUDITOR))).toMatchObject([{ kind: 'rule_change', rule_id: 'no-friday', op: 'put', by: 'rules-dir' }]);
    // With keys, no caller is tenant `default`: no log is made for it.
    expect(existsSync(join(e.dataDir, 'audit', 'default'))).toBe(false);
  });

  it('logs and ignores a bad edit; the old rules keep serving', async () => {
    const before = await version();
    writeFileSync(join(e.rulesDir, 'no-friday.yaml'), 'rule_id: no-friday\nprohibited:\n  - message: broken\n    when: action.type ==\n');
    await until('the rejection in the log', () => e.logs.some((l) => JSON.parse(l).level === 'warn'));
    const warn = JSON.parse(e.logs.find((l) => JSON.parse(l).level === 'warn')!) as { msg: string; diagnostics: string[] };
    expect(warn.msg).toContain('the previous rules keep serving');
    expect(warn.diagnostics.join('\n')).toContain(`${e.rulesDir}/no-friday.yaml:4`); // named as at start and in `mge check`
    expect(await version()).toBe(before);
    expect(await approved('deploy.friday')).toBe(false);
    const metrics = await (await e.fetch('/metrics')).text();
    expect(metrics).toMatch(/mge_rule_reloads_total\{source="files",result="ok"\} [1-9]/);
    expect(metrics).toMatch(/mge_rule_reloads_total\{source="files",result="rejected"\} [1-9]/);
  });

  it('audits a removed file as deletes; a rejected edit audits nothing', async () => {
    const before = (await ruleChanges(KEYS.acmeAuditor)).length;
    expect(before).toBe(atStart.get(KEYS.acmeAuditor)! + 1); // only the good edit above
    rmSync(join(e.rulesDir, 'no-friday.yaml'));
    await until('the delete entry', async () => (await ruleChanges(KEYS.acmeAuditor)).length === before + 1);
    expect((await ruleChanges(KEYS.acmeAuditor))[before]).toMatchObject({ rule_id: 'no-friday', op: 'delete', by: 'rules-dir' });
    // The entries go to every tenant's log before the swap: acme's can be there while the
    // other tenants' are still being written, and the old rules still serve until then.
    await until('the rules without no-friday', () => approved('deploy.friday'));
  });

  it('reloads edits to a file that an editor replaced by a rename', async () => {
    const file = join(e.rulesDir, 'no-sunday.yaml');
    const rule = (message: string) => `rule_id: no-sunday\nprohibited:\n  - message: ${message}\n    when: action.type == "deploy.sunday"\n`;
    writeFileSync(file, rule('first'));
    await until('the new file', async () => !(await approved('deploy.sunday')));
    let before = await version();
    writeFileSync(`${file}.tmp`, rule('second')); // how editors save atomically
    renameSync(`${file}.tmp`, file);
    await until('the replaced file', async () => (await version()) !== before);
    before = await version();
    writeFileSync(file, rule('third')); // in place, after the rename: once went unseen
    await until('the edit after the rename', async () => (await version()) !== before);
  });

  it('ignores a file emptied by a save in two steps (truncate, then write): its rules keep serving', async () => {
    const file = join(e.rulesDir, 'no-monday.yaml');
    writeFileSync(file, 'rule_id: no-monday\nprohibited:\n  - message: not on mondays\n    when: action.type == "deploy.monday"\n');
    await until('the new file', async () => !(await approved('deploy.monday')));
    const warnings = e.logs.filter((l) => JSON.parse(l).level === 'warn').length;
    writeFileSync(file, '');
    await until('the rejection', () => e.logs.filter((l) => JSON.parse(l).level === 'warn').length > warnings);
    expect(e.logs.filter((l) => JSON.parse(l).level === 'warn').at(-1)).toContain('no-monday.yaml:1:1: error: file is empty');
    expect(await approved('deploy.monday')).toBe(false);
  });

  it('logs the warnings of a good edit as lint would say them (a clause never enforced)', async () => {
    rmSync(join(e.rulesDir, 'no-monday.yaml'), { force: true }); // left empty (an error) by the test before
    writeFileSync(join(e.rulesDir, 'dot.mdc'), '---\nrule_id: dot\n---\n## Prohibited\n- No prod writes `context.environment == "production"`.\n- No drops `action.type == "db.drop"`\n');
    await until('the warning', () => e.logs.some((l) => JSON.parse(l).msg === 'rules reloaded, with warnings (`mge lint` tells more)'));
    const line = JSON.parse(e.logs.find((l) => JSON.parse(l).msg === 'rules reloaded, with warnings (`mge lint` tells more)')!) as { level: string; warnings: string[] };
    expect(line.level).toBe('warn');
    expect(line.warnings.join('\n')).toContain(`${e.rulesDir}/dot.mdc:5:3: warning: clause \`No prod writes`);
    rmSync(join(e.rulesDir, 'dot.mdc'));
  });

  // Last: it leaves the directory without rules.
  it('refuses a directory emptied of rule files (a deploy between `rm` and `cp`); a `rules: []` file drops every rule, with a warning', async () => {
    const denied = await approved('deploy.monday');
    // The global files removed, a tenant's folder left (`rm rules/*` keeps `tenants/`): refused
    // too, or every tenant lost the global rules (a review, 11-28).
    mkdirSync(join(e.rulesDir, 'tenants', 'acme'), { recursive: true });
    writeFileSync(join(e.rulesDir, 'tenants', 'acme', 'own.yaml'), 'rule_id: own\nprohibited:\n  - when: \'action.type == "own"\'\n    message: m\n');
    const reloads = () => e.logs.filter((l) => JSON.parse(l).msg.startsWith('rules reloaded')).length;
    const before = reloads();
    await until('the tenant rule', () => reloads() > before);
    for (const f of readdirSync(e.rulesDir)) if (f !== 'tenants') rmSync(join(e.rulesDir, f), { recursive: true });
    await until('the refusal', () => e.logs.some((l) => JSON.parse(l).msg.startsWith('rules change ignored: the rules directory holds no global rule file (only `tenants/`)')));
    expect(await approved('deploy.monday')).toBe(denied);
    rmSync(e.rulesDir, { recursive: true });
    mkdirSync(e.rulesDir);
    await until('the refusal', () => e.logs.some((l) => JSON.parse(l).msg.startsWith('rules change ignored: the rules directory holds no rule file')));
    expect(await approved('deploy.monday')).toBe(denied); // until 11-27 every check was approved here
    expect(await (await e.fetch('/metrics')).text()).toContain('\nmge_rules_dir_refused 1\n');
    // A file written into the directory made again is seen (until 11-27 its watcher was the
    // removed directory's: the file system gave the new one the same inode).
    writeFileSync(join(e.rulesDir, 'none.yaml'), 'rules: []\n');
    await until('the warning', () => e.logs.some((l) => JSON.parse(l).msg === 'no rules loaded: every check is approved until rules are added'));
    expect(await approved('deploy.monday')).toBe(true);
    expect(await (await e.fetch('/metrics')).text()).toContain('\nmge_rules_dir_refused 0\n');
  });
});

describe('a file rule that takes the id of a tenant\'s API rule', () => {
  // Until 11-28 the clash refused the reload for every tenant: one tenant's admin could hold
  // back every new global rule by naming an API rule after it first.
  it('reloads for every tenant; that tenant alone is denied, saying why, until the API rule is deleted', async () => {
    const own = await startE2E();
    try {
      const check = async (key: string, action = 'deploy.clash') => (await (await own.fetch('/api/v1/governance/check', { key, body: JSON.stringify({ action }) })).json()) as Decision;
      const put = await own.fetch('/api/v1/rules/clash-x', {
        method: 'PUT', key: KEYS.acmeAdmin, body: JSON.stringify({ rule_id: 'clash-x', prohibited: [{ message: 'api', when: 'action.type == "never"' }] }),
      });
      expect(put.status).toBe(201);
      writeFileSync(join(own.rulesDir, 'clash.yaml'), 'rule_id: clash-x\nprohibited:\n  - message: no clash deploys\n    when: action.type == "deploy.clash"\n');
      await until('the new global rule serving', async () => !(await check(KEYS.globexChecker)).approved);
      const refused = await check(KEYS.acmeChecker, 'anything.else');
      expect(refused).toMatchObject({ approved: false, rule_ids: [], violations: [{ rule_id: 'mge.engine', code: 'rules_refused', effect: 'deny' }] });
      expect(refused.violations[0].message).toContain("tenant `acme`'s API rule `clash-x` has the id of a file rule");
      // Said once the reload's entries are logged (a moment after the new rules serve).
      await until('the error line', () => own.logs.some((l) => JSON.parse(l).msg === 'every check of this tenant is denied until its rules are fixed' && JSON.parse(l).tenant === 'acme'));
      expect(await (await own.fetch('/metrics')).text()).toContain('\nmge_rules_dir_refused 0\n');
      // Validate answers as PUT would: the id is a file rule's (it said valid, and PUT said 409).
      const text = JSON.stringify({ rule_id: 'clash-x', prohibited: [{ message: 'api', when: 'action.type == "never"' }] });
      const validated = (await (await own.fetch('/api/v1/rules/validate', { method: 'POST', key: KEYS.acmeAdmin, body: text })).json()) as { valid: boolean; diagnostics: Array<{ code: string }> };
      expect(validated).toMatchObject({ valid: false, diagnostics: [{ code: 'read-only-rule' }] });
      expect((await own.fetch('/api/v1/rules/clash-x', { method: 'PUT', key: KEYS.acmeAdmin, body: text })).status).toBe(409);
      // The way out: the API rule deleted, the tenant gets the global rule like every other.
      expect((await own.fetch('/api/v1/rules/clash-x', { method: 'DELETE', key: KEYS.acmeAdmin })).status).toBe(204);
      expect(await check(KEYS.acmeChecker, 'anything.else')).toMatchObject({ approved: true });
      const after = await check(KEYS.acmeChecker);
      expect(after.violations.map((v) => v.rule_id)).toEqual(['clash-x']);
      // Logged as what changed in force: the file rule `clash-x` serves on, so not a `delete` of it.
      const entries = ((await (await own.fetch('/api/v1/audit?limit=1000', { key: KEYS.acmeAuditor })).json()) as { entries: Array<Record<string, unknown>> }).entries;
      expect(entries.filter((x) => x.kind === 'rule_change').at(-1)).toMatchObject({ kind: 'rule_change', rule_id: 'clash-x', op: 'put', by: expect.stringMatching(/^key-/) as unknown, policy_version: after.policy_version });
    } finally {
      await own.stop();
    }
  });
});

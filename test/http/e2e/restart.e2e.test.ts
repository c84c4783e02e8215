// `mge serve` restarted on the same data directory: the audit log goes on where it stopped
// (old decisions still provable), the receipt secret is the same, and rules added over HTTP
// are back.

import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Decision } from '../../../src/ir/types.js';
import { KEYS } from '../harness.js';
import { NodeAuditStoreFactory, type NodeAuditStore } from '../../../src/adapters/node/audit-store.js';
import { nodeCryptoBackend } from '../../../src/adapters/node/crypto.js';
import { AuditLogs } from '../../../src/audit/logs.js';
import type { AuditStoreFactory } from '../../../src/audit/store.js';
import { auditPort } from '../../../src/http/audit-port.js';
import type { Signer } from '../../../src/receipt/sign.js';
import { startE2E, writeRules, type E2E } from './server.js';
import { breakWrites } from '../../audit/break-writes.js';
import { nodeRuleStore } from '../../../src/adapters/node/rule-store.js';

describe('restart on the same data directory', () => {
  it('keeps the receipts already verified: one verified before the restart is `replayed` after it (SPEC §5)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mge-restart-nonce-'));
    const dirs = { rulesDir: join(root, 'rules'), dataDir: join(root, 'data') };
    writeRules(dirs.rulesDir);
    const verify = async (e: E2E, decision: Decision) =>
      (await (await e.fetch('/api/v1/receipts/verify', { key: KEYS.acmeChecker, body: JSON.stringify({ decision }) })).json()) as { valid: boolean; reason?: string; approved?: boolean };
    const first = await startE2E(dirs);
    const d = (await (await first.fetch('/api/v1/governance/check', { key: KEYS.acmeChecker, body: '{"action":"x"}' })).json()) as Decision;
    const unused = (await (await first.fetch('/api/v1/governance/check', { key: KEYS.acmeChecker, body: '{"action":"y"}' })).json()) as Decision;
    expect(await verify(first, d)).toEqual({ valid: true, approved: true });
    await first.stop();

    const second = await startE2E(dirs);
    try {
      expect(await verify(second, d)).toEqual({ valid: false, reason: 'replayed' });
      expect(await verify(second, unused)).toEqual({ valid: true, approved: true }); // only what was used stays used
    } finally {
      await second.stop();
    }
  });

  it('keeps the log, the secret and the API rules', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mge-restart-'));
    const dirs = { rulesDir: join(root, 'rules'), dataDir: join(root, 'data') };
    writeRules(dirs.rulesDir);
    const yaml = 'rule_id: kept\nprohibited:\n  - message: kept across restarts\n    when: action.type == "kept"\n';

    const first = await startE2E(dirs);
    const treeSize = async (e: E2E) => ((await (await e.fetch('/api/v1/audit/checkpoint', { key: KEYS.acmeAuditor })).json()) as { tree_size: number }).tree_size;
    const atStart = await treeSize(first); // the rules in force, logged by the first start
    expect(atStart).toBeGreaterThan(0);
    const put = await first.fetch('/api/v1/rules/kept', { method: 'PUT', key: KEYS.acmeAdmin, body: yaml, type: 'application/yaml' });
    expect(put.status).toBe(201);
    const d = (await (await first.fetch('/api/v1/governance/check', { key: KEYS.acmeChecker, body: '{"action":"kept"}' })).json()) as Decision;
    expect(d.approved).toBe(false);
    await first.stop();

    const second = await startE2E(dirs);
    try {
      const again = (await (await second.fetch('/api/v1/governance/check', { key: KEYS.acmeChecker, body: '{"action":"kept"}' })).json()) as Decision;
      expect(again.approved).toBe(false);
      expect(again.receipt?.kid).toBe(d.receipt?.kid);
      const proof = await second.fetch(`/api/v1/audit/proof/${d.decision_id}`, { key: KEYS.acmeAuditor });
      expect(proof.status).toBe(200);
      expect(await treeSize(second)).toBe(atStart + 3); // rule_change, first decision, second decision
      expect(await (await second.fetch('/api/v1/receipts/verify', { key: KEYS.acmeChecker, body: JSON.stringify({ decision: d }) })).json()).toEqual({ valid: true, approved: false });
      expect((await second.fetch('/api/v1/rules/kept', { method: 'DELETE', key: KEYS.acmeAdmin })).status).toBe(204);
    } finally {
      await second.stop();
    }

    const third = await startE2E(dirs);
    try {
      expect((await third.fetch('/api/v1/rules/kept', { key: KEYS.acmeChecker })).status).toBe(404);
    } finally {
      await third.stop();
    }
  });

  it('opens the logs on disk at start-up; one changed under its checkpoint makes /readyz and its checks 503 until it is repaired', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mge-restart-'));
    const dirs = { rulesDir: join(root, 'rules'), dataDir: join(root, 'data') };
    writeRules(dirs.rulesDir);
    const check = (e: E2E) => e.fetch('/api/v1/governance/check', { key: KEYS.acmeChecker, body: '{"action":"db.read"}' });
    const first = await startE2E(dirs);
    expect((await check(first)).status).toBe(200);
    expect((await check(first)).status).toBe(200);
    expect((await first.fetch('/api/v1/audit/checkpoint', { key: KEYS.acmeAuditor })).status).toBe(200);
    await first.stop();

    const healthy = await startE2E(dirs);
    try {
      await until(async () => (await healthy.fetch('/readyz')).status === 200);
    } finally {
      await healthy.stop();
    }

    const file = join(dirs.dataDir, 'audit', 'acme', 'log.jsonl');
    const original = readFileSync(file, 'utf8');
    const lines = original.split('\n');
    const firstDecision = lines.findIndex((l) => l.includes('"tenant":"acme"')); // after the rules logged at the first start
    lines[firstDecision] = lines[firstDecision].replace('"tenant":"acme"', '"tenant":"acmf"');
    writeFileSync(file, lines.join('\n'));
    const second = await startE2E({ ...dirs, reopenAfterMs: 300 });
    try {
      await until(async () => second.logs.some((l) => l.includes('audit log does not open')));
      const logged = second.logs.find((l) => l.includes('audit log does not open'))!;
      expect(logged).toContain('"tenant":"acme"');
      expect(logged).toContain('no longer hash to the root of the latest checkpoint');
      expect((await second.fetch('/readyz')).status).toBe(503);
      expect((await check(second)).status).toBe(503);

      // Repaired under the running server (the file restored): ready again without a restart.
      writeFileSync(file, original);
      await until(async () => (await second.fetch('/readyz')).status === 200);
      expect(second.logs.some((l) => l.includes('every audit log is open now; ready'))).toBe(true);
      expect((await check(second)).status).toBe(200);
      const cp = (await (await second.fetch('/api/v1/audit/checkpoint', { key: KEYS.acmeAuditor })).json()) as { tree_size: number };
      expect(cp.tree_size).toBe(firstDecision + 3);
    } finally {
      await second.stop();
    }
  });
});

describe('an audit store that fails while the server runs', () => {
  it('makes its checks and /readyz 503, then the log is opened again and both recover without a restart', async () => {
    const opened: NodeAuditStore[] = [];
    const openAudit = async (dir: string, signer: Signer) => {
      const files = new NodeAuditStoreFactory(dir, { fsync: 'never' });
      const factory: AuditStoreFactory = {
        open: async (tenant) => {
          const s = await files.open(tenant);
          opened.push(s);
          return s;
        },
        tenants: () => files.tenants(),
      };
      return auditPort(new AuditLogs(factory, { backend: nodeCryptoBackend, reopenAfterMs: 300 }), signer);
    };
    const e = await startE2E({ openAudit });
    const check = () => e.fetch('/api/v1/governance/check', { key: KEYS.acmeChecker, body: '{"action":"db.read"}' });
    try {
      expect((await check()).status).toBe(200);
      await until(async () => (await e.fetch('/readyz')).status === 200);
      // The acme log's next write fails (EBADF), as on a failing disk.
      const acme = opened.filter((s) => s.dir.endsWith(`${sep}acme`)).at(-1)!;
      const before = ((await (await e.fetch('/api/v1/audit/checkpoint', { key: KEYS.acmeAuditor })).json()) as { tree_size: number }).tree_size;
      breakWrites(acme);
      expect((await check()).status).toBe(503);
      expect((await e.fetch('/readyz')).status).toBe(503);
      expect(e.logs.some((l) => l.includes('an audit log failed; not ready'))).toBe(true);
      // After the reopen interval the log opens again from its file and everything goes on.
      await until(async () => (await e.fetch('/readyz')).status === 200);
      expect((await check()).status).toBe(200);
      const cp = (await (await e.fetch('/api/v1/audit/checkpoint', { key: KEYS.acmeAuditor })).json()) as { tree_size: number };
      expect(cp.tree_size).toBe(before + 1); // the rules the start logged, the check above, and this one
    } finally {
      await e.stop();
    }
  });

  it('does not start without a stored API rule that no longer loads; one whose id a file rule took denies its tenant', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mge-restart-'));
    const dirs = { rulesDir: join(root, 'rules'), dataDir: join(root, 'data') };
    writeRules(dirs.rulesDir);
    const first = await startE2E(dirs);
    const yaml = 'rule_id: guard\nglobs: ["src/**"]\nprohibited:\n  - when: "true"\n';
    expect((await first.fetch('/api/v1/rules/guard', { method: 'PUT', key: KEYS.acmeAdmin, body: yaml, type: 'application/yaml' })).status).toBe(201);
    await first.stop();
    // As a rule stored by an older MGE that this one refuses (here: a glob that cannot match).
    const stored = join(dirs.dataDir, 'api-rules', 'acme', 'guard.yaml');
    writeFileSync(stored, readFileSync(stored, 'utf8').replace('"src/**"', '"src/**", "./lib/**"'));
    // Serving without it would silently drop a deny rule an admin put in place.
    await expect(startE2E(dirs)).rejects.toThrow(/^a stored API rule no longer loads: tenant `acme` rule `guard`: 2:\d+: `\.\/lib\/\*\*` can never match.* \(fix or remove `.*api-rules\/acme\/guard\.yaml`\); then start again$/);
    // A file rule that now has its id: the server starts (until 11-28 it did not, for any
    // tenant); that tenant alone is denied, saying why, until its API rule is deleted.
    writeFileSync(stored, yaml);
    writeFileSync(join(dirs.rulesDir, 'guard.yaml'), yaml.replace('"true"', 'action.type == "guarded"'));
    const second = await startE2E(dirs);
    try {
      const check = async (key: string) => (await (await second.fetch('/api/v1/governance/check', { key, body: '{"action":"db.read"}' })).json()) as Decision;
      expect((await check(KEYS.acmeChecker)).violations).toEqual([expect.objectContaining({ rule_id: 'mge.engine', code: 'rules_refused', message: expect.stringContaining("tenant `acme`'s API rule `guard` has the id of a file rule") })]);
      expect((await check(KEYS.globexChecker)).approved).toBe(true);
      expect(second.logs.some((l) => JSON.parse(l).msg === 'every check of this tenant is denied until its rules are fixed')).toBe(true);
    } finally {
      await second.stop();
    }
  });

  it('starts with no rule file when the data directory keeps API rules (a deployment of API rules alone)', async () => {
    // A re-review (11-28): refusing every empty rules directory stopped such a deployment's
    // restart, saying every check would be approved, which its API rules made untrue.
    const root = mkdtempSync(join(tmpdir(), 'mge-restart-api-only-'));
    const dirs = { rulesDir: join(root, 'rules'), dataDir: join(root, 'data') };
    mkdirSync(dirs.rulesDir);
    writeFileSync(join(dirs.rulesDir, 'none.yaml'), 'rules: []\n');
    const first = await startE2E(dirs);
    const yaml = 'rule_id: guard\nprohibited:\n  - when: action.type == "db.drop"\n';
    expect((await first.fetch('/api/v1/rules/guard', { method: 'PUT', key: KEYS.acmeAdmin, body: yaml, type: 'application/yaml' })).status).toBe(201);
    await first.stop();
    rmSync(join(dirs.rulesDir, 'none.yaml'));
    const second = await startE2E(dirs);
    try {
      expect(((await (await second.fetch('/api/v1/governance/check', { key: KEYS.acmeChecker, body: '{"action":"db.drop"}' })).json()) as Decision).approved).toBe(false);
    } finally {
      await second.stop();
    }
  });

  it('names at shutdown the tenants whose log could not be checkpointed', async () => {
    const e = await startE2E();
    try {
      expect((await e.fetch('/api/v1/governance/check', { key: KEYS.acmeChecker, body: '{"action":"db.read"}' })).status).toBe(200);
      // A directory where the checkpoint file goes: the shutdown checkpoint cannot be written.
      mkdirSync(join(e.dataDir, 'audit', 'acme', 'checkpoints.jsonl'));
      expect(await e.sidecar.shutdown()).toEqual({ uncheckpointed: ['acme'] });
      expect(e.logs.some((l) => JSON.parse(l).msg === 'no checkpoint kept at shutdown')).toBe(true);
    } finally {
      await e.stop();
    }
  });
});

async function until(condition: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}


describe('a whole set of API rules put at once (PUT /api/v1/rules)', () => {
  it('is kept, one JSON file a rule, and serves the same policy after a restart; DELETE /api/v1/rules empties it for good', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mge-restart-set-'));
    const dirs = { rulesDir: join(root, 'rules'), dataDir: join(root, 'data') };
    writeRules(dirs.rulesDir);
    const rule = (id: string) => `---\nrule_id: ${id}\n---\n## Prohibited\n- No ${id} \`action.type == "${id}"\`\n`;
    const denied = async (e: E2E, action: string) => !((await (await e.fetch('/api/v1/governance/check', { key: KEYS.acmeChecker, body: JSON.stringify({ action }) })).json()) as Decision).approved;

    const first = await startE2E(dirs);
    await first.fetch('/api/v1/rules/old', { method: 'PUT', key: KEYS.acmeAdmin, body: rule('old'), type: 'text/markdown' });
    const put = await first.fetch('/api/v1/rules', { method: 'PUT', key: KEYS.acmeAdmin, body: 'rules:\n  - { rule_id: one, prohibited: [{ message: no one, when: \'action.type == "one"\' }] }\n  - { rule_id: two, prohibited: [{ message: no two, when: \'action.type == "two"\' }] }\n', type: 'application/yaml' });
    const { policy_version } = (await put.json()) as { policy_version: string };
    await first.stop();
    const folder = join(dirs.dataDir, 'api-rules', readdirSync(join(dirs.dataDir, 'api-rules'))[0]);
    expect(readdirSync(folder).sort()).toEqual(['one.json', 'two.json']);

    const second = await startE2E(dirs);
    try {
      expect(await denied(second, 'one')).toBe(true);
      expect(await denied(second, 'two')).toBe(true);
      expect(await denied(second, 'old')).toBe(false);
      const after = (await (await second.fetch('/api/v1/governance/check', { key: KEYS.acmeChecker, body: '{"action":"x"}' })).json()) as Decision;
      expect(after.policy_version).toBe(policy_version); // the JSON kept loads back to the same policy
      expect((await second.fetch('/api/v1/rules', { method: 'DELETE', key: KEYS.acmeAdmin })).status).toBe(204);
    } finally {
      await second.stop();
    }
    expect(readdirSync(folder)).toEqual([]);
  });
});

describe('API rules at a restart: what serves is what the log records', () => {
  it('logs API rule files changed by hand or left half changed by a crash (by `restart`), and nothing after a clean change', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mge-restart-api-'));
    const dirs = { rulesDir: join(root, 'rules'), dataDir: join(root, 'data') };
    writeRules(dirs.rulesDir);
    const yaml = (id: string, message = `no ${id}`) => `rule_id: ${id}\nprohibited:\n  - { message: ${message}, when: 'action.type == "${id}"' }\n`;
    const changes = (e: E2E) => e.fetch('/api/v1/audit?limit=1000', { key: KEYS.acmeAuditor }).then(async (r) => ((await r.json()) as { entries: Array<Record<string, unknown>> }).entries.filter((x) => x.kind === 'rule_change').map((x) => `${x.op} ${x.rule_id} ${x.by}`));
    const first = await startE2E(dirs);
    await first.fetch('/api/v1/rules', { method: 'PUT', key: KEYS.acmeAdmin, body: yaml('a') + '---\n' + yaml('b'), type: 'application/yaml' });
    await first.stop();

    const second = await startE2E(dirs); // a clean change: nothing more at the start
    expect((await changes(second)).filter((c) => c.endsWith('restart'))).toEqual([]);
    await second.stop();

    // By hand while stopped: one changed, one removed, one added.
    const store = nodeRuleStore(dirs.dataDir);
    await store.save({ tenant: 'acme', ruleId: 'a', text: yaml('a', 'changed by hand'), format: 'yaml' });
    await (await store.stageChange('acme', [], ['b'])).commit();
    await store.save({ tenant: 'acme', ruleId: 'hand', text: yaml('hand'), format: 'yaml' });
    // And a set change staged (logged or not) when the process died: the start finishes it.
    await store.stageChange('acme', [{ tenant: 'acme', ruleId: 'c', text: yaml('c'), format: 'yaml' }], ['hand']);
    const third = await startE2E(dirs);
    try {
      expect((await changes(third)).filter((c) => c.endsWith('restart'))).toEqual(['put a restart', 'delete b restart', 'put c restart']);
      const rules = ((await (await third.fetch('/api/v1/rules', { key: KEYS.acmeChecker })).json()) as { rules: Array<{ rule: { rule_id: string }; origin: string }> }).rules;
      expect(rules.filter((r) => r.origin === 'tenant').map((r) => r.rule.rule_id).sort()).toEqual(expect.arrayContaining(['a', 'c']));
      expect(rules.map((r) => r.rule.rule_id)).not.toContain('hand');
    } finally {
      await third.stop();
    }
  });
});

describe('rule files changed while the server was stopped (SPEC §6: every rule change is logged)', () => {
  it('are logged at the next start, by `rules-dir`, before its first check; a restart without changes logs none', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mge-restart-rules-'));
    const dirs = { rulesDir: join(root, 'rules'), dataDir: join(root, 'data'), apiKeys: '' };
    const rule = (id: string, message: string) => `rule_id: ${id}\nprohibited:\n  - { message: ${message}, when: 'action.type == "${id}"' }\n`;
    mkdirSync(dirs.rulesDir);
    writeFileSync(join(dirs.rulesDir, 'a.yaml'), rule('a', 'no a'));
    writeFileSync(join(dirs.rulesDir, 'b.yaml'), rule('b', 'no b'));
    const entries = () => readFileSync(join(dirs.dataDir, 'audit', 'default', 'log.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const check = async (e: E2E) => (await (await e.fetch('/api/v1/governance/check', { body: '{"action":"x"}' })).json()) as Decision;

    const first = await startE2E(dirs); // a first start: the rules in force, before its first check
    await check(first);
    await first.stop();
    const second = await startE2E(dirs); // nothing changed
    await check(second);
    await second.stop();
    expect(entries().map((e) => (e.kind === 'rule_change' ? `${e.op} ${e.rule_id} by ${e.by}` : 'decision'))).toEqual(['put a by rules-dir', 'put b by rules-dir', 'decision', 'decision']);

    writeFileSync(join(dirs.rulesDir, 'a.yaml'), rule('a', 'never a')); // changed
    rmSync(join(dirs.rulesDir, 'b.yaml')); // removed
    writeFileSync(join(dirs.rulesDir, 'c.yaml'), rule('c', 'no c')); // added
    writeFileSync(join(dirs.rulesDir, 'd.yaml'), rule('d', 'no d').replace('rule_id: d', '# moved\nrule_id: d')); // new too
    const third = await startE2E(dirs);
    const d = await check(third);
    await third.stop();
    const changes = entries().slice(4, -1);
    expect(changes.map(({ rule_id, op, by, policy_version }) => ({ rule_id, op, by, policy_version }))).toEqual([
      { rule_id: 'a', op: 'put', by: 'rules-dir', policy_version: d.policy_version },
      { rule_id: 'b', op: 'delete', by: 'rules-dir', policy_version: d.policy_version },
      { rule_id: 'c', op: 'put', by: 'rules-dir', policy_version: d.policy_version },
      { rule_id: 'd', op: 'put', by: 'rules-dir', policy_version: d.policy_version },
    ]);
    expect(entries().at(-1)!.decision_id).toBe(d.decision_id); // logged before the first check

    const fourth = await startE2E(dirs); // and not again
    await fourth.stop();
    expect(entries()).toHaveLength(9);

    // Stopped between the two steps of a deploy (`rm rules/*; cp new/* rules/`): no rule file.
    // Started, it approved every check until the copy landed; refused, as a reload is.
    const moved = join(root, 'moved');
    mkdirSync(moved);
    for (const f of ['a.yaml', 'c.yaml', 'd.yaml']) renameSync(join(dirs.rulesDir, f), join(moved, f));
    await expect(startE2E(dirs)).rejects.toThrow(/holds no rule file, but the last run served rule files/);
    // The same with a tenant's folder left (`rm rules/*` keeps `tenants/`): every tenant would
    // lose the global rules (a review, 11-28: started, a tenant with none of its own approved all).
    mkdirSync(join(dirs.rulesDir, 'tenants', 'acme'), { recursive: true });
    writeFileSync(join(dirs.rulesDir, 'tenants', 'acme', 't.yaml'), rule('t', 't'));
    await expect(startE2E(dirs)).rejects.toThrow(/holds no global rule file \(only `tenants\/`\), but the last run served global rules/);
    rmSync(join(dirs.rulesDir, 'tenants'), { recursive: true });
    for (const f of ['a.yaml', 'c.yaml', 'd.yaml']) renameSync(join(moved, f), join(dirs.rulesDir, f));

    // A change reloaded while the server runs is logged then, and not again at the next start.
    const fifth = await startE2E(dirs);
    writeFileSync(join(dirs.rulesDir, 'a.yaml'), rule('a', 'not a'));
    while (entries().length === 9) await new Promise((r) => setTimeout(r, 50));
    await fifth.stop();
    const sixth = await startE2E(dirs);
    await sixth.stop();
    expect(entries().slice(9).map(({ rule_id, op, by }) => ({ rule_id, op, by }))).toEqual([{ rule_id: 'a', op: 'put', by: 'rules-dir' }]);
  });
});

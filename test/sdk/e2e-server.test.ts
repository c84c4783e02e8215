// The SDK against the real server on 127.0.0.1 (HS256 receipts, API keys required): decisions,
// server-side verification and replay, offline verification, typed HTTP errors, rules and audit.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leafHash, verifyInclusion } from '../../src/audit/merkle.js';
import { fromHex, sha256 } from '../../src/receipt/hash.js';
import { canonicalBytes } from '../../src/receipt/jcs.js';
import type { Json } from '../../src/ir/types.js';
import {
  ActionDenied, MemoryNonceStore, MGEClient, MGEConflict, MGEForbidden, MGEInvalidRule, MGENotFound, MGEUnauthorized,
  RuleBuilder, decisionLeafHash, verifyCheckpoint, verifyConsistencyProof, verifyInclusionProof, verifyReceipt,
} from '../../src/sdk/index.js';
import { ADMIN_KEY, AUDITOR_KEY, CHECKER_KEY, SECRET, startLiveServer, type LiveServer } from './live-server.js';

let server: LiveServer;
let checker: MGEClient;
let admin: MGEClient;
let auditor: MGEClient;

beforeAll(async () => {
  server = await startLiveServer({ alg: 'HS256', withKeys: true });
  checker = new MGEClient(server.url, { apiKey: CHECKER_KEY });
  admin = new MGEClient(server.url, { apiKey: ADMIN_KEY });
  auditor = new MGEClient(server.url, { apiKey: AUDITOR_KEY });
});
afterAll(() => server.close());

const write = { type: 'db.write', table: 'users' };
const prod = { environment: 'production' };

describe('decisions', () => {
  it('approves an action no rule forbids, with an HS256 receipt', async () => {
    const d = await checker.checkCompliance({ type: 'db.read', table: 'users' }, prod);
    expect(d).toMatchObject({ approved: true, reasoning: 'All rules passed', rule_ids: ['db-access-control'], violations: [], tenant: 'default' });
    expect(d.receipt?.alg).toBe('HS256');
    expect(d.decision_id).toMatch(/^dec-/);
  });

  it('denies with the violated clauses and the reasoning', async () => {
    const d = await checker.checkCompliance(write, prod);
    expect(d.approved).toBe(false);
    expect(d.reasoning).toBe('Denied by db-access-control: Direct database modifications in production');
    expect(d.violations).toEqual([{
      rule_id: 'db-access-control', clause: 'prohibited[0]', code: 'prohibited',
      message: 'Direct database modifications in production', effect: 'deny', severity: 'high',
    }]);
  });

  it('explains a denial only when asked', async () => {
    expect((await checker.checkCompliance(write, prod)).explanation).toBeUndefined();
    const d = await checker.checkCompliance(write, prod, { explain: true });
    expect(d.explanation?.[0]).toMatchObject({ rule_id: 'db-access-control', clause: 'prohibited[0]' });
    expect(d.explanation?.[0].values).toMatchObject({ 'action.type': 'db.write', 'context.environment': 'production' });
    // The explanation is neither signed nor logged, so it changes neither check.
    await expect(verifyReceipt(d, { tenant: 'default', secret: SECRET, action: write, context: prod })).resolves.toMatchObject({ valid: true });
    await expect(verifyInclusionProof(d, await auditor.audit.proof(d.decision_id))).resolves.toBe(true);
  });

  it('answers a batch in request order, string shorthand included', async () => {
    const ds = await checker.checkBatch([{ action: write, context: prod }, { action: 'api.call' }, { action: { type: 'file.write', path: 'a.exe' } }]);
    expect(ds.map((d) => d.approved)).toEqual([false, true, false]);
    expect(ds[2].violations[0]).toMatchObject({ rule_id: 'no-exe', code: 'extension_blocked' });
    const explained = await checker.checkBatch([{ action: write, context: prod }], { explain: true });
    expect(explained[0].explanation?.[0]).toMatchObject({ rule_id: 'db-access-control', clause: 'prohibited[0]' });
  });
});

describe('receipts', () => {
  it('verifies server-side once, then refuses the replay', async () => {
    const d = await checker.checkCompliance(write, { environment: 'staging' });
    await expect(checker.verify(d, { action: write, context: { environment: 'staging' } })).resolves.toEqual({ valid: true, approved: true });
    await expect(checker.verify(d, { action: write, context: { environment: 'staging' } })).resolves.toEqual({ valid: false, reason: 'replayed' });
  });

  it('refuses another action server-side without burning the nonce', async () => {
    const d = await checker.checkCompliance(write, { environment: 'staging' });
    await expect(checker.verify(d, { action: { ...write, table: 'admins' }, context: { environment: 'staging' } }))
      .resolves.toEqual({ valid: false, reason: 'action_mismatch' });
    await expect(checker.verify(d, { action: write, context: { environment: 'staging' } })).resolves.toEqual({ valid: true, approved: true });
  });

  it('refuses a tampered decision, server-side and offline', async () => {
    const d = await checker.checkCompliance(write, prod);
    const forged = { ...d, approved: true, violations: [], reasoning: 'All rules passed' };
    await expect(checker.verify(forged)).resolves.toEqual({ valid: false, reason: 'decision_mismatch' });
    await expect(verifyReceipt(forged, { tenant: 'default', secret: SECRET })).resolves.toMatchObject({ valid: false, reason: 'decision_mismatch' });
  });

  it('verifies offline with the HS256 secret; single use only with a nonce store', async () => {
    const ctx = { environment: 'staging' };
    const d = await checker.checkCompliance(write, ctx);
    await expect(verifyReceipt(d, { tenant: 'default', secret: SECRET, action: write, context: ctx })).resolves.toEqual({ valid: true, approved: true, singleUseChecked: false });
    await expect(verifyReceipt(d, { tenant: 'default', secret: SECRET, action: { type: 'db.drop' }, context: ctx }))
      .resolves.toEqual({ valid: false, reason: 'action_mismatch', singleUseChecked: false });
    const nonceStore = new MemoryNonceStore();
    await expect(verifyReceipt(d, { tenant: 'default', secret: SECRET, action: write, context: ctx, nonceStore })).resolves.toEqual({ valid: true, approved: true, singleUseChecked: true });
    await expect(verifyReceipt(d, { tenant: 'default', secret: SECRET, action: write, context: ctx, nonceStore }))
      .resolves.toEqual({ valid: false, reason: 'replayed', singleUseChecked: true });
  });

  it('hashes a string action exactly as sent', async () => {
    const d = await checker.checkCompliance('api.call');
    await expect(verifyReceipt(d, { tenant: 'default', secret: SECRET, action: 'api.call' })).resolves.toMatchObject({ valid: true });
    await expect(verifyReceipt(d, { tenant: 'default', secret: SECRET, action: { type: 'api.call' } })).resolves.toMatchObject({ reason: 'action_mismatch' });
  });
});

describe('typed HTTP errors', () => {
  it('turns a bad API key into MGEUnauthorized with the problem+json', async () => {
    const e = await new MGEClient(server.url, { apiKey: 'not-a-key' }).checkCompliance('api.call').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MGEUnauthorized);
    expect(e).toMatchObject({ status: 401, title: 'Unauthorized', detail: 'unknown API key', type: 'urn:mge:problem:unauthorized' });
  });

  it('turns a missing role into MGEForbidden', async () => {
    const e = await checker.rules.delete('db-access-control').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MGEForbidden);
    expect(e).toMatchObject({ status: 403 });
  });
});

describe('rules', () => {
  it('puts a built rule, sees it enforced, lists, gets, validates and deletes it', async () => {
    const b = new RuleBuilder()
      .createRule({ ruleId: 'no-drop', name: 'No table drops', category: 'data_governance', appliesTo: { actions: ['db.*'] } })
      .addProhibited('no-drop', 'Dropping tables', 'action.type == "db.drop"');
    await expect(admin.rules.put(b.toMdc('no-drop'), 'mdc')).resolves.toMatchObject({ rule_ids: ['no-drop'] });
    const d = await checker.checkCompliance({ type: 'db.drop', table: 't' });
    expect(d.violations.map((v) => v.rule_id)).toEqual(['no-drop']);

    const listing = await checker.rules.list();
    expect(listing.rules.map((r) => r.rule.rule_id).sort()).toEqual(['db-access-control', 'no-drop', 'no-exe']);
    expect(listing.policy_version).toBe(d.policy_version);
    const view = await checker.rules.get('no-drop');
    expect(view).toMatchObject({ origin: 'tenant', rule: { rule_id: 'no-drop', name: 'No table drops' } });

    await expect(admin.rules.validate(b.toYaml('no-drop'), 'yaml')).resolves.toMatchObject({ valid: true, rule_ids: ['no-drop'] });
    await admin.rules.delete('no-drop');
    await expect(checker.rules.get('no-drop')).rejects.toBeInstanceOf(MGENotFound);
    expect((await checker.checkCompliance({ type: 'db.drop' })).approved).toBe(true);
  });

  it('reports invalid rules with the loader diagnostics (422) and keeps global rules read-only (409)', async () => {
    const bad = 'rule_id: bad\nprohibited:\n  - message: m\n    when: action.type = "x"\n';
    const v = await admin.rules.validate(bad, 'yaml');
    expect(v.valid).toBe(false);
    expect(v.diagnostics[0]).toMatchObject({ code: 'expr-syntax', help: 'use `==` to compare' });
    const e = await admin.rules.put(bad, 'yaml', 'bad').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MGEInvalidRule);
    expect((e as MGEInvalidRule).diagnostics[0]).toMatchObject({ code: 'expr-syntax' });
    await expect(admin.rules.delete('no-exe')).rejects.toBeInstanceOf(MGEConflict);
  });

  it('replaces the whole set of API rules at once, and deletes it', async () => {
    const b = new RuleBuilder();
    for (const id of ['one', 'two']) b.createRule({ ruleId: id, name: id }).addProhibited(id, `no ${id}`, `action.type == "${id}"`);
    await admin.rules.put(b.toYaml('one'), 'yaml');
    const text = `${b.toYaml('two')}---\n${b.toYaml('one').replaceAll('one', 'three')}`;
    await expect(admin.rules.replaceAll(text, 'yaml')).resolves.toMatchObject({ rule_ids: ['two', 'three'], removed: ['one'] });
    expect((await checker.checkCompliance({ type: 'one' })).approved).toBe(true);
    expect((await checker.checkCompliance({ type: 'three' })).approved).toBe(false);
    await expect(admin.rules.replaceAll(text.replace('two', 'no-exe'), 'yaml')).rejects.toBeInstanceOf(MGEConflict);
    await admin.rules.deleteAll();
    expect((await checker.rules.list()).rules.map((r) => r.rule.rule_id).sort()).toEqual(['db-access-control', 'no-exe']);
  });
});

describe('audit', () => {
  it('proves a decision is in the log exactly as the client received it', async () => {
    const d = await checker.checkCompliance({ type: 'db.read' }, prod);
    const proof = await auditor.audit.proof(d.decision_id);
    // Cross-checked with the audit layer's own RFC 9162 verifier, not only the SDK's wrapper.
    const leaf = await leafHash(sha256, canonicalBytes(d as unknown as Json));
    expect(await decisionLeafHash(d)).toBe(Buffer.from(leaf).toString('hex'));
    expect(await verifyInclusion(sha256, proof.leaf_index, proof.tree_size, leaf, proof.audit_path.map(fromHex), fromHex(proof.root_hash))).toBe(true);
    expect(await verifyInclusionProof(d, proof)).toBe(true);
    expect(await verifyInclusionProof({ ...d, approved: !d.approved }, proof)).toBe(false);

    const cp = await auditor.audit.checkpoint();
    expect(cp).toMatchObject({ tenant: 'default', alg: 'HS256' });
    await expect(verifyCheckpoint(cp, { secret: SECRET, tenant: 'default' })).resolves.toBe('ok');
    await expect(verifyCheckpoint({ ...cp, tree_size: cp.tree_size + 1 }, { secret: SECRET, tenant: 'default' })).resolves.toBe('bad_signature');
    // An auditor's review (11-27): one key signs every tenant's checkpoints; the tenant says
    // whose, and since 11-28 (a review pinned another tenant's tree) it must be given.
    await expect(verifyCheckpoint(cp, { secret: SECRET, tenant: 'acme' })).resolves.toBe('tenant_mismatch');
    for (const tenant of [undefined, '', 7]) {
      await expect(verifyCheckpoint(cp, { secret: SECRET, tenant } as never)).rejects.toThrow(/verifyCheckpoint: give `tenant`/);
    }
    const atCp = await auditor.audit.proof(d.decision_id, cp.tree_size);
    expect(await verifyInclusionProof(d, atCp, cp)).toBe(true);
    expect(await verifyInclusionProof(d, atCp, { ...cp, root_hash: '00'.repeat(32) })).toBe(false);
    // A review (11-27): a receipt (any signed object) verified as a checkpoint, and a checkpoint
    // of another tenant covered the proof.
    await expect(verifyCheckpoint(d.receipt as never, { secret: SECRET, tenant: 'default' })).resolves.toBe('malformed');
    expect(await verifyInclusionProof(d, atCp, { ...cp, tenant: 'other' })).toBe(false);
  });

  it('proves the log only grew between two checkpoints', async () => {
    await checker.checkCompliance('api.call');
    const kept = await auditor.audit.checkpoint();
    await checker.checkCompliance('api.call');
    await checker.checkCompliance(write, prod);
    const now = await auditor.audit.checkpoint();
    expect(now.tree_size).toBe(kept.tree_size + 2);
    const proof = await auditor.audit.consistency(kept.tree_size, now.tree_size);
    expect(await verifyConsistencyProof(kept, now, proof)).toBe(true);
    expect(await verifyConsistencyProof(kept, { ...now, root_hash: kept.root_hash }, proof)).toBe(false);
    expect(await verifyConsistencyProof({ ...kept, tree_size: kept.tree_size - 1 }, now, proof)).toBe(false);
  });

  it('exports decisions in log order, and rule changes when asked', async () => {
    const d = await checker.checkCompliance('api.call');
    const ids: string[] = [];
    for await (const entry of auditor.audit.export()) ids.push(entry.decision_id);
    expect(ids.at(-1)).toBe(d.decision_id);
    expect(ids).toEqual([...ids].sort());
    const kinds = new Set<string>();
    for await (const entry of auditor.audit.export({ includeRuleChanges: true })) kinds.add('kind' in entry ? entry.kind : 'decision');
    expect([...kinds].sort()).toEqual(['decision', 'rule_change']);
  });
});

describe('guard', () => {
  const describeWrite = (table: string, environment: string) => ({ action: { type: 'db.write', table }, context: { environment } });

  it('refuses a denied action with ActionDenied and never runs it', async () => {
    let ran = 0;
    const guarded = checker.guard(describeWrite, () => ++ran);
    const e = await guarded('users', 'production').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ActionDenied);
    expect((e as ActionDenied).violations[0].rule_id).toBe('db-access-control');
    expect(ran).toBe(0);
  });

  it('runs an approved action after the server verified its receipt', async () => {
    const guarded = checker.guard(describeWrite, (table: string, env: string) => `wrote ${table} in ${env}`);
    await expect(guarded('users', 'staging')).resolves.toBe('wrote users in staging');
  });
});

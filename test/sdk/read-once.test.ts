// A review (11-27) of values a caller hands the library: each one a verifier, store or engine
// read more than once, so that a getter (or a Proxy) showed one value to a check and another to
// what the check guarded. Every case here passed open, or threw raw, before its fix.

import { describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine/engine.js';
import { AuditLog } from '../../src/audit/log.js';
import { MemoryAuditStore } from '../../src/audit/memory-store.js';
import { createSigner } from '../../src/receipt/sign.js';
import { MemoryNonceStore } from '../../src/state/nonce-store.js';
import { MemoryRateLimiter } from '../../src/state/rate-limiter.js';
import {
  decisionLeafHash, guard, MGEConfigError, offlineReceiptCheck, verifyCheckpoint, verifyConsistencyProof, verifyInclusionProof, verifyReceipt,
  type Checkpoint, type Decision, type InclusionProof,
} from '../../src/sdk/index.js';

const SECRET = 'read-once-secret-read-once-secret-0123456789';

/** A getter answering `first` on its first read and `later` on every other. */
function changing<T>(first: T, later: T): () => T {
  let reads = 0;
  return () => (reads++ === 0 ? first : later);
}

function withGetter<O extends object>(obj: O, key: string, get: () => unknown): O {
  const copy = { ...obj };
  Object.defineProperty(copy, key, { enumerable: true, get });
  return copy;
}

async function signedOf(tenant: string, action = { type: 'api.call' }): Promise<{ decision: Decision; signer: Awaited<ReturnType<typeof createSigner>> }> {
  const engine = await createEngine({ rules: [], allowNoRules: true });
  const signer = await createSigner({ hs256Secret: SECRET });
  return { decision: (await signer.sign(await engine.evaluate({ action }, { tenant }))) as unknown as Decision, signer };
}

describe('audit proofs and checkpoints are judged on one reading', () => {
  it('an inclusion proof cannot show the checkpoint its size and root, and the Merkle check another tree', async () => {
    const { decision, signer } = await signedOf('acme');
    // A genuine checkpoint of a 10-entry tree the decision is not in.
    const cp = (await signer.signCheckpoint({ tenant: 'acme', tree_size: 10, root_hash: 'ab'.repeat(32), timestamp: new Date().toISOString() })) as Checkpoint;
    expect(await verifyCheckpoint(cp, { secret: SECRET, tenant: 'acme' })).toBe('ok');
    const leaf = await decisionLeafHash(decision);
    const alone: InclusionProof = { decision_id: decision.decision_id, leaf_index: 0, tree_size: 1, leaf_hash: leaf, audit_path: [], root_hash: leaf };
    expect(await verifyInclusionProof(decision, alone)).toBe(true); // in a one-leaf tree of its own
    expect(await verifyInclusionProof(decision, alone, cp)).toBe(false); // not in the checkpoint's
    const proof = { ...alone };
    Object.defineProperty(proof, 'tree_size', { enumerable: true, get: changing(10, 1) });
    Object.defineProperty(proof, 'root_hash', { enumerable: true, get: changing(cp.root_hash, leaf) });
    expect(await verifyInclusionProof(decision, proof, cp)).toBe(false);
  });

  it('a consistency proof reads each checkpoint once', async () => {
    const root = 'aa'.repeat(32);
    const older = { tenant: 'acme', tree_size: 1, root_hash: root } as Checkpoint;
    expect(await verifyConsistencyProof(older, { ...older }, { first: 1, second: 1, proof: [] })).toBe(true);
    // A tree of 2 with the root of a tree of 1 extends nothing; read twice, its size answered 2
    // to the comparison with the proof and 1 to the Merkle check, which then saw two equal trees.
    const newer = withGetter(older, 'tree_size', changing(2, 1));
    expect(await verifyConsistencyProof(older, newer, { first: 1, second: 2, proof: [] })).toBe(false);
  });

  it('a Proxy that shows a checkpoint to the shape check and a receipt to the signature check is malformed', async () => {
    const { decision } = await signedOf('acme');
    const receipt = decision.receipt as unknown as Record<string, unknown>;
    expect(await verifyCheckpoint(receipt as unknown as Checkpoint, { secret: SECRET, tenant: 'acme' })).toBe('malformed');
    const fake: Record<string, unknown> = { alg: receipt.alg, kid: receipt.kid, signature: receipt.signature, tenant: 'acme', tree_size: 999, root_hash: 'cd'.repeat(32), timestamp: 't' };
    let keysCalls = 0;
    const now = (): Record<string, unknown> => (keysCalls >= 2 ? receipt : fake);
    const proxy = new Proxy({}, {
      ownKeys: () => (keysCalls++, Object.keys(now())),
      getOwnPropertyDescriptor: (_t, k) => ({ value: now()[k as string], enumerable: true, configurable: true, writable: true }),
      get: (_t, k) => now()[k as string],
      getPrototypeOf: () => Object.prototype,
    });
    expect(await verifyCheckpoint(proxy as Checkpoint, { secret: SECRET, tenant: 'acme' })).not.toBe('ok');
  });

  it('a proof of the wrong shape is false, not an exception', async () => {
    const { decision } = await signedOf('acme');
    const leaf = await decisionLeafHash(decision);
    const good: InclusionProof = { decision_id: decision.decision_id, leaf_index: 0, tree_size: 1, leaf_hash: leaf, audit_path: [], root_hash: leaf };
    expect(await verifyInclusionProof(decision, good)).toBe(true);
    for (const bad of [{ ...good, audit_path: null }, { ...good, audit_path: [1] }, { ...good, root_hash: undefined }, null, { ...good, leaf_index: '0' }]) {
      expect(await verifyInclusionProof(decision, bad as unknown as InclusionProof)).toBe(false);
    }
    expect(await verifyInclusionProof({ ...decision, extra: new Date() } as unknown as Decision, good)).toBe(false);
    const cp = { tenant: 'acme', tree_size: 1, root_hash: leaf } as Checkpoint;
    expect(await verifyConsistencyProof(cp, cp, { first: 1, second: 1 } as never)).toBe(false);
    expect(await verifyConsistencyProof({ ...cp, root_hash: 42 } as unknown as Checkpoint, cp, { first: 1, second: 1, proof: [] })).toBe(false);
  });
});

describe('verification options are read once', () => {
  it('a `tenant` or `audience` that answers once and then undefined does not switch its check off', async () => {
    const { decision } = await signedOf('evil');
    const asAcme = withGetter({ secret: SECRET } as { secret: string; tenant: string }, 'tenant', changing<string | undefined>('acme', undefined));
    expect((await verifyReceipt(decision, asAcme)).reason).toBe('tenant_mismatch');
    const forExec = withGetter({ secret: SECRET, tenant: 'evil' } as { secret: string; tenant: string; audience?: string }, 'audience', changing<string | undefined>('exec-1', undefined));
    expect((await verifyReceipt(decision, forExec)).reason).toBe('audience_mismatch');
  });

  it('offlineReceiptCheck keeps the options it was set up with', async () => {
    const { decision } = await signedOf('evil');
    const opts = { secret: SECRET, tenant: 'acme' };
    const check = offlineReceiptCheck(opts);
    opts.tenant = 'evil'; // changed after set-up: the check still accepts acme's decisions only
    expect((await check(decision, { action: { type: 'api.call' } })).reason).toBe('tenant_mismatch');
  });

  it('guard refuses a `verify` that is no receipt check when it is set up', () => {
    const client = { checkCompliance: async () => { throw new Error('not reached'); }, verify: async () => ({ valid: true }) };
    expect(() => guard(client as never, () => ({ action: { type: 'x' } }), () => 1, { verify: 'offline' as never })).toThrow(MGEConfigError);
  });
});

describe('stores and the audit log', () => {
  it('an audit entry whose decision_id changes between reads is indexed under the id its line holds', async () => {
    const log = await AuditLog.open('default', new MemoryAuditStore());
    const entry = { decision_id: 'dec-1', approved: true };
    await log.append(entry);
    const again = withGetter(entry, 'decision_id', changing('dec-1', 'dec-fresh'));
    await expect(log.append(again)).rejects.toThrow(/already in the log/);
    expect(log.size()).toBe(1);
  });

  it('a nonce store refuses what is not a tenant, nonce and expiry (a rejection: the verification is refused)', async () => {
    const store = new MemoryNonceStore();
    expect(await store.consumeOnce('acme', 'n1', Date.now() + 60_000)).toBe('ok');
    await expect(store.consumeOnce(new String('acme') as unknown as string, 'n1', Date.now() + 60_000)).rejects.toThrow(TypeError);
    await expect(store.consumeOnce('acme', 'n2', NaN)).rejects.toThrow(TypeError);
    expect(await store.consumeOnce('acme', 'n1', Date.now() + 60_000)).toBe('replayed');
    expect(() => new MemoryNonceStore(NaN)).toThrow(TypeError);
  });

  it('a rate limiter never hands out tokens for a NaN capacity or rate', () => {
    const limiter = new MemoryRateLimiter();
    expect(() => limiter.take('default\u0000r\u0000k', NaN, 1, Date.now())).toThrow(TypeError);
    expect(() => limiter.take('default\u0000r\u0000k', 1, NaN, Date.now())).toThrow(TypeError);
    expect(limiter.take('default\u0000r\u0000k', 1, 0, Date.now())).toBe(true);
    expect(limiter.take('default\u0000r\u0000k', 1, 0, Date.now())).toBe(false);
  });

  it('putRule parses the text and format it checked', async () => {
    const engine = await createEngine({ rules: [], allowNoRules: true });
    const source = withGetter({ text: 'rule_id: r\nprohibited:\n  - message: no\n    when: action.type == "x"\n', format: 'yaml' as const }, 'format', changing<string>('yaml', 'nonsense'));
    const result = await engine.putRule('default', source as never);
    expect(result.ok).toBe(true);
  });
});

describe('RuleBuilder and AuditLogs take only what a rule file or a tenant name can be', () => {
  it('a string `globs` is one glob, as in a rule file, not one per character', async () => {
    const { RuleBuilder } = await import('../../src/sdk/rule-builder.js');
    const built = new RuleBuilder()
      .createRule({ ruleId: 'no-src-writes', name: 'N', category: 'c', globs: 'src/**' as unknown as string[] })
      .addProhibited('no-src-writes', 'no writes under src', 'action.type == "file.write"');
    const yaml = built.toYaml('no-src-writes');
    expect(yaml).toContain('globs: src/**');
    const engine = await createEngine({ rules: [{ path: 'built.yaml', text: yaml }] });
    const asFile = await createEngine({ rules: [{ path: 'file.yaml', text: 'rule_id: no-src-writes\nname: N\ncategory: c\nglobs: src/**\nprohibited:\n  - message: no writes under src\n    when: action.type == "file.write"\n' }] });
    for (const path of ['src/a.ts', 'src/deep/b.ts', 'README']) {
      const request = { action: { type: 'file.write', path } };
      expect((await engine.evaluate(request)).approved).toBe((await asFile.evaluate(request)).approved);
    }
    expect((await engine.evaluate({ action: { type: 'file.write', path: 'src/a.ts' } })).approved).toBe(false);
  });

  it('a header that is no object, or parameters that hold themselves, are RuleBuildErrors; `__proto__` stays a key', async () => {
    const { RuleBuilder } = await import('../../src/sdk/rule-builder.js');
    const { RuleBuildError } = await import('../../src/sdk/errors.js');
    expect(() => new RuleBuilder().createRule(null as never)).toThrow(RuleBuildError);
    const loop: Record<string, unknown> = { expr: 'true' };
    loop.self = loop;
    const b = new RuleBuilder().createRule({ ruleId: 'r', name: 'R' });
    expect(() => b.addCondition('r', 'expression', loop as never)).toThrow(RuleBuildError);
    const withProto = JSON.parse('{"expr":"true","__proto__":{"x":1}}');
    expect(() => new RuleBuilder().createRule({ ruleId: 'p', name: 'P' }).addCondition('p', 'expression', withProto)).toThrow(/__proto__/);
  });

  it('an audit log is opened for a tenant name, never for a String object', async () => {
    const { AuditLogs } = await import('../../src/audit/logs.js');
    const { MemoryAuditStoreFactory } = await import('../../src/audit/memory-store.js');
    const logs = new AuditLogs(new MemoryAuditStoreFactory());
    await expect(logs.get(new String('acme') as unknown as string)).rejects.toThrow(TypeError);
    expect(await logs.tenants()).toEqual([]);
  });
});

// `mge serve`'s audit log (openNodeAudit) on opening checks each entry after the latest kept
// checkpoint as `mge audit verify` would: a line added or edited in the file while the server
// was down (or between checkpoints) refuses the tenant's log instead of being served in proofs
// and signed into the next checkpoint. The port keeps a checkpoint every so many entries, so
// that tail stays short.
import { appendFile, chmod, cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openNodeAudit, uncoveredWarning } from '../../../src/adapters/node/audit.js';
import { loadOrCreateEd25519Key } from '../../../src/adapters/node/ed25519-key.js';
import { loadOrCreateSecret } from '../../../src/adapters/node/hs256-secret.js';
import { AuditLogs } from '../../../src/audit/logs.js';
import { MemoryAuditStoreFactory } from '../../../src/audit/memory-store.js';
import { auditPort } from '../../../src/http/audit-port.js';
import { nodeCryptoBackend } from '../../../src/adapters/node/crypto.js';
import type { Decision, Json } from '../../../src/ir/types.js';
import { MerkleTree } from '../../../src/audit/merkle-tree.js';
import type { Checkpoint } from '../../../src/audit/checkpoint.js';
import { toHex } from '../../../src/receipt/hash.js';
import { canonicalize } from '../../../src/receipt/jcs.js';
import { createSigner, type Signer } from '../../../src/receipt/sign.js';

const SECRET = 'tail-check-secret-with-more-than-32-bytes';
let base: string;
let clean: string;
let signer: Signer;

function decision(i: number, tenant = 'acme'): Decision {
  return {
    decision_id: `dec-${String(i).padStart(28, '0')}`, approved: i % 2 === 0, reasoning: 'All rules passed', rule_ids: [],
    violations: [], warnings: [], tenant, policy_version: 'sha256:00', timestamp: '2026-11-26T10:30:00.000Z', action_hash: 'cd'.repeat(32),
  };
}
const signed = async (d: Decision) => (await signer.sign(d)) as unknown as Json;

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'mge-tail-'));
  clean = join(base, 'clean');
  signer = await createSigner({ hs256Secret: SECRET, backend: nodeCryptoBackend });
  const audit = await openNodeAudit(clean, signer);
  for (let i = 1; i <= 3; i++) await audit.append('acme', [await signed(decision(i))]);
  await audit.checkpoint('acme'); // covers 3
  for (let i = 4; i <= 5; i++) await audit.append('acme', [await signed(decision(i))]);
  await audit.append('acme', [{ kind: 'rule_change', rule_id: 'r1', op: 'put', policy_version: 'sha256:' + '01'.repeat(32), by: 'key-abc', timestamp: '2026-11-26T10:31:00.000Z' }]);
  await audit.close();
});
afterAll(async () => { await rm(base, { recursive: true, force: true }); });

/** A copy of the clean data dir with acme's log lines edited. */
async function tampered(name: string, edit: (lines: string[]) => Promise<string[]> | string[]): Promise<string> {
  const dir = join(base, name);
  await cp(clean, dir, { recursive: true });
  const file = join(dir, 'audit', 'acme', 'log.jsonl');
  const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
  await writeFile(file, (await edit(lines)).map((l) => l + '\n').join(''));
  return dir;
}

/** What opening the log says: its size, or why it refused. */
async function opening(dir: string, withSigner: Signer = signer, dataDirKeys = false): Promise<string> {
  const audit = await openNodeAudit(dir, withSigner, { dataDirKeys });
  try {
    return `size ${await audit.size('acme')}`;
  } catch (err) {
    return String(err);
  } finally {
    await audit.close().catch(() => undefined);
  }
}

describe('openNodeAudit: entries after the latest checkpoint', () => {
  it('opens a log whose uncovered entries are what the server appended', async () => {
    expect(await opening(await tampered('as-is', (l) => l))).toBe('size 6');
  });

  it('refuses a repeated decision, another tenant\'s decision, a decision edited after signing, a non-canonical line and a rule change with another shape', async () => {
    const cases: Array<[string, (l: string[]) => Promise<string[]> | string[], string]> = [
      ['copy', (l) => [...l, l[1]], 'stored entry 7 (after the latest checkpoint this server can verify) repeats decision `dec-0000000000000000000000000002` of entry 2'],
      ['copy-uncovered', (l) => [...l, l[3]], 'repeats decision `dec-0000000000000000000000000004` of entry 4'],
      ['other-tenant', async (l) => [...l, canonicalize(await signed(decision(9, 'globex')))], 'stored entry 7 (after the latest checkpoint this server can verify): decision of tenant `globex` in the log of tenant `acme`'],
      ['flipped', (l) => [...l.slice(0, 4), canonicalize({ ...JSON.parse(l[4]), approved: true }), l[5]], 'stored entry 5 (after the latest checkpoint this server can verify): decision was changed after signing'],
      ['explained', (l) => [...l.slice(0, 4), canonicalize({ ...JSON.parse(l[4]), explanation: [{ note: 'approved by the CFO' }] }), l[5]], 'stored entry 5 (after the latest checkpoint this server can verify): decision carries an `explanation`, which is never logged'],
      ['reordered', (l) => { const { approved, ...rest } = JSON.parse(l[4]); return [...l.slice(0, 4), JSON.stringify({ ...rest, approved }), l[5]]; }, 'stored entry 5 (after the latest checkpoint this server can verify): not in canonical form'],
      ['rule-change', (l) => [...l.slice(0, 5), canonicalize({ ...JSON.parse(l[5]), note: 'x' })], 'stored entry 6 (after the latest checkpoint this server can verify): rule change entry does not have exactly the SPEC §6 fields'],
      // The right members with values the server never writes (a review, 11-29: these verified, and were checkpointed).
      ['rule-change-op', (l) => [...l, canonicalize({ ...JSON.parse(l[5]), op: 'pat' })], 'stored entry 7 (after the latest checkpoint this server can verify): rule change `op` is neither `put` nor `delete`'],
      ['rule-change-id', (l) => [...l, canonicalize({ ...JSON.parse(l[5]), rule_id: ['a'] })], 'rule change `rule_id` is not a rule id'],
      ['rule-change-by', (l) => [...l, canonicalize({ ...JSON.parse(l[5]), by: 5 })], 'rule change `by` names no one'],
      ['rule-change-version', (l) => [...l, canonicalize({ ...JSON.parse(l[5]), policy_version: null })], 'rule change `policy_version` is not `sha256:` and 64 hex digits'],
      ['rule-change-time', (l) => [...l, canonicalize({ ...JSON.parse(l[5]), timestamp: {} })], 'rule change `timestamp` is not a time as the server writes it'],
      ['rule-change-date', (l) => [...l, canonicalize({ ...JSON.parse(l[5]), timestamp: '2026-02-30T00:00:00.000Z' })], 'rule change `timestamp` is not a time as the server writes it'],
    ];
    for (const [name, edit, expected] of cases) expect(await opening(await tampered(name, edit)), name).toContain(expected);
  });
});

describe('openNodeAudit: a torn last checkpoint line', () => {
  /** Keeps the one checkpoint (size 3) torn before its signature, as a crash while writing it would. */
  async function tornCheckpoint(dir: string): Promise<void> {
    const file = join(dir, 'audit', 'acme', 'checkpoints.jsonl');
    const line = (await readFile(file, 'utf8')).trimEnd();
    await writeFile(file, line.slice(0, line.indexOf('"signature"')));
  }

  it('opens when what it still shows matches the log, and says so', async () => {
    const dir = await tampered('torn-cp', (l) => l);
    await tornCheckpoint(dir);
    const warnings: Array<[string, Record<string, unknown> | undefined]> = [];
    const logger = { info: () => undefined, error: () => undefined, warn: (msg: string, f?: Record<string, unknown>) => void warnings.push([msg, f]) };
    const audit = await openNodeAudit(dir, signer, { logger });
    expect(await audit.size('acme')).toBe(6);
    await audit.close();
    expect(warnings).toContainEqual([expect.stringContaining('the checkpoints file ends in a torn line'), expect.objectContaining({ tenant: 'acme', tree_size: 3, matches_log: true })]);
  });

  it('refuses a log changed under the size and root it still shows', async () => {
    const dir = await tampered('torn-cp-swapped', (l) => [l[1], l[0], ...l.slice(2)]);
    await tornCheckpoint(dir);
    expect(await opening(dir)).toContain('the checkpoints file ends in a torn line (tree size 3) whose root the first 3 entries no longer hash to: the log was changed');
    const short = await tampered('torn-cp-short', (l) => l.slice(0, 2));
    await tornCheckpoint(short);
    expect(await opening(short)).toContain('the checkpoints file ends in a torn line (tree size 3), but the log holds only 2 entries');
    // Its size alone, the root cut off (a review, 11-29: not looked at then).
    const sizeOnly = await tampered('torn-cp-size-only', (l) => l.slice(0, 2));
    await writeFile(join(sizeOnly, 'audit', 'acme', 'checkpoints.jsonl'), '{"tree_size":3,"root_ha');
    expect(await opening(sizeOnly)).toContain('the checkpoints file ends in a torn line (tree size 3), but the log holds only 2 entries');
  });
});

describe('openNodeAudit: uncovered rule changes', () => {
  it('takes a well-formed one (unsigned: its own after a crash looks the same) and says so in the log', async () => {
    const warnings: Array<[string, Record<string, unknown> | undefined]> = [];
    const logger = { info: () => undefined, error: () => undefined, warn: (msg: string, f?: Record<string, unknown>) => void warnings.push([msg, f]) };
    const audit = await openNodeAudit(await tampered('rule-change-tail', (l) => l), signer, { logger });
    expect(await audit.size('acme')).toBe(6);
    await audit.close();
    expect(warnings).toEqual([[expect.stringContaining('a rule change after the latest checkpoint is taken as written'), expect.objectContaining({ tenant: 'acme', rule_id: 'r1', op: 'put', by: 'key-abc' })]]);
  });

  // A review (11-28): after a crash amid API changes, every start said each of thousands.
  it('says the first five one by one and counts the rest in one line', async () => {
    const change = (i: number) => canonicalize({ kind: 'rule_change', rule_id: `r${i}`, op: 'put', policy_version: 'sha256:' + '01'.repeat(32), by: 'key-abc', timestamp: '2026-11-26T10:31:00.000Z' });
    const warnings: Array<[string, Record<string, unknown> | undefined]> = [];
    const logger = { info: () => undefined, error: () => undefined, warn: (msg: string, f?: Record<string, unknown>) => void warnings.push([msg, f]) };
    const audit = await openNodeAudit(await tampered('rule-change-many', (l) => [...l, ...Array.from({ length: 40 }, (_, i) => change(i + 2))]), signer, { logger });
    expect(await audit.size('acme')).toBe(46);
    await audit.close();
    const said = warnings.filter(([m]) => m.includes('taken as written'));
    expect(said.map(([, f]) => f?.rule_id ?? f?.rule_changes)).toEqual(['r1', 'r2', 'r3', 'r4', 'r5', 41]);
    expect(said[5][0]).toContain('36 more rule changes after the latest checkpoint were taken as written');
  });
});

describe('openNodeAudit: uncovered entries signed by a key the server does not hold', () => {
  it('refuses them (any kid can be written on a forged entry), saying how to give back a rotated key', async () => {
    const rotated = await createSigner({ hs256Secret: 'another-secret-with-more-than-32-bytes-!!', backend: nodeCryptoBackend });
    const dir = await tampered('rotated', (l) => l);
    const refused = await opening(dir, rotated);
    // Its checkpoint (covering 3) is the old key's too: every entry is checked, the first refused.
    expect(refused).toContain(`stored entry 1 (after the latest checkpoint this server can verify): its receipt is signed with key \`${signer.kid}\`, which this server does not hold`);
    expect(refused).toContain('MGE_PREVIOUS_SECRET_KEYS');
    // With the old key given back (as MGE_PREVIOUS_SECRET_KEYS does), it opens.
    const both = await createSigner({ hs256Secret: 'another-secret-with-more-than-32-bytes-!!', backend: nodeCryptoBackend, extraVerificationKeys: [signer.keys.get(signer.kid)!] });
    expect(await opening(dir, both)).toBe('size 6');
  });
});

describe('openNodeAudit: the latest kept checkpoint', () => {
  /**
   * A copy of the clean data dir with a second checkpoint beside the real one (covering 3):
   * over all 6 entries, its root right, the real one's other fields with `over` on top.
   */
  async function withForgedCheckpoint(name: string, over: Record<string, unknown>): Promise<string> {
    const dir = join(base, name);
    await cp(clean, dir, { recursive: true });
    const tree = new MerkleTree(nodeCryptoBackend.sha256);
    for (const l of (await readFile(join(dir, 'audit', 'acme', 'log.jsonl'), 'utf8')).trimEnd().split('\n')) void tree.appendEntry(l);
    const file = join(dir, 'audit', 'acme', 'checkpoints.jsonl');
    const [real] = (await readFile(file, 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const forged = { ...real, tree_size: 6, root_hash: toHex(await tree.root(6)), ...over };
    await writeFile(file, [real, forged].map((c) => canonicalize(c as Json) + '\n').join(''));
    return dir;
  }

  it('refuses one whose signature does not verify under a key the server holds (a checkpoint forged for a forged entry)', async () => {
    // The real one's signature copied in: what a forger without the key can write.
    const dir = await withForgedCheckpoint('forged-checkpoint', {});
    expect(await opening(dir)).toContain('its latest checkpoint (tree size 6) does not carry a valid signature (bad_signature)');
  });

  it('refuses one under a made-up kid after a checkpoint the server can verify (no rotation leaves that)', async () => {
    const dir = await withForgedCheckpoint('made-up-kid', { kid: 'hs256-0123456789abcdef', signature: 'AAAA' });
    expect(await opening(dir)).toContain('is signed with key `hs256-0123456789abcdef`, which this server does not hold, after a checkpoint signed with one it holds');
  });

  // A review (11-27): a checkpoints file rewritten to one line under a made-up kid, over a log
  // with an edited decision, opened with a warning; the entries it covered were not checked.
  it('checks one by one the entries only a checkpoint it cannot verify covers: an edited one refuses the log', async () => {
    const dir = await tampered('made-up-kid', (lines) => lines.map((l, i) => (i === 0 ? canonicalize({ ...JSON.parse(l), approved: true }) : l)));
    const tree = new MerkleTree(nodeCryptoBackend.sha256);
    for (const l of (await readFile(join(dir, 'audit', 'acme', 'log.jsonl'), 'utf8')).trimEnd().split('\n')) void tree.appendEntry(l);
    const file = join(dir, 'audit', 'acme', 'checkpoints.jsonl');
    const [real] = (await readFile(file, 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    await writeFile(file, canonicalize({ ...real, tree_size: 6, root_hash: toHex(await tree.root(6)), kid: 'hs256-0000000000000000', signature: 'AAAA' } as Json) + '\n');
    expect(await opening(dir)).toContain('stored entry 1 (after the latest checkpoint this server can verify): decision was changed after signing');
  });

  // The review of that rule (11-27): a checkpoint validly signed for another tenant covered a
  // log copied from that tenant; and a trusted checkpoint below a latest one under a made-up kid
  // spared edited entries their check while its own root was never compared.
  it('refuses a checkpoint of another tenant, and matches the root of the checkpoint it trusts', async () => {
    const dir = await tampered('other-tenant-cp', (l) => l);
    const file = join(dir, 'audit', 'acme', 'checkpoints.jsonl');
    const [real] = (await readFile(file, 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l) as Checkpoint);
    await appendFile(file, JSON.stringify(await signer.signCheckpoint({ tenant: 'beta', tree_size: real.tree_size, root_hash: real.root_hash, timestamp: real.timestamp })) + '\n');
    expect(await opening(dir)).toContain('its checkpoints file holds a checkpoint of tenant `beta`');

    const edited = await tampered('trusted-not-latest', (lines) => lines.map((l, i) => (i === 0 ? canonicalize({ ...JSON.parse(l), approved: true }) : l)));
    const tree = new MerkleTree(nodeCryptoBackend.sha256);
    for (const l of (await readFile(join(edited, 'audit', 'acme', 'log.jsonl'), 'utf8')).trimEnd().split('\n')) void tree.appendEntry(l);
    // The real checkpoint (3) re-signed by the data dir's Ed25519 key (trusted: dataDirKeys), a
    // latest (6) under a made-up kid over the edited log.
    const ed = await createSigner({ alg: 'Ed25519', ed25519: { privateJwk: await loadOrCreateEd25519Key(edited) }, backend: nodeCryptoBackend });
    const byEd = await ed.signCheckpoint({ tenant: 'acme', tree_size: real.tree_size, root_hash: real.root_hash, timestamp: real.timestamp });
    const madeUp = { ...real, tree_size: 6, root_hash: toHex(await tree.root(6)), kid: 'hs256-0000000000000000', signature: 'AAAA' };
    await writeFile(join(edited, 'audit', 'acme', 'checkpoints.jsonl'), [byEd, madeUp].map((c) => canonicalize(c as unknown as Json) + '\n').join(''));
    expect(await opening(edited, signer, true)).toContain('the first 3 entries no longer hash to the root of the latest checkpoint it can verify');
  });

  it('after a rotation, opens with the old key given back for one start (and says its latest checkpoint is not its own)', async () => {
    const rotatedCleanly = join(base, 'rotated-clean');
    await cp(clean, rotatedCleanly, { recursive: true });
    const before = await openNodeAudit(rotatedCleanly, signer);
    await before.checkpoint('acme'); // covers all 6: a clean stop
    await before.close();
    const rotated = await createSigner({ hs256Secret: 'another-secret-with-more-than-32-bytes-!!', backend: nodeCryptoBackend });
    expect(await opening(rotatedCleanly, rotated)).toContain('MGE_PREVIOUS_SECRET_KEYS'); // nothing it can verify
    const withOld = await createSigner({ hs256Secret: 'another-secret-with-more-than-32-bytes-!!', backend: nodeCryptoBackend, extraVerificationKeys: [signer.keys.get(signer.kid)!] });
    const audit = await openNodeAudit(rotatedCleanly, withOld);
    expect(await audit.size('acme')).toBe(6);
    await audit.checkpoint('acme'); // under the new key: the next start needs the old one no more
    await audit.close();
    expect(await opening(rotatedCleanly, rotated)).toBe('size 6');
  });
});

describe('auditPort: a checkpoint every `checkpointEvery` entries', () => {
  it('keeps one in the background once a log grew that much past its last, bounding what a restart checks one by one', async () => {
    const factory = new MemoryAuditStoreFactory();
    const port = auditPort(new AuditLogs(factory), signer, { checkpointEvery: 5 });
    for (let i = 1; i <= 12; i++) await port.appendSigned('acme', [await signer.signAudited(decision(i))]);
    await port.append('acme', [{ kind: 'rule_change', rule_id: 'r1', op: 'put', policy_version: 'sha256:' + '01'.repeat(32), by: 'key-abc', timestamp: '2026-11-26T10:31:00.000Z' }]);
    await port.close(); // waits for a checkpoint still being kept
    const kept = (await factory.stores.get('acme')!.checkpoints()).map((c) => c.tree_size);
    expect(kept).toEqual([5, 10]);
  });

  // A fault-injection review (11-29): a checkpoints file that could not be written (an
  // immutable directory) failed no append and was never said; the log grew uncovered.
  it('tells a checkpoint it could not keep, and the appends go on', async () => {
    const factory = new MemoryAuditStoreFactory();
    const failed: Array<[string, string]> = [];
    const port = auditPort(new AuditLogs(factory), signer, { checkpointEvery: 2, onCheckpointFailed: (tenant, err) => failed.push([tenant, String(err)]) });
    await port.appendSigned('acme', [await signer.signAudited(decision(1))]);
    factory.stores.get('acme')!.appendCheckpoint = () => Promise.reject(new Error('EPERM: operation not permitted'));
    for (let i = 2; i <= 4; i++) await port.appendSigned('acme', [await signer.signAudited(decision(i))]);
    expect(await port.size('acme')).toBe(4);
    await port.close();
    expect(failed.length).toBeGreaterThanOrEqual(1);
    expect(failed[0]).toEqual(['acme', 'Error: EPERM: operation not permitted']);
  });
});

describe('openNodeAudit: a gap no checkpoint covers, wider than the server leaves', () => {
  const opened = async (dir: string) => {
    const warnings: string[] = [];
    const logger = { info: () => undefined, error: () => undefined, warn: (msg: string) => void warnings.push(msg) };
    const audit = await openNodeAudit(dir, signer, { logger });
    expect(await audit.size('acme')).toBe(6);
    await audit.close();
    return warnings.filter((w) => !w.includes('rule change')).join('\n');
  };

  it('says so when the checkpoints file is gone (the log under it could have been rewritten)', async () => {
    const dir = await tampered('no-checkpoints', (l) => l);
    await rm(join(dir, 'audit', 'acme', 'checkpoints.jsonl'));
    expect(await opened(dir)).toBe('audit log: no checkpoint anchors its 6 entries (a crash before the first one, or the checkpoints file was removed); compare with a checkpoint kept outside the data directory (`mge audit verify --checkpoint FILE`)');
    expect(await opened(await tampered('tail-only', (l) => l))).toBe(''); // 3 after the checkpoint: a crash's tail
  });

  it('says so past CHECKPOINT_EVERY entries after the newest checkpoint, not for a shorter tail', () => {
    expect(uncoveredWarning(20_000, 3_000)).toMatch(/^audit log: 17000 entries after the newest checkpoint, more than the 10000 this server leaves between two/);
    expect(uncoveredWarning(13_000, 3_000)).toBeUndefined();
    expect(uncoveredWarning(0, 0)).toBeUndefined();
  });
});

describe('openNodeAudit: a data dir that switched receipt algorithms', () => {
  it('opens after HS256 → Ed25519 → HS256, with checkpoints by both keys, and checks the tail under the key not signing now', async () => {
    const dir = join(base, 'switched');
    await mkdir(dir);
    const hs = await createSigner({ hs256Secret: (await loadOrCreateSecret(undefined, dir)).secret, backend: nodeCryptoBackend });
    const ed = await createSigner({ alg: 'Ed25519', ed25519: { privateJwk: await loadOrCreateEd25519Key(dir) }, backend: nodeCryptoBackend });
    const run = async (s: Signer, from: number, clean: boolean) => {
      const audit = await openNodeAudit(dir, s, { dataDirKeys: true });
      for (let i = from; i < from + 2; i++) await audit.append('acme', [(await s.sign(decision(i))) as unknown as Json]);
      if (clean) await audit.checkpoint('acme');
      await audit.close();
    };
    await run(hs, 1, true);
    await run(ed, 3, true); // its checkpoint is the newest, after one the HS256 key signed
    expect(await opening(dir, hs, true)).toBe('size 4');
    await run(hs, 5, false); // a crash: two HS256 entries after the Ed25519 checkpoint
    await run(ed, 7, false); // and two Ed25519 ones after those
    expect(await opening(dir, hs, true)).toBe('size 8');
    expect(await opening(dir, ed, true)).toBe('size 8');
  });

  // A review (11-27): with the signing secret kept outside the data dir (MGE_SECRET_KEY), a key
  // file dropped into the data dir verified a forged approval appended to the log; the server
  // opened it, proved it and signed a checkpoint over it with the real secret.
  it.each([
    ['secret.key', 'HS256'],
    ['ed25519.jwk', 'Ed25519'],
  ])('does not trust a %s dropped into a data dir whose signing key is kept elsewhere', async (file, alg) => {
    const dir = await tampered(`planted-${file}`, async (lines) => {
      // Written by hand: the start makes no secret.key where the logs were signed with HS256.
      const secret = 'a-secret-someone-else-planted-in-the-data-dir';
      if (alg === 'HS256') await writeFile(join(base, `planted-${file}`, 'secret.key'), `${secret}\n`);
      const planted = alg === 'HS256'
        ? await createSigner({ hs256Secret: secret, backend: nodeCryptoBackend })
        : await createSigner({ alg: 'Ed25519', ed25519: { privateJwk: await loadOrCreateEd25519Key(join(base, `planted-${file}`)) }, backend: nodeCryptoBackend });
      return [...lines, canonicalize((await planted.sign({ ...decision(7), approved: true })) as unknown as Json)];
    });
    expect(await opening(dir, signer, true)).toBe('size 7'); // as a data dir holding its own key would be read
    expect(await opening(dir)).toMatch(/entry 7 .*signed with key `(hs256-[0-9a-f]{16}|[A-Za-z0-9_-]{43})`, which this server does not hold/);
  });

  it('still opens after two rotations of MGE_SECRET_KEY that began on the kept secret.key (a review: refused as a forgery)', async () => {
    const dir = join(base, 'rotated-twice');
    await mkdir(dir);
    const kept = await createSigner({ hs256Secret: (await loadOrCreateSecret(undefined, dir)).secret, backend: nodeCryptoBackend });
    // Each rotation gives the key before it back for its first start (MGE_PREVIOUS_SECRET_KEYS).
    const first = await createSigner({ hs256Secret: 'first-rotation-secret-with-more-than-32-bytes', backend: nodeCryptoBackend, extraVerificationKeys: [kept.keys.get(kept.kid)!] });
    for (const [i, s] of [kept, first].entries()) {
      const audit = await openNodeAudit(dir, s);
      await audit.append('acme', [(await s.sign(decision(i + 1))) as unknown as Json]);
      await audit.checkpoint('acme'); // a clean stop
      await audit.close();
    }
    // The newest checkpoint is by `first`, given back as a previous key; the older one by the
    // kept secret.key verifies, but that key is older, not a key this server moved on from.
    const secondWithFirst = await createSigner({ hs256Secret: 'second-rotation-secret-with-more-than-32-bytes', backend: nodeCryptoBackend, extraVerificationKeys: [first.keys.get(first.kid)!] });
    expect(await opening(dir, secondWithFirst)).toBe('size 2');
  });

  it('goes on without a data-dir key file that does not read, and says so', async () => {
    const dir = join(base, 'bad-jwk');
    await mkdir(dir);
    await writeFile(join(dir, 'ed25519.jwk'), '{"kty":"OKP"');
    const warnings: string[] = [];
    const logger = { info: () => undefined, error: () => undefined, warn: (msg: string) => void warnings.push(msg) };
    const audit = await openNodeAudit(dir, signer, { logger, dataDirKeys: true });
    await audit.append('acme', [await signed(decision(1))]);
    expect(await audit.size('acme')).toBe(1);
    await audit.close();
    expect(warnings).toContain('a key file in the data directory cannot be read or is not trusted; audit entries it signed cannot be checked at start');
  });

  // A review (11-27): with the Ed25519 key kept elsewhere behind a link, a `secret.key` another
  // user dropped into the group-writable data dir verified a forged entry.
  it('trusts only a key file of this user that others may not write, not a link', async () => {
    for (const how of ['link', 'writable'] as const) {
      const dir = await tampered(`planted-${how}`, async (lines) => {
        const away = join(base, `away-${how}`);
        await mkdir(away, { recursive: true });
        const forger = await createSigner({ alg: 'Ed25519', ed25519: { privateJwk: await loadOrCreateEd25519Key(away) }, backend: nodeCryptoBackend });
        return [...lines, canonicalize((await forger.sign({ ...decision(7), approved: true })) as unknown as Json)];
      });
      const key = join(dir, 'ed25519.jwk');
      if (how === 'link') await symlink(join(base, `away-${how}`, 'ed25519.jwk'), key);
      else {
        await cp(join(base, `away-${how}`, 'ed25519.jwk'), key);
        await chmod(key, 0o666);
      }
      expect(await opening(dir, signer, true), how).toMatch(/entry 7 .*which this server does not hold/);
    }
  });
});

describe('openNodeAudit: bytes that are not UTF-8', () => {
  it('refuses a log line whose bad byte stands where a U+FFFD was logged (it decodes to the same text)', async () => {
    const dir = join(base, 'fffd');
    const audit = await openNodeAudit(dir, signer);
    for (let i = 1; i <= 2; i++) await audit.append('acme', [await signed({ ...decision(i), audience: 'exec-\ufffd' })]);
    await audit.checkpoint('acme');
    await audit.close();
    expect(await opening(dir)).toBe('size 2');
    const file = join(dir, 'audit', 'acme', 'log.jsonl');
    const bytes = await readFile(file);
    const at = bytes.indexOf(Buffer.from('\ufffd'));
    await writeFile(file, Buffer.concat([bytes.subarray(0, at), Buffer.from([0xff]), bytes.subarray(at + 3)]));
    expect(await opening(dir)).toContain('line 1 of the audit log `' + file + '` is not valid UTF-8, so not the text that was logged');
  });
});

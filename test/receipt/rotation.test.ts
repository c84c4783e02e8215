// Rotating the HS256 secret of `mge serve` (SPEC §5: several keys accepted at once): the new
// secret signs; secrets listed in MGE_PREVIOUS_SECRET_KEYS still verify what they signed, at
// the verify endpoint's core and in `mge audit verify`.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditLogs } from '../../src/audit/logs.js';
import { MemoryAuditStoreFactory } from '../../src/audit/memory-store.js';
import { auditCommand } from '../../src/cli/audit.js';
import type { Decision, Json } from '../../src/ir/types.js';
import { hs256VerificationKeys } from '../../src/receipt/keys.js';
import { createSigner } from '../../src/receipt/sign.js';
import { verifyReceipt } from '../../src/receipt/verify.js';

const OLD = 'the-secret-used-before-the-rotation-0000';
const NEW = 'the-secret-used-after-the-rotation-11111';
const decision = (id: string): Decision => ({
  decision_id: id, approved: true, reasoning: 'All rules passed', rule_ids: [], violations: [], warnings: [],
  tenant: 'acme', policy_version: 'sha256:00', timestamp: '2026-11-26T10:00:00.000Z', action_hash: 'ab'.repeat(32),
});

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  delete process.env.MGE_SECRET_KEY;
  delete process.env.MGE_PREVIOUS_SECRET_KEYS;
});

describe('HS256 rotation', () => {
  it('verifies receipts of the previous secret, signs only with the new one', async () => {
    const before = await createSigner({ hs256Secret: OLD });
    const after = await createSigner({ hs256Secret: NEW, extraVerificationKeys: await hs256VerificationKeys(` ${OLD} ,`) });
    const old = await before.sign(decision('dec-1'));
    const fresh = await after.sign(decision('dec-2'));
    expect(fresh.receipt.kid).not.toBe(old.receipt.kid);
    expect((await verifyReceipt(old, { keys: after.keys })).valid).toBe(true);
    expect((await verifyReceipt(old, { keys: (await createSigner({ hs256Secret: NEW })).keys })).reason).toBe('unknown_kid');
    await expect(hs256VerificationKeys('too-short')).rejects.toThrow('at least 32 are required');
    // Named, with the entry: the operator would look for the short secret in MGE_SECRET_KEY.
    for (const [sep, named] of [[';', '`;`'], [' ', 'white space'], ['\t', 'white space'], ['\n', 'a newline'], ['|', '`|`'], [':', '`:`']]) {
      const glued = hs256VerificationKeys(`${'x'.repeat(40)},${OLD}${sep}${NEW}`);
      await expect(glued).rejects.toThrow(`MGE_PREVIOUS_SECRET_KEYS entry 2 reads as 2 secrets joined by ${named}; separate secrets with commas`);
      await expect(hs256VerificationKeys(`${OLD}${sep}${NEW}`)).rejects.not.toThrow(OLD);
    }
    // A passphrase with spaces between short words is one secret, and so is any secret of
    // printable text MGE_SECRET_KEY takes (a re-review, 11-28: `|` between two long runs of symbols).
    expect(await hs256VerificationKeys('correct horse battery staple and more words')).toHaveLength(1);
    const symbols = `${'!@#$%^&*()'.repeat(7)}|${'<>?~[]{}'.repeat(6)}`;
    expect(await hs256VerificationKeys(symbols)).toHaveLength(1);
    await expect(hs256VerificationKeys(`${'x'.repeat(40)},too-short`)).rejects.toThrow('MGE_PREVIOUS_SECRET_KEYS entry 2: HS256 secret has 9 bytes; at least 32 are required (make one: `openssl rand -base64 48`)');
  });

  it('mge audit verify takes the previous secrets from MGE_PREVIOUS_SECRET_KEYS', async () => {
    const before = await createSigner({ hs256Secret: OLD });
    const after = await createSigner({ hs256Secret: NEW, extraVerificationKeys: await hs256VerificationKeys(OLD) });
    const log = await new AuditLogs(new MemoryAuditStoreFactory()).get('acme');
    await log.append((await before.sign(decision('dec-1'))) as unknown as Json);
    await log.append((await after.sign(decision('dec-2'))) as unknown as Json);
    dir = await mkdtemp(join(tmpdir(), 'mge-rotation-'));
    let text = '';
    for await (const l of log.export()) text += l;
    await writeFile(join(dir, 'export.jsonl'), text);
    await writeFile(join(dir, 'cp.json'), JSON.stringify(await log.checkpoint(after)));
    const run = async () => {
      let out = '';
      const code = await auditCommand(['verify', '--export', join(dir!, 'export.jsonl'), '--checkpoint', join(dir!, 'cp.json')], { out: (s) => { out += s; }, err: (s) => { out += s; } });
      return { code, out };
    };
    process.env.MGE_SECRET_KEY = NEW;
    const without = await run();
    expect(without.code).toBe(1);
    expect(without.out).toContain('entry 1: receipt key');
    process.env.MGE_PREVIOUS_SECRET_KEYS = OLD;
    expect(await run()).toMatchObject({ code: 0 });
  });
});

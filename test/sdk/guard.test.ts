// The guard's protocol with a recording client: describe → check → (deny | verify) → run.
// The end-to-end suite repeats the refusing and allowing cases against the real server.

import { describe, expect, it } from 'vitest';
import { ActionDenied, guard, MGEConfigError, offlineReceiptCheck, ReceiptRejected, type GuardClient } from '../../src/sdk/index.js';
import { generateEd25519Jwk } from '../../src/receipt/keys.js';
import type { Decision } from '../../src/ir/types.js';

function decisionOf(approved: boolean): Decision {
  return {
    decision_id: 'dec-7', approved, reasoning: approved ? 'All rules passed' : 'Denied by no-drop: dropping tables',
    rule_ids: ['no-drop'],
    violations: approved ? [] : [{ rule_id: 'no-drop', clause: 'prohibited[0]', code: 'prohibited', message: 'dropping tables', effect: 'deny', severity: 'high' }],
    warnings: [], tenant: 'default', policy_version: 'sha256:00', timestamp: '2026-11-25T00:00:00.000Z', action_hash: 'ab',
  };
}

function recordingClient(approved: boolean, verdict: { valid: boolean; reason?: string; approved?: boolean }) {
  const log: string[] = [];
  const client: GuardClient = {
    async checkCompliance(action, context, opts) {
      log.push(`check ${JSON.stringify(action)} ${JSON.stringify(context)} ${opts?.audience ?? '-'}`);
      return decisionOf(approved);
    },
    async verify(_d, opts) {
      log.push(`verify ${JSON.stringify(opts?.action)}`);
      return verdict;
    },
  };
  return { client, log };
}

const describeDrop = (table: string) => ({ action: { type: 'db.drop', table }, context: { env: 'prod' }, audience: 'executor-1' });

describe('guard', () => {
  it('runs the function only after an approval whose receipt verifies', async () => {
    const { client, log } = recordingClient(true, { valid: true });
    const run = guard(client, describeDrop, async (table: string) => {
      log.push(`run ${table}`);
      return `dropped ${table}`;
    });
    await expect(run('tmp')).resolves.toBe('dropped tmp');
    expect(log).toEqual([
      'check {"type":"db.drop","table":"tmp"} {"env":"prod"} executor-1',
      'verify {"type":"db.drop","table":"tmp"}',
      'run tmp',
    ]);
  });

  it('throws ActionDenied with violations and reasoning, and never runs the function', async () => {
    const { client, log } = recordingClient(false, { valid: true });
    const run = guard(client, describeDrop, (table: string) => log.push(`run ${table}`));
    const e = (await run('users').catch((x: unknown) => x)) as ActionDenied;
    expect(e).toBeInstanceOf(ActionDenied);
    expect(e.reasoning).toBe('Denied by no-drop: dropping tables');
    expect(e.violations.map((v) => v.rule_id)).toEqual(['no-drop']);
    expect(e.decision.decision_id).toBe('dec-7');
    expect(log).toEqual(['check {"type":"db.drop","table":"users"} {"env":"prod"} executor-1']);
  });

  it('throws ReceiptRejected with the reason when the receipt does not verify', async () => {
    const { client, log } = recordingClient(true, { valid: false, reason: 'replayed' });
    const run = guard(client, describeDrop, (table: string) => log.push(`run ${table}`));
    const e = (await run('tmp').catch((x: unknown) => x)) as ReceiptRejected;
    expect(e).toBeInstanceOf(ReceiptRejected);
    expect(e.reason).toBe('replayed');
    expect(log.some((l) => l.startsWith('run'))).toBe(false);
  });

  it('throws ActionDenied when the verifier read a denial in the decision it verified', async () => {
    const { client, log } = recordingClient(true, { valid: true, approved: false });
    const run = guard(client, describeDrop, (table: string) => log.push(`run ${table}`));
    expect(await run('tmp').catch((x: unknown) => x)).toBeInstanceOf(ActionDenied);
    expect(log.some((l) => l.startsWith('run'))).toBe(false);
    // Anything but a literal `true`, when it says (a review, 11-29: `"no"` ran fn).
    for (const approved of ['no', 1, null, 'true']) {
      const custom = guard(client, describeDrop, (table: string) => log.push(`run ${table}`), { verify: async () => ({ valid: true, approved: approved as unknown as boolean }) });
      expect(await custom('tmp').catch((x: unknown) => x), String(approved)).toBeInstanceOf(ActionDenied);
    }
    expect(log.some((l) => l.startsWith('run'))).toBe(false);
  });

  // A review (11-29): each call asked MGE (a decision logged, an approval issued), then failed.
  it('asks MGE nothing when the offline check\'s keys do not import', async () => {
    const privateJwk = await generateEd25519Jwk();
    for (const keys of [{ secret: 'too short' }, { jwks: { keys: [privateJwk] } }]) {
      const { client, log } = recordingClient(true, { valid: true });
      const run = guard(client, describeDrop, (table: string) => log.push(`run ${table}`), { verify: offlineReceiptCheck({ tenant: 'default', ...keys }) });
      await expect(run('tmp'), JSON.stringify(keys)).rejects.toBeInstanceOf(MGEConfigError);
      expect(log).toEqual([]);
    }
  });

  it('refuses a receipt check whose `ready` is not a function when the guard is made', () => {
    const { client } = recordingClient(true, { valid: true });
    const check = Object.assign(async () => ({ valid: true }), { ready: 'yes' });
    expect(() => guard(client, describeDrop, () => 'ok', { verify: check as never })).toThrow(MGEConfigError);
  });

  it('uses a given offline check instead of the server, with the described action', async () => {
    const { client, log } = recordingClient(true, { valid: true });
    const seen: unknown[] = [];
    const run = guard(client, describeDrop, () => 'ok', {
      verify: async (d, input) => {
        seen.push([d.decision_id, input]);
        return { valid: true };
      },
    });
    await run('t');
    expect(seen).toEqual([['dec-7', describeDrop('t')]]);
    expect(log.some((l) => l.startsWith('verify'))).toBe(false);
  });
});

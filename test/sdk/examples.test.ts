// The examples are run, not just kept: each against the real sidecar — `mge serve` in its own
// process on 127.0.0.1, serving the repository's ./rules as `npm start` does — signing with
// Ed25519 (MGE_RECEIPT_ALG) and requiring an API key (MGE_API_KEYS).

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MGEClient, type Decision } from '../../src/sdk/index.js';
import { startSidecarProcess, type SidecarProcess } from './sidecar-process.js';

const run = promisify(execFile);
const CHECKER_KEY = 'sdk-examples-checker-key-0000000001';
let server: SidecarProcess;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  server = await startSidecarProcess({ MGE_RECEIPT_ALG: 'Ed25519', MGE_API_KEYS: `default:checker:${CHECKER_KEY}` });
  env = { ...process.env, MGE_URL: server.url, MGE_API_KEY: CHECKER_KEY };
});
afterAll(() => server.stop());

/** Runs an example to completion with `input` on stdin; its stdout. */
function example(cmd: string, args: string[], input = '', extraEnv: NodeJS.ProcessEnv = {}): Promise<string> {
  const child = run(cmd, args, { env: { ...env, ...extraEnv }, timeout: 60_000 });
  child.child.stdin?.end(input);
  return child.then((r) => r.stdout);
}

const tsx = (file: string, input?: string, extraEnv?: NodeJS.ProcessEnv) => example('node_modules/.bin/tsx', [file], input, extraEnv);

describe('examples', () => {
  it('agent.ts: checks, then runs only the guarded write the rules allow', async () => {
    const out = (await tsx('examples/agent.ts')).split('\n');
    expect(out[0]).toMatch(/^approved db\.read: All rules passed \(dec-/);
    expect(out.slice(1, 3)).toEqual([
      'denied db.write: Denied by db-access-control: Direct database modifications in production',
      '  db-access-control prohibited[0] [critical] Direct database modifications in production',
    ]);
    expect(out).toContain('wrote 8 bytes to /workspace/notes.md');
    expect(out.find((l) => l.startsWith('refused /workspace/deploy.sh: Denied by file-access:'))).toBeDefined();
    expect(out).toContain('files written: /workspace/notes.md');
  });

  it('curl.sh: the same check gives the same denial', async () => {
    const decision = JSON.parse(await example('bash', ['examples/curl.sh'])) as Decision;
    expect(decision).toMatchObject({
      approved: false,
      reasoning: 'Denied by db-access-control: Direct database modifications in production',
      receipt: { alg: 'Ed25519' },
    });
  });

  it('curl.sh: a bad key fails with the problem+json on stdout and a non-zero exit', async () => {
    const e = (await example('bash', ['examples/curl.sh'], '', { MGE_API_KEY: 'wrong' }).catch((x: unknown) => x)) as { code: number; stdout: string };
    expect(e.code).toBe(22);
    expect(JSON.parse(e.stdout)).toMatchObject({ status: 401, title: 'Unauthorized' });
  });

  it('verify-offline.ts: executes a genuine approval once, refuses replays, forgeries, denials and other actions', async () => {
    const client = new MGEClient(server.url, { apiKey: CHECKER_KEY });
    const write = { type: 'file.write', path: '/workspace/a.md' };
    const ok = await client.checkCompliance(write, { agent_id: 'agent-7' });
    const denied = await client.checkCompliance({ type: 'file.write', path: '/etc/passwd' }, { agent_id: 'agent-7' });
    const lines = [
      { decision: ok, action: write, context: { agent_id: 'agent-7' } },
      { decision: ok, action: write, context: { agent_id: 'agent-7' } },
      { decision: { ...denied, approved: true, violations: [] }, action: { type: 'file.write', path: '/etc/passwd' }, context: { agent_id: 'agent-7' } },
      { decision: denied, action: { type: 'file.write', path: '/etc/passwd' }, context: { agent_id: 'agent-7' } },
      { decision: ok, action: { type: 'file.write', path: '/workspace/b.md' }, context: { agent_id: 'agent-7' } },
      { decision: await client.checkCompliance(write, { agent_id: 'agent-7' }) }, // no action to check against (a review: executed)
      { action: write }, // no decision (a review: a TypeError, exit 1)
      null, // not an object, and then not JSON (a review, 11-29: each ended the loop with a stack trace)
    ];
    const out = (await tsx('examples/verify-offline.ts', lines.map((l) => JSON.stringify(l)).join('\n') + '\nnot json\n' + JSON.stringify(lines[0]) + '\n')).trim().split('\n');
    expect(out[0]).toMatch(/^trusting 1 Ed25519 key\(s\): /);
    expect(out.slice(1)).toEqual([
      `executing ${ok.decision_id}: ${JSON.stringify(write)}`,
      `refused ${ok.decision_id}: receipt replayed`,
      `refused ${denied.decision_id}: receipt decision_mismatch`,
      `refused ${denied.decision_id}: ${denied.reasoning}`,
      `refused ${ok.decision_id}: receipt action_mismatch`,
      expect.stringMatching(/^refused dec-\w+: the line names no action to check the receipt against$/),
      'refused: the line holds no decision',
      'refused: the line holds no decision',
      'refused: the line is not JSON',
      `refused ${ok.decision_id}: receipt replayed`, // still reading after them
    ]);
  });
});

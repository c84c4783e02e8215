// The SDK claims Node, Deno and Bun alike: the agent and the offline verifier examples run
// unchanged under Bun and Deno (their binaries ship as npm packages) against the real server.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRulesDir } from '../../src/adapters/node/files.js';
import { MGEClient } from '../../src/sdk/index.js';
import { startLiveServer, type LiveServer } from './live-server.js';

const run = promisify(execFile);
let server: LiveServer;

beforeAll(async () => {
  server = await startLiveServer({ alg: 'Ed25519', rules: await readRulesDir('rules') });
});
afterAll(() => server.close());

// Deno resolves `./x.js` to `./x.ts` (as tsc and Bun do) only with sloppy imports.
const RUNTIMES: Record<string, (file: string) => [string, string[]]> = {
  bun: (file) => ['node_modules/.bin/bun', [file]],
  deno: (file) => ['node_modules/.bin/deno', ['run', '--allow-net', '--allow-env', '--allow-read', '--unstable-sloppy-imports', file]],
};

function runExample(runtime: string, file: string, input = ''): Promise<string> {
  const [cmd, args] = RUNTIMES[runtime](file);
  const child = run(cmd, args, { env: { ...process.env, MGE_URL: server.url, NO_COLOR: '1' }, timeout: 120_000 });
  child.child.stdin?.end(input);
  return child.then((r) => r.stdout);
}

describe.each(Object.keys(RUNTIMES))('mge/sdk on %s', (runtime) => {
  it('runs the agent example', async () => {
    const out = await runExample(runtime, 'examples/agent.ts');
    expect(out).toContain('denied db.write: Denied by db-access-control: Direct database modifications in production');
    expect(out).toContain('files written: /workspace/notes.md\n');
  });

  it('verifies Ed25519 receipts offline and refuses the replay', async () => {
    const action = { type: 'file.write', path: '/workspace/a.md' };
    const decision = await new MGEClient(server.url).checkCompliance(action, { agent_id: 'agent-7' });
    const line = JSON.stringify({ decision, action, context: { agent_id: 'agent-7' } }) + '\n';
    const out = await runExample(runtime, 'examples/verify-offline.ts', line + line);
    expect(out.trim().split('\n').slice(1)).toEqual([
      `executing ${decision.decision_id}: ${JSON.stringify(action)}`,
      `refused ${decision.decision_id}: receipt replayed`,
    ]);
  });
});

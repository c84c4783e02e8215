// docs/sdk.md is run, not just read: every ```ts block is a complete program, executed against
// the real server (serving ./rules, Ed25519 receipts, open mode) with `mge/sdk` pointing at the
// source. Each block has its expectation here, so a new block without one fails this test.

import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRulesDir } from '../../src/adapters/node/files.js';
import { parseRuleText } from '../../src/rules/load.js';
import { startLiveServer, type LiveServer } from './live-server.js';

const run = promisify(execFile);
const root = resolve('.');
let server: LiveServer;
let dir: string;

beforeAll(async () => {
  server = await startLiveServer({ alg: 'Ed25519', rules: await readRulesDir('rules') });
  dir = await mkdtemp(join(tmpdir(), 'mge-sdk-docs-'));
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

/** What each block, in page order, must print (and, for the rule export, write). */
const EXPECT: ((stdout: string) => Promise<void> | void)[] = [
  (out) => expect(out.split('\n').slice(0, 2)).toEqual([
    'Denied by db-access-control: Direct database modifications in production (and 2 more violations)',
    '  db-access-control prohibited[0]: Direct database modifications in production',
  ]),
  (out) => expect(out).toBe('All rules passed\n'),
  (out) => expect(out).toMatch(/^refused: Denied by db-access-control/),
  (out) => expect(out).toBe('executing file.write\n'),
  async () => {
    const mdc = await readFile(join(dir, 'my-rule.mdc'), 'utf8');
    const { rules, diagnostics } = parseRuleText(mdc, 'mdc', 'my-rule.mdc');
    expect(diagnostics).toEqual([]);
    expect(rules[0].conditions[0]).toMatchObject({ type: 'file_access_control', blocked_extensions: ['.exe'] });
  },
  (out) => expect(out).toMatch(/^now serving sha256:[0-9a-f]+\n.*no-friday-deploys/),
  (out) => expect(out).toMatch(/^log has \d+ entries, root [0-9a-f]{64}\ncheckpoint signature: ok\ndecision logged as received: true\n\d+ denials\n$/),
];

async function blocks(): Promise<string[]> {
  const md = await readFile('docs/sdk.md', 'utf8');
  return [...md.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
}

describe('docs/sdk.md', () => {
  it('has one expectation per TypeScript block', async () => {
    expect(await blocks()).toHaveLength(EXPECT.length);
  });

  it('runs every TypeScript block against the server', async () => {
    const all = await blocks();
    for (const [i, code] of all.entries()) {
      const file = join(dir, `block-${i}.mts`);
      await writeFile(file, code.replaceAll("from 'mge/sdk'", `from '${root}/src/sdk/index.js'`));
      const { stdout } = await run(join(root, 'node_modules/.bin/tsx'), [file], {
        cwd: dir, env: { ...process.env, MGE_URL: server.url }, timeout: 60_000,
      }).catch((e: { stderr?: string }) => {
        throw new Error(`block ${i} failed:\n${code}\n${e.stderr ?? String(e)}`);
      });
      await EXPECT[i](stdout);
    }
  });
});

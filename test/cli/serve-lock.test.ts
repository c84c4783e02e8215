// One `mge serve` per data directory (src/adapters/data-dir-lock.ts): a second server on the
// same directory refuses to start, naming the first; after a crash the next one takes over.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCK_FILE } from '../../src/adapters/data-dir-lock.js';
import { writeRules } from '../http/e2e/server.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), 'mge-lock-serve-'));
const data = join(root, 'data');
writeRules(join(root, 'rules'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function serve(): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/http/e2e/serve-entry.ts'), '--rules', join(root, 'rules'), '--data', data, '--port', '0'], {
    cwd: ROOT, env: { ...process.env, MGE_API_KEYS: '', MGE_SECRET_KEY: '' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  return { child, output: () => out, exited: new Promise((r) => child.once('exit', (code) => r(code))) };
}

async function listening(run: Run): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (/listening on http/.test(run.output())) return;
    if (run.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`did not start:\n${run.output()}`);
}

describe('mge serve and its data directory', () => {
  it('refuses a second server on the same data directory, and takes over after a crash', async () => {
    const first = serve();
    await listening(first);
    expect(existsSync(join(data, LOCK_FILE))).toBe(true);

    const second = serve();
    expect(await second.exited).toBe(2);
    expect(second.output()).toContain(`is in use by process ${first.child.pid}`);

    first.child.kill('SIGKILL');
    await first.exited;
    const third = serve();
    await listening(third);
    third.child.kill('SIGTERM');
    expect(await third.exited).toBe(0);
    expect(existsSync(join(data, LOCK_FILE))).toBe(false);
  }, 60_000);
});

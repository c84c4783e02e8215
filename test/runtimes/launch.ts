// Starts the smoke server on each runtime as a child process and says where it listens.
// Every server binds 127.0.0.1 on a free port; stop() ends the child it started, by its pid.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { WASM_BASE64 } from '../../src/engine/wasm-embedded.js';
import { SMOKE_API_KEYS, SMOKE_SECRET } from './fixtures/app-config.js';
import { workerdConfig } from './fixtures/workerd.capnp.js';

export interface Started {
  url: string;
  stop(): Promise<void>;
  /** What the server printed so far (stdout and stderr), where it is a child of ours. */
  output?(): string;
}

const ROOT = new URL('../../', import.meta.url).pathname;
const FIXTURES = join(ROOT, 'test/runtimes/fixtures');
export const BIN = {
  bun: join(ROOT, 'node_modules/.bin/bun'),
  deno: join(ROOT, 'node_modules/.bin/deno'),
  workerd: join(ROOT, 'node_modules/.bin/workerd'),
};

/** Why a runtime cannot run here, if it cannot: missing, or not answering `--version`. */
export function runtimeMissing(bin: string): string | undefined {
  if (!existsSync(bin)) return `${bin} is not installed`;
  const r = spawnSync(bin, ['--version'], { timeout: 30_000, encoding: 'utf8' });
  if (r.status !== 0) return `${bin} --version failed: ${r.error?.message ?? r.stderr.trim()}`;
  return undefined;
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 3000).unref();
    });
}

/** Collects what `child` prints. */
function printed(child: ChildProcess): () => string {
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  return () => out;
}

/** Waits for `listening on http://…` in what it prints. */
function listening(child: ChildProcess, output: () => string, what: string, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start within ${timeoutMs} ms:\n${output()}`)), timeoutMs);
    const onData = () => {
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output());
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}:\n${output()}`));
    });
  });
}

async function run(what: string, cmd: string, args: string[]): Promise<Started> {
  const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = printed(child);
  const stop = stopper(child);
  try {
    return { url: await listening(child, output, what), stop, output };
  } catch (err) {
    await stop();
    throw err;
  }
}

export const startNode = () => run('node', process.execPath, ['--import', 'tsx', join(FIXTURES, 'entry-node.ts')]);
export const startBun = () => run('bun', BIN.bun, [join(FIXTURES, 'entry-bun.ts')]);
export const startDeno = () =>
  run('deno', BIN.deno, ['run', '--allow-net=127.0.0.1', '--allow-read', '--allow-env', '--sloppy-imports', '--no-prompt', join(FIXTURES, 'entry-deno.ts')]);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Bundles the worker (the VM stays a separate, precompiled wasm module) and serves it. */
export async function startWorkerd(): Promise<Started> {
  const dir = mkdtempSync(join(tmpdir(), 'mge-workerd-'));
  writeFileSync(join(dir, 'mge.wasm'), Buffer.from(WASM_BASE64, 'base64'));
  await build({
    entryPoints: [join(FIXTURES, 'worker.ts')], bundle: true, format: 'esm', platform: 'neutral',
    mainFields: ['module', 'main'], conditions: ['workerd', 'worker', 'browser'],
    external: ['*.wasm'], outfile: join(dir, 'worker.js'), logLevel: 'error',
  });
  const port = await freePort();
  writeFileSync(join(dir, 'config.capnp'), workerdConfig({ port, secret: SMOKE_SECRET, apiKeys: SMOKE_API_KEYS }));
  const child = spawn(BIN.workerd, ['serve', join(dir, 'config.capnp')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  child.stdout!.on('data', (c: Buffer) => (log += c.toString()));
  const stop = stopper(child);
  const url = `http://127.0.0.1:${port}`;
  // workerd prints nothing when it listens: poll until it answers.
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) break;
    const ok = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (ok) return { url, stop };
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`workerd did not answer on ${url}:\n${log}`);
}

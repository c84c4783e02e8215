// Starts the real `mge serve` stack (startSidecar: file audit log, node:crypto, watcher) on a
// loopback port with a temporary rules and data directory, for end-to-end tests over HTTP.

import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { openNodeAudit } from '../../../src/adapters/node/audit.js';
import { startSidecar, type Sidecar, type SidecarConfig } from '../../../src/adapters/node/sidecar.js';
import { jsonLogger } from '../../../src/http/logger.js';
import { KEY_SPEC, RULES } from '../harness.js';

export interface E2E {
  sidecar: Sidecar;
  url: string;
  rulesDir: string;
  dataDir: string;
  logs: string[];
  fetch(path: string, init?: { method?: string; key?: string; body?: string; type?: string; headers?: Record<string, string> }): Promise<Response>;
  stop(): Promise<void>;
}

/** Writes the shared test rules (test/http/harness.ts) into a fresh directory. */
export function writeRules(dir: string): void {
  for (const r of RULES) {
    mkdirSync(join(dir, r.path, '..'), { recursive: true });
    writeFileSync(join(dir, r.path), r.text);
  }
}

/** @example const e = await startE2E(); await e.fetch('/healthz'); await e.stop() */
export async function startE2E(opts: {
  apiKeys?: string; dataDir?: string; rulesDir?: string; maxInflight?: number; reopenAfterMs?: number; openAudit?: SidecarConfig['openAudit'];
} = {}): Promise<E2E> {
  const root = mkdtempSync(join(tmpdir(), 'mge-e2e-'));
  const rulesDir = opts.rulesDir ?? join(root, 'rules');
  if (opts.rulesDir === undefined) writeRules(rulesDir);
  const dataDir = opts.dataDir ?? join(root, 'data');
  const logs: string[] = [];
  const sidecar = await startSidecar({
    rulesDir, dataDir, host: '127.0.0.1', port: 0,
    apiKeys: opts.apiKeys ?? KEY_SPEC,
    logger: jsonLogger((l) => logs.push(l)),
    openAudit: opts.openAudit ?? ((dir, signer, { keysInDataDir }) => openNodeAudit(dir, signer, { dataDirKeys: keysInDataDir, ...(opts.reopenAfterMs !== undefined ? { reopenAfterMs: opts.reopenAfterMs } : {}) })),
    ...(opts.maxInflight !== undefined ? { maxInflight: opts.maxInflight } : {}),
  });
  return {
    sidecar, url: sidecar.url, rulesDir, dataDir, logs,
    fetch(path, init = {}) {
      const headers: Record<string, string> = { ...init.headers };
      if (init.key !== undefined) headers.authorization = `Bearer ${init.key}`;
      if (init.body !== undefined) headers['content-type'] ??= init.type ?? 'application/json';
      return fetch(sidecar.url + path, { method: init.method ?? (init.body === undefined ? 'GET' : 'POST'), headers, body: init.body });
    },
    async stop() {
      await sidecar.shutdown();
      if (opts.dataDir === undefined && opts.rulesDir === undefined) rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Copies a directory (for tests that restart on the same data). */
export function copyDir(from: string, to: string): void {
  cpSync(from, to, { recursive: true });
}

export interface ServeProcess {
  child: ChildProcessByStdio<null, Readable, Readable>;
  /** Exit code once the process ends. */
  exited: Promise<number | null>;
  /** What it printed so far on stdout and on stderr. */
  out(): string;
  err(): string;
  /** Its address once it prints where it listens; rejects, with its output, if it exits first. */
  listening(): Promise<string>;
}

/**
 * `mge serve` as its own process (serve-entry.ts: the real signal path, the real exit) on a free
 * loopback port; `apiKeys` is its MGE_API_KEYS (default the test keys; '' for open mode).
 */
export function spawnServe(opts: { rulesDir: string; dataDir: string; apiKeys?: string; env?: NodeJS.ProcessEnv; args?: string[]; openFileLimit?: number }): ServeProcess {
  const entry = new URL('./serve-entry.ts', import.meta.url).pathname;
  const command = [process.execPath, '--import', 'tsx', entry, '--rules', opts.rulesDir, '--data', opts.dataDir, '--port', '0', ...(opts.args ?? [])];
  // `openFileLimit`: run under that many file descriptors (`ulimit -n`, soft and hard).
  const [file, ...args] = opts.openFileLimit === undefined ? command : ['/bin/sh', '-c', `ulimit -n ${opts.openFileLimit} && exec "$@"`, 'sh', ...command];
  const child = spawn(file, args, {
    cwd: new URL('../../../', import.meta.url).pathname,
    // Not `npm start`: npm's own variables (npm_package_version…) are not there.
    // `apiKeys: ''` is the open mode: MGE_API_KEYS unset (set but empty, it is refused).
    env: { ...process.env, npm_package_version: undefined, MGE_API_KEYS: opts.apiKeys === '' ? undefined : opts.apiKeys ?? KEY_SPEC, MGE_SECRET_KEY: undefined, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const listening = () => new Promise<string>((resolve, reject) => {
    const t = setInterval(() => {
      const m = /listening on (http:\/\/(?:127\.0\.0\.1|\[::1\]):\d+)/.exec(out);
      if (m) {
        clearInterval(t);
        resolve(m[1]);
      }
    }, 20);
    void exited.then(() => {
      clearInterval(t);
      reject(new Error(`did not start:\n${out}${err}`));
    });
  });
  return { child, exited, out: () => out, err: () => err, listening };
}

/** spawnServe over `<root>/rules` (the shared test rules, written here) and `<root>/data`, once it listens. */
export async function startServe(root: string, opts: { env?: NodeJS.ProcessEnv } = {}): Promise<ServeProcess & { url: string }> {
  writeRules(join(root, 'rules'));
  const served = spawnServe({ rulesDir: join(root, 'rules'), dataDir: join(root, 'data'), ...opts });
  return { ...served, url: await served.listening() };
}

// Starts the real `mge serve` as a child process on 127.0.0.1 with a free port and a fresh data
// dir, and waits for its "listening on" line; stop() sends SIGTERM and waits for the exit.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SidecarProcess {
  url: string;
  stop(): Promise<void>;
}

/** @example const sidecar = await startSidecarProcess({ MGE_RECEIPT_ALG: 'Ed25519' }) */
export async function startSidecarProcess(env: NodeJS.ProcessEnv = {}): Promise<SidecarProcess> {
  const data = await mkdtemp(join(tmpdir(), 'mge-sdk-sidecar-'));
  const child: ChildProcess = spawn('node_modules/.bin/tsx', ['test/sdk/mge-serve.ts', '--port', '0', '--rules', 'rules', '--data', data], {
    env: { ...process.env, MGE_SECRET_KEY: undefined, MGE_API_KEYS: undefined, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`mge serve did not start in 60 s:\n${out}${err}`)), 60_000);
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /^mge: listening on (\S+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`mge serve exited with ${code}:\n${out}${err}`));
    });
  });
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      await rm(data, { recursive: true, force: true });
    },
  };
}

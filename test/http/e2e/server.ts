// Starts the real `mge serve` stack (startSidecar: file audit log, node:crypto, watcher) on a
// loopback port with a temporary rules and data directory, for end-to-end tests over HTTP.

import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openNodeAudit } from '../../../src/adapters/node-audit.js';
import { startSidecar, type Sidecar, type SidecarConfig } from '../../../src/adapters/node-sidecar.js';
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
    openAudit: opts.openAudit ?? ((dir, signer) => openNodeAudit(dir, signer, opts.reopenAfterMs !== undefined ? { reopenAfterMs: opts.reopenAfterMs } : {})),
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

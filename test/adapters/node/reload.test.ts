// The rules reloader's close (the shutdown's first step) waits for a reload in progress: its
// rule-change entries must be logged before the shutdown keeps its checkpoints (a review,
// 11-27: a reload that ended after the stop wrote them past the last checkpoint).

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readRulesDir } from '../../../src/adapters/node/files.js';
import { startRulesReloader } from '../../../src/adapters/node/reload.js';
import { createEngine } from '../../../src/engine/engine.js';
import type { AuditPort } from '../../../src/http/audit-port.js';
import { silentLogger } from '../../../src/http/logger.js';
import { ServerMetrics } from '../../../src/http/metrics.js';

const rule = (id: string) => `rule_id: ${id}\nprohibited:\n  - message: no\n    when: action.type == "${id}"\n`;
let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('startRulesReloader', () => {
  it('close() resolves only once the reload in progress has logged its changes', async () => {
    dir = mkdtempSync(join(tmpdir(), 'mge-reload-'));
    writeFileSync(join(dir, 'a.yaml'), rule('a'));
    const engine = await createEngine({ rules: await readRulesDir(dir) });
    let appending!: () => void;
    const appendStarted = new Promise<void>((r) => (appending = r));
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const appended: string[] = [];
    const audit = {
      tenants: async () => [],
      append: async (tenant: string) => {
        appending();
        await released; // a slow log: the reload is in progress until it answers
        appended.push(tenant);
      },
    } as unknown as AuditPort;
    const reloader = startRulesReloader({ dir, engine, metrics: new ServerMetrics(), logger: silentLogger, audit, callerTenants: ['default'], debounceMs: 60_000 });
    writeFileSync(join(dir, 'b.yaml'), rule('b'));
    const reloaded = reloader.reload();
    await appendStarted;
    const closing = reloader.close();
    const first = await Promise.race([closing.then(() => 'closed'), new Promise((r) => setTimeout(() => r('still waiting'), 100))]);
    expect(first).toBe('still waiting');
    release();
    await closing;
    expect(appended).toEqual(['default']);
    expect(await reloaded).toBe('ok');
  });

  // A review (11-28): a file written every 50 ms in the tree held every edit back; the watcher
  // now cuts a burst after its longest wait, so a reload a second comes while such a writer runs,
  // and one that changed no rule file must not compile and log again each time.
  it('passes over a reload that changed no rule file, and takes the next real edit', async () => {
    dir = mkdtempSync(join(tmpdir(), 'mge-reload-'));
    writeFileSync(join(dir, 'a.yaml'), rule('a'));
    const engine = await createEngine({ rules: await readRulesDir(dir) });
    const lines: string[] = [];
    const logger = { ...silentLogger, info: (msg: string) => void lines.push(msg), warn: (msg: string) => void lines.push(msg) };
    const metrics = new ServerMetrics();
    const audit = { tenants: async () => [], append: async () => undefined } as unknown as AuditPort;
    const reloader = startRulesReloader({ dir, engine, metrics, logger, audit, callerTenants: ['default'], debounceMs: 60_000 });
    try {
      writeFileSync(join(dir, 'b.yaml'), rule('b'));
      expect(await reloader.reload()).toBe('ok');
      const version = engine.policy().policyVersion;
      writeFileSync(join(dir, '.heartbeat'), String(Date.now())); // skipped by the reader
      expect(await reloader.reload()).toBe('ok');
      expect(await reloader.reload()).toBe('ok');
      expect(lines).toEqual(['rules reloaded']);
      expect(metrics.reloads.render()).toContain('result="ok"} 1\n');
      expect(engine.policy().policyVersion).toBe(version);
      writeFileSync(join(dir, 'b.yaml'), rule('c').replace('rule_id: c', 'rule_id: b'));
      expect(await reloader.reload()).toBe('ok');
      expect(lines).toEqual(['rules reloaded', 'rules reloaded']);
      expect(engine.policy().policyVersion).not.toBe(version);
      // A re-review (11-28): a misnamed rule file added is a warning to say, not a change to skip…
      lines.length = 0;
      writeFileSync(join(dir, 'deny.ymal'), rule('d'));
      expect(await reloader.reload()).toBe('ok');
      expect(lines).toEqual(['rules reloaded, with warnings (`mge lint` tells more)']);
      rmSync(join(dir, 'deny.ymal'));
      expect(await reloader.reload()).toBe('ok');
      // …and going back to the files in force after a refused edit is said, not skipped.
      lines.length = 0;
      writeFileSync(join(dir, 'b.yaml'), 'rule_id: b\nprohibited: [');
      expect(await reloader.reload()).toBe('rejected');
      writeFileSync(join(dir, 'b.yaml'), rule('c').replace('rule_id: c', 'rule_id: b'));
      expect(await reloader.reload()).toBe('ok');
      expect(lines).toEqual([expect.stringContaining('rules change ignored'), 'rules reloaded']);
    } finally {
      await reloader.close();
    }
  });

  // A review (11-28): a file rule that took an API rule's id, saying the same, refused the
  // tenant (its checks all denied under a new policy_version) and the reload logged nothing;
  // removing the file again was unlogged too.
  it('logs a file rule that takes an API rule\'s id, and its removal, under the versions they make', async () => {
    dir = mkdtempSync(join(tmpdir(), 'mge-reload-'));
    writeFileSync(join(dir, 'a.yaml'), rule('a'));
    const engine = await createEngine({ rules: await readRulesDir(dir) });
    expect((await engine.putRule('default', { text: rule('promo'), format: 'yaml' })).ok).toBe(true);
    const entries: Array<{ rule_id: string; op: string; by: string; policy_version: string }> = [];
    const audit = { tenants: async () => ['default'], append: async (_t: string, e: never[]) => void entries.push(...e) } as unknown as AuditPort;
    const reloader = startRulesReloader({ dir, engine, metrics: new ServerMetrics(), logger: silentLogger, audit, callerTenants: ['default'], debounceMs: 60_000 });
    try {
      const apiVersion = engine.policy('default').policyVersion;
      writeFileSync(join(dir, 'promo.yaml'), rule('promo'));
      expect(await reloader.reload()).toBe('ok');
      const refused = engine.policy('default');
      expect(refused.refusal).toBeDefined();
      expect(entries).toEqual([expect.objectContaining({ rule_id: 'promo', op: 'put', by: 'rules-dir', policy_version: refused.policyVersion })]);
      rmSync(join(dir, 'promo.yaml'));
      expect(await reloader.reload()).toBe('ok');
      expect(engine.policy('default').policyVersion).toBe(apiVersion);
      expect(entries.slice(1)).toEqual([expect.objectContaining({ rule_id: 'promo', op: 'put', by: 'rules-dir', policy_version: apiVersion })]);
    } finally {
      await reloader.close();
    }
  });
});

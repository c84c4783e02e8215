// `mge serve` whose log reader stops reading without closing the pipe (a stalled log shipper).
// A stop with lines still queued ends the process anyway (src/cli/main.ts): until 11-28 it
// stayed alive for ever, waiting on the pipe. (The bound on the queue: test/cli/stdout-writer.test.ts.)

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KEYS } from '../harness.js';
import { startServe } from './server.js';

describe('a stalled stdout', () => {
  /** Fills the pipe and the reading stream's buffer with refusal lines (see below), stdout paused. */
  const fill = async (url: string): Promise<void> => {
    // Refused requests with long paths: ~450-byte lines (the path cut at 256 characters), 200
    // at once, then 50 a second (the refusal log's rate): past what the pipe and the reading
    // stream's buffer hold.
    for (let i = 0; i < 350; i++) {
      const res = await fetch(`${url}/api/v1/audit/proof/${'x'.repeat(2000)}`, { headers: { authorization: 'Bearer not-a-key-of-anyone' } });
      expect(res.status).toBe(401);
      if (i >= 200) await new Promise((r) => setTimeout(r, 20));
    }
  };
  const ended = (exited: Promise<number | null>) => Promise.race([exited, new Promise((r) => setTimeout(() => r('still running'), 15_000))]);

  it('does not keep a stopped server alive', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mge-stalled-'));
    const { child, url, exited, err } = await startServe(root);
    child.stdout.pause(); // the pipe (64 KiB) fills, then the server's queue
    await fill(url);
    child.kill('SIGTERM');
    expect(await ended(exited), err()).toBe(0);
  }, 60_000);

  it('does not keep a server whose stop failed alive either (a re-review)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mge-stalled-fail-'));
    const { child, url, exited, err } = await startServe(root);
    const res = await fetch(`${url}/api/v1/governance/check`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.acmeChecker}` }, body: '{"action":"x"}' });
    expect(res.status).toBe(200);
    // The tenant's log removed, and a file where its directory was: it cannot be written back,
    // so the stop ends in an error (exit 2).
    rmSync(join(root, 'data', 'audit', 'acme'), { recursive: true, force: true });
    writeFileSync(join(root, 'data', 'audit', 'acme'), 'in the way');
    child.stdout.pause();
    await fill(url);
    child.kill('SIGTERM');
    const code = await ended(exited);
    expect(code, err()).not.toBe('still running');
    expect(code).not.toBe(0);
  }, 60_000);
});

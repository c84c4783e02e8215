// `mge serve` whose log reader stops reading without closing the pipe (a stalled log shipper).
// The queue of log lines is bounded: past it lines are dropped and counted, and a line says
// how many once the reader is back. A stop with lines still queued ends the process anyway
// (src/cli/main.ts): until 11-28 it stayed alive for ever, waiting on the pipe.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startServe } from './server.js';

/** Requests with a wrong key: each is refused and logged (a line of about 165 bytes). */
async function refusedRequests(url: string, n: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next++ < n) {
      const res = await fetch(`${url}/api/v1/governance/check`, { method: 'POST', headers: { authorization: 'Bearer not-a-key-of-anyone' }, body: '{}' });
      expect(res.status).toBe(401);
      await res.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

describe('a stalled stdout', () => {
  it('holds at most about a megabyte of log lines, says how many it dropped, and does not keep a stopped server alive', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mge-stalled-'));
    const { child, url, exited, out, err } = await startServe(root);
    child.stdout.pause(); // the pipe fills (64 KiB), then the server's queue
    await refusedRequests(url, 9000); // ~1.5 MB of lines
    child.stdout.resume();
    await new Promise((r) => setTimeout(r, 500));
    const drops = [...out().matchAll(/"msg":"log lines dropped: stdout was not read fast enough","dropped":(\d+)/g)].map((m) => Number(m[1]));
    expect(drops.length, out().slice(-500)).toBeGreaterThan(0);
    const logged = (out().match(/"msg":"request refused"/g) ?? []).length;
    expect(logged + drops.reduce((a, b) => a + b, 0)).toBe(9000);
    expect(logged).toBeLessThan(8000);

    // Stalled again, then stopped: the process ends a few seconds after its stop, lines unread.
    child.stdout.pause();
    await refusedRequests(url, 2000); // more than the pipe holds
    child.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('still running'), 15_000))]);
    expect(code, err()).toBe(0);
  }, 60_000);
});

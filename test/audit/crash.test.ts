// A child appending decisions through the file store is SIGKILLed mid-stream, three times, and
// restarted; every decision it acknowledged must be in the log, and `mge audit verify` passes.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { NodeAuditStoreFactory } from '../../src/adapters/node/audit-store.js';
import { nodeCryptoBackend } from '../../src/adapters/node/crypto.js';
import { AuditLogs } from '../../src/audit/logs.js';
import { auditCommand } from '../../src/cli/audit.js';

const child = fileURLToPath(new URL('./crash-child.ts', import.meta.url));
let dir: string;
afterAll(async () => { if (dir) await rm(dir, { recursive: true, force: true }); });

/** Runs the child until it acknowledged `atLeast` decisions, then SIGKILLs it. */
function runAndKill(dataDir: string, run: number, atLeast: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', child, dataDir, String(run)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: string[] = [];
    let buf = '';
    let stderr = '';
    let killed = false;
    p.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    p.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) if (l.startsWith('ack ')) acked.push(l.slice(4));
      if (!killed && acked.length >= atLeast) {
        killed = true;
        p.kill('SIGKILL');
      }
    });
    p.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(acked);
      else reject(new Error(`child exited with ${code}: ${stderr}`));
    });
  });
}

describe('crash safety of the file store', () => {
  it('keeps every acknowledged decision across SIGKILL and restart, and verifies', async () => {
    dir = await mkdtemp(join(tmpdir(), 'mge-crash-'));
    await writeFile(join(dir, 'secret.key'), 'crash-test-secret-with-more-than-32-bytes\n');
    const acked: string[] = [];
    for (let run = 1; run <= 3; run++) {
      acked.push(...(await runAndKill(dir, run, 400 + 200 * run)));
      const logs = new AuditLogs(new NodeAuditStoreFactory(dir), { backend: nodeCryptoBackend });
      const log = await logs.get('acme');
      const missing: string[] = [];
      for (const id of acked) if ((await log.findByDecisionId(id)) === undefined) missing.push(id);
      expect(missing).toEqual([]);
      expect(log.size()).toBeGreaterThanOrEqual(acked.length);
      await logs.close();
      const out: string[] = [];
      const err: string[] = [];
      // The child keeps a checkpoint every 200 entries: the log is anchored up to the last one.
      const code = await auditCommand(['verify', '--data', dir], { out: (s) => out.push(s), err: (s) => err.push(s) });
      expect(err.join('')).toBe(`note: signatures checked with the keys kept in \`${dir}\` itself (no MGE_SECRET_KEY or --jwks given): this shows the log agrees with them, not that they are yours\n`);
      expect(code).toBe(0);
      expect(out.join('')).toMatch(/^tenant `acme`: ok: \d+ entr(y|ies), root [0-9a-f]{64}, [1-9]\d* checkpoints? verified(; (entry \d+ is|entries \d+–\d+ are) after the last checkpoint .*)?\ntenant `acme`: note: anchored only by the checkpoints kept in `[^`]+` itself \(no --checkpoint of this tenant's given\)[^\n]*\n$/);
    }
  }, 120_000);
});

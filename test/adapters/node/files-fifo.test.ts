// Rule files that are not what a rule file is: a FIFO (also one swapped in after the name was
// checked: a blocking read of a FIFO with no writer waits forever, which hung `mge check` and
// stopped every later reload of `mge serve`, a review, 11-28), a socket, a file too large to
// read. The swap is staged by a `stat` that still answers for the regular file that was there
// when the name was checked.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'mge-swap-'));
const regular = join(dir, 'was-here.yaml');
const swapped = join(dir, 'now-a-fifo.yaml');
writeFileSync(regular, 'rules: []\n');
execFileSync('mkfifo', [swapped]);

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const stat = ((path: string, ...rest: unknown[]) =>
    (real.stat as (...a: unknown[]) => unknown)(path === swapped ? regular : path, ...rest)) as typeof real.stat;
  return { ...real, stat, default: { ...real, stat } };
});

const { MAX_RULE_FILE_BYTES, readRuleFile } = await import('../../../src/adapters/node/files.js');

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readRuleFile when the file changes after it was checked', () => {
  it('refuses a FIFO instead of waiting on it forever', async () => {
    const outcome = await Promise.race([
      readRuleFile(swapped, 'rules/now-a-fifo.yaml').then(() => 'read', (err: Error) => err.message),
      new Promise((resolve) => setTimeout(() => resolve('still waiting after 3 s'), 3000)),
    ]);
    expect(outcome).toBe('`rules/now-a-fifo.yaml` is not a regular file');
  });

  it('refuses a Unix socket as not a regular file (it cannot be opened: ENXIO)', async () => {
    const path = join(dir, 's.yaml');
    const server = createServer().listen(path);
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      await expect(readRuleFile(path, 'rules/s.yaml')).rejects.toThrow('`rules/s.yaml` is not a regular file');
    } finally {
      server.close();
    }
  });

  it('refuses a file over 16 MiB before reading it', async () => {
    const path = join(dir, 'huge.yaml');
    writeFileSync(path, '');
    truncateSync(path, MAX_RULE_FILE_BYTES + 1);
    await expect(readRuleFile(path, 'rules/huge.yaml')).rejects.toThrow('`rules/huge.yaml` is larger than 16 MiB, more than any rule file; it is not read');
    truncateSync(path, MAX_RULE_FILE_BYTES);
    expect((await readRuleFile(path)).length).toBe(MAX_RULE_FILE_BYTES);
  });

  it('still reads a regular file', async () => {
    expect(await readRuleFile(regular)).toBe('rules: []\n');
  });
});

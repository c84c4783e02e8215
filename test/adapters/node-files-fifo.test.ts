// A rule file swapped for a FIFO after it was looked at must be refused, not read: a blocking
// read of a FIFO with no writer waits forever, which hung `mge check` and stopped every later
// reload of `mge serve` (a review, 11-28). The swap is staged by a `stat` that still answers
// for the regular file that was there when the name was checked.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

const { readRuleFile } = await import('../../src/adapters/node-files.js');

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readRuleFile when the file changes after it was checked', () => {
  it('refuses a FIFO instead of waiting on it forever', async () => {
    const outcome = await Promise.race([
      readRuleFile(swapped, 'rules/now-a-fifo.yaml').then(() => 'read', (err: Error) => err.message),
      new Promise((resolve) => setTimeout(() => resolve('still waiting after 3 s'), 3000)),
    ]);
    expect(outcome).toBe('`rules/now-a-fifo.yaml` is not a regular file');
  });

  it('still reads a regular file', async () => {
    expect(await readRuleFile(regular)).toBe('rules: []\n');
  });
});

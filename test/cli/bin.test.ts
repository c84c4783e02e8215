// bin/mge.js when the CLI cannot be loaded (not built, or out of file descriptors while it
// loads): exit 2 with a line saying so. Node's own failure was exit 1, which `mge check` uses
// for "denied" (a review, 11-28).

import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';

it('exits 2, saying what to do, when the compiled CLI is not there', () => {
  const root = mkdtempSync(join(tmpdir(), 'mge-bin-'));
  try {
    mkdirSync(join(root, 'bin'));
    copyFileSync('bin/mge.js', join(root, 'bin', 'mge.js')); // without dist/ beside it
    const run = spawnSync(process.execPath, [join(root, 'bin', 'mge.js'), 'check', '--rules', 'rules'], { encoding: 'utf8', input: '{"action":"x"}' });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^mge: the command could not be loaded \(is it built\? run `npm install`, or `npm run build`\): /);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

// A link swapped at one exact moment of a rules read (deterministic, unlike the swapping loops
// of files.test.ts): a ConfigMap's `f.yaml -> ..data/f.yaml` files, where `..data` is
// swapped to the next release between two file reads. Every read must be one whole release.

import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';

/** Called as the rules reader opens each file (the swap happens there). */
let beforeRead: ((file: string) => void) | undefined;
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  return { ...fs, open: ((file: string, ...rest: unknown[]) => (beforeRead?.(String(file)), (fs.open as (...a: unknown[]) => unknown)(file, ...rest))) as typeof fs.open };
});
const { readRulesDir } = await import('../../../src/adapters/node/files.js');

let base: string | undefined;
afterEach(() => {
  beforeRead = undefined;
  if (base !== undefined) rmSync(base, { recursive: true, force: true });
});

it('reads linked files whole when the link they resolve through is swapped between two of them', async () => {
  base = mkdtempSync(join(tmpdir(), 'mge-files-swap-'));
  const rules = join(base, 'rules');
  mkdirSync(rules);
  for (const r of ['a', 'b']) {
    mkdirSync(join(base, r));
    for (let i = 0; i < 8; i++) writeFileSync(join(base, r, `f${i}.yaml`), r);
  }
  symlinkSync(join(base, 'a'), join(rules, '..data'));
  for (let i = 0; i < 8; i++) symlinkSync(join('..data', `f${i}.yaml`), join(rules, `f${i}.yaml`));
  let swapped = false;
  beforeRead = (file) => {
    // Once, as the fifth file is read: kubelet's atomic swap to the next release.
    if (swapped || !file.endsWith('f4.yaml')) return;
    swapped = true;
    symlinkSync(join(base!, 'b'), join(rules, '..tmp'));
    renameSync(join(rules, '..tmp'), join(rules, '..data'));
  };
  const texts = (await readRulesDir(rules)).map((s) => s.text);
  expect(swapped).toBe(true);
  expect(new Set(texts)).toEqual(new Set(['b'])); // the release now in place, whole
  expect(texts).toHaveLength(8);
});

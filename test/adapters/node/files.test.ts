// Reading a rules directory (src/adapters/node/files.ts): what is read, what is skipped, and
// what is an error rather than a rule silently left out.

import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { rename, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readRulesDir } from '../../../src/adapters/node/files.js';

let base: string;
let rules: string;
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'mge-files-'));
  rules = join(base, 'rules');
  mkdirSync(join(rules, 'tenants', 'acme'), { recursive: true });
  writeFileSync(join(rules, 'a.yaml'), 'a');
  writeFileSync(join(rules, 'tenants', 'acme', 'b.json'), 'b');
  writeFileSync(join(rules, 'README.md'), 'docs');
  writeFileSync(join(rules, '.swap.yaml'), 'skipped');
  writeFileSync(join(rules, 'notes.txt'), 'skipped');
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

const paths = async () => (await readRulesDir(rules)).map((s) => s.path);

describe('readRulesDir', () => {
  it('reads rule files recursively, sorted, skipping dotfiles, READMEs and other names', async () => {
    expect(await paths()).toEqual(['a.yaml', 'tenants/acme/b.json']);
  });

  it('refuses a rule file that is not UTF-8, naming where, and drops a byte order mark', async () => {
    // Latin-1 `é` (0xE9) on line 3: read as U+FFFD it would make a rule compare with another string.
    writeFileSync(join(rules, 'latin1.yaml'), Buffer.concat([Buffer.from('rule_id: l\nprohibited:\n  - when: action.user == "jos'), Buffer.from([0xe9]), Buffer.from('"\n')]));
    await expect(readRulesDir(rules)).rejects.toThrow(/latin1\.yaml` is not valid UTF-8 \(line 3, column 30\); rule files are UTF-8$/);
    rmSync(join(rules, 'latin1.yaml'));
    writeFileSync(join(rules, 'bom.json'), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"rule_id": "x"}')]));
    expect((await readRulesDir(rules)).find((s) => s.path === 'bom.json')?.text).toBe('{"rule_id": "x"}');
  });

  it('follows symbolic links to directories and files', async () => {
    const shared = join(base, 'shared');
    mkdirSync(shared);
    writeFileSync(join(shared, 'file-access.yaml'), 'f');
    writeFileSync(join(base, 'one.mdc'), 'o');
    symlinkSync(shared, join(rules, 'security'));
    symlinkSync(join(base, 'one.mdc'), join(rules, 'one.mdc'));
    expect(await paths()).toEqual(['a.yaml', 'one.mdc', 'security/file-access.yaml', 'tenants/acme/b.json']);
  });

  it('refuses a link back into its own ancestry instead of walking forever', async () => {
    symlinkSync(rules, join(rules, 'tenants', 'loop'));
    await expect(readRulesDir(rules)).rejects.toThrow('links back to a directory it is in (a cycle)');
  });

  it('refuses a rule name that is not a readable file: a dangling link, a FIFO', async () => {
    symlinkSync(join(base, 'gone.yaml'), join(rules, 'gone.yaml'));
    await expect(readRulesDir(rules)).rejects.toThrow(/gone\.yaml` is a link whose target cannot be read \(ENOENT\); a dangling link is an error/);
    rmSync(join(rules, 'gone.yaml'));
    execFileSync('mkfifo', [join(rules, 'pipe.yaml')]);
    await expect(readRulesDir(rules)).rejects.toThrow(/pipe\.yaml` has a rule file's name but is not a readable file$/);
  });

  it('refuses a link to a folder that is gone: the rules behind it would be left out without a word', async () => {
    const shared = join(base, 'shared');
    mkdirSync(shared);
    writeFileSync(join(shared, 'x.yaml'), 'x');
    symlinkSync(shared, join(rules, 'shared'));
    expect(await paths()).toContain('shared/x.yaml');
    rmSync(shared, { recursive: true });
    await expect(readRulesDir(rules)).rejects.toThrow(/shared` is a link whose target cannot be read \(ENOENT\)/);
  });
  /** Reads `dir` 60 times while `swap(n)` runs between them; every read must be one whole release. */
  async function readsWhileSwapping(dir: string, swap: (n: number) => Promise<void>): Promise<{ mixed: string[]; whole: number }> {
    let done = false;
    const swapper = (async () => {
      for (let n = 0; !done; n++) await swap(n);
    })();
    const mixed: string[] = [];
    let whole = 0;
    try {
      for (let i = 0; i < 60; i++) {
        const read = await readRulesDir(dir).catch((e: unknown) => e as Error);
        // Refused when the link moved during five reads in a row: never a mix.
        if (read instanceof Error) {
          expect(read.message).toContain('kept changing while it was read');
          continue;
        }
        const texts = new Set(read.filter((s) => s.path !== 'fixed.yaml').map((s) => s.text));
        if (texts.size === 1) whole++;
        else mixed.push([...texts].join('+'));
      }
    } finally {
      done = true;
      await swapper;
    }
    return { mixed, whole };
  }

  it('reads one whole release while a `current -> release` link is swapped under it', async () => {
    // Each release's files all say its name; read through the link path, a swap mid-read
    // mixed files of both (a review had such a mix approve what both releases deny).
    for (const r of ['a', 'b']) {
      mkdirSync(join(base, r));
      for (let i = 0; i < 12; i++) writeFileSync(join(base, r, `f${i}.yaml`), r);
    }
    const current = join(base, 'current');
    symlinkSync(join(base, 'a'), current);
    const { mixed, whole } = await readsWhileSwapping(current, async (n) => {
      const tmp = join(base, `link-${n}`);
      await symlink(join(base, n % 2 === 0 ? 'b' : 'a'), tmp);
      await rename(tmp, current);
    });
    expect(mixed).toEqual([]);
    expect(whole).toBeGreaterThan(0);
  });

  it('reads a linked folder inside the rules whole while that link is swapped', async () => {
    for (const r of ['a', 'b']) {
      mkdirSync(join(base, r));
      for (let i = 0; i < 12; i++) writeFileSync(join(base, r, `f${i}.yaml`), r);
    }
    writeFileSync(join(rules, 'fixed.yaml'), 'fixed');
    rmSync(join(rules, 'a.yaml'));
    rmSync(join(rules, 'tenants'), { recursive: true });
    symlinkSync(join(base, 'a'), join(rules, 'shared'));
    const { mixed, whole } = await readsWhileSwapping(rules, async (n) => {
      const tmp = join(rules, `.link-${n}`);
      await symlink(join(base, n % 2 === 0 ? 'b' : 'a'), tmp);
      await rename(tmp, join(rules, 'shared'));
    });
    expect(mixed).toEqual([]);
    expect(whole).toBeGreaterThan(0);
  });
});

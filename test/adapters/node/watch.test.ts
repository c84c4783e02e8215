// The rules directory watcher (src/adapters/node/watch.ts) against the ways files really change:
// written in place, replaced by a rename (sed -i, mv, editors that save atomically), and in
// directories created or removed while it runs. Each step must be seen on its own.

import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { watchRules, type RulesWatcher } from '../../../src/adapters/node/watch.js';

let dir: string;
let watcher: RulesWatcher | undefined;
let seen = 0;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mge-watch-'));
  mkdirSync(join(dir, 'tenants', 'acme'), { recursive: true });
  writeFileSync(join(dir, 'x.yaml'), 'a');
  seen = 0;
  watcher = watchRules(dir, () => seen++, { debounceMs: 20 });
});

afterEach(() => {
  watcher?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Makes one change and waits until the watcher reported it (fails after 3 s). */
async function change(what: string, edit: () => void): Promise<void> {
  const before = seen;
  edit();
  const end = Date.now() + 3000;
  while (seen === before) {
    if (Date.now() > end) throw new Error(`not seen: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, 60)); // let the burst settle before the next step
}

/** Runs `fn` with a directory outside the rules tree, removed afterwards. */
async function outside(prefix: string, fn: (path: string) => Promise<void>): Promise<void> {
  const path = mkdtempSync(join(tmpdir(), prefix));
  try {
    await fn(path);
  } finally {
    rmSync(path, { recursive: true, force: true });
  }
}

const replace = (file: string, text: string) => {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
};

describe('watchRules', () => {
  it('looks every second at a directory the system will not watch (inotify limit reached), and says so once', async () => {
    // Until 11-28 the ENOSPC of a full inotify table was taken for "removed meanwhile": the
    // directory went unwatched in silence and a tenant's new deny rule never loaded (a review).
    watcher?.close();
    const acme = join(dir, 'tenants', 'acme');
    const warnings: string[] = [];
    const full = ((path: string, ...rest: unknown[]) => {
      if (path === acme || path === dir) throw Object.assign(new Error(`ENOSPC: System limit for number of file watchers reached, watch '${path}'`), { code: 'ENOSPC' });
      return (watch as (...a: unknown[]) => FSWatcher)(path, ...rest);
    }) as typeof watch;
    watcher = watchRules(dir, () => seen++, { debounceMs: 20, watch: full, onWarning: (m) => warnings.push(m) });
    // One line for all of them (a re-review: a line per directory flooded a large tree's start).
    expect(warnings).toEqual([
      `2 rules directories or files cannot be watched: \`${dir}\`, \`${acme}\` (ENOSPC: the inotify watch limit, fs.inotify.max_user_watches, is reached); looked at every second instead`,
    ]);
    await new Promise((r) => setTimeout(r, 100)); // the first looks, off the main thread
    await change('an edit in the unwatched tenant directory', () => writeFileSync(join(acme, 'acme.yaml'), 'a'));
    await change('a replace by rename there', () => replace(join(acme, 'acme.yaml'), 'b'));
    await change('a new file in the unwatched rules directory', () => writeFileSync(join(dir, 'y.yaml'), 'a'));
    await change('a file in a new, watchable directory', () => {
      mkdirSync(join(dir, 'tenants', 'beta'));
      writeFileSync(join(dir, 'tenants', 'beta', 'b.yaml'), 'a');
    });
    await change('an edit there', () => writeFileSync(join(dir, 'tenants', 'beta', 'b.yaml'), 'b'));
    // Nothing more changes: nothing more is reported (each look starts from what was read).
    const settled = seen;
    await new Promise((r) => setTimeout(r, 2500));
    expect(seen).toBe(settled);
    expect(warnings).toHaveLength(1);
  });

  // A review (11-28): each event waited the debounce again, so a file written every 50 ms (even
  // a dotfile the reader skips) held a new deny rule back for as long as it was written.
  it('reports a change within its longest wait while another file keeps being written', async () => {
    watcher?.close();
    let reports = 0;
    watcher = watchRules(dir, () => reports++, { debounceMs: 150, maxWaitMs: 400 });
    const beat = setInterval(() => writeFileSync(join(dir, '.heartbeat'), String(Date.now())), 20);
    try {
      const started = Date.now();
      writeFileSync(join(dir, 'x.yaml'), 'b');
      while (reports === 0 && Date.now() - started < 3000) await new Promise((r) => setTimeout(r, 20));
      expect(reports).toBeGreaterThan(0); // before the writer stops
    } finally {
      clearInterval(beat);
    }
  });

  it('keeps seeing a file after it was replaced by a rename', async () => {
    const x = join(dir, 'x.yaml');
    await change('an edit in place', () => writeFileSync(x, 'b'));
    await change('a replace by rename', () => replace(x, 'c'));
    await change('an edit in place after the rename', () => writeFileSync(x, 'd'));
    await change('sed -i', () => execFileSync('sed', ['-i', 's/d/e/', x]));
    await change('an edit in place after sed -i', () => writeFileSync(x, 'f'));
  });

  it('follows subdirectories, new ones and replaced files in them', async () => {
    const y = join(dir, 'tenants', 'acme', 'y.yaml');
    await change('a new file in a subdirectory', () => writeFileSync(y, 'a'));
    await change('a replace by rename in it', () => replace(y, 'b'));
    await change('an edit in place after it', () => writeFileSync(y, 'c'));
    const z = join(dir, 'tenants', 'globex', 'z.yaml');
    await change('a new subdirectory with a file', () => {
      mkdirSync(join(dir, 'tenants', 'globex'));
      writeFileSync(z, 'a');
    });
    await change('an edit in the new subdirectory', () => writeFileSync(z, 'b'));
    await change('the subdirectory removed', () => rmSync(join(dir, 'tenants', 'globex'), { recursive: true }));
    await change('recreated with a file', () => {
      mkdirSync(join(dir, 'tenants', 'globex'));
      writeFileSync(z, 'c');
    });
    await change('an edit in the recreated subdirectory', () => writeFileSync(z, 'd'));
  });

  it('follows the rules directory removed and made again, and its files from then on', async () => {
    const x = join(dir, 'x.yaml');
    await change('the directory removed', () => rmSync(dir, { recursive: true }));
    await change('made again with a file', () => {
      mkdirSync(dir);
      writeFileSync(x, 'a');
    });
    await change('an edit in the new directory', () => writeFileSync(x, 'b'));
  });

  it('follows a symbolic link to a directory, as the rules reader does', async () => {
    await outside('mge-watch-shared-', async (shared) => {
      await change('a link to a shared directory', () => symlinkSync(shared, join(dir, 'security')));
      await change('an edit in the linked directory', () => writeFileSync(join(shared, 's.yaml'), 'a'));
      await change('another edit there', () => writeFileSync(join(shared, 's.yaml'), 'b'));
    });
  });

  it('follows a linked file\'s target where it lives, edited in place or replaced (a review, 11-27: never seen)', async () => {
    await outside('mge-watch-shared-', async (shared) => {
      writeFileSync(join(shared, 'a.yaml'), 'a');
      await change('a link to a file elsewhere', () => symlinkSync(join(shared, 'a.yaml'), join(dir, 'a.yaml')));
      await change('the target edited in place', () => writeFileSync(join(shared, 'a.yaml'), 'b'));
      await change('the target replaced by a rename', () => replace(join(shared, 'a.yaml'), 'c'));
      await change('and edited again', () => writeFileSync(join(shared, 'a.yaml'), 'd'));
    });
  });

  it('sees a hard-linked file written through its name outside the tree (a review, 11-29: never seen)', async () => {
    await outside('mge-watch-shared-', async (shared) => {
      writeFileSync(join(shared, 'h.yaml'), 'a');
      await change('a hard link into the tree', () => linkSync(join(shared, 'h.yaml'), join(dir, 'h.yaml')));
      await change('the file written through its other name', () => writeFileSync(join(shared, 'h.yaml'), 'b'));
      await change('and again', () => writeFileSync(join(shared, 'h.yaml'), 'cc'));
      // Both names removed and the file made again, linked again: the file system may give it
      // the same inode number at once (a re-review, 11-29: the dead watch was kept, and later
      // writes through the outside name went unseen).
      // In one burst, so no walk runs between the removal and the new file.
      await change('both names removed, the file made and linked again', () => {
        rmSync(join(dir, 'h.yaml'));
        rmSync(join(shared, 'h.yaml'));
        writeFileSync(join(shared, 'h.yaml'), 'd');
        linkSync(join(shared, 'h.yaml'), join(dir, 'h.yaml'));
      });
      await change('written through the outside name after that', () => writeFileSync(join(shared, 'h.yaml'), 'ee'));
      await change('and again', () => writeFileSync(join(shared, 'h.yaml'), 'fff'));
    });
  });

  it('sees the target of a dangling link appear (a review, 11-28: the rule behind it never went live)', async () => {
    await outside('mge-watch-shared-', async (shared) => {
      await change('a link to a file not there yet', () => symlinkSync(join(shared, 'deny.yaml'), join(dir, 'deny.yaml')));
      await change('the file written where the link points', () => writeFileSync(join(shared, 'deny.yaml'), 'a'));
    });
  });

  it('follows a link on the way to the rules directory swapped to another release (a review, 11-27: never seen)', async () => {
    await outside('mge-watch-releases-', async (base) => {
      for (const v of ['v1', 'v2']) {
        mkdirSync(join(base, v));
        writeFileSync(join(base, v, 'x.yaml'), v);
      }
      symlinkSync(join(base, 'v1'), join(base, 'current'));
      watcher!.close();
      watcher = watchRules(join(base, 'current'), () => seen++, { debounceMs: 20 });
      await change('current swapped to v2 (ln -sfn, then mv -T)', () => {
        symlinkSync(join(base, 'v2'), join(base, 'current.tmp'));
        renameSync(join(base, 'current.tmp'), join(base, 'current'));
      });
      await change('an edit in v2, now the rules directory', () => writeFileSync(join(base, 'v2', 'x.yaml'), 'v2b'));
    });
  });

  it('reports nothing after close', async () => {
    watcher!.close();
    writeFileSync(join(dir, 'x.yaml'), 'z');
    await new Promise((r) => setTimeout(r, 200));
    expect(seen).toBe(0);
  });
});

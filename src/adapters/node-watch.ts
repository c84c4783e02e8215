// Watches the rules directory and its subdirectories and calls `onChange` once a burst of edits
// has settled: editors write a file in several steps, and a reload per step would compile
// half-written rules.
//
// One plain watcher per directory, not `fs.watch(dir, { recursive: true })`: on Linux, Node 20
// emulates recursion with a watcher per file, and once a file is replaced by a rename (`sed -i`,
// `mv`, any editor that saves atomically) the new file is never watched again, so every later
// edit to it went unseen and the old rules kept serving without a word. A directory's own
// watcher reports changes to whatever file currently has each name. After every settled burst
// the tree is walked again, so directories created, removed or replaced since (the rules
// directory itself included) are watched or dropped, and symbolic links to directories are
// followed as the rules reader follows them.

import { readdirSync, realpathSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';

export interface RulesWatcher {
  close(): void;
}

/** While the rules directory is gone, how often to look for it again. */
const ROOT_RETRY_MS = 1000;

/**
 * `dir` and every directory below it, each with its inode (a directory removed and made again
 * under the same name is another one). Symbolic links to directories are followed, each real
 * directory once; dot-directories are skipped, as the rules reader skips them.
 */
function directoriesUnder(dir: string): Map<string, number> {
  const found = new Map<string, number>();
  const real = new Set<string>();
  const queue = [dir];
  for (let d = queue.shift(); d !== undefined; d = queue.shift()) {
    try {
      const st = statSync(d);
      const r = realpathSync(d);
      if (!st.isDirectory() || real.has(r)) continue;
      real.add(r);
      found.set(d, st.ino);
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (!e.name.startsWith('.') && (e.isDirectory() || e.isSymbolicLink())) queue.push(join(d, e.name));
      }
    } catch {
      continue; // removed meanwhile, or a dangling link: the reader reports what matters
    }
  }
  return found;
}

/** @example const w = watchRules('./rules', () => reload(), { debounceMs: 150 }) */
export function watchRules(dir: string, onChange: () => void, opts: { debounceMs?: number } = {}): RulesWatcher {
  const debounceMs = opts.debounceMs ?? 150;
  const watchers = new Map<string, { watcher: FSWatcher; ino: number }>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  /** The one pending look for a rules directory that is gone (every walk may ask for it). */
  let retry: ReturnType<typeof setTimeout> | undefined;
  let closed = false;

  const changed = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      if (closed) return;
      follow();
      onChange();
    }, debounceMs);
  };

  /** Watches every directory of the tree not watched yet; drops those gone or replaced. */
  function follow(): void {
    const now = directoriesUnder(dir);
    for (const [d, w] of watchers) {
      if (now.get(d) !== w.ino) {
        w.watcher.close();
        watchers.delete(d);
      }
    }
    for (const [d, ino] of now) {
      if (watchers.has(d)) continue;
      try {
        const watcher = watch(d, { persistent: false }, changed);
        // A directory's watcher fails when it is removed; the next walk sees what is there.
        watcher.on('error', changed);
        watchers.set(d, { watcher, ino });
      } catch {
        // removed between the walk and here: the next event or retry walks again
      }
    }
    // The rules directory itself gone (removed, or being replaced): nothing reports its return,
    // so look again until it is back; then its files are read (the reload after this walk).
    if (!watchers.has(dir) && !closed && retry === undefined) {
      retry = setTimeout(() => {
        retry = undefined;
        if (closed || watchers.has(dir)) return;
        follow();
        if (watchers.has(dir)) onChange();
      }, ROOT_RETRY_MS).unref();
    }
  }

  follow();
  if (!watchers.has(dir)) {
    closed = true;
    for (const w of watchers.values()) w.watcher.close();
    throw new Error(`cannot watch the rules directory \`${dir}\``);
  }
  return {
    close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      if (retry !== undefined) clearTimeout(retry);
      for (const w of watchers.values()) w.watcher.close();
      watchers.clear();
    },
  };
}

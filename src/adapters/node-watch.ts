// Watches the rules directory and its subdirectories and calls `onChange` once a burst of edits
// has settled: editors write a file in several steps, and a reload per step would compile
// half-written rules.
//
// One plain watcher per directory, not `fs.watch(dir, { recursive: true })`: on Linux, Node 20
// emulates recursion with a watcher per file, and once a file is replaced by a rename (`sed -i`,
// `mv`, any editor that saves atomically) the new file is never watched again, so every later
// edit to it went unseen and the old rules kept serving without a word. A directory's own
// watcher reports changes to whatever file currently has each name. After every settled burst
// the tree is walked again, so directories created or removed since are watched or dropped.

import { readdirSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';

export interface RulesWatcher {
  close(): void;
}

/** `dir` and every directory below it (symbolic links are not followed). */
function directoriesUnder(dir: string): string[] {
  const found = [dir];
  for (let i = 0; i < found.length; i++) {
    let entries;
    try {
      entries = readdirSync(found[i], { withFileTypes: true });
    } catch {
      continue; // removed meanwhile: its watcher is dropped below
    }
    for (const e of entries) if (e.isDirectory()) found.push(join(found[i], e.name));
  }
  return found;
}

/** @example const w = watchRules('./rules', () => reload(), { debounceMs: 150 }) */
export function watchRules(dir: string, onChange: () => void, opts: { debounceMs?: number; onError?: (err: Error) => void } = {}): RulesWatcher {
  const debounceMs = opts.debounceMs ?? 150;
  const watchers = new Map<string, FSWatcher>();
  let timer: ReturnType<typeof setTimeout> | undefined;
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

  /** Watches every directory of the tree that is not watched yet; drops those that are gone. */
  function follow(): void {
    const now = new Set(directoriesUnder(dir));
    for (const [d, w] of watchers) {
      if (!now.has(d)) {
        w.close();
        watchers.delete(d);
      }
    }
    for (const d of now) {
      if (watchers.has(d)) continue;
      let w: FSWatcher;
      try {
        w = watch(d, { persistent: false }, changed);
      } catch (err) {
        if (d === dir) throw err; // the rules directory itself: the caller says hot reload is off
        continue; // a subdirectory removed between the walk and here
      }
      // A subdirectory's watcher fails when it is removed; the next walk drops it. The root's
      // failure ends hot reload, and the caller logs that.
      w.on('error', (err) => {
        if (d === dir) opts.onError?.(err);
        else changed();
      });
      watchers.set(d, w);
    }
  }

  follow();
  return {
    close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      for (const w of watchers.values()) w.close();
      watchers.clear();
    },
  };
}

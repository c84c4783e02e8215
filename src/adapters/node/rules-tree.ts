// The directories of a rules tree as the rules reader walks them (node/files.ts): the watcher
// watches them (node/watch.ts) and the sidecar refuses a data directory inside one of them.

import { readdirSync, realpathSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';

/** What a walk of the rules tree found to watch. */
export interface Tree {
  /**
   * `dir` and every directory below it, each with its identity: inode and birth time, so one
   * removed and made again under the same name is another (the file system may give it the
   * same inode at once: `rm -r rules; mkdir rules` kept its dead watcher).
   */
  dirs: Map<string, string>;
  /**
   * Each symbolic link in the tree (to a file or a directory), and where it resolves to;
   * undefined for a dangling one, so its target appearing later is seen too (else
   * the rule behind it never goes live until another file changes).
   */
  links: Map<string, string | undefined>;
  /** Where the links to files resolve to: those files are edited outside the tree. */
  linkedFiles: Set<string>;
  /**
   * Files of the tree with more than one name (hard links), each with its identity (inode and
   * birth time, as for directories: a file made again may get the same inode number at once):
   * one may be written through a name outside the tree, which no watcher of the tree's
   * directories hears.
   */
  hardLinkedFiles: Map<string, string>;
  /** Where the rules directory itself resolves to (a deploy may swap a link on its path). */
  root: string | undefined;
  /** The real path of every directory walked: whatever lies in one of them is read as rules. */
  realDirs: Set<string>;
}

/**
 * Walks the rules tree. Symbolic links to directories are followed, each real directory once;
 * dot-directories are skipped, as the rules reader skips them.
 */
export function walkTree(dir: string): Tree {
  const tree: Tree = { dirs: new Map(), links: new Map(), linkedFiles: new Set(), hardLinkedFiles: new Map(), root: realpathOrUndefined(dir), realDirs: new Set() };
  const real = tree.realDirs;
  const queue = [dir];
  for (let d = queue.shift(); d !== undefined; d = queue.shift()) {
    try {
      const st = statSync(d);
      const r = realpathSync(d);
      if (!st.isDirectory() || real.has(r)) continue;
      real.add(r);
      tree.dirs.set(d, `${st.ino}:${st.birthtimeMs}`);
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.name.startsWith('.')) continue;
        const path = join(d, e.name);
        if (e.isSymbolicLink()) {
          const target = realpathOrUndefined(path);
          tree.links.set(path, target);
          if (target === undefined) continue; // dangling: the reader reports it
          // A file is watched where it lives; walked again as a directory it would be stat'ed
          // twice. A throw here would have left the rest of this directory unwalked.
          if (isFile(target)) {
            tree.linkedFiles.add(target);
            continue;
          }
        }
        if (e.isDirectory() || e.isSymbolicLink()) queue.push(path);
        else if (e.isFile()) {
          const st = statOrUndefined(path); // removed meanwhile: the reader reports it
          if (st !== undefined && st.nlink > 1) tree.hardLinkedFiles.set(path, `${st.ino}:${st.birthtimeMs}`);
        }
      }
    } catch {
      continue; // removed meanwhile, or a dangling link: the reader reports what matters
    }
  }
  return tree;
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function isFile(path: string): boolean {
  return statOrUndefined(path)?.isFile() === true;
}

export function realpathOrUndefined(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

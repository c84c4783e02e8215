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
//
// A file with more than one name (a hard link) has a watcher of its own (inotify watches the
// inode, so it hears a write through any name): written through a name outside the tree, it
// changes no watched directory. A hard link made after the last walk is not known until the
// next one (docs/http.md says so).
//
// A directory the system will not watch (ENOSPC: the inotify watch limit, shared by every
// process of the user, is reached; EMFILE) is looked at every second instead, and said once:
// passed over in silence, edits there would never load.

import { statSync, watch as fsWatch, type FSWatcher } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { realpathOrUndefined, walkTree, type Tree } from './rules-tree.js';

export interface RulesWatcher {
  close(): void;
}

/** A path the system would not watch, and why (looked at every second instead). */
interface Unwatchable {
  path: string;
  isDir: boolean;
  err: unknown;
}

/** A path watched, with its identity when the watch began (a path replaced since is watched anew). */
interface Watch {
  watcher: FSWatcher;
  id: string;
}

/** While the rules directory is gone, how often to look for it again. */
const ROOT_RETRY_MS = 1000;
/** How often to look where the links on the way to and in the rules tree resolve to. */
const LINK_POLL_MS = 1000;
/** Unwatchable paths named in their warning; the rest counted. */
const SAID = 3;

export interface WatchOptions {
  debounceMs?: number;
  /** The longest a burst may hold a reload back, counted from its first event (default 1 000 ms). */
  maxWaitMs?: number;
  /** Said once per directory the system will not watch (looked at every second instead). */
  onWarning?: (message: string) => void;
  /** `fs.watch`, or a stand-in (tests make it fail as a full inotify table does). */
  watch?: typeof fsWatch;
}

/**
 * What a look at a directory sees: each entry's name, inode, size and change time (links
 * followed); '' once it cannot be read. Two looks differ when anything in it was written,
 * replaced, added or removed. Off the main thread (10 000 files looked at with sync calls
 * stalled the server up to 69 ms a second).
 */
async function lookAt(path: string, isDir: boolean): Promise<string> {
  const entry = async (p: string): Promise<string> => {
    const s = await stat(p).catch(() => undefined);
    return s === undefined ? '-' : `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
  };
  if (!isDir) return entry(path);
  const names = await readdir(path).catch(() => undefined);
  if (names === undefined) return '';
  const seen: string[] = [];
  for (const name of names.sort()) seen.push(`${name}/${await entry(join(path, name))}`);
  return seen.join('\n');
}

/** @example const w = watchRules('./rules', () => reload(), { debounceMs: 150 }) */
export function watchRules(dir: string, onChange: () => void, opts: WatchOptions = {}): RulesWatcher {
  const debounceMs = opts.debounceMs ?? 150;
  const maxWaitMs = opts.maxWaitMs ?? 1000;
  const watch = opts.watch ?? fsWatch;
  const watchers = new Map<string, Watch>();
  /**
   * Directories (and linked files) the system would not watch, with what the last look saw;
   * each walk tries to watch them again.
   */
  const polled = new Map<string, { id: string; seen: string | undefined; isDir: boolean }>();
  const warned = new Set<string>();
  /** A poll's looks in progress (one at a time). */
  let looking = false;
  /**
   * A linked file's target is edited where it lives, outside the tree's watchers (such an
   * edit would never be seen): its directory is watched for its name.
   */
  const targets = new Map<string, Watch>();
  /** The tree's files with other names (hard links), each watched itself, by the inode it had. */
  const inodes = new Map<string, Watch>();
  /** The last walk: where the links on the way resolved to then (see `poll`). */
  let walked: Tree | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  /** When the burst the timer waits out began. */
  let burstStart: number | undefined;
  /** The one pending look for a rules directory that is gone (every walk may ask for it). */
  let retry: ReturnType<typeof setTimeout> | undefined;
  let closed = false;

  const changed = (): void => {
    // Each event waits the debounce again, but never past maxWaitMs from the burst's first: a
    // file written every 50 ms in the tree (a heartbeat, a log, even a dotfile the reader skips)
    // held every rule edit back for as long as it ran (a new deny rule unseen).
    const now = performance.now();
    burstStart ??= now;
    const wait = Math.max(0, Math.min(debounceMs, burstStart + maxWaitMs - now));
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      burstStart = undefined;
      if (closed) return;
      follow();
      // The polled are looked at before the reload reads them: an edit after that is seen.
      void lookAgain().then(() => {
        if (!closed) onChange();
      });
    }, wait);
  };

  /** Walks the tree again: watches what is new in it, drops what is gone or replaced. */
  function follow(): void {
    const tree = (walked = walkTree(dir));
    for (const [p, at] of polled) {
      if (at.isDir ? tree.dirs.get(p) !== at.id : !tree.linkedFiles.has(p) && !tree.hardLinkedFiles.has(p)) polled.delete(p);
    }
    const unwatchable: Unwatchable[] = [];
    watchLinkTargets(tree, unwatchable);
    watchDirectories(tree, unwatchable);
    watchHardLinked(tree, unwatchable);
    lookEverySecond(unwatchable);
    if (!watched(dir)) lookForRootLater();
  }

  /**
   * Keeps `watched` to what the walk found (`wanted`: path → identity at the walk): closes the
   * watcher of a path gone or replaced, opens one (`open`) for each path new or replaced, and
   * lists those the system will not watch.
   */
  function keepWatching(watched: Map<string, Watch>, wanted: ReadonlyMap<string, string>, open: (path: string) => FSWatcher, isDir: boolean, unwatchable: Unwatchable[]): void {
    for (const [p, w] of watched) {
      if (wanted.get(p) !== w.id) {
        w.watcher.close();
        watched.delete(p);
      }
    }
    for (const [p, id] of wanted) {
      if (watched.has(p)) continue;
      try {
        const watcher = open(p);
        // A watcher fails when its path is removed; the next walk sees what is there.
        watcher.on('error', changed);
        watched.set(p, { watcher, id });
        polled.delete(p); // looked at every second while it could not be watched
      } catch (err) {
        // Gone between the walk and here (the next event, retry or reload reports it), or not watchable.
        if (existsAt(p, isDir)) unwatchable.push({ path: p, isDir, err });
      }
    }
  }

  /** Each symbolic link's target file, through a watcher of the directory it lives in. */
  function watchLinkTargets(tree: Tree, unwatchable: Unwatchable[]): void {
    const wanted = new Map([...tree.linkedFiles].map((t) => [t, t]));
    keepWatching(targets, wanted, (t) => {
      const name = basename(t);
      return watch(dirname(t), { persistent: false }, (_event, changedName) => {
        if (changedName === null || changedName === name) changed();
      });
    }, false, unwatchable);
  }

  /** Every directory of the tree, by the identity it had at the walk (a replaced one is watched anew). */
  function watchDirectories(tree: Tree, unwatchable: Unwatchable[]): void {
    keepWatching(watchers, tree.dirs, (d) => watch(d, { persistent: false }, changed), true, unwatchable);
  }

  /**
   * The rules directory itself gone (removed, or being replaced): nothing reports its return,
   * so look again until it is back; then its files are read (the reload after this walk).
   */
  function lookForRootLater(): void {
    if (closed || retry !== undefined) return;
    retry = setTimeout(() => {
      retry = undefined;
      if (closed || watched(dir)) return;
      follow();
      if (watched(dir)) {
        void lookAgain().then(() => {
          if (!closed) onChange(); // closed meanwhile: no reload after the reloader's close
        });
      }
    }, ROOT_RETRY_MS).unref();
  }

  /**
   * A file with another name may be written through it, outside every watched directory (the
   * old rules would serve on, the edit unseen). Watched itself, by inode: polling them
   * each second cost 15 % of a core with a tree of 5 000 hard-linked files (`cp -al`). Called
   * after the directories are watched, so that near the inotify limit they are not the ones
   * looked at each second.
   */
  function watchHardLinked(tree: Tree, unwatchable: Unwatchable[]): void {
    keepWatching(inodes, tree.hardLinkedFiles, (f) => {
      const watcher = watch(f, { persistent: false }, (event) => {
        // 'rename': the inode lost its last name (or was moved): its watch is dead, and a
        // file made again may get its inode number at once (a re-review): dropped, so the
        // walk this change brings watches what is there now.
        if (event === 'rename' && inodes.get(f)?.watcher === watcher) {
          watcher.close();
          inodes.delete(f);
        }
        changed();
      });
      return watcher;
    }, false, unwatchable);
  }

  const watched = (d: string): boolean => watchers.has(d) || polled.has(d);

  function existsAt(path: string, isDir: boolean): boolean {
    try {
      return statSync(path).isDirectory() === isDir;
    } catch {
      return false;
    }
  }

  /**
   * Looks at these every second from now on (until a walk can watch them); those not said
   * before are said in one warning (not a line per directory of a large tree).
   */
  function lookEverySecond(unwatchable: readonly Unwatchable[]): void {
    for (const u of unwatchable) if (!polled.has(u.path)) polled.set(u.path, { id: u.isDir ? (walked?.dirs.get(u.path) ?? u.path) : u.path, seen: undefined, isDir: u.isDir });
    const fresh = unwatchable.filter((u) => !warned.has(u.path));
    if (fresh.length === 0) return;
    for (const u of fresh) warned.add(u.path);
    const code = (fresh[0].err as NodeJS.ErrnoException).code ?? String(fresh[0].err);
    const why = code === 'ENOSPC' ? 'ENOSPC: the inotify watch limit, fs.inotify.max_user_watches, is reached' : code;
    const named = fresh.slice(0, SAID).map((u) => `\`${u.path}\``).join(', ') + (fresh.length > SAID ? ` and ${fresh.length - SAID} more` : '');
    const what = fresh.length === 1 ? `rules ${fresh[0].isDir ? 'directory' : 'file'} ${named} cannot be watched` : `${fresh.length} rules directories or files cannot be watched: ${named}`;
    opts.onWarning?.(`${what} (${why}); looked at every second instead`);
  }

  /** What each polled path holds now, the baseline later looks compare with. */
  async function lookAgain(): Promise<void> {
    for (const [p, at] of polled) at.seen = await lookAt(p, at.isDir);
  }

  /**
   * A link swapped on the way to the rules directory (the `current -> release-42` deploy) or
   * retargeted inside it changes no watched directory: nothing reports it. Where each resolves
   * is looked at every second instead (else a swapped `current` is never noticed).
   */
  const poll = setInterval(() => {
    if (closed || timer !== undefined || walked === undefined) return;
    if (polled.size > 0 && !looking) {
      looking = true;
      void (async () => {
        for (const [p, at] of polled) {
          if (at.seen === undefined) at.seen = await lookAt(p, at.isDir); // its first look
          else if ((await lookAt(p, at.isDir)) !== at.seen) return changed();
        }
      })().finally(() => (looking = false));
    }
    if (realpathOrUndefined(dir) !== walked.root) return changed();
    for (const [link, target] of walked.links) if (realpathOrUndefined(link) !== target) return changed();
  }, LINK_POLL_MS).unref();

  function close(): void {
    closed = true;
    if (timer !== undefined) clearTimeout(timer);
    if (retry !== undefined) clearTimeout(retry);
    clearInterval(poll);
    for (const watched of [watchers, targets, inodes]) {
      for (const w of watched.values()) w.watcher.close();
      watched.clear();
    }
  }

  follow();
  void lookAgain(); // the first baselines, as soon as may be
  if (!watched(dir)) {
    close();
    throw new Error(`cannot watch the rules directory \`${dir}\``);
  }
  return { close };
}

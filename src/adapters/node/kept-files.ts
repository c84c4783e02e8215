// Files of the data directory that matter at the next start, not to the running server: the
// signing key it made and the lock. Removed while the server runs (`rm -rf data` by mistake, a
// volume remounted), they were gone for good: the key existed only in this process's memory, so
// the next start made a new one and refused every log signed with the old,
// and without the lock a second server could start on the same directory. The audit logs are
// written back by their own store (node/log-write-back.ts); these are looked for every second and
// written back whole, said in a `warn` line.

import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../../http/logger.js';
import { makeDirDurably, writeNewFile } from './new-file.js';

export interface KeptFile {
  path: string;
  /** What it is, for the log line: `the receipt secret`. */
  what: string;
  /** Its text, or how to get it when it is written back (a record rewritten as the server runs). */
  text: string | (() => string);
  mode: number;
  /** Written back only while this holds (the lock: only while its lease is fresh). */
  when?: () => boolean;
}

const LOOK_EVERY_MS = 1000;

/** Writes `f` back if it is gone (`gone`: whether it is, by default no file at its path). */
export type KeepFile = (f: KeptFile, gone?: () => Promise<boolean>) => Promise<void>;

/**
 * `more`: called at each look with the function that keeps one file, for files found then (the
 * API rules, which it writes back while no rule change is under way).
 * @example const kept = keepFiles([{ path: 'data/secret.key', what: 'the receipt secret', text, mode: 0o600 }], logger); … await kept.stop()
 */
export function keepFiles(files: readonly KeptFile[], logger: Logger, everyMs = LOOK_EVERY_MS, more?: (keep: KeepFile) => Promise<void>): { stop(): Promise<void>; cancel(): void } {
  let looking: Promise<void> = Promise.resolve();
  let cancelled = false;
  /** Files whose write-back failed, said once until one succeeds. */
  const failing = new Set<string>();
  const missing = (path: string) => stat(path).then(() => false, (err: NodeJS.ErrnoException) => err.code === 'ENOENT');
  const keep: KeepFile = async (f, gone = () => missing(f.path)) => {
    if (cancelled || f.when?.() === false || !(await gone())) return;
    try {
      await makeDirDurably(dirname(f.path)); // the whole data directory may be gone
      // Asked again right before: the look above waits on the disk.
      if (cancelled || f.when?.() === false) return;
      // Never over a file put there meanwhile (another server's lock, a key given by hand).
      if (await writeNewFile(f.path, typeof f.text === 'string' ? f.text : f.text(), f.mode)) logger.warn(`${f.what} was removed from the data directory while the server ran; written back`, { file: f.path });
      failing.delete(f.path);
    } catch (err) {
      if (failing.has(f.path)) return;
      failing.add(f.path);
      logger.error(`${f.what} was removed from the data directory while the server ran and could not be written back`, { file: f.path, error: err });
    }
  };
  const look = async (): Promise<void> => {
    for (const f of files) await keep(f);
    // A look that throws would end the chain of looks: what `more` cannot do is left for the next.
    await more?.(keep).catch((err: unknown) => logger.error('the data directory could not be looked at for removed API rules', { error: err }));
  };
  const timer = setInterval(() => {
    looking = looking.then(look);
  }, everyMs);
  timer.unref();
  return {
    // A last look: a file removed just before the stop (`rm -rf data`, then a restart) is
    // written back as the audit log is at close (else the log comes back, its key not).
    stop: async () => {
      clearInterval(timer);
      if (cancelled) return;
      await (looking = looking.then(look));
    },
    // No more looks, not even the stop's (the data directory is another server's now).
    cancel: () => {
      cancelled = true;
      clearInterval(timer);
    },
  };
}

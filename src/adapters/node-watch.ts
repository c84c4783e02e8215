// Watches the rules directory (recursively) and calls `onChange` once a burst of edits has
// settled: editors write a file in several steps, and a reload per step would compile
// half-written rules.

import { watch, type FSWatcher } from 'node:fs';

export interface RulesWatcher {
  close(): void;
}

/** @example const w = watchRules('./rules', () => reload(), { debounceMs: 150 }) */
export function watchRules(dir: string, onChange: () => void, opts: { debounceMs?: number; onError?: (err: Error) => void } = {}): RulesWatcher {
  const debounceMs = opts.debounceMs ?? 150;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const watcher: FSWatcher = watch(dir, { recursive: true, persistent: false }, () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      onChange();
    }, debounceMs);
  });
  watcher.on('error', (err) => opts.onError?.(err));
  return {
    close() {
      if (timer !== undefined) clearTimeout(timer);
      watcher.close();
    },
  };
}

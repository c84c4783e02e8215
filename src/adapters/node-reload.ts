// Hot reload of the rules directory: a settled burst of edits re-reads every file and hands
// them to the engine, which compiles aside and swaps only a fully valid set. A bad edit is
// logged with its diagnostics and ignored; the rules already serving keep serving.

import type { Engine } from '../engine/engine.js';
import { formatDiagnostic } from '../diagnostics/format.js';
import type { Logger } from '../http/logger.js';
import type { ServerMetrics } from '../http/metrics.js';
import { readRulesDir } from './node-files.js';
import { watchRules } from './node-watch.js';

export type ReloadResult = 'ok' | 'rejected' | 'error';

export interface RulesReloader {
  /** Reloads now (also what a file change triggers); runs after any reload in progress. */
  reload(): Promise<ReloadResult>;
  close(): void;
}

export interface ReloaderOptions {
  dir: string;
  engine: Engine;
  metrics: ServerMetrics;
  logger: Logger;
  debounceMs?: number;
}

/** @example const reloader = startRulesReloader({ dir: './rules', engine, metrics, logger }) */
export function startRulesReloader(opts: ReloaderOptions): RulesReloader {
  const { dir, engine, metrics, logger } = opts;
  // One reload at a time, each reading the directory afresh, so an older read never lands last.
  let chain: Promise<ReloadResult> = Promise.resolve('ok');

  async function once(): Promise<ReloadResult> {
    const before = engine.policy().policyVersion;
    try {
      const result = await engine.reloadFiles(await readRulesDir(dir));
      if (result.ok) {
        metrics.reloads.inc({ source: 'files', result: 'ok' });
        logger.info('rules reloaded', { dir, policy_version: engine.policy().policyVersion, previous: before });
        return 'ok';
      }
      metrics.reloads.inc({ source: 'files', result: 'rejected' });
      logger.warn('rules change ignored: the new rules have errors; the previous rules keep serving', {
        dir, policy_version: before, diagnostics: result.diagnostics.map((d) => formatDiagnostic(d)),
      });
      return 'rejected';
    } catch (err) {
      metrics.reloads.inc({ source: 'files', result: 'error' });
      logger.error('rules reload failed; the previous rules keep serving', { dir, error: err });
      return 'error';
    }
  }

  const reload = (): Promise<ReloadResult> => (chain = chain.then(once, once));
  const watcher = watchRules(dir, () => void reload(), {
    debounceMs: opts.debounceMs,
    onError: (err) => logger.error('rules watcher failed; hot reload is off', { dir, error: err }),
  });
  return { reload, close: () => watcher.close() };
}

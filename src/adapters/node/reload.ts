// Hot reload of the rules directory: a settled burst of edits re-reads every file and hands
// them to the engine, which compiles aside and swaps only a fully valid set. A bad edit is
// logged with its diagnostics and ignored; the rules already serving keep serving.

import type { Engine, PoliciesAt } from '../../engine/engine.js';
import { formatDiagnostic, underDir } from '../../diagnostics/format.js';
import type { AuditPort } from '../../http/audit-port.js';
import type { Logger } from '../../http/logger.js';
import { ruleDiff } from '../../http/rule-changes.js';
import { ruleChangeEntry } from '../../audit/rule-change.js';
import type { ServerMetrics } from '../../http/metrics.js';
import { readRulesDirWarned } from './files.js';
import { hasGlobalSource } from '../../rules/load.js';
import { watchRules } from './watch.js';
import type { RulesRecord } from './rules-in-force.js';

export type ReloadResult = 'ok' | 'rejected' | 'error';

/** What one reload's entries reached. */
interface Recorded {
  /** Every tenant whose log was looked at. */
  tenants: string[];
  /**
   * Those whose rules it changed, for its log line: `policy_version` there is the global
   * rules' (a tenant-only edit's line reads as "no change" without this).
   */
  changed: string[];
  /** Those whose log refused the entries. */
  notLogged: Set<string>;
}

export interface RulesReloader {
  /** Reloads now (also what a file change triggers); runs after any reload in progress. */
  reload(): Promise<ReloadResult>;
  /**
   * Stops watching; resolves once the reload in progress, if any, is done (its rule-change
   * entries are in the log before the shutdown keeps its checkpoints).
   */
  close(): Promise<void>;
}

export interface ReloaderOptions {
  dir: string;
  engine: Engine;
  metrics: ServerMetrics;
  logger: Logger;
  /** Where each tenant's rule changes are appended (`by: "rules-dir"`). */
  audit: AuditPort;
  /** The tenants a caller can be: the API keys' tenants, or `default` in open mode. */
  callerTenants: readonly string[];
  /** The record of the rules in force, kept after each reload for the next start (node/rules-in-force.ts). */
  rulesRecord?: RulesRecord;
  now?: () => number;
  debounceMs?: number;
}

/** @example const reloader = startRulesReloader({ dir: './rules', engine, metrics, logger, audit, callerTenants: ['default'] }) */
export function startRulesReloader(opts: ReloaderOptions): RulesReloader {
  const { dir, engine, metrics, logger, audit } = opts;
  const now = opts.now ?? Date.now;

  /**
   * Audits what the reload changes, per tenant: its policy before and after the swap. Every
   * tenant a caller can be, or that has (or will have) its own rules, or a log: a global change
   * reaches all of them, so each auditor sees it, even one whose tenant has made no check yet.
   * Runs before the swap, so no decision under the new rules precedes its entry in a log; a
   * tenant whose log cannot take the entry is named in the server log (the others' rules are
   * not held back by it). What the entries reached is written into `into`, for the reload's log
   * line and for the record of the rules in force kept once the new rules serve.
   */
  async function record(before: PoliciesAt, after: PoliciesAt, tenantsAfter: string[], into: Recorded): Promise<void> {
    const timestamp = new Date(now()).toISOString();
    // The logs on disk may not be listable (a failed store): the reload still goes live.
    const logged = await audit.tenants().catch((err: unknown) => (logger.error('rule reload: audit logs not listed', { error: err }), []));
    const tenants = [...new Set([...opts.callerTenants, ...engine.tenants(), ...tenantsAfter, ...logged])].sort();
    into.tenants = tenants;
    for (const tenant of tenants) {
      const policy = after(tenant);
      const entries = ruleDiff(before(tenant).rules, policy.rules, (r) => engine.isFromApi(tenant, r)).map((c) => ruleChangeEntry(c.ruleId, c.op, policy.policyVersion, 'rules-dir', timestamp));
      if (entries.length === 0) continue;
      into.changed.push(tenant);
      await audit.append(tenant, entries).catch((err: unknown) => {
        into.notLogged.add(tenant);
        logger.error('rule reload not audited', { tenant, error: err });
      });
    }
  }
  // One reload at a time, each reading the directory afresh, so an older read never lands last.
  let chain: Promise<ReloadResult> = Promise.resolve('ok');
  /**
   * The rule files (and the reader's warnings) of the last reload, when it went live: a burst
   * that changed none of them (a file the reader skips, written every 50 ms, is cut into a
   * reload a second by the watcher's longest wait) is passed over without compiling or logging
   * again. A misnamed rule file added (`deny.ymal`) is a new warning, so it is said;
   * after a refused reload nothing is passed over, so going back to the
   * files in force is said too.
   */
  let applied: string | undefined;

  async function once(): Promise<ReloadResult> {
    const before = engine.policy().policyVersion;
    try {
      const read = await readRulesDirWarned(dir);
      // JSON, so no text can make two different sets read alike.
      const files = JSON.stringify([
        read.sources.map((s) => [s.path, s.text]).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
        read.warnings.map((d) => formatDiagnostic(d)),
      ]);
      if (files === applied) return 'ok';
      applied = undefined; // until this reload goes live
      // A directory emptied of rule files is what a deploy that removes the old files before
      // copying the new ones (`rm rules/*; cp new/* rules/`, `mv rules old; mkdir rules`) shows
      // in between: loaded, every check was approved until the copy landed. It
      // is refused like an emptied file; to drop every rule, leave a file saying `rules: []`.
      // So is a baseline emptied while tenant folders stay (`rm rules/*` leaves `tenants/`):
      // every tenant lost its global rules, one with none of its own approved every check.
      const emptied = read.sources.length === 0 && engine.hasFileRules()
        ? 'the rules directory holds no rule file'
        : !hasGlobalSource(read.sources) && engine.hasGlobalFileRules()
          ? 'the rules directory holds no global rule file (only `tenants/`), while global rules serve'
          : undefined;
      if (emptied !== undefined) {
        metrics.reloads.inc({ source: 'files', result: 'rejected' });
        logger.warn(`rules change ignored: ${emptied}; the previous rules keep serving (to remove them, leave a file holding \`rules: []\` at the top of the rules directory)`, { dir, policy_version: before });
        return 'rejected';
      }
      const recorded: Recorded = { tenants: [], changed: [], notLogged: new Set() };
      const result = await engine.reloadFiles(read.sources, (b, a, t) => record(b, a, t, recorded), read.warnings);
      if (result.ok) {
        applied = files;
        // Kept once the new rules serve; a tenant whose log refused its entries keeps its old
        // record, so the next start logs the change after all.
        await opts.rulesRecord?.note(recorded.tenants, recorded.notLogged);
        metrics.reloads.inc({ source: 'files', result: 'ok' });
        const warnings = engine.loadWarnings.map((d) => formatDiagnostic(underDir(dir, d)));
        // A warning is often a clause that is not enforced (an advisory bullet): said, not only by lint.
        const fields = { dir, policy_version: engine.policy().policyVersion, previous: before, tenants_changed: recorded.changed };
        if (warnings.length > 0) logger.warn('rules reloaded, with warnings (`mge lint` tells more)', { ...fields, warnings });
        else logger.info('rules reloaded', fields);
        // As said at start: a directory emptied by a deploy gone wrong approves everything.
        if (engine.ruleCount() === 0) logger.warn('no rules loaded: every check is approved until rules are added', { dir });
        logRefusedTenants(engine, logger);
        return 'ok';
      }
      metrics.reloads.inc({ source: 'files', result: 'rejected' });
      logger.warn('rules change ignored: the new rules have errors; the previous rules keep serving', {
        dir, policy_version: before, diagnostics: result.diagnostics.map((d) => formatDiagnostic(underDir(dir, d))),
      });
      return 'rejected';
    } catch (err) {
      applied = undefined;
      metrics.reloads.inc({ source: 'files', result: 'error' });
      logger.error('rules reload failed; the previous rules keep serving', { dir, error: err });
      return 'error';
    }
  }

  const reload = (): Promise<ReloadResult> => (chain = chain.then(once, once).then((result) => {
    // Said in /metrics too: a refused edit leaves /readyz ready, serving the rules before it.
    metrics.rulesDirRefused = result === 'ok' ? 0 : 1;
    return result;
  }));
  const watcher = watchRules(dir, () => void reload(), { debounceMs: opts.debounceMs, onWarning: (msg) => logger.warn(msg, { dir }) });
  return {
    reload,
    close: () => {
      watcher.close();
      return chain.then(() => undefined, () => undefined);
    },
  };
}

/** Each tenant whose every check is denied because its rules cannot stand (an API rule's id taken by a file rule). */
export function logRefusedTenants(engine: Engine, logger: Logger): void {
  for (const { tenant, refusal } of engine.refusedTenants()) logger.error('every check of this tenant is denied until its rules are fixed', { tenant, reason: refusal });
}

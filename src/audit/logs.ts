// Every tenant's audit log, opened on first use from a store factory (SPEC §6, §7: a tenant's
// log is its own; nothing here crosses tenants).

import { AuditLog, type AuditLogOptions } from './log.js';
import { AuditStoreError, AuditStorePausedError, type AuditStoreFactory } from './store.js';

/**
 * How long a log that failed (its opening, or a write to its store) is answered from memory
 * before it is opened again.
 */
export const REOPEN_AFTER_MS = 10_000;

export interface AuditLogsOptions extends AuditLogOptions {
  /** How long a failed log is answered from memory (default REOPEN_AFTER_MS). */
  reopenAfterMs?: number;
}

/** One tenant's log: its opening, the log once open, and when it was seen to have failed. */
interface Entry {
  log: Promise<AuditLog>;
  opened?: AuditLog;
  failedAt?: number;
  /** Entries a reopened log must hold: what was answered before a failure (across failed reopens). */
  atLeast?: number;
  /** Its opening was refused for now (AuditStorePausedError): opened again at the next call, failed or not. */
  paused?: true;
}

const ignore = () => undefined;

/** When the tenant's log failed: its opening, or (once open) a write to its store; undefined if it has not. */
const failedAtOf = (e: Entry): number | undefined => e.failedAt ?? e.opened?.failedAt;

export class AuditLogs {
  private readonly entries = new Map<string, Entry>();
  private readonly reopenAfterMs: number;
  /** Set by close(): no log is opened again after it. */
  private closed = false;

  constructor(private readonly factory: AuditStoreFactory, private readonly opts: AuditLogsOptions = {}) {
    this.reopenAfterMs = opts.reopenAfterMs ?? REOPEN_AFTER_MS;
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  /**
   * The tenant's log; concurrent first calls share one opening. A log that failed (it did not
   * open, or a write to its store failed, after which it refuses every append) answers every
   * call with its failure for `reopenAfterMs`; then the next call opens it again, which
   * recovers the store (a torn last record is cut) and checks it against its newest
   * checkpoint. So a full disk or a store that comes back costs its tenant 503s for a while,
   * not until a restart, and a damaged log is not re-read for every check that arrives.
   * `reopenFailedNow` does not wait out the interval (the shutdown's last checkpoints).
   */
  get(tenant: string, opts: { reopenFailedNow?: boolean } = {}): Promise<AuditLog> {
    // A `new String('acme')` is a key of its own here but the same directory to the store: two
    // writers on one file, and a log that then refused to reopen.
    if (typeof tenant !== 'string') return Promise.reject(new TypeError(`an audit log's tenant is a string; got ${tenant === null ? 'null' : typeof tenant}`));
    // Closed is closed: a late caller would open the log again, unflushed and uncheckpointed.
    if (this.closed) return Promise.reject(new AuditStoreError(`the audit logs are closed (the server is stopping); tenant \`${tenant}\`'s entry was not written`));
    let entry = this.entries.get(tenant);
    // Usually nothing failed: then no clock is read on the way to every append.
    const failedAt = entry === undefined ? undefined : failedAtOf(entry);
    if (entry !== undefined && (entry.paused === true || (failedAt !== undefined && (opts.reopenFailedNow === true || this.untilReopenMs(failedAt) === 0)))) {
      this.entries.delete(tenant);
      // The failed log closes first: its store must be done before the file is read again.
      const closed = entry.opened === undefined ? Promise.resolve() : entry.opened.close().catch(ignore);
      // What it answered must still be there: a file put back from a backup meanwhile would
      // otherwise lose answered decisions, and the next checkpoint would vouch for the rest.
      const atLeast = Math.max(entry.atLeast ?? 0, entry.opened?.answeredSize() ?? 0);
      entry = this.open(tenant, closed, atLeast);
    }
    return (entry ?? this.open(tenant, Promise.resolve())).log;
  }

  private open(tenant: string, after: Promise<unknown>, atLeast?: number): Entry {
    const opts = atLeast === undefined ? this.opts : { ...this.opts, atLeast };
    const entry: Entry = { log: after.then(() => this.factory.open(tenant)).then((store) => AuditLog.open(tenant, store, opts)), ...(atLeast === undefined ? {} : { atLeast }) };
    entry.log.then((l) => { entry.opened = l; }, (err: unknown) => {
      // Refused for now, not failed: the next call opens it again (what it must hold kept).
      if (err instanceof AuditStorePausedError) entry.paused = true;
      else entry.failedAt = this.now();
    });
    this.entries.set(tenant, entry);
    return entry;
  }

  /**
   * Milliseconds until the tenant's failed log is opened again (0: at the next call), or
   * undefined while it has not failed: what a 503's Retry-After tells the client.
   */
  retryAfterMs(tenant: string): number | undefined {
    const entry = this.entries.get(tenant);
    const failedAt = entry === undefined ? undefined : failedAtOf(entry);
    return failedAt === undefined ? undefined : this.untilReopenMs(failedAt);
  }

  /**
   * Milliseconds until a log that failed at `failedAt` is opened again. A clock set back since
   * opens it at once: else its tenant was refused for the whole step (a review, 11-29: an
   * hour's step, 503s with Retry-After 3 590 s).
   */
  private untilReopenMs(failedAt: number): number {
    const since = this.now() - failedAt;
    return since < 0 ? 0 : Math.max(0, this.reopenAfterMs - since);
  }

  /** Whether no log is failed right now (one that did not open, or whose store failed). */
  usable(): boolean {
    for (const e of this.entries.values()) if (failedAtOf(e) !== undefined) return false;
    return true;
  }

  /** Tenants with a log, opened or on disk. */
  async tenants(): Promise<string[]> {
    return [...new Set([...(await this.factory.tenants()), ...this.entries.keys()])].sort();
  }

  async close(): Promise<void> {
    this.closed = true;
    const logs = await Promise.allSettled([...this.entries.values()].map((e) => e.log));
    this.entries.clear();
    await Promise.all(logs.map((l) => (l.status === 'fulfilled' ? l.value.close() : undefined)));
    // A store closed by a reopen whose close failed is not among these logs any more.
    await this.factory.close?.();
  }
}

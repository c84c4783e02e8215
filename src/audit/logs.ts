// Every tenant's audit log, opened on first use from a store factory (SPEC §6, §7: a tenant's
// log is its own; nothing here crosses tenants).

import { AuditLog, type AuditLogOptions } from './log.js';
import type { AuditStoreFactory } from './store.js';

/** How long a failed opening is answered from memory before the log is opened again. */
export const REOPEN_AFTER_MS = 10_000;

export interface AuditLogsOptions extends AuditLogOptions {
  /** How long a failed opening is answered from memory (default REOPEN_AFTER_MS). */
  reopenAfterMs?: number;
}

export class AuditLogs {
  private readonly logs = new Map<string, Promise<AuditLog>>();
  /** When each tenant's last opening failed. */
  private readonly failedAt = new Map<string, number>();
  private readonly reopenAfterMs: number;

  constructor(private readonly factory: AuditStoreFactory, private readonly opts: AuditLogsOptions = {}) {
    this.reopenAfterMs = opts.reopenAfterMs ?? REOPEN_AFTER_MS;
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  /**
   * The tenant's log; concurrent first calls share one opening. A failed opening answers every
   * call with its error for `reopenAfterMs`, then the next call tries again: opening reads the
   * whole log, and a damaged one must not be read again for every check that arrives.
   */
  get(tenant: string): Promise<AuditLog> {
    // Usually no opening failed: then no clock is read on the way to every append.
    const failed = this.failedAt.size === 0 ? undefined : this.failedAt.get(tenant);
    if (failed !== undefined && this.now() - failed >= this.reopenAfterMs) {
      this.failedAt.delete(tenant);
      this.logs.delete(tenant);
    }
    let log = this.logs.get(tenant);
    if (log === undefined) {
      log = this.factory.open(tenant).then((store) => AuditLog.open(tenant, store, this.opts));
      log.catch(() => this.failedAt.set(tenant, this.now()));
      this.logs.set(tenant, log);
    }
    return log;
  }

  /** Tenants with a log, opened or on disk. */
  async tenants(): Promise<string[]> {
    return [...new Set([...(await this.factory.tenants()), ...this.logs.keys()])].sort();
  }

  async close(): Promise<void> {
    const logs = await Promise.allSettled(this.logs.values());
    this.logs.clear();
    this.failedAt.clear();
    await Promise.all(logs.map((l) => (l.status === 'fulfilled' ? l.value.close() : undefined)));
  }
}

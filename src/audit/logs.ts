// Every tenant's audit log, opened on first use from a store factory (SPEC §6, §7: a tenant's
// log is its own; nothing here crosses tenants).

import { AuditLog, type AuditLogOptions } from './log.js';
import type { AuditStoreFactory } from './store.js';

export class AuditLogs {
  private readonly logs = new Map<string, Promise<AuditLog>>();

  constructor(private readonly factory: AuditStoreFactory, private readonly opts: AuditLogOptions = {}) {}

  /** The tenant's log; concurrent first calls share one opening. */
  get(tenant: string): Promise<AuditLog> {
    let log = this.logs.get(tenant);
    if (log === undefined) {
      log = this.factory.open(tenant).then((store) => AuditLog.open(tenant, store, this.opts));
      // A failed open is not cached: the next request tries again.
      log.catch(() => this.logs.delete(tenant));
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
    await Promise.all(logs.map((l) => (l.status === 'fulfilled' ? l.value.close() : undefined)));
  }
}

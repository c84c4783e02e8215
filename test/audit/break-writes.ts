// Test helper: makes a file store's writes fail as a failing disk would.

import type { NodeAuditStore } from '../../src/adapters/node/audit-store.js';

/**
 * Makes the store's next write fail (EBADF): its file handle is swapped for one with a
 * descriptor no process has open, which still closes the real file. (Closing the real
 * descriptor instead could let its number be reused before the store closes it.)
 */
export function breakWrites(store: NodeAuditStore): void {
  const s = store as unknown as { fh: { fd: number; close(): Promise<void> } };
  const real = s.fh;
  s.fh = { fd: 2 ** 31 - 1, close: () => real.close() };
}

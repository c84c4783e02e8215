// How many connections `mge serve` holds at once (MGE_MAX_CONNECTIONS). Each connection takes a
// file descriptor, as does every file the server opens (the audit logs, the data directory's
// lock, a rule file being reloaded). Without a cap, one local client holding 20 000 idle
// connections took every descriptor this process had: the lock could no longer be read back,
// and every check on the connections already open was refused (503) for as long as the client
// held them. With it, a connection past the cap is closed as it arrives, and the server keeps
// the descriptors its files need.

import { readFileSync } from 'node:fs';

/** The cap where the open-file limit cannot be read (not Linux): below the 10 240 Node raises macOS's to. */
const FALLBACK_MAX_CONNECTIONS = 4096;

/**
 * The open-file limit this process runs under (Node raises the soft limit to the hard one as it
 * starts), from Linux's `/proc/self/limits`; undefined when unknown or unlimited.
 */
export function openFileLimit(limitsText: () => string = () => readFileSync('/proc/self/limits', 'utf8')): number | undefined {
  let text: string;
  try {
    text = limitsText();
  } catch {
    return undefined;
  }
  const m = /^Max open files\s+(\d+)\s/m.exec(text);
  return m === null ? undefined : Number(m[1]);
}

/** Descriptors set aside for each tenant known at start: its audit log, and a checkpoint being kept. */
export const FILES_PER_TENANT = 2;

/**
 * Half of what the open-file limit leaves once each tenant known at start has its files
 * (**chosen**: the other half is the server's own files, and tenants that come later), or
 * 4 096 where the limit is unknown. Half the limit alone let 401 idle connections beside 600
 * tenants' logs take every descriptor under a limit of 1 024 (a review, 11-29).
 */
export function defaultMaxConnections(limit: number | undefined, tenants = 0): number {
  return limit === undefined ? FALLBACK_MAX_CONNECTIONS : Math.max(1, Math.floor((limit - FILES_PER_TENANT * tenants) / 2));
}

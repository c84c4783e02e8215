// What a server writes in its data directory must be the directory's own: one lock guards it.
// A link there to another data directory's audit log let two servers, each holding its own
// lock, write one log: two trees interleaved, and the next start refused it (a review, 11-28).
// Keys may be links (a secret mounted elsewhere): they are read, never appended to.

import type { Dirent } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AUDIT_DIR } from './node-audit-store.js';
import { NONCES_FILE } from './node-nonce-store.js';
import { API_RULES_DIR } from './node-rule-store.js';
import { RULES_IN_FORCE_FILE } from './node-rules-in-force.js';

/**
 * The first symbolic link where the server keeps what it writes (the audit logs, the used
 * nonces, the API rules, the record of the rules in force: each, and two levels below the
 * folders, `audit/<tenant>/log.jsonl`), or undefined when there is none.
 */
export async function linkedState(dataDir: string): Promise<string | undefined> {
  for (const name of [AUDIT_DIR, NONCES_FILE, API_RULES_DIR, RULES_IN_FORCE_FILE]) {
    const path = join(dataDir, name);
    const st = await lstat(path).catch(() => undefined);
    if (st === undefined) continue;
    if (st.isSymbolicLink()) return path;
    if (!st.isDirectory()) continue;
    for (const tenant of await entries(path)) {
      const under = join(path, tenant.name);
      if (tenant.isSymbolicLink()) return under;
      if (!tenant.isDirectory()) continue;
      for (const file of await entries(under)) if (file.isSymbolicLink()) return join(under, file.name);
    }
  }
  return undefined;
}

async function entries(dir: string): Promise<Dirent[]> {
  return readdir(dir, { withFileTypes: true }).catch(() => []);
}

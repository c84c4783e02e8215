// What a server writes in its data directory must be the directory's own: one lock guards it.
// A link there to another data directory's audit log let two servers, each holding its own
// lock, write one log: two trees interleaved, and the next start refused it.
// A hard link did the same (`ln dA/audit/t/log.jsonl dB/audit/t/`, or a data directory cloned
// with `cp -al`). Keys may be links (a secret mounted elsewhere): they are read,
// never appended to. A bind mount of `audit` is not seen here (docs/trust.md).

import type { Dirent } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AUDIT_DIR } from './audit-store.js';
import { NONCES_FILE } from './nonce-store.js';
import { API_RULES_DIR } from './rule-store.js';
import { RULES_IN_FORCE_FILE } from './rules-in-force.js';

/** Where the server keeps what it writes, at the top of the data directory. */
const STATE = [AUDIT_DIR, NONCES_FILE, API_RULES_DIR, RULES_IN_FORCE_FILE];

export interface LinkedState {
  path: string;
  /** `symbolic`: the name leads elsewhere; `hard`: the file has a name outside its folder too. */
  kind: 'symbolic' | 'hard';
}

/**
 * The first link where the server keeps what it writes (the audit logs, the used nonces, the
 * API rules, the record of the rules in force: each, and two levels below the folders,
 * `audit/<tenant>/log.jsonl`), or undefined when there is none. A file's other names in its own
 * folder are not a link elsewhere (a restore cut short leaves its temporary name beside the
 * log). Dot-entries under `audit/` and `api-rules/` are no tenant's (a tenant's folder name never
 * starts with a dot) and are left alone, as the stores leave them.
 */
export async function linkedState(dataDir: string): Promise<LinkedState | undefined> {
  const top = await entries(dataDir);
  const state = top.filter((e) => STATE.includes(e.name));
  // What is not a folder (a file, or a link in a folder's place), in one look at the top.
  const atTop = await linkAmong(dataDir, state.filter((e) => !e.isDirectory()), top);
  if (atTop !== undefined) return atTop;
  for (const folder of state.filter((e) => e.isDirectory())) {
    const path = join(dataDir, folder.name);
    const tenants = (await entries(path)).filter((e) => !e.name.startsWith('.'));
    const found = await linkAmong(path, tenants, tenants);
    if (found !== undefined) return found;
    for (const tenant of tenants) {
      if (!tenant.isDirectory()) continue;
      const under = join(path, tenant.name);
      const files = await entries(under);
      const inFiles = await linkAmong(under, files, files);
      if (inFiles !== undefined) return inFiles;
    }
  }
  return undefined;
}

/** The first of `these` (in `dir`) that is a symbolic link, or a file with more names than `all` of `dir`'s entries give it. */
async function linkAmong(dir: string, these: Dirent[], all: Dirent[]): Promise<LinkedState | undefined> {
  for (const e of these) if (e.isSymbolicLink()) return { path: join(dir, e.name), kind: 'symbolic' };
  const files = these.filter((e) => e.isFile());
  if (files.length === 0) return undefined;
  const inodes = new Map<number, number>(); // inode → names in this folder
  const stats = new Map<string, { ino: number; nlink: number }>();
  for (const e of all) {
    if (!e.isFile()) continue;
    const st = await lstat(join(dir, e.name)).catch(() => undefined);
    if (st === undefined) continue;
    stats.set(e.name, st);
    inodes.set(st.ino, (inodes.get(st.ino) ?? 0) + 1);
  }
  for (const e of files) {
    const st = stats.get(e.name);
    if (st !== undefined && st.nlink > (inodes.get(st.ino) ?? 0)) return { path: join(dir, e.name), kind: 'hard' };
  }
  return undefined;
}

async function entries(dir: string): Promise<Dirent[]> {
  return readdir(dir, { withFileTypes: true }).catch(() => []);
}

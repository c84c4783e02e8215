// API rules on disk: `<data>/api-rules/<tenant>/<rule_id>.<json|yaml|mdc>`. A change (one rule
// or a whole set) is written aside with a note of what it does (`.pending`), then logged, then
// applied by renames and removals; a start after a crash finishes a noted change, so the rules
// a restart serves are never half of one.

import { randomBytes } from 'node:crypto';
import { readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { RULE_FORMATS, type RuleFormat } from '../../rules/load.js';
import type { RuleStore, StagedChange, StoredRule } from '../../http/rule-store.js';
import { tenantDirName, tenantFromDirName } from './tenant-dirs.js';
import { makeDirDurably, readIfPresent, refuseWithoutLease, syncDir, temporaryNameFor, writeSynced, type MayWrite } from './new-file.js';

/** `<data>/api-rules/`: the API rules kept for the next start. */
export const API_RULES_DIR = 'api-rules';

/** A rule's file name: `<rule_id>.<format>`. */
const RULE_FILE = /^(.+)\.(json|yaml|mdc)$/;

/** A staged change's note in its tenant's folder (no rule file name: `list` never reads it). */
const PENDING = '.pending';

/** What `.pending` holds: the renames (temporary name → rule file name) and the ids removed. */
interface Pending {
  renames: Array<[string, string]>;
  removed: string[];
  /** Random: tells this change's note from another's with the same renames and removals. */
  change?: string;
}

/**
 * `mayWrite`: the data directory's lease, asked before each file is written, renamed or removed
 * (a server woken after another took its lock must not change that one's rules).
 * @example const store = nodeRuleStore('./data'); await store.list()
 */
export function nodeRuleStore(dataDir: string, opts: { mayWrite?: MayWrite } = {}): RuleStore {
  const root = join(dataDir, API_RULES_DIR);
  const dirOf = (tenant: string) => join(root, tenantDirName(tenant));
  const leased = (file: string): string => {
    refuseWithoutLease(opts.mayWrite, file);
    return file;
  };
  const remove = (file: string) => rm(leased(file), { force: true });

  async function removeAll(dir: string, ruleId: string, keep?: RuleFormat): Promise<void> {
    for (const f of RULE_FORMATS) if (f !== keep) await remove(join(dir, `${ruleId}.${f}`));
  }

  /** Applies a noted change: each rename (a PUT in another format replaces the old file), each removal, then drops the note. */
  async function apply(dir: string, change: Pending): Promise<void> {
    for (const [tmp, file] of change.renames) {
      const m = RULE_FILE.exec(file)!;
      // Already renamed by the run a crash cut short: its temporary file is gone.
      if (await exists(join(dir, tmp))) await rename(join(dir, tmp), leased(join(dir, file)));
      await removeAll(dir, m[1], m[2] as RuleFormat);
    }
    for (const id of change.removed) await removeAll(dir, id);
    await remove(join(dir, PENDING));
    await syncDir(dir);
  }

  async function get(tenant: string, ruleId: string): Promise<StoredRule | undefined> {
    for (const format of RULE_FORMATS) {
      const where = join(dirOf(tenant), `${ruleId}.${format}`);
      const text = await readIfPresent(where);
      if (text !== undefined) return { tenant, ruleId, text, format, where };
    }
    return undefined;
  }

  async function stageChange(tenant: string, put: StoredRule[], removed: string[]): Promise<StagedChange> {
    const dir = dirOf(tenant);
    await makeDirDurably(leased(dir));
    // What the change replaces, to put back if a commit is cut short and the change discarded.
    const previous = new Map<string, StoredRule | undefined>();
    for (const id of [...put.map((r) => r.ruleId), ...removed]) previous.set(id, await get(tenant, id));
    const renames: Array<[string, string]> = [];
    let note: string | undefined;
    /**
     * This change's own files: its temporaries (names no other writer uses) and its note, while
     * the note is still this change's. Not asked of the lease: removing them undoes only this
     * change, and refused, a change answered "not made" stayed staged and the next start made
     * it.
     */
    const dropOwnStaging = async (): Promise<void> => {
      for (const [tmp] of renames) await rm(join(dir, tmp), { force: true });
      if (note !== undefined && (await readIfPresent(join(dir, PENDING))) === note) await rm(join(dir, PENDING), { force: true });
    };
    try {
      for (const r of put) {
        const file = `${r.ruleId}.${r.format}`;
        const tmp = basename(temporaryNameFor(join(dir, file)));
        renames.push([tmp, file]);
        await writeSynced(leased(join(dir, tmp)), r.text, 0o600);
      }
      // Durable before the change is logged: a start after the entry finishes it.
      note = JSON.stringify({ renames, removed, change: randomBytes(8).toString('hex') } satisfies Pending);
      await writeSynced(leased(join(dir, PENDING)), note, 0o600);
      await syncDir(dir);
    } catch (err) {
      // A full disk leaves no temporary file behind; a torn note is dropped by the next start.
      await dropOwnStaging().catch(() => undefined);
      throw err;
    }
    return {
      commit: () => apply(dir, { renames, removed }),
      async discard() {
        await dropOwnStaging();
        // Files a commit cut short changed are put back (asked of the lease: they are rules).
        for (const [id, was] of previous) {
          const now = await get(tenant, id);
          if (was === undefined ? now !== undefined : now?.text !== was.text) {
            if (was === undefined) await removeAll(dir, id);
            else await save(was);
          }
        }
      },
    };
  }

  async function save(rule: StoredRule): Promise<void> {
    await (await stageChange(rule.tenant, [rule], [])).commit();
  }

  async function tenantDirs(): Promise<string[]> {
    const entries = await readdir(root, { withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return [];
      throw e;
    });
    // A dot-folder is no tenant's (tenantDirName never starts one with a dot): left alone, as
    // the start's link check leaves it (node/data-dir-links.ts).
    return entries.filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name).sort();
  }

  return {
    stageChange,
    save,
    get,
    async recover() {
      for (const t of await tenantDirs()) {
        const dir = join(root, t);
        const note = await readIfPresent(join(dir, PENDING));
        let change: Pending | undefined;
        try {
          change = note === undefined ? undefined : (JSON.parse(note) as Pending);
        } catch {
          change = undefined; // torn: the crash came before the change was logged
        }
        if (change !== undefined && Array.isArray(change.renames) && Array.isArray(change.removed)) await apply(dir, change);
        await remove(join(dir, PENDING));
        // Temporary files of a change cut short before its note was written.
        for (const name of await readdir(dir)) if (name.endsWith('.tmp')) await remove(join(dir, name));
      }
    },
    async list() {
      const out: StoredRule[] = [];
      for (const t of await tenantDirs()) {
        for (const name of (await readdir(join(root, t))).sort()) {
          const m = RULE_FILE.exec(name); // a `….tmp` or the `.pending` note is not one
          if (!m) continue;
          let tenant: string;
          try {
            tenant = tenantFromDirName(t);
          } catch {
            throw new Error(`\`${join(root, t)}\` is not a tenant folder MGE wrote (its name does not decode); move it away`);
          }
          const where = join(root, t, name);
          const text = await readIfPresent(where);
          if (text !== undefined) out.push({ tenant, ruleId: m[1], format: m[2] as RuleFormat, text, where }); // gone since listed: not kept
        }
      }
      return out;
    },
  };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

// The rules in force when `mge serve` last ran, per tenant, kept in `<data>/rules-in-force.json`
// after every change it logged, so a start logs what differs from it (SPEC §6: rule changes are
// logged). Without it a rule file edited between two runs takes effect with no entry, and so
// does an API rule file changed by hand, or one a crash left half changed. File rules found
// changed are logged `by: "rules-dir"`, API rules `by: "restart"`.

import { createHash } from 'node:crypto';
import { rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_TENANT, type Engine, type PoliciesAt } from '../../engine/engine.js';
import type { Rule } from '../../ir/types.js';
import type { AuditPort } from '../../http/audit-port.js';
import type { Logger } from '../../http/logger.js';
import { contentDiff, ruleText } from '../../http/rule-changes.js';
import { ruleChangeEntry, type RuleChangeOp } from '../../audit/rule-change.js';
import { readIfPresent, refuseWithoutLease, removeTemporariesOf, temporaryNameFor, writeSynced, type MayWrite } from './new-file.js';

export const RULES_IN_FORCE_FILE = 'rules-in-force.json';

/**
 * Rule id → `f:` (a file rule) or `a:` (an API rule) and the SHA-256 of its normalized content;
 * `<rule id>!` → `a:…` for an API rule held out of force (its id a file rule's: every check of
 * the tenant denied), so a start sees such a clash come or go (`!` is in no rule id).
 */
export type Fingerprints = Record<string, string>;
const HELD = '!';

/**
 * The global rules once, each known tenant's own (an empty object for one with none: it is
 * compared at the next start too), and, for a tenant whose log refused a change's entries,
 * the whole set it was last logged with (`held`).
 */
export interface RulesInForce {
  global: Fingerprints;
  tenants: Record<string, Fingerprints>;
  held?: Record<string, Fingerprints>;
}
const FILE = 'f:';
const API = 'a:';

/** Hashed once per rule object: the global rules are the same objects in every tenant's policy. */
const fingerprintOf = new WeakMap<Rule, string>();

function fingerprint(rule: Rule, api: boolean): string {
  let hash = fingerprintOf.get(rule);
  if (hash === undefined) fingerprintOf.set(rule, (hash = createHash('sha256').update(ruleText(rule)).digest('hex')));
  return `${api ? API : FILE}${hash}`;
}

/** The rules each of `tenants` is checked against under `policies`: the global ones once, then each tenant's own. */
export function rulesInForce(engine: Engine, policies: PoliciesAt, tenants: readonly string[]): RulesInForce {
  const out: RulesInForce = { global: {}, tenants: {} };
  for (const r of policies(DEFAULT_TENANT).rules) if (r.source.tenant === undefined) out.global[r.rule_id] = fingerprint(r, false);
  for (const tenant of tenants) {
    const own: Fingerprints = {};
    const policy = policies(tenant);
    for (const r of policy.rules) if (r.source.tenant === tenant) own[r.rule_id] = fingerprint(r, engine.isFromApi(tenant, r));
    for (const r of policy.heldOut ?? []) own[r.rule_id + HELD] = fingerprint(r, true);
    out.tenants[tenant] = own;
  }
  return out;
}

function sameFingerprints(a: Fingerprints, b: Fingerprints): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

/** A tenant's whole set in a record, or undefined for a tenant the record does not know. */
function effective(record: RulesInForce, tenant: string): Fingerprints | undefined {
  if (record.held !== undefined && Object.hasOwn(record.held, tenant)) return record.held[tenant];
  if (!Object.hasOwn(record.tenants, tenant)) return undefined;
  return { ...record.global, ...record.tenants[tenant] };
}

/**
 * What changed for `tenant` since `before` was kept; undefined for a tenant it did not know
 * (every rule in force then, for a tenant whose log is still empty: startRulesRecord).
 */
export function changedSince(before: RulesInForce | undefined, now: RulesInForce, tenant: string): RuleChange[] | undefined {
  const was = before === undefined ? undefined : effective(before, tenant);
  if (was === undefined) return undefined;
  return asRuleChanges(contentDiff(new Map(Object.entries(was)), new Map(Object.entries(effective(now, tenant) ?? {}))));
}

/** A change to log; `held`: only an API rule held out of force under that id came or went. */
type RuleChange = { ruleId: string; op: RuleChangeOp; held?: true };

/**
 * Held-out entries (`id!`) as changes of their rule id: a `put` (the rule in force under that
 * id is what it was, but the tenant's refusal came, went or changed), once per id.
 */
function asRuleChanges(diff: ReadonlyArray<{ ruleId: string; op: RuleChangeOp }>): RuleChange[] {
  const plain = diff.filter((c) => !c.ruleId.endsWith(HELD));
  const named = new Set(plain.map((c) => c.ruleId));
  const held: RuleChange[] = [];
  for (const c of diff) {
    const ruleId = c.ruleId.slice(0, -HELD.length);
    if (c.ruleId.endsWith(HELD) && !named.has(ruleId)) {
      named.add(ruleId);
      held.push({ ruleId, op: 'put', held: true });
    }
  }
  return [...plain, ...held].sort((a, b) => (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0));
}

/** A rules-in-force file that reads but holds no record MGE wrote. */
export class NotARulesRecord extends Error {
  override readonly name = 'NotARulesRecord';
}

/** The record kept by the last run; undefined when there is none (a first start). Throws when it is not one MGE wrote. */
export async function readRulesInForce(dataDir: string): Promise<RulesInForce | undefined> {
  const text = await readIfPresent(join(dataDir, RULES_IN_FORCE_FILE));
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  const record = value as Partial<RulesInForce> | undefined;
  const table = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
  const tables = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every(table);
  if (record === undefined || record === null || !table(record.global) || !tables(record.tenants) || (record.held !== undefined && !tables(record.held))) {
    throw new NotARulesRecord(`\`${join(dataDir, RULES_IN_FORCE_FILE)}\` is not a record of rules MGE wrote (changed by hand?)`);
  }
  return record as RulesInForce;
}

/**
 * The record the last run kept, read once at start (undefined: a first start, or a record
 * that is not one MGE wrote, said in the log and replaced by the start). A record that cannot
 * be read at all (EACCES, EIO, a directory in its place) refuses the start: replaced, the rules changed while the
 * server was stopped went into force unlogged (a review, 11-29: one left owned by root by a
 * `sudo mge serve`).
 */
export async function lastRulesInForce(dataDir: string, logger: Logger): Promise<RulesInForce | undefined> {
  // A rewrite a crash cut short leaves its temporary file: dropped.
  await removeTemporariesOf(join(dataDir, RULES_IN_FORCE_FILE)).catch(() => undefined);
  try {
    return await readRulesInForce(dataDir);
  } catch (err) {
    if (!(err instanceof NotARulesRecord)) {
      const file = join(dataDir, RULES_IN_FORCE_FILE);
      throw new Error(`\`${file}\` cannot be read (${(err as Error).message}): it records the rules in force when the server last ran, to log what changed since; make it readable (\`chown\` it to the user that runs \`mge serve\`) and start again`);
    }
    // Replaced by the rules in force now: what changed since the last run cannot be told.
    logger.error('the record of the rules in force does not read; it is replaced, and rules changed while the server was stopped are not logged', { error: err });
    return undefined;
  }
}

/** Whether the record names global (baseline) file rules. */
export function hadGlobalFileRules(before: RulesInForce | undefined): boolean {
  return before !== undefined && Object.keys(before.global).length > 0;
}

/** How many rules put through the API the last run served (held out of force: not), by its record, and for which tenants. */
export function apiRulesServed(before: RulesInForce | undefined): { count: number; tenants: string[] } {
  const tenants: string[] = [];
  let count = 0;
  for (const [tenant, own] of Object.entries(before?.tenants ?? {})) {
    const api = Object.entries(own).filter(([id, v]) => v.startsWith(API) && !id.endsWith(HELD)).length;
    if (api > 0) tenants.push(tenant);
    count += api;
  }
  return { count, tenants: tenants.sort() };
}

/** Whether the last run served rule files, by its record (a start finding none refuses to drop them unasked). */
export function hadFileRules(before: RulesInForce | undefined): boolean {
  if (before === undefined) return false;
  return hadGlobalFileRules(before) || Object.values(before.tenants).some((own) => Object.values(own).some((v) => v.startsWith(FILE)));
}

/** Replaces the record whole (written aside, synced, renamed), each step only while `mayWrite` allows. */
export async function writeRulesInForce(dataDir: string, rules: RulesInForce, mayWrite?: MayWrite): Promise<void> {
  const file = join(dataDir, RULES_IN_FORCE_FILE);
  const tmp = temporaryNameFor(file);
  refuseWithoutLease(mayWrite, file);
  await writeSynced(tmp, JSON.stringify(rules) + '\n', 0o600);
  try {
    // A reload that ran on while the lease lapsed must not replace the record
    // another server now keeps.
    refuseWithoutLease(mayWrite, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await rename(tmp, file);
}

export interface StartRecordOptions {
  dataDir: string;
  /** The record the last run kept (lastRulesInForce). */
  before: RulesInForce | undefined;
  engine: Engine;
  audit: AuditPort;
  /** Every tenant a caller can be or that has rules or a log (as a reload records). */
  tenants: readonly string[];
  logger: Logger;
  now: () => number;
  /** The data directory's lease, asked before the record is written (writeRulesInForce). */
  mayWrite?: MayWrite;
}

/**
 * Per tenant, the changes a start logs: since the record, or every rule in force for a tenant
 * it does not know whose log is empty (`first`). `held`: tenants whose log did not open.
 */
async function entriesDue(opts: StartRecordOptions, now: RulesInForce): Promise<{ plans: Array<{ tenant: string; first: boolean; changes: Array<{ ruleId: string; op: RuleChangeOp }> }>; held: Set<string> }> {
  const { before, audit, logger } = opts;
  const held = new Set<string>();
  const plans = [];
  for (const tenant of opts.tenants) {
    const since = changedSince(before, now, tenant);
    const changes = since ?? asRuleChanges(contentDiff(new Map(), new Map(Object.entries(effective(now, tenant) ?? {}))));
    if (changes.length === 0) continue;
    if (since === undefined) {
      const size = await audit.size(tenant).catch(() => undefined);
      if (size === undefined) {
        held.add(tenant); // its log did not open: the next start logs them
        logger.error('rules in force at start; not logged (the log does not open)', { tenant });
        continue;
      }
      if (size > 0) {
        logger.warn('rules in force at start not logged: the log has entries the record of the rules in force does not know (the record lost or replaced), so what changed cannot be told', { tenant, entries: size });
        continue;
      }
    }
    plans.push({ tenant, first: since === undefined, changes });
  }
  return { plans, held };
}

/**
 * At start, before the first check: appends to each tenant's log the changes since the last
 * record, then keeps the record of the rules in force now. A tenant the record does not know
 * (a first start, a tenant new since the last run) whose log is still empty gets every rule in
 * force for it, as `put`s: its log then names the rules its first decisions were made under
 * (logging none, an auditor would see decisions under a policy_version no entry
 * explains). Such a tenant is first recorded as logged with no rule, so a start cut
 * short, or a log that refuses the entries, has the next start log them all (twice rather than
 * never). A log that cannot take its entries is named in the server log and keeps its old
 * record, so a later start logs them after all. Returns the record, to be kept after each
 * later change.
 */
export async function startRulesRecord(opts: StartRecordOptions): Promise<RulesRecord> {
  const { dataDir, engine, audit, tenants, logger, before } = opts;
  const now = rulesInForce(engine, (t) => engine.policy(t), tenants);
  const kept: RulesInForce = before ?? { global: {}, tenants: {} }; // a first start: a record that knows no tenant
  const record = new RulesRecord(dataDir, engine, logger, kept, new Set(tenants), opts.mayWrite);
  const { plans, held } = await entriesDue(opts, now);
  const firsts = plans.filter((p) => p.first).map((p) => p.tenant);
  if (firsts.length > 0) {
    // Kept before their entries: a start cut short between the two logs them again.
    const pre: RulesInForce = { ...kept, held: { ...kept.held, ...Object.fromEntries(firsts.map((t) => [t, {}])) } };
    await writeRulesInForce(dataDir, pre, opts.mayWrite).catch((err: unknown) => logger.error('the record of the rules in force was not kept; a start cut short now may not log the rules in force', { error: err }));
  }
  const timestamp = new Date(opts.now()).toISOString();
  for (const { tenant, first, changes } of plans) {
    const version = engine.policy(tenant).policyVersion;
    const was = effective(kept, tenant) ?? {};
    const is = effective(now, tenant) ?? {};
    // Whose rule the entry is about: the one in force now, else the one gone (a file rule that
    // took an API rule's id is the rules directory's change, not `restart`).
    // A file rule on either side: the rules directory's change, as a reload logs it (a file rule
    // that took an API rule's id, or left it to it again); only API rules, or only a held-out
    // API rule that came or went: the API rules changed while stopped.
    const fileRule = (id: string): boolean => [is, was].some((side) => Object.hasOwn(side, id) && side[id].startsWith(FILE));
    const by = (c: RuleChange): string => (!c.held && fileRule(c.ruleId) ? 'rules-dir' : 'restart');
    const entries = changes.map((c) => ruleChangeEntry(c.ruleId, c.op, version, by(c), timestamp));
    try {
      await audit.append(tenant, entries);
      if (first) logger.info('rules in force logged at start (a log with none yet)', { tenant, rules: entries.length, policy_version: version });
      else logger.info('rules found changed at start (since the last run recorded them); logged', { tenant, changes: changes.map((c) => `${c.op} ${c.ruleId}`), policy_version: version });
    } catch (err) {
      held.add(tenant);
      logger.error(`rules ${first ? 'in force' : 'found changed'} at start; not logged`, { tenant, error: err });
    }
  }
  await record.note([...tenants], held);
  return record;
}

/**
 * The record of the rules in force, rewritten after each change this run logged (a reload, an
 * API change): a crash between the entry and the rewrite only makes the next start log the
 * change again. A tenant whose entries a log refused keeps its last record, so the next start
 * logs them.
 */
export class RulesRecord {
  private readonly held = new Set<string>();
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly dataDir: string,
    private readonly engine: Engine,
    private readonly logger: Logger,
    private kept: RulesInForce,
    /** The tenants this start compared: another's hold is kept as it was (a tenant whose key is gone for a run). */
    private readonly compared: ReadonlySet<string>,
    private readonly mayWrite?: MayWrite,
  ) {}

  /** The record as last kept, as its file holds it (written back if the file is removed: node/kept-files.ts). */
  text(): string {
    return JSON.stringify(this.kept) + '\n';
  }

  /** Keeps the rules in force now, for `tenants` and every tenant kept before; `held` tenants keep their last record. */
  note(tenants: readonly string[] = [], held: ReadonlySet<string> = new Set()): Promise<void> {
    for (const t of held) this.held.add(t);
    this.writing = this.writing.then(async () => {
      const reached = new Set([...tenants, ...this.engine.tenants()]);
      const all = [...new Set([...reached, ...Object.keys(this.kept.tenants)])];
      const now = rulesInForce(this.engine, (t) => this.engine.policy(t), all);
      // A tenant the record knew whose rules this change moved but whose log its entries did not
      // reach (its key removed, no rules or log of its own) keeps the set it was last logged
      // with, so the start that finds it again logs what changed meanwhile (a re-review, 11-29:
      // recorded as up to date, its first decision after came under rules no entry in its log
      // named). One whose rules did not move (another tenant's API change) needs no hold: a
      // copy of the global rules for each such tenant made one PUT write 7.6 MB.
      for (const t of Object.keys(this.kept.tenants)) {
        if (reached.has(t) || this.held.has(t)) continue;
        const last = effective(this.kept, t) ?? {};
        if (!sameFingerprints(last, effective(now, t) ?? {})) (now.held ??= {})[t] = last;
      }
      // A held tenant the record did not know was logged no rule yet (startRulesRecord).
      for (const t of this.held) (now.held ??= {})[t] = effective(this.kept, t) ?? {};
      // Not compared this run, its hold stands: dropped, the tenant stayed known, and its next
      // log (made anew) never got the rules in force.
      for (const [t, was] of Object.entries(this.kept.held ?? {})) if (!this.compared.has(t) && !this.held.has(t)) (now.held ??= {})[t] = was;
      await writeRulesInForce(this.dataDir, now, this.mayWrite);
      this.kept = now;
    }).catch((err: unknown) => this.logger.error('the record of the rules in force was not kept; the next start may log changes of this run again', { error: err }));
    return this.writing;
  }
}

// Where rules added over HTTP are kept so they survive a restart. The engine holds them in
// memory; a store (files on Node, nothing on the in-memory runtimes) keeps the text each PUT
// was given, and the server replays them at start.

import type { RuleFormat } from '../engine/engine.js';

/**
 * The name an API rule's diagnostics and `source.file` give it: `api/tenants/<tenant>/<rule_id>.<format>`
 * (not a file: on Node the text is kept at `<data>/api-rules/<tenant>/<rule_id>.<format>`).
 */
export function apiRulePath(tenant: string, ruleId: string, format: RuleFormat): string {
  return `api/tenants/${tenant}/${ruleId}.${format}`;
}

export interface StoredRule {
  tenant: string;
  ruleId: string;
  text: string;
  format: RuleFormat;
  /** Where the store keeps it, for messages (a file path on Node); given by `list`. */
  where?: string;
}

/**
 * A change written aside, not yet in the store's view: `commit` makes it so, `discard` drops
 * it (and puts back what a commit cut short had already changed).
 */
export interface StagedChange {
  commit(): Promise<void>;
  discard(): Promise<void>;
}

export interface RuleStore {
  /** Resolves once the rule text is durable. */
  save(rule: StoredRule): Promise<void>;
  /**
   * Writes one change of a tenant's API rules aside, durably: the rules `put` and the ids
   * `removed`; `list` sees it only after `commit`. A change is staged, logged, then committed;
   * a start after a crash between the two finishes it (`recover`), so what the next start
   * serves is what the log records (it may record it twice: the start logs what differs).
   */
  stageChange(tenant: string, put: StoredRule[], removed: string[]): Promise<StagedChange>;
  /** The stored rule of that id, if any. */
  get(tenant: string, ruleId: string): Promise<StoredRule | undefined>;
  /** Every stored rule, for replay at start. */
  list(): Promise<StoredRule[]>;
  /**
   * At start, before `list`, with no change in progress (the data dir is locked): finishes the
   * change a crash left staged, and drops temporary files left by one cut short before that.
   */
  recover?(): Promise<void>;
}

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

/** A rule written aside, not yet in the store's view: `commit` puts it there, `discard` drops it. */
export interface StagedRule {
  commit(): Promise<void>;
  discard(): Promise<void>;
}

export interface RuleStore {
  /** Resolves once the rule text is durable. */
  save(rule: StoredRule): Promise<void>;
  /**
   * Writes the rule's text durably aside; `list` sees it only after `commit`. A PUT stages,
   * logs, then commits: a crash between leaves no rule that the log does not record.
   */
  stage(rule: StoredRule): Promise<StagedRule>;
  remove(tenant: string, ruleId: string): Promise<void>;
  /** The stored rule of that id, if any (to put it back when a change is undone). */
  get(tenant: string, ruleId: string): Promise<StoredRule | undefined>;
  /** Every stored rule, for replay at start. */
  list(): Promise<StoredRule[]>;
}

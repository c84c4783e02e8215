// A rule change as an audit entry (SPEC §6): `{kind: "rule_change", rule_id, op,
// policy_version, by, timestamp}`, how the server writes one and how a reader checks one.

import type { Json } from '../ir/types.js';

export type RuleChangeOp = 'put' | 'delete';

/** `by` is a key id for API changes, or `rules-dir` for a reload; never a key. */
export function ruleChangeEntry(ruleId: string, op: RuleChangeOp, policyVersion: string, by: string, timestamp: string): Json {
  return { kind: 'rule_change', rule_id: ruleId, op, policy_version: policyVersion, by, timestamp };
}

const FIELDS = ['by', 'kind', 'op', 'policy_version', 'rule_id', 'timestamp'].join();

/**
 * What is wrong with a stored rule change, or undefined. It is not signed, so each field is held
 * to what ruleChangeEntry writes (else `{"op":"pat","rule_id":["a"],"timestamp":{}, …}` would
 * verify, and a server would sign a checkpoint over it); a forged change of the right shape
 * still passes (trust.md, known gaps).
 */
export function ruleChangeProblem(e: { [k: string]: Json }): string | undefined {
  if (Object.keys(e).sort().join() !== FIELDS) return 'rule change entry does not have exactly the SPEC §6 fields';
  if (e.op !== 'put' && e.op !== 'delete') return 'rule change `op` is neither `put` nor `delete`';
  if (typeof e.rule_id !== 'string' || e.rule_id === '') return 'rule change `rule_id` is not a rule id';
  if (typeof e.policy_version !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(e.policy_version)) return 'rule change `policy_version` is not `sha256:` and 64 hex digits';
  if (typeof e.by !== 'string' || e.by === '') return 'rule change `by` names no one';
  if (typeof e.timestamp !== 'string' || !isIsoInstant(e.timestamp)) return 'rule change `timestamp` is not a time as the server writes it (`2026-01-02T03:04:05.678Z`)';
  return undefined;
}

function isIsoInstant(text: string): boolean {
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(text)) return false;
  const t = Date.parse(text);
  return Number.isFinite(t) && new Date(t).toISOString() === text;
}

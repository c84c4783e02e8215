// What each API answer must look like before the SDK hands it on (docs/sdk.md: a success
// status with a body that is not what the API promises is an MGEProtocolError). Only the
// members callers act on are checked: enough that a guard never mistakes garbage for a
// decision or a verdict.

import { isCheckpoint } from '../audit/checkpoint.js';
import { isObject } from '../json/is-object.js';

/** A name for error messages and a test. */
export interface Shape {
  what: string;
  is(v: unknown): boolean;
}

type Obj = Record<string, unknown>;
const str = (v: unknown) => typeof v === 'string';
const num = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const arr = Array.isArray;

const shape = (what: string, is: (o: Obj) => boolean): Shape => ({ what, is: (v) => isObject(v) && is(v) });

export const DECISION = shape('a decision', (o) =>
  typeof o.approved === 'boolean' && str(o.decision_id) && str(o.reasoning) && arr(o.rule_ids) && arr(o.violations) && arr(o.warnings));

/** A rule-change entry of the audit log (SPEC §6). */
export const RULE_CHANGE = shape('a rule change entry', (o) =>
  o.kind === 'rule_change' && str(o.rule_id) && (o.op === 'put' || o.op === 'delete') && str(o.policy_version) && str(o.by) && str(o.timestamp));

/** One line of an audit export: a decision or a rule change. */
export const AUDIT_ENTRY: Shape = { what: 'a decision or a rule change entry', is: (v) => DECISION.is(v) || RULE_CHANGE.is(v) };

/** `{decisions: [...]}` with one decision per request sent. */
export const batchOf = (n: number): Shape => shape(`{"decisions": [...]} with ${n} decisions`, (o) =>
  arr(o.decisions) && o.decisions.length === n && o.decisions.every((d) => DECISION.is(d)));

// A valid answer has no reason; an invalid one has one (`{"valid":true,"reason":"expired"}` is no answer).
export const VERIFY_RESULT = shape('{"valid": true, "approved"} or {"valid": false, "reason"}', (o) =>
  (o.valid === true && o.reason === undefined && typeof o.approved === 'boolean') || (o.valid === false && str(o.reason) && o.approved === undefined));

export const JWKS = shape('a JWKS ({"keys": [...]})', (o) => arr(o.keys) && o.keys.every(isObject));

export const RULE_LISTING = shape('a rule listing', (o) => str(o.tenant) && str(o.policy_version) && arr(o.rules));
export const RULE_VIEW = shape('a rule ({"rule", "origin", "source"})', (o) => isObject(o.rule) && str(o.rule.rule_id) && str(o.origin));
export const PUT_RULE_RESULT = shape('{"rule_ids", "policy_version"}', (o) => arr(o.rule_ids) && str(o.policy_version));
export const REPLACE_RULES_RESULT = shape('{"rule_ids", "removed", "policy_version"}', (o) => arr(o.rule_ids) && arr(o.removed) && str(o.policy_version));
export const VALIDATE_RESULT = shape('{"valid", "rule_ids", "diagnostics"}', (o) => typeof o.valid === 'boolean' && arr(o.rule_ids) && arr(o.diagnostics));

export const CHECKPOINT: Shape = { what: 'a checkpoint (SPEC §6)', is: isCheckpoint };
export const INCLUSION_PROOF = shape('an inclusion proof', (o) =>
  str(o.decision_id) && num(o.leaf_index) && num(o.tree_size) && str(o.leaf_hash) && arr(o.audit_path) && str(o.root_hash));
export const CONSISTENCY_PROOF = shape('a consistency proof', (o) => num(o.first) && num(o.second) && arr(o.proof));

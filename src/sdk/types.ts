// What the SDK sends and receives, in the wire shapes of SPEC §2, §4, §5, §6 and §8.
// Decisions and receipts reuse the engine's own types so the two can never drift apart.

import type { Decision, ExplanationEntry, Json, Receipt, Violation } from '../ir/types.js';
import type { ReasonCode } from '../receipt/verify.js';
import type { Checkpoint } from '../audit/checkpoint.js';
import type { ConsistencyProof, InclusionProof } from '../audit/log.js';

export type { Checkpoint, ConsistencyProof, InclusionProof };

export type { Decision, ExplanationEntry, Json, Receipt, Violation };

/** An action: an object with a string `type`, or a bare string as shorthand for `{type: s}`. */
export type Action = string | { type: string; [key: string]: Json };

export type Context = { [key: string]: Json };

/** One check request (SPEC §2). */
export interface CheckInput {
  action: Action;
  context?: Context;
  /** The executor the receipt is meant for (SPEC §5). */
  audience?: string;
}

export interface CheckOptions {
  /** Ask for `explanation` (values the violated clauses read); never signed nor audited. */
  explain?: boolean;
  audience?: string;
  /** Cancels the call; it then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** A decision as returned by a check; `explanation` only with `explain: true`. */
export type CheckResult = Decision & { explanation?: ExplanationEntry[] };

/** SPEC §5 failure reasons, the same from the server and from the offline verifier. */
export type VerifyReason = ReasonCode;

export interface ServerVerifyResult {
  valid: boolean;
  reason?: VerifyReason;
  /** With `valid: true`: the verified decision's `approved` (a denial's receipt is valid too); act only when both are true. */
  approved?: boolean;
}

/** A rule change as logged (SPEC §6). */
export interface RuleChangeEntry {
  kind: 'rule_change';
  rule_id: string;
  op: 'put' | 'delete';
  policy_version: string;
  by: string;
  timestamp: string;
}

/** One line of the audit export: a decision, or a rule change. */
export type AuditEntry = Decision | RuleChangeEntry;

/** A JSON Web Key Set as served by `GET /api/v1/keys`. */
export interface Jwks {
  keys: JsonWebKey[];
}

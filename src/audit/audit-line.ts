// An audit entry as one line of text, and the decision id read back from such a line: pure
// helpers the log uses when appending, opening and reading entries back.

import type { Json } from '../ir/types.js';
import { canonicalize } from '../receipt/jcs.js';
import { AuditEntryError } from './log-types.js';
import { AuditStoreError } from './store.js';

/** The leaf form of an entry: top-level `explanation` is request data and never logged. */
export function auditLine(entry: Json): string {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new AuditEntryError('an audit entry must be a JSON object');
  const { explanation: _e, ...rest } = entry;
  return canonicalize(rest);
}

/**
 * The decision id of a line about to be appended, read from the line itself: the entry object
 * is read once (by auditLine), so a getter cannot give the index another id than the line
 * holds (else one decision could be logged twice, under a second id).
 */
export function idOfAuditLine(line: string): string | undefined {
  return canonicalDecisionId(line) ?? decisionIdOf(JSON.parse(line) as Json);
}

function decisionIdOf(entry: Json): string | undefined {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return undefined;
  const id = entry.decision_id;
  return typeof id === 'string' ? id : undefined;
}

/**
 * The decision id of a stored line, parsed whole; a line that is not JSON refuses the log. The
 * message counts entries from 1, as `mge audit verify` does, so both name the same line.
 */
export function idOfLine(tenant: string, line: string, index: number): string | undefined {
  let entry: Json;
  try {
    entry = JSON.parse(line) as Json;
  } catch {
    throw new AuditStoreError(`tenant \`${tenant}\`: stored entry ${index + 1} (line ${index + 1} of its log) is not JSON`);
  }
  return decisionIdOf(entry);
}

/**
 * A decision as MGE logs it is canonical JSON whose first members are `action_hash`,
 * `approved` and `decision_id`: its id is read from that prefix (an id with no escapes).
 * Undefined for any other line, which is then parsed whole.
 */
const DECISION_PREFIX = /^\{"action_hash":"[0-9a-f]{64}","approved":(?:true|false),"decision_id":"([^"\\]*)"[,}]/;
export function canonicalDecisionId(line: string): string | undefined {
  return DECISION_PREFIX.exec(line)?.[1];
}

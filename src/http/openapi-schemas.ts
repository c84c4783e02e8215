// JSON Schemas (2020-12, as OpenAPI 3.1 uses) of the wire formats of SPEC §2, §4, §5, §6, §8.
// Kept beside the routes so a change to a route's shape is a change here in the same commit.

import { JSON_REASONS } from '../json/strict-parse.js';

/** An action as an object: a string `type`, and any other members the rules read. */
const ACTION_OBJECT = { type: 'object', required: ['type'], properties: { type: { type: 'string' } }, additionalProperties: true };
const hex = { type: 'string', pattern: '^[0-9a-f]{64}$' };
const str = { type: 'string' };
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
/** A place in rule text: where it starts, and where it ends when known (1-based). */
const place = { file: str, line: { type: 'integer' }, col: { type: 'integer' }, endLine: { type: 'integer' }, endCol: { type: 'integer', description: 'one past the last column' } };

/** The rules' warnings in a PUT's answer, present only when there are some (as `mge lint` gives them). */
const RULE_WARNINGS = { type: 'array', items: ref('Diagnostic'), description: 'the rules\' warnings (an advisory clause never enforced, …); present only when there are some' };

export const SCHEMAS = {
  Problem: {
    type: 'object',
    description: 'RFC 9457 problem details; 422 adds `diagnostics`, a 400 of the JSON reader `reason`.',
    required: ['type', 'title', 'status', 'detail'],
    properties: {
      type: { type: 'string', description: '`urn:mge:problem:<slug>`; docs/http.md (Errors) lists them' },
      title: str, status: { type: 'integer' }, detail: str, instance: str,
      diagnostics: { type: 'array', items: ref('Diagnostic') },
      reason: { enum: [...JSON_REASONS], description: 'why the JSON reader refused the body (SPEC §2)' },
    },
  },
  CheckRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['action'],
    properties: {
      action: {
        oneOf: [str, ACTION_OBJECT],
        description: 'An object with a string `type`, or a bare string (shorthand for `{"type": s}`).',
      },
      context: { type: 'object', default: {} },
      audience: { type: 'string', minLength: 1, description: 'The executor the receipt is meant for.' },
    },
  },
  Violation: {
    type: 'object',
    required: ['rule_id', 'clause', 'code', 'message', 'effect', 'severity'],
    properties: {
      rule_id: str, clause: str, code: str, message: str,
      effect: { enum: ['deny', 'warn'] }, severity: { enum: ['low', 'medium', 'high', 'critical'] },
    },
  },
  Receipt: {
    type: 'object',
    required: ['alg', 'kid', 'nonce', 'issued_at', 'expires_at', 'decision_hash', 'signature'],
    properties: {
      alg: { enum: ['HS256', 'Ed25519'] }, kid: str, nonce: str,
      issued_at: { type: 'string', format: 'date-time' }, expires_at: { type: 'string', format: 'date-time' },
      decision_hash: hex, signature: str,
    },
  },
  Decision: {
    type: 'object',
    required: ['decision_id', 'approved', 'reasoning', 'rule_ids', 'violations', 'warnings', 'tenant', 'policy_version', 'timestamp', 'action_hash', 'receipt'],
    properties: {
      decision_id: str, approved: { type: 'boolean' }, reasoning: str,
      rule_ids: { type: 'array', items: str },
      violations: { type: 'array', items: ref('Violation') }, warnings: { type: 'array', items: ref('Violation') },
      tenant: str, policy_version: str, timestamp: { type: 'string', format: 'date-time' }, action_hash: hex,
      audience: str, receipt: ref('Receipt'),
      explanation: { type: 'array', description: 'Only with `?explain=true`; not signed, not logged.', items: { type: 'object' } },
    },
  },
  BatchRequest: {
    type: 'object', additionalProperties: false, required: ['requests'],
    properties: { requests: { type: 'array', items: ref('CheckRequest') } },
  },
  BatchResponse: { type: 'object', required: ['decisions'], properties: { decisions: { type: 'array', items: ref('Decision') } } },
  VerifyRequest: {
    type: 'object', additionalProperties: false, required: ['decision'],
    // The context is checked against an action: a context alone is a 400.
    dependentRequired: { context: ['action'] },
    properties: {
      decision: ref('Decision'),
      action: { oneOf: [{ type: 'string' }, ACTION_OBJECT] },
      context: { type: 'object' },
      audience: { type: 'string', minLength: 1 },
    },
  },
  VerifyResponse: {
    type: 'object', required: ['valid'],
    properties: {
      valid: { type: 'boolean' },
      approved: { type: 'boolean', description: 'With `valid: true`: whether the verified decision approved the action. A denial\'s receipt is genuine too; run the action only when both are true.' },
      reason: {
        enum: ['malformed', 'unknown_kid', 'bad_signature', 'decision_mismatch', 'tenant_mismatch', 'action_mismatch', 'audience_mismatch', 'expired', 'replayed', 'nonce_store_full'],
      },
    },
  },
  Diagnostic: {
    type: 'object', required: ['severity', 'code', 'message', 'span'],
    properties: {
      severity: { enum: ['error', 'warning'] }, code: str, message: str, help: str,
      span: { type: 'object', properties: place },
      related: { type: 'object', description: 'another place the help names (the first rule with the same id)', properties: place },
    },
  },
  RuleView: {
    type: 'object', required: ['rule', 'origin', 'source'],
    properties: {
      rule: { type: 'object', description: 'The normalized rule (SPEC §3.1), valid JSON rule input.' },
      origin: { enum: ['global', 'tenant'] },
      source: { type: 'object', properties: { file: str, line: { type: 'integer' } } },
    },
  },
  RuleList: {
    type: 'object', required: ['tenant', 'policy_version', 'rules'],
    properties: { tenant: str, policy_version: str, rules: { type: 'array', items: ref('RuleView') } },
  },
  RulePutResult: {
    type: 'object', required: ['rule_ids', 'policy_version'],
    properties: { rule_ids: { type: 'array', items: str }, policy_version: str, warnings: RULE_WARNINGS },
  },
  RuleSetPutResult: {
    type: 'object', required: ['rule_ids', 'removed', 'policy_version'],
    properties: {
      rule_ids: { type: 'array', items: str, description: 'the API rules now in force: those the body holds' },
      removed: { type: 'array', items: str, description: 'API rules the body left out, deleted' },
      policy_version: str,
      warnings: RULE_WARNINGS,
    },
  },
  ValidateResult: {
    type: 'object', required: ['valid', 'rule_ids', 'diagnostics'],
    properties: { valid: { type: 'boolean' }, rule_ids: { type: 'array', items: str }, diagnostics: { type: 'array', items: ref('Diagnostic') } },
  },
  Checkpoint: {
    type: 'object', required: ['tenant', 'tree_size', 'root_hash', 'timestamp', 'alg', 'kid', 'signature'],
    properties: { tenant: str, tree_size: { type: 'integer' }, root_hash: hex, timestamp: str, alg: str, kid: str, signature: str },
  },
  InclusionProof: {
    type: 'object', required: ['decision_id', 'leaf_index', 'tree_size', 'leaf_hash', 'audit_path', 'root_hash'],
    properties: {
      decision_id: str, leaf_index: { type: 'integer' }, tree_size: { type: 'integer' },
      leaf_hash: hex, audit_path: { type: 'array', items: hex }, root_hash: hex,
    },
  },
  ConsistencyProof: {
    type: 'object', required: ['first', 'second', 'proof'],
    properties: { first: { type: 'integer' }, second: { type: 'integer' }, proof: { type: 'array', items: hex } },
  },
  AuditPage: {
    type: 'object', required: ['tenant', 'tree_size', 'from', 'entries'],
    properties: { tenant: str, tree_size: { type: 'integer' }, from: { type: 'integer' }, entries: { type: 'array', items: { type: 'object' } } },
  },
  Jwks: { type: 'object', required: ['keys'], properties: { keys: { type: 'array', items: { type: 'object' } } } },
} as const;

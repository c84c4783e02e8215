// The request sets: for each workload, one allowed and one denied request per rule kind, each
// governed by exactly one rule, plus one request no rule governs. The expected decision is
// written beside each request, so a workload bug shows before any engine is compared.

import { RULE_KINDS, type RuleSpec } from './rules.js';

/** A request in MGE's wire shape (SPEC §2). Every peer adapter translates from this. */
export interface MgeRequest {
  action: { type: string; path?: string; amount?: number; table?: string };
  context: {
    agent_id: string;
    environment: string;
    role: string;
    encryption: { algorithm: string; key_age_days: number };
  };
}

export interface BenchRequest {
  /** What the request exercises, for messages: `deny prod-write-85`. */
  label: string;
  request: MgeRequest;
  approved: boolean;
}

/** Every request carries a full, plausible context; only the governing rule reads part of it. */
const BASE_CONTEXT: MgeRequest['context'] = {
  agent_id: 'agent-7',
  environment: 'production',
  role: 'analyst',
  encryption: { algorithm: 'AES-256-GCM', key_age_days: 12 },
};

/** A request governed by `rule` that the rule allows (`approved`) or denies. */
export function requestFor(rule: RuleSpec, approved: boolean): BenchRequest {
  const context: MgeRequest['context'] = { ...BASE_CONTEXT, encryption: { ...BASE_CONTEXT.encryption } };
  const action: MgeRequest['action'] = { type: rule.action };
  switch (rule.kind) {
    case 'prod-write':
      action.table = 'users';
      context.environment = approved ? 'staging' : rule.environment;
      break;
    case 'blocked-ext':
      action.path = approved ? 'reports/2026/q3.pdf' : 'downloads/setup' + rule.extensions[0];
      break;
    case 'role-allow':
      context.role = approved ? rule.roles[rule.roles.length - 1] : 'intern';
      break;
    case 'encryption':
      context.encryption.algorithm = approved ? rule.algorithms[0] : 'DES';
      break;
    case 'amount-ceiling':
      action.amount = approved ? rule.ceiling : rule.ceiling + 1;
      break;
  }
  return { label: `${approved ? 'allow' : 'deny'} ${rule.id}`, request: { action, context }, approved };
}

/** A request no rule governs: approved by every engine. */
export function ungovernedRequest(): BenchRequest {
  return {
    label: 'allow (no rule applies)',
    request: { action: { type: 'search.query' }, context: { ...BASE_CONTEXT } },
    approved: true,
  };
}

/**
 * The request set of a workload: for each kind, an allowed request aimed at a rule a quarter of
 * the way into the set and a denied one three quarters in (W1: its only rule of that kind),
 * then the ungoverned request. 11 requests.
 */
export function requestSet(rules: readonly RuleSpec[]): BenchRequest[] {
  const out: BenchRequest[] = [];
  for (const kind of RULE_KINDS) {
    const ofKind = rules.filter((r) => r.kind === kind);
    if (ofKind.length === 0) throw new Error(`workload has no rule of kind \`${kind}\``);
    out.push(requestFor(ofKind[Math.floor(ofKind.length / 4)], true));
    out.push(requestFor(ofKind[Math.floor((ofKind.length * 3) / 4)], false));
  }
  out.push(ungovernedRequest());
  return out;
}

/** A deep copy as plain JSON (engines never see objects another engine may have touched). */
export function cloneJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

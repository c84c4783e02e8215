// The benchmark's rules, written once in an engine-neutral form. Each engine's policy text
// (MGE YAML, Cedar, json-rules-engine, casbin, Rego) is generated from these specs, so every
// engine is asked the same question: is some applicable deny rule violated?

/** The five kinds of rule the peer issue names. Each is scoped to one exact action type. */
export type RuleSpec =
  | { kind: 'prod-write'; id: string; action: string; environment: string }
  | { kind: 'blocked-ext'; id: string; action: string; extensions: string[] }
  | { kind: 'role-allow'; id: string; action: string; roles: string[] }
  | { kind: 'encryption'; id: string; action: string; algorithms: string[] }
  | { kind: 'amount-ceiling'; id: string; action: string; ceiling: number };

export type RuleKind = RuleSpec['kind'];

export const RULE_KINDS: readonly RuleKind[] = [
  'prod-write', 'blocked-ext', 'role-allow', 'encryption', 'amount-ceiling',
];

/** The action type each kind governs (W1 uses it bare, generated rules prefix a team). */
export const KIND_ACTION: Readonly<Record<RuleKind, string>> = {
  'prod-write': 'db.write',
  'blocked-ext': 'file.write',
  'role-allow': 'admin.access',
  'encryption': 'data.export',
  'amount-ceiling': 'payment.create',
};

const BLOCKED = ['.exe', '.sh'];
const ALGORITHMS = ['AES-256-GCM', 'ChaCha20-Poly1305'];

/** W1: the five rules of the issue, one of each kind, on bare action types. */
export function w1Rules(): RuleSpec[] {
  return [
    { kind: 'prod-write', id: 'no-prod-db-write', action: 'db.write', environment: 'production' },
    { kind: 'blocked-ext', id: 'block-executables', action: 'file.write', extensions: BLOCKED },
    { kind: 'role-allow', id: 'admin-roles', action: 'admin.access', roles: ['admin', 'sre', 'security'] },
    { kind: 'encryption', id: 'export-encryption', action: 'data.export', algorithms: ALGORITHMS },
    { kind: 'amount-ceiling', id: 'payment-ceiling', action: 'payment.create', ceiling: 10_000 },
  ];
}

/**
 * `n` rules of the five kinds in turn; rule `i` governs `team<i>.<kind's action>`, so any
 * request is governed by at most one of them.
 */
export function generatedRules(n: number): RuleSpec[] {
  const rules: RuleSpec[] = [];
  for (let i = 0; i < n; i++) rules.push(generatedRule(i));
  return rules;
}

/** Rule `i` of `generatedRules` (the request sets aim at single rules by index). */
export function generatedRule(i: number): RuleSpec {
  const kind = RULE_KINDS[i % RULE_KINDS.length];
  const id = `${kind}-${i}`;
  const action = `team${i}.${KIND_ACTION[kind]}`;
  switch (kind) {
    case 'prod-write': return { kind, id, action, environment: 'production' };
    case 'blocked-ext': return { kind, id, action, extensions: BLOCKED };
    case 'role-allow': return { kind, id, action, roles: ['admin', 'sre', `team${i}-lead`] };
    case 'encryption': return { kind, id, action, algorithms: ALGORITHMS };
    case 'amount-ceiling': return { kind, id, action, ceiling: 1_000 + i };
  }
}

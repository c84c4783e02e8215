// Generators for engine-level properties: small random policies (rules as plain data, SPEC §3.1)
// and requests that exercise them, plus writers that put one policy into YAML, JSON or MDC text.
// Pools are small on purpose, so that generated rules and requests actually meet.

import fc from 'fast-check';
import { stringify as yamlStringify } from 'yaml';

export interface GenCondition {
  type: 'expression' | 'encryption_required' | 'file_access_control' | 'rate_limit_check';
  parameters: Record<string, unknown>;
}

export interface GenRule {
  rule_id: string;
  /** Tenant rules go to tenants/<tenant>/; undefined = global. */
  tenant?: string;
  name?: string;
  description?: string;
  category?: string;
  effect?: 'deny' | 'warn';
  severity?: 'low' | 'medium' | 'high' | 'critical';
  enabled?: boolean;
  alwaysApply?: boolean;
  applies_to?: { actions?: string[]; when?: string };
  globs?: string[];
  conditions: GenCondition[];
  prohibited: { message: string; when: string }[];
  required: { message: string; check: string }[];
  advisory: string[];
}

export const TENANTS = ['default', 'acme', 'beta'] as const;

const RULE_IDS = ['a', 'b-c', 'b.c', 'b1', 'net', 'z9'];
const ACTION_GLOBS = ['db.*', 'api.*', '*.read', 'file.?rite', '*', 'db.write'];
const PATH_GLOBS = ['src/**', '*.md', 'docs/**', '**/*.ts'];
const ALGORITHMS = ['AES-256-GCM', 'ChaCha20-Poly1305', 'DES'];
const ALLOWED_PATHS = ['src/**', 'docs/*.md', '**/*.ts', 'uploads/**'];
const BLOCKED = ['.exe', '.sh', '.EXE', '.md'];

// Atoms read fields the request generator fills in (or leaves out, so errors occur too).
const ATOMS = [
  'action.type == "db.write"',
  'startsWith(action.type, "db.")',
  'action.type in ["api.call", "file.read"]',
  'context.env == "prod"',
  '"prod" in context.env',
  'action.n > 3',
  'action.n <= context.m',
  'action.n + 1 == 4',
  'action.n % 2 == 0',
  'contains(action.tags, "pii")',
  'len(action.tags) > 1',
  'glob(action.path, "src/**")',
  'globAny(action.path, ["*.md", "docs/*"])',
  'inCidr(context.ip, "10.0.0.0/8")',
  'inCidr(context.ip, "2001:db8::/32")',
  'exists(context.user)',
  'context.user.admin == true',
  'lower(context.user.name) == "root"',
  'request.tenant == "acme"',
  'context.flag',
  'true',
  'false',
];

const word = fc.constantFrom('no', 'prod', 'writes', 'must', 'use', 'tls', 'data', 'agent', 'review');
const message = fc.array(word, { minLength: 1, maxLength: 4 }).map((ws) => ws.join(' '));

export const expression: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
  e: fc.oneof(
    { maxDepth: 2, withCrossShrink: true },
    fc.constantFrom(...ATOMS),
    fc.tuple(tie('e'), tie('e')).map(([a, b]) => `(${a}) && (${b})`),
    fc.tuple(tie('e'), tie('e')).map(([a, b]) => `(${a}) || (${b})`),
    tie('e').map((a) => `!(${a})`),
  ),
})).e;

const nonEmptySub = <T>(xs: T[]) => fc.subarray(xs, { minLength: 1 });

const condition: fc.Arbitrary<GenCondition> = fc.oneof(
  fc.record({ expr: expression, message: fc.option(message, { nil: undefined }) })
    .map((p) => ({ type: 'expression' as const, parameters: dropUndefined(p) })),
  fc.record({ algorithms: nonEmptySub(ALGORITHMS), key_rotation_days: fc.option(fc.constantFrom(30, 90), { nil: undefined }) })
    .map((p) => ({ type: 'encryption_required' as const, parameters: dropUndefined(p) })),
  fc.record({
    allowed_paths: fc.option(nonEmptySub(ALLOWED_PATHS), { nil: undefined }),
    blocked_extensions: fc.option(nonEmptySub(BLOCKED), { nil: undefined }),
  }).filter((p) => p.allowed_paths !== undefined || p.blocked_extensions !== undefined)
    .map((p) => ({ type: 'file_access_control' as const, parameters: dropUndefined(p) })),
  // A burst no test run can exhaust: rate limits stay out of the decision, but are compiled.
  fc.constant({ type: 'rate_limit_check' as const, parameters: { requests_per_minute: 600, burst_limit: 10000 } }),
);

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** `arb` in `percent`% of the cases, otherwise undefined (the field left out). */
function sometimes<T>(arb: fc.Arbitrary<T>, percent: number): fc.Arbitrary<T | undefined> {
  return fc.oneof({ arbitrary: arb, weight: percent }, { arbitrary: fc.constant(undefined), weight: 100 - percent });
}

function ruleWithId(rule_id: string): fc.Arbitrary<GenRule> {
  return fc.record({
    tenant: sometimes(fc.constantFrom('acme', 'beta'), 25),
    name: sometimes(message, 50),
    description: sometimes(message, 50),
    category: sometimes(fc.constantFrom('security', 'data_governance'), 50),
    effect: sometimes(fc.constantFrom('deny' as const, 'warn' as const), 50),
    severity: sometimes(fc.constantFrom('low' as const, 'medium' as const, 'high' as const, 'critical' as const), 50),
    enabled: sometimes(fc.constantFrom(true, false, false), 15),
    alwaysApply: sometimes(fc.boolean(), 30),
    actions: sometimes(nonEmptySub(ACTION_GLOBS), 40),
    when: sometimes(expression, 25),
    globs: sometimes(nonEmptySub(PATH_GLOBS), 20),
    conditions: fc.array(condition, { maxLength: 2 }),
    prohibited: fc.array(fc.record({ message, when: expression }), { maxLength: 2 }),
    required: fc.array(fc.record({ message, check: expression }), { maxLength: 2 }),
    advisory: fc.array(message, { maxLength: 1 }),
  }).map((g) => {
    const applies_to = g.actions || g.when ? dropUndefined({ actions: g.actions, when: g.when }) : undefined;
    const hasScope = applies_to !== undefined || g.globs !== undefined;
    const rule: GenRule = dropUndefined({
      rule_id,
      tenant: g.tenant,
      name: g.name,
      description: g.description,
      category: g.category,
      effect: g.effect,
      severity: g.severity,
      enabled: g.enabled,
      // alwaysApply false without a scope is a load error (SPEC §3.5): not a valid policy.
      alwaysApply: g.alwaysApply === false && !hasScope ? undefined : g.alwaysApply,
      applies_to,
      globs: g.globs,
      conditions: g.conditions,
      prohibited: g.prohibited,
      required: g.required,
      advisory: g.advisory,
    });
    // A rule needs at least one checkable clause (SPEC §3.1).
    if (rule.conditions.length + rule.prohibited.length + rule.required.length === 0) {
      rule.prohibited = [{ message: 'fallback', when: 'action.type == "db.write"' }];
    }
    return rule;
  });
}

/** One to three rules with distinct ids (global or tenant). */
export const policy: fc.Arbitrary<GenRule[]> = fc
  .uniqueArray(fc.constantFrom(...RULE_IDS), { minLength: 1, maxLength: 3 })
  .chain((ids) => fc.tuple(...ids.map(ruleWithId)));

const json = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

/** A request in the SPEC §2 shape, built from the values the atoms and conditions read. */
export const request: fc.Arbitrary<Record<string, unknown>> = fc.record({
  type: fc.constantFrom('db.write', 'db.read', 'db.admin.drop', 'api.call', 'file.read', 'file.write', 'x'),
  shorthand: fc.boolean(),
  path: json(fc.constantFrom('src/a.ts', 'src\\b.ts', 'docs/x.md', '../etc/passwd', 'a/../../b', 'README.md', 'run.EXE.', 'a\u0000b', 'uploads/x.sh', 'uploads/../src/c.ts', 5)),
  n: json(fc.constantFrom(0, 1, 3, 4, '3', null, -2.5)),
  tags: json(fc.constantFrom([], ['pii'], ['a', 'pii'], 'pii')),
  env: json(fc.constantFrom('prod', 'dev', 'preprod')),
  m: json(fc.constantFrom(1, 5, 'x')),
  ip: json(fc.constantFrom('10.1.2.3', '::ffff:10.0.0.1', '2001:db8::5', '192.168.0.1', 'bad')),
  user: json(fc.record({ admin: fc.boolean(), name: fc.constantFrom('ROOT', 'alice', 5) })),
  flag: json(fc.constantFrom(true, false, 1)),
  encryption: json(fc.record({
    algorithm: json(fc.constantFrom('AES-256-GCM', 'DES', 'aes-256-gcm')),
    key_age_days: json(fc.constantFrom(10, 60, 100, 'x')),
  })),
  agent_id: json(fc.constantFrom('agent-1', 'agent-2')),
}).map((g) => {
  const actionFields = dropUndefined({ path: g.path, n: g.n, tags: g.tags });
  const action = g.shorthand && Object.keys(actionFields).length === 0 ? g.type : { type: g.type, ...actionFields };
  const context = dropUndefined({
    env: g.env, m: g.m, ip: g.ip, user: g.user, flag: g.flag,
    encryption: g.encryption && dropUndefined(g.encryption), agent_id: g.agent_id,
  });
  return { action, context };
});

export const tenant = fc.constantFrom(...TENANTS);

// ---------------------------------------------------------------------------------------------
// Writers
// ---------------------------------------------------------------------------------------------

export type Format = 'yaml' | 'json' | 'mdc';
export const FORMATS: Format[] = ['yaml', 'json', 'mdc'];

/** YAML text without anchors and aliases (rule files refuse them; generated values share objects). */
export function stringify(value: unknown): string {
  return yamlStringify(value, { aliasDuplicateObjects: false });
}

/** The rule as its file states it (no `tenant`: that is the file's place). */
function ruleFields(rule: GenRule): Record<string, unknown> {
  const { tenant: _t, ...fields } = rule;
  return fields;
}

function dir(rule: GenRule): string {
  return rule.tenant ? `tenants/${rule.tenant}/` : '';
}

/** One rule as a whole file of the given format. */
export function writeRule(rule: GenRule, format: Format): { path: string; text: string } {
  const base = `${dir(rule)}${rule.rule_id}`;
  switch (format) {
    case 'yaml':
      return { path: `${base}.yaml`, text: stringify(ruleFields(rule)) };
    case 'json':
      return { path: `${base}.json`, text: JSON.stringify(ruleFields(rule), null, 2) };
    case 'mdc':
      return { path: `${base}.mdc`, text: writeMdc(rule) };
  }
}

/**
 * MDC (SPEC §3.3): scalar fields and the scope in front matter, the name as the `#` heading,
 * the id as a `**Rule ID:**` line, clauses as bullets ending in a code span, advisory clauses as
 * bullets without one, conditions in a ```yaml conditions block.
 */
function writeMdc(rule: GenRule): string {
  const { rule_id, name, prohibited, required, advisory, conditions, tenant: _t, ...front } = rule;
  const out: string[] = [];
  if (Object.keys(front).length > 0) out.push('---', stringify(front).trimEnd(), '---', '');
  if (name !== undefined) out.push(`# ${name}`, '');
  out.push(`**Rule ID:** \`${rule_id}\``, '');
  if (prohibited.length > 0) {
    out.push('## Prohibited');
    for (const p of prohibited) out.push(`- ${p.message} \`${p.when}\``);
    out.push('');
  }
  if (required.length > 0 || advisory.length > 0) {
    out.push('## Required');
    for (const r of required) out.push(`- ${r.message} \`${r.check}\``);
    for (const a of advisory) out.push(`- ${a}`);
    out.push('');
  }
  if (conditions.length > 0) out.push('```yaml conditions', stringify(conditions).trimEnd(), '```', '');
  return out.join('\n');
}

/** Every rule in its own file, all in one format. */
export function writePolicy(rules: GenRule[], format: Format): { path: string; text: string }[] {
  return rules.map((r) => writeRule(r, format));
}

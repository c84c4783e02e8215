// Property: whatever rule the builder accepts, its MDC, YAML and JSON texts, read back by the
// loader, give one and the same normalized rule (places aside: each text has its own lines)
// and compile to byte-identical bundles.
// The generators lean on text that formats treat specially: YAML words (`yes`, `null`, `~`),
// Markdown marks (`#`, backticks, a trailing `:`), newlines, quotes and non-ASCII.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileBundle } from '../../src/compile/bundle.js';
import { parseRuleText, type RuleFormat } from '../../src/rules/load.js';
import type { Rule } from '../../src/ir/types.js';
import { RuleBuilder, type RuleHeader } from '../../src/sdk/index.js';

const CHARS = ['a', 'Z', ' ', '#', ':', '-', '`', '*', '_', '\n', '"', "'", 'é', '—', '\\', '[', '{', '>', '|', '&', '%', '@', ',', '.', '0', '💡'];
const text = fc.oneof(
  fc.constantFrom('yes', 'no', 'null', 'true', '~', '0x1F', '1e3', '- a', '---', '...', '#x', ': x', '@a', '`a`', 'a:', 'x #', ' pad ', ''),
  fc.string({ unit: fc.constantFrom(...CHARS), maxLength: 12 }),
);
/**
 * Messages Markdown keeps as they are (bullets), as often as tricky ones (front matter); never
 * blank, which the loader refuses (a denial must say why).
 */
const message = fc.oneof(fc.stringMatching(/^[A-Za-z][A-Za-z0-9 ()'"`é#*_]{0,20}[A-Za-z0-9)`]$/), text.filter((s) => s.trim() !== ''));
const lit = text.map((s) => JSON.stringify(s));
const int = fc.integer({ min: -1000, max: 1000 });

const expr = fc.oneof(
  lit.map((l) => `action.type == ${l}`),
  int.map((n) => `context.n > ${n}`),
  lit.map((l) => `startsWith(action.path, ${l})`),
  lit.map((l) => `!(context.flag == true) || action.x in [1, 2, ${l}]`),
  int.map((n) => `len(action.items) >= ${n}`),
  lit.map((l) => `action[${l}] == null`),
  lit.map((l) => `contains(lower(action.q), ${l})`),
  fc.constantFrom(
    '  context.x == 1  ', 'globAny(action.path, ["src/**", "*.md"])', 'inCidr(context.ip, "10.0.0.0/8")',
    'exists(context.user)', '-context.n < 3 * 2 % 5', 'action.q == "`x`"', 'action.q == "``"',
  ),
);

const some = <T>(xs: readonly T[]) => fc.subarray([...xs], { minLength: 1 });
const condition = fc.oneof(
  fc.record({ expr, message }, { requiredKeys: ['expr'] }).map((p) => ['expression', p] as const),
  fc.record(
    // Numbers `yaml` writes with an exponent too (`1e-7`): the loader refuses that spelling (11-28).
    { algorithms: some(['AES-256-GCM', 'ChaCha20-Poly1305']), key_rotation_days: fc.oneof(fc.integer({ min: 1, max: 365 }), fc.constantFrom(1e-7, 2.5e-3, 1e21, 1.5e300)), field: fc.constant('context.enc') },
    { requiredKeys: ['algorithms'] },
  ).map((p) => ['encryption_required', p] as const),
  fc.record(
    { allowed_paths: some(['/safe/*', 'src/**', '*.md']), blocked_extensions: some(['.exe', '.SH']), field: fc.constant('action.file') },
    { requiredKeys: [] },
  ).map((p) => ['file_access_control', p] as const),
  fc.record(
    { requests_per_minute: fc.integer({ min: 1, max: 10_000 }), burst_limit: fc.integer({ min: 1, max: 100 }), key: fc.constantFrom('context.agent_id', 'action.user') },
    { requiredKeys: ['requests_per_minute'] },
  ).map((p) => ['rate_limit_check', p] as const),
);

const header = fc.record(
  {
    ruleId: fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,12}$/),
    name: text,
    description: text,
    category: text,
    effect: fc.constantFrom('deny', 'warn'),
    severity: fc.constantFrom('low', 'medium', 'high', 'critical'),
    enabled: fc.boolean(),
    alwaysApply: fc.boolean(),
    appliesTo: fc.record({ actions: some(['db.*', 'api.*', 'file.read']), when: expr }, { requiredKeys: [] }),
    globs: some(['src/**', '*.ts', 'docs/*.md']),
  },
  { requiredKeys: ['ruleId', 'name'] },
).map((h): RuleHeader => {
  // `alwaysApply: false` with no scope can never apply, which the loader rightly refuses.
  const scoped = h.globs || h.appliesTo?.actions || h.appliesTo?.when;
  return h.alwaysApply === false && !scoped ? { ...h, appliesTo: { actions: ['db.*'] } } : h;
});

const clauses = fc.record({
  conditions: fc.array(condition, { maxLength: 3 }),
  prohibited: fc.array(fc.tuple(message, expr), { maxLength: 3 }),
  required: fc.array(fc.tuple(message, expr), { maxLength: 3 }),
  advisory: fc.array(text, { maxLength: 2 }),
}).filter((c) => c.conditions.length + c.prohibited.length + c.required.length > 0);

/** The rule without places: spans everywhere, and where the rule came from. */
function placeless(rule: Rule): unknown {
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'span').map(([k, x]) => [k, strip(x)]));
    }
    return v;
  };
  const { source: _source, ...rest } = rule;
  return strip(rest);
}

function read(textOf: string, format: RuleFormat): Rule {
  const { rules, diagnostics } = parseRuleText(textOf, format, `r.${format}`);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new Error(`${format} did not load: ${JSON.stringify(errors)}\n${textOf}`);
  expect(rules).toHaveLength(1);
  return rules[0];
}

describe('RuleBuilder round trip', () => {
  it('MDC, YAML and JSON of a generated rule normalize to the same rule and the same bundle', () => {
    // Both ways MDC can hold clauses must be exercised, or the property proves less than it says.
    const mdcClauses = { bullets: 0, frontMatter: 0 };
    fc.assert(
      fc.property(header, clauses, (h, c) => {
        const b = new RuleBuilder().createRule(h);
        for (const [type, params] of c.conditions) b.addCondition(h.ruleId, type, params as never);
        for (const [m, e] of c.prohibited) b.addProhibited(h.ruleId, m, e);
        for (const [m, e] of c.required) b.addRequired(h.ruleId, m, e);
        for (const a of c.advisory) b.addAdvisory(h.ruleId, a);
        const built = b.toRule(h.ruleId);
        const bundle = Buffer.from(compileBundle([built]).bytes).toString('hex');
        const mdc = b.toMdc(h.ruleId);
        if (/^## (Prohibited|Required)$/m.test(mdc)) mdcClauses.bullets++;
        if (/^(prohibited|required):/m.test(mdc.split(/^---$/m)[1] ?? '')) mdcClauses.frontMatter++;
        for (const [format, textOf] of [['json', b.toJson(h.ruleId)], ['yaml', b.toYaml(h.ruleId)], ['mdc', mdc]] as const) {
          const rule = read(textOf, format);
          expect(placeless(rule)).toEqual(placeless(built));
          expect(Buffer.from(compileBundle([rule]).bytes).toString('hex')).toBe(bundle);
        }
      }),
      { numRuns: 200 },
    );
    expect(mdcClauses.bullets).toBeGreaterThan(40);
    expect(mdcClauses.frontMatter).toBeGreaterThan(40);
  });

  it('keeps text that would open a Markdown block (a heading, quote, list item, fence, HTML) out of the bullets', () => {
    for (const text of ['## Required', '> ## Prohibited', '1) ## Required', '- x', '```js', '~~~', '<div>', '# Title']) {
      const b = new RuleBuilder().createRule({ ruleId: 'r', name: 'R' });
      b.addAdvisory('r', text).addProhibited('r', text, 'action.type == "x"');
      const built = b.toRule('r');
      expect(placeless(read(b.toMdc('r'), 'mdc')), text).toEqual(placeless(built));
    }
  });
});

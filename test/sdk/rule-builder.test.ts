// RuleBuilder: the founding README's Python example in TypeScript, exact MDC output, and
// refusals that carry the loader's own diagnostics (compared with the loader reading a file).

import { describe, expect, it } from 'vitest';
import { parseRuleText } from '../../src/rules/load.js';
import type { Diagnostic } from '../../src/ir/types.js';
import { RuleBuildError, RuleBuilder } from '../../src/sdk/index.js';

/** A diagnostic without its place: the builder's point into its virtual JSON file. */
const what = (d: Diagnostic) => ({ severity: d.severity, code: d.code, message: d.message, help: d.help });

function refusal(f: () => unknown): RuleBuildError {
  try {
    f();
  } catch (e) {
    if (e instanceof RuleBuildError) return e;
    throw e;
  }
  throw new Error('expected a RuleBuildError');
}

function securityPolicy(): RuleBuilder {
  const builder = new RuleBuilder();
  builder.createRule({ ruleId: 'my-security-policy', name: 'Custom Security Policy', category: 'security' });
  builder.addCondition('my-security-policy', 'file_access_control', { allowed_paths: ['/safe/*'], blocked_extensions: ['.exe'] });
  return builder;
}

describe('RuleBuilder', () => {
  it('writes the README example as MDC that the loader reads back', () => {
    const mdc = securityPolicy().toMdc('my-security-policy');
    expect(mdc).toBe(
      [
        '---',
        'category: security',
        '---',
        '',
        '# Custom Security Policy',
        '',
        '**Rule ID:** `my-security-policy`',
        '',
        '```yaml conditions',
        '- type: file_access_control',
        '  parameters:',
        '    allowed_paths:',
        '      - /safe/*',
        '    blocked_extensions:',
        '      - .exe',
        '```',
        '',
      ].join('\n'),
    );
    const { rules, diagnostics } = parseRuleText(mdc, 'mdc', 'my-rule.mdc');
    expect(diagnostics).toEqual([]);
    expect(rules[0]).toMatchObject({ rule_id: 'my-security-policy', name: 'Custom Security Policy', category: 'security' });
    expect(rules[0].conditions[0]).toMatchObject({ type: 'file_access_control', allowed_paths: ['/safe/*'], blocked_extensions: ['.exe'] });
  });

  it('writes clauses as Markdown bullets ending in their expression', () => {
    const b = new RuleBuilder()
      .createRule({ ruleId: 'db', name: 'Database Access Control', appliesTo: { actions: ['db.*'] } })
      .addProhibited('db', 'Direct database modifications in production', 'action.type == "db.write" && context.environment == "production"')
      .addRequired('db', 'Connections must use SSL/TLS encryption', 'context.connection.tls == true')
      .addAdvisory('db', 'All database operations must use ORM');
    const mdc = b.toMdc('db');
    expect(mdc).toContain('## Prohibited\n- Direct database modifications in production `action.type == "db.write" && context.environment == "production"`\n');
    expect(mdc).toContain('## Required\n- Connections must use SSL/TLS encryption `context.connection.tls == true`\n- All database operations must use ORM\n');
    const rule = parseRuleText(mdc, 'mdc', 'db.mdc').rules[0];
    expect(rule.advisory).toEqual(['All database operations must use ORM']);
    expect(rule.required[0].check.source).toBe('context.connection.tls == true');
  });

  // A review (11-27): the reader drops the HTML comments a bullet ends with, so this advisory,
  // written as a bullet, was enforced as `context.tls == true`.
  it('keeps an advisory that ends in a code span and an HTML comment advisory in MDC', () => {
    const advisory = 'Connections use TLS `context.tls == true` <!-- see wiki -->';
    const b = new RuleBuilder().createRule({ ruleId: 'tls', name: 'TLS' })
      .addProhibited('tls', 'no drops', 'action.type == "db.drop"')
      .addAdvisory('tls', advisory);
    const rule = parseRuleText(b.toMdc('tls'), 'mdc', 'tls.mdc').rules[0];
    expect(rule.advisory).toEqual([advisory]);
    expect(rule.required).toEqual([]);
  });

  it('fills in the loader defaults in toRule', () => {
    const rule = securityPolicy().toRule('my-security-policy');
    expect([rule.effect, rule.severity, rule.enabled, rule.description]).toEqual(['deny', 'high', true, '']);
  });

  it('refuses an unknown condition type with the loader diagnostic, and stays unchanged', () => {
    const b = securityPolicy();
    const before = b.toJson('my-security-policy');
    const e = refusal(() => b.addCondition('my-security-policy', 'encryption_requried', { algorithms: ['AES-256-GCM'] }));
    const file = 'rule_id: x\nconditions:\n  - type: encryption_requried\n    parameters: { algorithms: [AES-256-GCM] }\n';
    const loader = parseRuleText(file, 'yaml', 'x.yaml').diagnostics;
    expect(e.diagnostics.map(what)).toEqual(loader.map(what));
    expect(e.diagnostics[0]).toMatchObject({ code: 'unknown-condition-type', message: 'unknown condition type `encryption_requried`' });
    expect(e.message).toContain('unknown condition type `encryption_requried`');
    expect(b.toJson('my-security-policy')).toBe(before);
  });

  it('refuses an expression that does not parse with the loader diagnostic', () => {
    const b = securityPolicy();
    const e = refusal(() => b.addProhibited('my-security-policy', 'no admin', 'action.role = "admin"'));
    const loader = parseRuleText('rule_id: x\nprohibited:\n  - message: no admin\n    when: action.role = "admin"\n', 'yaml', 'x.yaml').diagnostics;
    expect(e.diagnostics.map(what)).toEqual(loader.map(what));
    expect(e.diagnostics[0]).toMatchObject({ code: 'expr-syntax', help: 'use `==` to compare' });
  });

  it('refuses bad parameters, a bad rule id, an unknown option, duplicates and unknown rules', () => {
    const b = securityPolicy();
    expect(refusal(() => b.addCondition('my-security-policy', 'rate_limit_check', {} as never)).diagnostics[0].message)
      .toMatch(/requests_per_minute/);
    expect(refusal(() => b.createRule({ ruleId: 'Bad Id', name: 'x' })).diagnostics[0].code).toBe('invalid-rule-id');
    const typo = refusal(() => b.createRule({ ruleId: 'ok', name: 'x', catgory: 'security', zzz: 1 } as never));
    expect(typo.diagnostics.map(what)).toEqual([
      { severity: 'error', code: 'unknown-field', message: 'unknown field `catgory`', help: 'did you mean `category`?' },
      { severity: 'error', code: 'unknown-field', message: 'unknown field `zzz`', help: expect.stringMatching(/^expected `ruleId`, .* or `globs`$/) },
    ]);
    expect(refusal(() => b.createRule({ ruleId: 'my-security-policy', name: 'again' })).diagnostics[0].code).toBe('duplicate-rule-id');
    expect(refusal(() => b.addRequired('nope', 'm', 'true')).diagnostics[0]).toMatchObject({ code: 'unknown-rule', message: 'no rule `nope` in this builder' });
  });

  it('refuses to export a rule with no checkable clause yet', () => {
    const b = new RuleBuilder().createRule({ ruleId: 'empty', name: 'Empty' }).addAdvisory('empty', 'be careful');
    for (const out of [() => b.toMdc('empty'), () => b.toYaml('empty'), () => b.toJson('empty')]) {
      expect(refusal(out).diagnostics[0]).toMatchObject({ code: 'no-checkable-clause', message: 'rule `empty` has no checkable clause' });
    }
  });

  it('falls back to front matter for text Markdown would change', () => {
    const b = new RuleBuilder()
      .createRule({ ruleId: 'odd', name: 'Ends with #' })
      .addProhibited('odd', 'two\nlines:', 'action.q == "`x`"');
    const mdc = b.toMdc('odd');
    expect(mdc).not.toContain('## Prohibited');
    const rule = parseRuleText(mdc, 'mdc', 'odd.mdc').rules[0];
    expect(rule.name).toBe('Ends with #');
    expect(rule.prohibited[0].message).toBe('two\nlines:');
    expect(rule.prohibited[0].when.source).toBe('action.q == "`x`"');
  });
});

// RuleBuilder: writes rules in code and exports them as MDC, YAML or JSON files. Every change is
// checked by the rule loader itself (the rule written as JSON, read back by parseRuleText), so
// the builder refuses exactly what a rules directory would refuse, with the same diagnostics.

import { didYouMean } from '../diagnostics/did-you-mean.js';
import type { Diagnostic, Rule } from '../ir/types.js';
import { listWords } from '../ir/normalize-reads.js';
import { parseRuleText } from '../rules/load.js';
import { RuleBuildError } from './errors.js';
import { draftOf, SelfHoldingValueError, withoutUndefined, type DraftCondition, type ParametersOf, type RuleDraft, type RuleHeader } from './rule-draft.js';
import { draftToJson, draftToMdc, draftToYaml } from './rule-text.js';

/** createRule's option names; anything else is a typo that would silently drop a setting. */
const HEADER_KEYS: readonly string[] = [
  'ruleId', 'name', 'description', 'category', 'effect', 'severity', 'enabled', 'alwaysApply', 'appliesTo', 'globs',
] satisfies (keyof RuleHeader)[];

/** Where builder diagnostics point: the rule as the JSON file `toJson` would write. */
function virtualPath(ruleId: string): string {
  return `rule-builder/${ruleId}.json`;
}

function builderError(code: string, message: string, ruleId: string, help?: string): RuleBuildError {
  const d: Diagnostic = { severity: 'error', code, message, span: { file: virtualPath(ruleId), line: 1, col: 1 }, ...(help ? { help } : {}) };
  return new RuleBuildError([d]);
}

/** `make()`, with a value no rule format can write refused as a RuleBuildError (not a stack overflow). */
function writable<T>(make: () => T, ruleId: string): T {
  try {
    return make();
  } catch (err) {
    if (err instanceof SelfHoldingValueError) throw builderError('bad-value', err.message, ruleId);
    throw err;
  }
}

/** While a rule is being built, only the absence of clauses is forgiven; exports require one. */
const stillBuilding = (d: Diagnostic): boolean => d.code !== 'no-checkable-clause';

export class RuleBuilder {
  private readonly drafts = new Map<string, RuleDraft>();

  /**
   * Starts a rule. Clauses come next; a rule is complete once it has one.
   * @example
   * new RuleBuilder().createRule({ ruleId: 'no-prod-writes', name: 'No production writes', category: 'data_governance' })
   */
  createRule(header: RuleHeader): this {
    if (typeof header !== 'object' || header === null || Array.isArray(header)) {
      throw builderError('bad-header', `createRule takes the rule's header, an object ({ ruleId, name, … }); got ${header === null ? 'null' : Array.isArray(header) ? 'a list' : typeof header}`, 'rule');
    }
    if (this.drafts.has(header.ruleId)) {
      throw builderError('duplicate-rule-id', `duplicate rule id \`${header.ruleId}\``, header.ruleId, 'rule ids must be unique');
    }
    const unknown = Object.keys(header).filter((k) => !HEADER_KEYS.includes(k));
    if (unknown.length > 0) {
      // Every typo at once, worded like the loader's own unknown-field diagnostics.
      throw new RuleBuildError(unknown.map((k): Diagnostic => {
        const near = didYouMean(k, HEADER_KEYS);
        return {
          severity: 'error', code: 'unknown-field', message: `unknown field \`${k}\``,
          help: near ? `did you mean \`${near}\`?` : `expected ${listWords(HEADER_KEYS)}`,
          span: { file: virtualPath(header.ruleId), line: 1, col: 1 },
        };
      }));
    }
    const draft = writable(() => draftOf(header), header.ruleId);
    this.check(draft, stillBuilding);
    this.drafts.set(header.ruleId, draft);
    return this;
  }

  /**
   * Adds a typed condition (SPEC §3.4); an unknown type or bad parameters throw RuleBuildError.
   * @example
   * builder.addCondition('files', 'file_access_control', { allowed_paths: ['/safe/**'], blocked_extensions: ['.exe'] })
   */
  addCondition<T extends string>(ruleId: string, type: T, parameters: ParametersOf<T>): this {
    const c: DraftCondition = { type, parameters: writable(() => withoutUndefined(parameters), ruleId) as DraftCondition['parameters'] };
    return this.change(ruleId, (d) => ({ ...d, conditions: [...(d.conditions ?? []), c] }));
  }

  /**
   * Adds a clause violated when `expr` is true.
   * @example builder.addProhibited('db', 'Direct writes in production', 'action.type == "db.write" && context.environment == "production"')
   */
  addProhibited(ruleId: string, message: string, expr: string): this {
    return this.change(ruleId, (d) => ({ ...d, prohibited: [...(d.prohibited ?? []), { message, when: expr }] }));
  }

  /**
   * Adds a clause violated when `expr` is false.
   * @example builder.addRequired('db', 'Connections must use TLS', 'context.connection.tls == true')
   */
  addRequired(ruleId: string, message: string, expr: string): this {
    return this.change(ruleId, (d) => ({ ...d, required: [...(d.required ?? []), { message, check: expr }] }));
  }

  /**
   * Adds a clause with no machine-checkable form: kept and shown, never enforced.
   * @example builder.addAdvisory('db', 'All database operations must use the ORM')
   */
  addAdvisory(ruleId: string, text: string): this {
    return this.change(ruleId, (d) => ({ ...d, advisory: [...(d.advisory ?? []), text] }));
  }

  /** @example builder.toMdc('db') // '---\ncategory: …\n---\n\n# …' */
  toMdc(ruleId: string): string {
    return draftToMdc(this.complete(ruleId));
  }

  /** @example builder.toYaml('db') // 'rule_id: db\nname: …' */
  toYaml(ruleId: string): string {
    return draftToYaml(this.complete(ruleId));
  }

  /** @example builder.toJson('db') // '{\n  "rule_id": "db", …' */
  toJson(ruleId: string): string {
    return draftToJson(this.complete(ruleId));
  }

  /**
   * The rule as the engine sees it: normalized, defaults filled in, expressions parsed.
   * @example builder.toRule('db').severity // 'high'
   */
  toRule(ruleId: string): Rule {
    return this.check(this.complete(ruleId))!;
  }

  /** A copy of the rule as it would be written in a JSON file. */
  getDraft(ruleId: string): RuleDraft {
    return structuredClone(this.draft(ruleId));
  }

  get ruleIds(): string[] {
    return [...this.drafts.keys()];
  }

  private draft(ruleId: string): RuleDraft {
    const d = this.drafts.get(ruleId);
    if (!d) throw builderError('unknown-rule', `no rule \`${ruleId}\` in this builder`, ruleId, 'call `createRule` first');
    return d;
  }

  /** Applies `edit` only if the result still loads; the builder is unchanged on refusal. */
  private change(ruleId: string, edit: (d: RuleDraft) => RuleDraft): this {
    const next = edit(this.draft(ruleId));
    this.check(next, stillBuilding);
    this.drafts.set(ruleId, next);
    return this;
  }

  private complete(ruleId: string): RuleDraft {
    const d = this.draft(ruleId);
    this.check(d);
    return d;
  }

  /** Runs the loader on the draft; throws its errors (those `keep` selects). */
  private check(d: RuleDraft, keep: (d: Diagnostic) => boolean = () => true): Rule | undefined {
    const parsed = parseRuleText(draftToJson(d), 'json', virtualPath(d.rule_id));
    const errors = parsed.diagnostics.filter((x) => x.severity === 'error' && keep(x));
    if (errors.length > 0) throw new RuleBuildError(errors);
    return parsed.rules[0];
  }
}

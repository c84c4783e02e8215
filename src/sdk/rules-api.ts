// The rules endpoints (SPEC §8): the tenant's effective rules, read by checkers, changed by
// admins. PUT and DELETE are idempotent by HTTP semantics, so they are retried like GETs;
// validate only reports diagnostics and changes nothing, so it is retried too.

import type { RuleView } from '../http/rule-view.js';
import type { Diagnostic } from '../ir/types.js';
import { RuleBuildError } from './errors.js';
import { PUT_RULE_RESULT, REPLACE_RULES_RESULT, RULE_LISTING, RULE_VIEW, VALIDATE_RESULT } from './shapes.js';
import { pathSegment, type Transport } from './transport.js';

export type { RuleView };

/** GET /api/v1/rules: the tenant's effective rule set and its version. */
export interface RuleListing {
  tenant: string;
  policy_version: string;
  rules: RuleView[];
}

/** What a successful PUT answers. */
export interface PutRuleResult {
  rule_ids: string[];
  policy_version: string;
  /** The rules' warnings (an advisory clause never enforced, …), present only when there are some. */
  warnings?: Diagnostic[];
}

/** What a successful PUT of the whole set answers: `removed`, the API rules it left out. */
export interface ReplaceRulesResult extends PutRuleResult {
  removed: string[];
}

/** Rule text formats and the Content-Type each is sent with. */
export const RULE_CONTENT_TYPES = {
  mdc: 'text/markdown',
  yaml: 'application/yaml',
  json: 'application/json',
} as const;

export type RuleFormat = keyof typeof RULE_CONTENT_TYPES;

/** A format name (`mdc`, `yaml`, `json`) or a full Content-Type. */
export type RuleContentType = RuleFormat | (string & {});

export interface ValidateResult {
  valid: boolean;
  rule_ids: string[];
  diagnostics: Diagnostic[];
}

function contentTypeOf(t: RuleContentType): string {
  return (RULE_CONTENT_TYPES as Record<string, string>)[t] ?? t;
}

const FORMAT_OF_TYPE: Record<string, RuleFormat> = {
  'text/markdown': 'mdc', 'text/x-markdown': 'mdc', 'text/mdc': 'mdc', 'text/x-mdc': 'mdc',
  'application/yaml': 'yaml', 'application/x-yaml': 'yaml', 'text/yaml': 'yaml', 'text/x-yaml': 'yaml',
  'application/json': 'json',
};

/**
 * The one rule id `text` defines, read with the rule loader, for a PUT that names none. Text
 * that does not load, or defines other than one rule, is refused here with the loader's
 * diagnostics — the server would refuse it the same way.
 */
async function ruleIdOf(text: string, contentType: RuleContentType): Promise<string> {
  const type = contentTypeOf(contentType).split(';')[0].trim().toLowerCase();
  const format = FORMAT_OF_TYPE[type] ?? (type.endsWith('+json') ? 'json' : undefined);
  const file = `put.${format ?? 'txt'}`;
  if (format === undefined) {
    throw new RuleBuildError([{ severity: 'error', code: 'unknown-content-type', message: `cannot tell the rule format of \`${type}\``,
      help: 'pass the rule id, or use `mdc`, `yaml` or `json`', span: { file, line: 1, col: 1 } }]);
  }
  // Loaded on demand: an agent that only checks never ships the rule loader (and YAML) to its
  // browser or worker bundle.
  const { parseRuleText } = await import('../rules/load.js');
  const parsed = parseRuleText(text, format, file);
  const errors = parsed.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new RuleBuildError(errors);
  if (parsed.rules.length !== 1) {
    throw new RuleBuildError([{ severity: 'error', code: 'rule-count', message: `the text defines ${parsed.rules.length} rules; a PUT takes exactly one`,
      span: { file, line: 1, col: 1 } }]);
  }
  return parsed.rules[0].rule_id;
}

export class RulesApi {
  constructor(private readonly t: Transport) {}

  /**
   * The tenant's effective rules (global baseline and its own) and the policy version.
   * @example const { policy_version, rules } = await client.rules.list()
   */
  list(): Promise<RuleListing> {
    return this.t.json<RuleListing>({ method: 'GET', path: '/api/v1/rules', idempotent: true }, RULE_LISTING);
  }

  /**
   * One rule by id; throws `MGENotFound` when there is none.
   * @example const rule = await client.rules.get('db-access-control')
   */
  async get(ruleId: string): Promise<RuleView> {
    return this.t.json<RuleView>({ method: 'GET', path: `/api/v1/rules/${pathSegment(ruleId, 'rule id')}`, idempotent: true }, RULE_VIEW);
  }

  /**
   * Adds or replaces the rule written in `text` (its id read from the text when not given);
   * invalid text throws `MGEInvalidRule` (422) and the old rules keep serving.
   * @example await client.rules.put(builder.toMdc('no-prod-writes'), 'mdc')
   */
  async put(text: string, contentType: RuleContentType, ruleId?: string): Promise<PutRuleResult> {
    const id = ruleId ?? (await ruleIdOf(text, contentType));
    return this.t.json<PutRuleResult>({
      method: 'PUT', path: `/api/v1/rules/${pathSegment(id, 'rule id')}`, body: text, contentType: contentTypeOf(contentType), idempotent: true,
    }, PUT_RULE_RESULT);
  }

  /**
   * Removes a tenant rule; global (file) rules are read-only (`MGEConflict`).
   * @example await client.rules.delete('no-prod-writes')
   */
  async delete(ruleId: string): Promise<void> {
    await this.t.empty({ method: 'DELETE', path: `/api/v1/rules/${pathSegment(ruleId, 'rule id')}`, idempotent: true, removal: true });
  }

  /**
   * Replaces all of the tenant's API rules with the rules `text` holds (one or more; none
   * empties the set), in one swap: no check runs on half the new set. File rules stay (one
   * named in the text is `MGEConflict`); invalid text is `MGEInvalidRule` and nothing changes.
   * @example const { removed } = await client.rules.replaceAll(yamlOfEveryRule, 'yaml')
   */
  replaceAll(text: string, contentType: RuleContentType): Promise<ReplaceRulesResult> {
    return this.t.json<ReplaceRulesResult>({
      method: 'PUT', path: '/api/v1/rules', body: text, contentType: contentTypeOf(contentType), idempotent: true,
    }, REPLACE_RULES_RESULT);
  }

  /**
   * Removes all of the tenant's API rules (file rules stay); nothing to remove is no error.
   * @example await client.rules.deleteAll()
   */
  async deleteAll(): Promise<void> {
    await this.t.empty({ method: 'DELETE', path: '/api/v1/rules', idempotent: true });
  }

  /**
   * The loader's diagnostics for `text`, without changing anything.
   * @example const { valid, diagnostics } = await client.rules.validate(yamlText, 'yaml')
   */
  validate(text: string, contentType: RuleContentType): Promise<ValidateResult> {
    return this.t.json<ValidateResult>({
      method: 'POST', path: '/api/v1/rules/validate', body: text, contentType: contentTypeOf(contentType), idempotent: true,
    }, VALIDATE_RESULT);
  }
}

// The rules endpoints (SPEC §8): the tenant's effective rules, read by checkers, changed by
// admins. PUT and DELETE are idempotent by HTTP semantics, so they are retried like GETs;
// validate only reports diagnostics and changes nothing, so it is retried too.

import type { Diagnostic } from '../ir/types.js';
import type { Transport } from './transport.js';

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
  diagnostics: Diagnostic[];
}

function contentTypeOf(t: RuleContentType): string {
  return (RULE_CONTENT_TYPES as Record<string, string>)[t] ?? t;
}

export class RulesApi {
  constructor(private readonly t: Transport) {}

  /**
   * The tenant's effective rules (global baseline and its own).
   * @example const rules = await client.rules.list()
   */
  list<R = unknown>(): Promise<R[]> {
    return this.t.json<{ rules: R[] }>({ method: 'GET', path: '/api/v1/rules', idempotent: true }).then((b) => b.rules);
  }

  /**
   * One rule by id; throws `MGENotFound` when there is none.
   * @example const rule = await client.rules.get('db-access-control')
   */
  get<R = unknown>(ruleId: string): Promise<R> {
    return this.t.json<R>({ method: 'GET', path: `/api/v1/rules/${encodeURIComponent(ruleId)}`, idempotent: true });
  }

  /**
   * Adds or replaces the rule written in `text`; invalid text throws `MGEInvalidRule` (422)
   * and the old rules keep serving.
   * @example await client.rules.put(builder.toMdc('no-prod-writes'), 'mdc', 'no-prod-writes')
   */
  put<R = unknown>(text: string, contentType: RuleContentType, ruleId?: string): Promise<R> {
    const path = ruleId === undefined ? '/api/v1/rules' : `/api/v1/rules/${encodeURIComponent(ruleId)}`;
    return this.t.json<R>({ method: 'PUT', path, body: text, contentType: contentTypeOf(contentType), idempotent: true });
  }

  /**
   * Removes a tenant rule; global (file) rules are read-only (`MGEConflict`).
   * @example await client.rules.delete('no-prod-writes')
   */
  async delete(ruleId: string): Promise<void> {
    await this.t.json<unknown>({ method: 'DELETE', path: `/api/v1/rules/${encodeURIComponent(ruleId)}`, idempotent: true });
  }

  /**
   * The loader's diagnostics for `text`, without changing anything.
   * @example const { valid, diagnostics } = await client.rules.validate(yamlText, 'yaml')
   */
  validate(text: string, contentType: RuleContentType): Promise<ValidateResult> {
    return this.t.json<ValidateResult>({
      method: 'POST', path: '/api/v1/rules/validate', body: text, contentType: contentTypeOf(contentType), idempotent: true,
    });
  }
}

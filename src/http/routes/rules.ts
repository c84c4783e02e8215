// Rule management per tenant (SPEC §8): GET the effective rules (checker), PUT/DELETE the
// tenant's own API rules, one by id or the whole set at once, and POST /validate (admin). A
// change is compiled aside by the engine and swapped in atomically; an invalid one is 422 and
// the old rules keep serving. Global (file) rules are read-only here: 409. Every change is
// appended to the tenant's audit log.

import type { Hono, MiddlewareHandler } from 'hono';
import { RuleLoadError, type BeforeSwap, type PutRuleResult, type RuleFormat } from '../../engine/engine.js';
import { formatDiagnostic } from '../../diagnostics/format.js';
import type { Diagnostic, Json } from '../../ir/types.js';
import { hasErrors, parseRuleText } from '../../rules/load.js';
import { readBodyText } from '../body.js';
import type { AppContext, HttpEnv } from '../deps.js';
import { guard } from '../guard.js';
import { BadRequest, Conflict, InvalidRule, NotFound, StoreUnavailable } from '../problem.js';
import { ruleChangeEntry } from '../../audit/rule-change.js';
import { ruleFormat } from '../rule-format.js';
import { apiRulePath, type RuleStore, type StagedChange } from '../rule-store.js';
import { ruleView } from '../rule-view.js';
import { storedRuleText } from '../../ir/rule-json.js';

function invalid(diagnostics: readonly Diagnostic[]): InvalidRule {
  const errors = diagnostics.filter((d) => d.severity === 'error');
  return new InvalidRule(`the rule has ${errors.length} error(s); the current rules keep serving`, diagnostics as unknown as Json[]);
}

function mismatch(path: string, pathId: string, ids: string[]): InvalidRule {
  return invalid([{
    severity: 'error', code: 'rule-id-mismatch', span: { file: path, line: 1, col: 1 },
    message: `the body defines ${ids.length === 0 ? 'no rule' : ids.map((i) => `\`${i}\``).join(', ')}; the path names \`${pathId}\``,
    help: 'PUT /api/v1/rules/<rule_id> takes exactly the rule it names',
  }]);
}

/**
 * A PUT's body read as rules, before any swap. SPEC §8: malformed JSON is a 400 on every
 * route; a rule that is JSON but not a valid rule, and YAML or MDC that does not read, are 422.
 */
function parsedBody(text: string, format: RuleFormat, path: string): ReturnType<typeof parseRuleText> {
  const parsed = parseRuleText(text, format, path);
  const syntax = parsed.diagnostics.find((d) => d.code === 'json-syntax');
  if (syntax !== undefined) throw new BadRequest(`malformed JSON: ${syntax.message} (line ${syntax.span.line}, column ${syntax.span.col})`, { diagnostics: parsed.diagnostics as unknown as Json[] });
  if (hasErrors(parsed.diagnostics)) throw invalid(parsed.diagnostics);
  return parsed;
}

/**
 * A PUT's answer, with the rules' warnings when there are any (an advisory clause never
 * enforced, a condition left in a message), as lint and a reload say them; said in the server
 * log too, not only by `POST /rules/validate`.
 */
function answered<T extends Record<string, Json>>(ctx: AppContext, tenant: string, body: T, diagnostics: readonly Diagnostic[]): T | (T & { warnings: Json[] }) {
  // `no-rules` is a file's warning: a PUT of `rules: []` empties the set on purpose.
  const warnings = diagnostics.filter((d) => d.severity === 'warning' && d.code !== 'no-rules');
  if (warnings.length === 0) return body;
  ctx.logger.warn('rule change has warnings (`mge lint` tells more)', { tenant, rule_ids: body.rule_ids, warnings: warnings.map((d) => formatDiagnostic(d)) });
  return { ...body, warnings: warnings as unknown as Json[] };
}

/**
 * The engine's answer to a change, as the routes give it: a file rule's id 409, invalid rules
 * 422; `then` runs once it serves (AppDeps.rulesChanged).
 */
async function made(change: Promise<PutRuleResult>, then: () => unknown): Promise<Extract<PutRuleResult, { ok: true }>> {
  let result;
  try {
    result = await change;
  } catch (err) {
    if (err instanceof RuleLoadError) throw invalid(err.diagnostics);
    throw err;
  }
  if (!result.ok) {
    if ('conflict' in result) throw new Conflict(result.conflict);
    throw invalid(result.diagnostics);
  }
  await then();
  return result;
}

export function rulesRoutes(app: Hono<HttpEnv>, ctx: AppContext): void {
  /**
   * Writes a change to the store (files on Node) as the first step of the engine's serialized
   * change, before its audit entry and the swap: a change that cannot be stored is not made
   * (503, no entry, the previous rules keep serving; else it goes live, unrecorded at the
   * next start). `commit` finishes it once the entry is logged, `discard` takes it back if
   * the log refuses it. The store stages the whole change (texts and removals) durably before
   * the entry and applies it after; a start after a crash between finishes it, then logs what
   * differs from the rules last recorded (the Node sidecar), so the log ends up recording the
   * rules in force.
   */
  async function keep(tenant: string, ruleId: string, work: (store: RuleStore) => Promise<StagedChange>): Promise<StagedChange> {
    const store = ctx.ruleStore;
    if (store === undefined) return { commit: async () => undefined, discard: async () => undefined };
    try {
      return await work(store);
    } catch (err) {
      ctx.logger.error('rule change not made: it could not be stored', { tenant, rule_id: ruleId, error: err });
      throw new StoreUnavailable('the rule change could not be stored, so it was not made; the previous rules keep serving');
    }
  }

  /** Counts a change refused as invalid (422) or conflicting (409), whichever step refused it. */
  async function countRejected<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (err instanceof InvalidRule || err instanceof Conflict) ctx.metrics.reloads.inc({ source: 'api', result: 'rejected' });
      throw err;
    }
  }

  /**
   * The engine's `beforeSwap` for a change: keeps it on disk (`kept`), then appends
   * `{kind: rule_change}` for each id, durably, before the new rules serve. If the log cannot
   * take it, the change is not made (503) and is taken off the disk again: a rule change is
   * never live without its record (SPEC §6), nor kept for the next start without it.
   */
  function audited(tenant: string, by: string, op: 'put' | 'delete', kept: (ruleIds: string[], removed: string[]) => Promise<StagedChange>): BeforeSwap {
    return async (policyVersion, ruleIds, removed) => {
      const change = await kept(ruleIds, removed);
      const timestamp = new Date(ctx.now()).toISOString();
      // An API rule held out of force (a file rule took its id, or the tenant's API rules crossed
      // a compiler limit beside new file rules: every check of the tenant denied) that goes
      // was not in force: what changed is the tenant's refusal, logged as a `put` of the id, as
      // a restart logs it (node/rules-in-force.ts), not as a `delete` of a rule that serves (a
      // file rule of that id) or never did (a review, 11-29). The policy is still the old one here.
      const heldOut = new Set((ctx.engine.policy(tenant).heldOut ?? []).map((r) => r.rule_id));
      const gone = (id: string): 'put' | 'delete' => (heldOut.has(id) || ctx.engine.fileRuleOwner(tenant, id) !== undefined ? 'put' : 'delete');
      const entries = [
        ...ruleIds.map((id) => ruleChangeEntry(id, op === 'delete' ? gone(id) : op, policyVersion, by, timestamp)),
        ...removed.map((id) => ruleChangeEntry(id, gone(id), policyVersion, by, timestamp)),
      ];
      if (entries.length === 0) return; // a DELETE of a set already empty changes nothing
      try {
        await ctx.audit.append(tenant, entries);
      } catch (err) {
        ctx.logger.error('rule change refused: the audit log cannot record it', { tenant, op, rule_ids: ruleIds, removed, error: err });
        await change.discard().catch((e: unknown) => ctx.logger.error('the stored API rules now differ from those serving; the next start would load the refused change', { tenant, rule_ids: ruleIds, error: e }));
        throw new StoreUnavailable('the audit log is unavailable, so the rule change was not made; the previous rules keep serving', ctx.audit.retryAfterSeconds(tenant));
      }
      try {
        await change.commit();
      } catch (err) {
        // Logged is made: the change serves, as its entries say, and its staged files (durable
        // before the entries) are finished by the next start. Taken back here, the log would
        // keep entries for a change that never took effect, with nothing correcting them.
        ctx.logger.error('rule change logged and serving, but its files could not be finished now; the next start finishes them', { tenant, op, rule_ids: ruleIds, removed, error: err });
      }
      ctx.metrics.reloads.inc({ source: 'api', result: 'ok' });
      ctx.logger.info('rule change', { tenant, op, rule_ids: ruleIds, ...(removed.length > 0 ? { removed } : {}), policy_version: policyVersion, by });
    };
  }

  /** Before a change: a server whose rules cannot be changed over HTTP says why (409). */
  const writable: MiddlewareHandler<HttpEnv> = async (_c, next) => {
    if (ctx.rulesReadOnly !== undefined) throw new Conflict(ctx.rulesReadOnly);
    await next();
  };

  app.get('/api/v1/rules', guard(ctx, 'checker'), (c) => {
    const policy = ctx.engine.policy(c.get('principal').tenant);
    return c.json({ tenant: c.get('principal').tenant, policy_version: policy.policyVersion, rules: policy.rules.map(ruleView) });
  });

  /**
   * Keeps a replacement of the tenant's API rules: each new rule as the JSON of its normalized
   * form (one text may hold many rules, and the store keeps one file a rule; GET shows the same
   * JSON, which loads back to the same policy), the rules left out removed, as one change.
   */
  const keptReplacement = (tenant: string, texts: ReadonlyMap<string, string>) => (ruleIds: string[], removed: string[]) =>
    keep(tenant, [...ruleIds, ...removed].join(', '), (store) =>
      store.stageChange(tenant, ruleIds.map((id) => ({ tenant, ruleId: id, text: texts.get(id)!, format: 'json' as const })), removed));

  /** Replaces the tenant's API rules (all of them: none with `source` undefined); what PUT and DELETE /rules answer. */
  const replaceAll = (tenant: string, keyId: string, source: { text: string; format: RuleFormat; path: string } | undefined, texts: ReadonlyMap<string, string>) =>
    // DELETE (no source) is logged as one: not with a line saying `put`.
    made(ctx.engine.replaceApiRules(tenant, source, audited(tenant, keyId, source === undefined ? 'delete' : 'put', keptReplacement(tenant, texts))), () => ctx.rulesChanged?.(tenant));

  // The whole set at once (SPEC §8: PUT/DELETE /api/v1/rules): one swap, so no check runs on half of it.
  app.put('/api/v1/rules', guard(ctx, 'admin'), writable, (c) => {
    const { tenant, keyId } = c.get('principal');
    return ctx.lifecycle.run(() => countRejected(async () => {
      const format = ruleFormat(c.req.raw.headers);
      const text = await readBodyText(c.req.raw, ctx.limits.maxBytes, ctx.preReadBody(c.env));
      const path = `api/tenants/${tenant}/rules.${format}`;
      const parsed = parsedBody(text, format, path);
      const texts = new Map(parsed.rules.map((r) => [r.rule_id, storedRuleText(r)]));
      const result = await replaceAll(tenant, keyId, { text, format, path }, texts);
      return c.json(answered(ctx, tenant, { rule_ids: result.ruleIds, removed: result.removed, policy_version: result.policyVersion }, parsed.diagnostics), 200);
    }), 1, tenant);
  });

  app.delete('/api/v1/rules', guard(ctx, 'admin'), writable, (c) => {
    const { tenant, keyId } = c.get('principal');
    return ctx.lifecycle.run(() => countRejected(async () => {
      await replaceAll(tenant, keyId, undefined, new Map());
      return c.body(null, 204);
    }), 1, tenant);
  });

  app.post('/api/v1/rules/validate', guard(ctx, 'admin'), async (c) => {
    const { tenant } = c.get('principal');
    const format = ruleFormat(c.req.raw.headers);
    const text = await readBodyText(c.req.raw, ctx.limits.maxBytes, ctx.preReadBody(c.env));
    const path = `api/tenants/${tenant}/validate.${format}`;
    const parsed = parseRuleText(text, format, path);
    const diagnostics = [...parsed.diagnostics];
    for (const r of parsed.rules) {
      // As PUT decides it (an API rule of the id held out by a file rule included: a review, 11-29).
      if (ctx.engine.fileRuleOwner(tenant, r.rule_id) !== undefined) {
        diagnostics.push({
          severity: 'error', code: 'read-only-rule', span: r.source.span,
          message: `rule \`${r.rule_id}\` is a file rule and read-only over HTTP`,
        });
      }
    }
    return c.json({ valid: !hasErrors(diagnostics), rule_ids: parsed.rules.map((r) => r.rule_id), diagnostics });
  });

  app.get('/api/v1/rules/:rule_id', guard(ctx, 'checker'), (c) => {
    const id = c.req.param('rule_id');
    const rule = ctx.engine.policy(c.get('principal').tenant).rulesById.get(id);
    if (rule === undefined) throw new NotFound(`no rule \`${id}\``);
    return c.json(ruleView(rule));
  });

  app.put('/api/v1/rules/:rule_id', guard(ctx, 'admin'), writable, (c) => {
    const { tenant, keyId } = c.get('principal');
    const id = c.req.param('rule_id');
    return ctx.lifecycle.run(() => countRejected(async () => {
      const format = ruleFormat(c.req.raw.headers);
      const text = await readBodyText(c.req.raw, ctx.limits.maxBytes, ctx.preReadBody(c.env));
      // A file rule's id is 409 whatever the body holds: a client told to fix a body it could
      // never put is misled. The swap checks again (a file may take it later).
      if (ctx.engine.fileRuleOwner(tenant, id) !== undefined) throw new Conflict(`rule \`${id}\` is a file rule and read-only over HTTP`);
      // Parsed once here only to hold the body to the rule the path names, before any swap.
      const path = apiRulePath(tenant, id, format);
      const parsed = parsedBody(text, format, path);
      const ids = parsed.rules.map((r) => r.rule_id);
      if (ids.length !== 1 || ids[0] !== id) throw mismatch(path, id, ids);
      // Decided inside the serialized change, so concurrent PUTs of one rule see each other.
      let existed = false;
      const store = () => {
        existed = ctx.engine.isApiRule(tenant, id);
        return keep(tenant, id, (rules) => rules.stageChange(tenant, [{ tenant, ruleId: id, text, format }], []));
      };
      const result = await made(ctx.engine.putRule(tenant, { text, format, path }, audited(tenant, keyId, 'put', store)), () => ctx.rulesChanged?.(tenant));
      return c.json(answered(ctx, tenant, { rule_ids: result.ruleIds, policy_version: result.policyVersion }, parsed.diagnostics), existed ? 200 : 201);
    }), 1, tenant);
  });

  app.delete('/api/v1/rules/:rule_id', guard(ctx, 'admin'), writable, (c) => {
    const { tenant, keyId } = c.get('principal');
    const id = c.req.param('rule_id');
    return ctx.lifecycle.run(() => countRejected(async () => {
      const store = () => keep(tenant, id, (rules) => rules.stageChange(tenant, [], [id]));
      const outcome = await ctx.engine.deleteRule(tenant, id, audited(tenant, keyId, 'delete', store));
      if (outcome === 'not_found') throw new NotFound(`no rule \`${id}\``);
      if (outcome === 'global') throw new Conflict(`rule \`${id}\` is a file rule and read-only over HTTP`);
      await ctx.rulesChanged?.(tenant);
      return c.body(null, 204);
    }), 1, tenant);
  });
}

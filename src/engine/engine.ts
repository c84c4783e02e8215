// The engine: rule sources in, decisions out (SPEC §3–§4). Holds one compiled policy per
// tenant; a rule change compiles a new policy aside and swaps the pointer, so in-flight checks
// finish on the old one and an invalid change never replaces a valid one.

import type { Diagnostic, Rule } from '../ir/types.js';
import { explainClause, type ShownValues } from '../ir/explain.js';
import { hashCanonicalText } from '../receipt/decision-hash.js';
import { webCryptoBackend } from '../receipt/backend.js';
import { RULE_FORMATS, hasErrors, idSpanOf, loadRuleSources, parseRuleText, type RuleSource } from '../rules/load.js';
import { MemoryRateLimiter, type RateLimiter } from '../state/rate-limiter.js';
import { ENGINE_RULE_ID, decide, internalFailure, overBudget, refusedPolicyDenial, type Verdict } from './decision.js';
import { EXPLAIN_GLOB_BUDGET, GlobWork, OverBudgetError } from '../ir/glob-work.js';
import { newDecisionId } from './decision-id.js';
import { IsoTimeCache } from '../receipt/iso-time.js';
import type { ClauseOutcome } from '../ir/outcome.js';
import type { EvaluatorKind, PolicyBuildOptions, TenantPolicy } from './policy.js';
import { applyRateLimits, rateLimitClausesOf } from './rate-limit.js';
import { checkTenant, requestLimits, validateRequest, type RequestLimits } from './request.js';
import { loadVm, VmError, type Vm } from './wasm.js';
import { CompileError } from '../compile/errors.js';
import { checkedTime, checkEngineOptions, checkEvaluateOptions } from './engine-options.js';
import { DEFAULT_TENANT, RuleLoadError, type BeforeSwap, type EngineDecision, type EngineOptions, type EvaluateOptions, type PoliciesAt, type PutRuleResult, type RuleText } from './engine-types.js';
import { buildAllPolicies, buildTenantPolicy, compileDiagnostic, fileRuleOwnerIn, snapshotOf, type Built, type FileRules } from './tenant-policies.js';

export type { RuleFormat, RuleSource } from '../rules/load.js';
export { RequestError } from './request.js';
export { DEFAULT_TENANT, NoRulesError, RuleLoadError } from './engine-types.js';
export type { BeforeSwap, EngineDecision, EngineOptions, EvaluateOptions, PoliciesAt, PutRuleResult, RuleText } from './engine-types.js';

const warningsOf = (diagnostics: readonly Diagnostic[]): Diagnostic[] => diagnostics.filter((d) => d.severity === 'warning');

/**
 * Loads and compiles rules, then evaluates requests against them.
 * @example
 * const engine = await createEngine({ rules: [{ path: 'r.yaml', text: 'rule_id: r\nprohibited: …' }] });
 * const decision = await engine.evaluate({ action: { type: 'db.write' } });
 */
export async function createEngine(opts: EngineOptions): Promise<Engine> {
  checkEngineOptions(opts);
  const loaded = loadRuleSources(opts.rules);
  // The reader's warnings (a README.md read as a rule) go with the errors too, as lint shows them.
  if (hasErrors(loaded.diagnostics)) throw new RuleLoadError([...(opts.sourceWarnings ?? []), ...loaded.diagnostics]);
  const vm = (opts.evaluator ?? 'vm') === 'vm' ? await loadVm({ wasm: opts.wasm }) : undefined;
  const engine = new Engine(opts, { global: loaded.global, tenants: loaded.tenants }, vm);
  await engine.rebuildAll();
  engine.loadWarnings = [...(opts.sourceWarnings ?? []), ...warningsOf(loaded.diagnostics)];
  return engine;
}

export class Engine {
  private readonly kind: EvaluatorKind;
  private readonly limiter: RateLimiter;
  private readonly now: () => number;
  private readonly limits: RequestLimits;
  private files: FileRules;
  private apiRules = new Map<string, Map<string, Rule>>();
  private globalPolicy!: TenantPolicy;
  private policies = new Map<string, TenantPolicy>();
  /** Rule changes are serialized: each builds on the state the previous one left. */
  private changes: Promise<unknown> = Promise.resolve();
  /** Decision timestamps: checks in the same millisecond share the ISO text. */
  private readonly timestamps = new IsoTimeCache();
  /**
   * The warnings of the rule files now serving (an advisory clause never enforced, a README
   * that reads as a rule…): what `mge lint` says of them, for `check` and `serve` to say too.
   */
  loadWarnings: readonly Diagnostic[] = [];

  constructor(private readonly opts: EngineOptions, files: FileRules, private readonly vm?: Vm) {
    this.kind = opts.evaluator ?? 'vm';
    this.limiter = opts.rateLimiter ?? new MemoryRateLimiter();
    // The limiter reads each tenant's limits as they are at a sweep (a rule edit never refills a
    // bucket); before the first policy is built there are none.
    this.limiter.limitsNow?.((tenant) => (this.globalPolicy === undefined ? new Map() : this.policy(tenant).rateLimits));
    this.now = opts.now ?? Date.now;
    this.limits = requestLimits(opts.limits);
    this.files = files;
  }

  /** The policy a tenant is checked against right now. */
  policy(tenant: string = DEFAULT_TENANT): TenantPolicy {
    return this.policies.get(tenant) ?? this.globalPolicy;
  }

  /** Tenants with rules of their own (files or API); every other tenant sees the baseline. */
  tenants(): string[] {
    return [...this.policies.keys()].sort();
  }

  /** How many rules are loaded, each once: the baseline (in every policy), then each tenant's own. */
  ruleCount(): number {
    const own = (tenant?: string): number => this.policy(tenant).rules.filter((r) => r.source.tenant === tenant).length;
    return own() + this.tenants().reduce((n, t) => n + own(t), 0);
  }

  /** Whether any rule file (global or a tenant's) is loaded: a reload to none drops them all. */
  hasFileRules(): boolean {
    return this.hasGlobalFileRules() || [...this.files.tenants.values()].some((rules) => rules.length > 0);
  }

  /** Whether rule files give every tenant a baseline (files outside `tenants/`). */
  hasGlobalFileRules(): boolean {
    return this.files.global.length > 0;
  }

  /** Whether a rule of the tenant's effective set may be changed through the API. */
  isApiRule(tenant: string, ruleId: string): boolean {
    return this.apiRules.get(tenant)?.has(ruleId) ?? false;
  }

  /** Runs `work` while no rule change is under way (none starts until it ends). */
  whileUnchanged<T>(work: () => Promise<T>): Promise<T> {
    return this.serialize(work);
  }

  /** The tenants with API rules (`mge serve` writes them back to a removed data directory). */
  apiRuleTenants(): string[] {
    return [...this.apiRules.keys()];
  }

  /** A tenant's API rules, in force or held out. */
  apiRulesOf(tenant: string): Rule[] {
    return [...(this.apiRules.get(tenant)?.values() ?? [])];
  }

  /**
   * Whether `rule`, of one of the tenant's policies, is its API rule, not a file rule of the
   * same id (which leaves the API rule out of force while both stand: buildTenantPolicy).
   */
  isFromApi(tenant: string, rule: Rule): boolean {
    return this.apiRules.get(tenant)?.get(rule.rule_id) === rule;
  }

  /**
   * Throws the RequestError `evaluate` would throw for this request's shape, deciding nothing
   * (no rate-limit token is taken): a batch checks every item before it evaluates any.
   */
  validate(value: unknown): void {
    validateRequest(value, this.limits);
  }

  /**
   * Decides one request (SPEC §2 shape; throws RequestError otherwise). Never throws for
   * an internal failure of evaluation: that is a denial (fail closed). A `now` option that
   * gives no time is a TypeError (a decision needs its timestamp), and a `crypto` backend that
   * fails rejects with its error (a decision needs its action_hash): never an approval.
   */
  async evaluate(value: unknown, opts: EvaluateOptions = {}): Promise<EngineDecision> {
    checkEvaluateOptions(opts);
    // Only an absent tenant is the default one: `null` (a missing id from a database) is refused.
    const tenant = opts.tenant === undefined ? DEFAULT_TENANT : opts.tenant;
    checkTenant(tenant);
    const { request, actionText } = validateRequest(value, this.limits);
    const nowMs = checkedTime(this.now());
    const timestamp = this.timestamps.format(nowMs);
    const policy = this.policy(tenant);
    const env = { tenant, time: timestamp };

    let verdict: Verdict;
    if (policy.refusal !== undefined) verdict = refusedPolicyDenial(policy.refusal);
    else try {
      const outcome = policy.evaluator.evaluate(request, env);
      let violated: readonly ClauseOutcome[] = outcome.violated;
      if (policy.rateLimited.size > 0) {
        const limited = rateLimitClausesOf(policy.rateLimited, outcome.applicable);
        if (limited !== undefined) {
          // Only a rate limit adds violations; copy then, so the evaluator's list stays its own.
          const all = outcome.violated.slice();
          // A store that answers synchronously (the in-memory one) costs no await.
          const pending = applyRateLimits(limited, request, env, this.limiter, nowMs, all);
          if (pending !== undefined) await pending;
          violated = all;
        }
      }
      verdict = decide(outcome.applicable, violated, policy.rulesById);
    } catch (err) {
      verdict = err instanceof OverBudgetError ? overBudget(err) : internalFailure(err instanceof Error ? err.message : String(err), err instanceof VmError ? err.ruleId : undefined);
    }

    const actionHashed = hashCanonicalText(actionText, this.opts.crypto ?? webCryptoBackend);
    const decision: EngineDecision = {
      decision_id: newDecisionId(nowMs),
      approved: verdict.approved,
      reasoning: verdict.reasoning,
      rule_ids: verdict.rule_ids,
      violations: verdict.violations,
      warnings: verdict.warnings,
      tenant,
      policy_version: policy.policyVersion,
      timestamp,
      action_hash: typeof actionHashed === 'string' ? actionHashed : await actionHashed,
    };
    if (request.audience !== undefined) decision.audience = request.audience;
    if (opts.explain) {
      const seen: ShownValues = new WeakMap(); // one large value read by many clauses is measured once
      const explainEnv = { ...env, globWork: new GlobWork(EXPLAIN_GLOB_BUDGET) }; // one budget for the whole explanation
      decision.explanation = [...verdict.violations, ...verdict.warnings].flatMap((v) => {
        // The engine's own denial (over budget, internal error, refused rules) has no clause to
        // show: its message is the explanation (not left out).
        if (v.rule_id === ENGINE_RULE_ID) return [{ rule_id: v.rule_id, clause: v.clause, source: v.message, values: {} }];
        const rule = policy.rulesById.get(v.rule_id);
        return rule ? [explainClause(rule, v.clause, request, explainEnv, seen)] : [];
      });
    }
    return decision;
  }

  /**
   * Adds or replaces a tenant's API rules from one rule text (SPEC §8 PUT). `beforeSwap` runs
   * once the new policy is compiled and before it serves, with its version: if it throws (the
   * audit log cannot record the change), nothing is swapped and the error is the caller's.
   */
  putRule(tenant: string, source: RuleText, beforeSwap?: BeforeSwap): Promise<PutRuleResult> {
    return this.changeApiRules(tenant, [source], false, beforeSwap);
  }

  /**
   * Replaces all of a tenant's API rules with the rules of one text (or of several: a
   * restart's replay), or with none when `source` is undefined (SPEC §8 PUT and DELETE of
   * /rules): one compile, one swap, so no check runs on half the new set. `removed` (in the
   * result and for `beforeSwap`) names the API rules the new set drops. File rules are
   * untouched, and one named in the text is a conflict.
   */
  replaceApiRules(tenant: string, source: RuleText | RuleText[] | undefined, beforeSwap?: BeforeSwap): Promise<PutRuleResult> {
    return this.changeApiRules(tenant, source === undefined ? [] : Array.isArray(source) ? source : [source], true, beforeSwap);
  }

  /**
   * A restart's replay of a tenant's stored API rules (replaceApiRules of them all). One whose
   * id a file rule took while the server was down is kept, and the tenant's checks are denied
   * until it is deleted (buildTenantPolicy); any other error refuses them as replaceApiRules does.
   */
  replayApiRules(tenant: string, sources: RuleText[]): Promise<PutRuleResult> {
    return this.changeApiRules(tenant, sources, true, undefined, true);
  }

  private changeApiRules(tenant: string, given: Array<RuleText | undefined>, replace: boolean, beforeSwap?: BeforeSwap, keepClashes = false): Promise<PutRuleResult> {
    // Read now, not when the change's turn comes: a caller reusing one object for two calls,
    // or refilling its list, had the later contents applied twice (a review, 11-29).
    let sources: Array<Partial<RuleText>>;
    try {
      sources = given.map((s) => (s === undefined ? {} : { text: s.text, format: s.format, path: s.path }));
    } catch (err) {
      return Promise.reject(err);
    }
    return this.serialize(async () => {
      checkTenant(tenant); // the name becomes a directory name in rule stores
      const rules: Rule[] = [];
      const byId = new Map<string, Rule>();
      const diagnostics: Diagnostic[] = [];
      let path = `api/tenants/${tenant}/rules.json`;
      // Several texts (a restart's replay) are compiled once, together: one build per tenant.
      for (const source of sources) {
        const { text, format, path: named } = source; // read once: what is checked is what is parsed
        // Anything else reached the reader table as "reader is not a function", reported as a bug in MGE.
        if (typeof text !== 'string') throw new TypeError(`a rule's text must be a string; got ${text === null ? 'null' : typeof text}`);
        if (format === undefined || !(RULE_FORMATS as readonly unknown[]).includes(format)) throw new TypeError(`a rule's format is ${RULE_FORMATS.map((f) => `\`${f}\``).join(', ')}; got \`${String(format)}\``);
        // The name its diagnostics and `source.file` give it (the HTTP route names the rule's id).
        path = typeof named === 'string' ? named : `api/tenants/${tenant}/rules.${format}`;
        const parsed = parseRuleText(text, format, path);
        for (const d of parsed.diagnostics) diagnostics.push(d);
        for (const rule of parsed.rules) {
          const twin = byId.get(rule.rule_id);
          if (twin !== undefined) {
            diagnostics.push({ severity: 'error', code: 'duplicate-rule-id', span: idSpanOf(rule), message: `rule id \`${rule.rule_id}\` is also defined in \`${twin.source.file}\`` });
          } else {
            rules.push(rule);
            byId.set(rule.rule_id, rule);
          }
        }
      }
      if (hasErrors(diagnostics)) return { ok: false, diagnostics } as const;
      const current = this.apiRules.get(tenant) ?? new Map<string, Rule>();
      const next = replace ? new Map<string, Rule>() : new Map(current);
      for (const rule of rules) {
        const owner = keepClashes ? undefined : this.fileRuleOwner(tenant, rule.rule_id);
        if (owner) return { ok: false, conflict: `rule \`${rule.rule_id}\` comes from \`${owner}\` and is read-only here` } as const;
        next.set(rule.rule_id, { ...rule, source: { ...rule.source, tenant } });
      }
      let policy: TenantPolicy;
      try {
        // A PUT past a compiler limit is refused (422); a restart's replay keeps what was put.
        policy = await buildTenantPolicy(tenant, next, this.files, this.buildOptions(), keepClashes);
      } catch (err) {
        if (!(err instanceof CompileError)) throw err;
        return { ok: false, diagnostics: [compileDiagnostic(err, path)] } as const;
      }
      const ruleIds = rules.map((r) => r.rule_id);
      const removed = [...current.keys()].filter((id) => !next.has(id)).sort();
      await beforeSwap?.(policy.policyVersion, ruleIds, removed);
      this.apiRules.set(tenant, next);
      this.policies.set(tenant, policy);
      return { ok: true, ruleIds, policyVersion: policy.policyVersion, removed } as const;
    });
  }

  /** Removes one API rule of a tenant. File rules are read-only (`global`). `beforeSwap` as for putRule. */
  deleteRule(tenant: string, ruleId: string, beforeSwap?: BeforeSwap): Promise<'deleted' | 'not_found' | 'global'> {
    return this.serialize(async () => {
      checkTenant(tenant);
      const current = this.apiRules.get(tenant);
      if (!current?.has(ruleId)) return this.fileRuleOwner(tenant, ruleId) ? 'global' : 'not_found';
      const next = new Map(current);
      next.delete(ruleId);
      const policy = await buildTenantPolicy(tenant, next, this.files, this.buildOptions());
      await beforeSwap?.(policy.policyVersion, [ruleId], []);
      this.apiRules.set(tenant, next);
      this.policies.set(tenant, policy);
      return 'deleted';
    });
  }

  /**
   * Replaces the file rules (hot reload). On any error the old rules keep serving. On success,
   * `before(tenant)` / `after(tenant)` are each tenant's policy just before and just after this
   * swap, taken inside the serialized change: an API change made while the files were read is
   * not mistaken for a file change. `beforeSwap` gets them once the new policies are compiled
   * and before they serve (the reload audits the change there, so no decision under the new
   * rules is logged before the entry that introduces them), with the tenants that will have a
   * policy of their own; if it throws, nothing is swapped.
   */
  reloadFiles(
    sources: RuleSource[],
    beforeSwap?: (before: PoliciesAt, after: PoliciesAt, tenantsAfter: string[]) => Promise<void>,
    sourceWarnings: Diagnostic[] = [],
  ): Promise<{ ok: true; before: PoliciesAt; after: PoliciesAt } | { ok: false; diagnostics: Diagnostic[] }> {
    let taken: RuleSource[]; // read now, as changeApiRules reads its texts
    try {
      taken = sources.map((s) => ({ path: s.path, text: s.text }));
    } catch (err) {
      return Promise.reject(err);
    }
    return this.serialize(async () => {
      const loaded = loadRuleSources(taken);
      // The reader's warnings go with the errors, as at start (createEngine).
      if (hasErrors(loaded.diagnostics)) return { ok: false, diagnostics: [...sourceWarnings, ...loaded.diagnostics] } as const;
      const files = { global: loaded.global, tenants: loaded.tenants };
      let built: Built;
      try {
        built = await buildAllPolicies(files, this.apiRules, this.buildOptions());
      } catch (err) {
        if (err instanceof RuleLoadError) return { ok: false, diagnostics: err.diagnostics } as const;
        throw err;
      }
      const before = this.snapshot();
      const after = snapshotOf(built.globalPolicy, built.policies);
      await beforeSwap?.(before, after, [...built.policies.keys()]);
      this.files = files;
      this.swapIn(built);
      this.loadWarnings = [...sourceWarnings, ...warningsOf(loaded.diagnostics)];
      return { ok: true, before, after } as const;
    });
  }

  /** Every tenant's policy as it is now (policies are immutable once built). */
  private snapshot(): PoliciesAt {
    return snapshotOf(this.globalPolicy, this.policies);
  }

  /** Compiles every policy aside, then swaps them all at once. */
  async rebuildAll(): Promise<void> {
    this.swapIn(await buildAllPolicies(this.files, this.apiRules, this.buildOptions()));
  }

  private swapIn(built: Built): void {
    this.globalPolicy = built.globalPolicy;
    this.policies = built.policies;
  }

  /** The tenants whose every check is denied because their rules cannot stand (TenantPolicy.refusal), and why. */
  refusedTenants(): Array<{ tenant: string; refusal: string }> {
    return [...this.policies].flatMap(([tenant, p]) => (p.refusal === undefined ? [] : [{ tenant, refusal: p.refusal }]));
  }

  private buildOptions(): PolicyBuildOptions {
    return { evaluator: this.kind, vm: this.vm };
  }

  /** The file a global or tenant file rule with this id comes from, if any. */
  fileRuleOwner(tenant: string, ruleId: string): string | undefined {
    return fileRuleOwnerIn(this.files, tenant, ruleId);
  }

  private serialize<T>(change: () => Promise<T>): Promise<T> {
    const run = this.changes.then(change, change);
    this.changes = run.catch(() => undefined);
    return run;
  }
}

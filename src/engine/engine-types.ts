// The engine's public types: its options, a decision as it returns one, rule texts and the
// results of rule changes, and the error a bad rule set throws.

import type { Decision, Diagnostic, ExplanationEntry } from '../ir/types.js';
import type { RuleFormat, RuleSource } from '../rules/load.js';
import type { RateLimiter } from '../state/rate-limiter.js';
import type { CryptoBackend } from '../receipt/backend.js';
import type { EvaluatorKind, TenantPolicy } from './policy.js';
import type { RequestLimits } from './request.js';

export const DEFAULT_TENANT = 'default';

export interface EngineOptions {
  /** The files of a rules directory; paths relative to it, `tenants/<t>/…` for tenant rules. */
  rules: RuleSource[];
  /** `vm` (default) is the production path; `oracle` walks the IR (the reference). */
  evaluator?: EvaluatorKind;
  /** Token buckets for rate_limit_check; in-memory by default. */
  rateLimiter?: RateLimiter;
  /** Clock in milliseconds since the epoch. */
  now?: () => number;
  /** A precompiled VM module, for runtimes that refuse to compile wasm from bytes (Workers). */
  wasm?: WebAssembly.Module;
  limits?: Partial<RequestLimits>;
  /** Computes action_hash; WebCrypto by default. Node passes node:crypto (no thread-pool hop per check). */
  crypto?: CryptoBackend;
  /** Warnings found while reading `rules` (a README.md that reads as a rule): kept with the load's own. */
  sourceWarnings?: Diagnostic[];
  /**
   * Takes an empty `rules` list: the rules come later (putRule, replaceApiRules). Without it an
   * empty list is refused (NoRulesError), since every check would be approved.
   */
  allowNoRules?: boolean;
}

export interface EvaluateOptions {
  tenant?: string;
  explain?: boolean;
}

export type EngineDecision = Decision & { explanation?: ExplanationEntry[] };

/** Each tenant's policy (rules and version) at one moment. */
export type PoliciesAt = (tenant: string) => TenantPolicy;

/**
 * Runs between compiling a rule change and serving it (the audit entry is written here):
 * `ruleIds` put (or, for deleteRule, deleted), `removed` the API rules a replacement drops.
 */
export type BeforeSwap = (policyVersion: string, ruleIds: string[], removed: string[]) => Promise<void>;

/** One rule text for the API rules: `path` is the name its diagnostics and `source.file` give it. */
export interface RuleText {
  text: string;
  format: RuleFormat;
  path?: string;
}

export type PutRuleResult =
  | { ok: true; ruleIds: string[]; policyVersion: string; removed: string[] }
  | { ok: false; diagnostics: Diagnostic[] }
  | { ok: false; conflict: string };

/**
 * No rule source at all, where a folder or bundle of rules was meant: every check would be
 * approved. Refused by createEngine (an empty `rules` list, unless `allowNoRules`),
 * createEngineFromDir (a rules directory empty or not there), the standalone app and
 * `mge check`; `mge serve` refuses such a start too. To decide against no rules on purpose,
 * give a source holding `rules: []`.
 */
export class NoRulesError extends Error {
  override readonly name = 'NoRulesError';
}

/** Rule files (or an API change) with errors; nothing was swapped in. */
export class RuleLoadError extends Error {
  override readonly name = 'RuleLoadError';
  constructor(readonly diagnostics: Diagnostic[]) {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    const first = errors[0];
    super(
      first
        ? `${errors.length} error(s) in rules; first: ${first.span.file}:${first.span.line}:${first.span.col}: ${first.message}`
        : 'rules have errors',
    );
  }
}

// The public API of MGE's core. Web standards only: runs unchanged on Node, Deno, Bun,
// Cloudflare Workers and in browsers. The Node-only helpers are in `mge/node`.

export { createEngine, Engine, NoRulesError, RuleLoadError, RequestError, DEFAULT_TENANT } from './engine/engine.js';
export type { EngineOptions, EvaluateOptions, EngineDecision, PutRuleResult, RuleFormat, RuleSource } from './engine/engine.js';
export type { TenantPolicy } from './engine/policy.js';
export { MemoryRateLimiter } from './state/rate-limiter.js';
export type { RateLimiter } from './state/rate-limiter.js';
export type * from './ir/types.js';
// The trust layer, for signed and audited decisions without the HTTP app (docs/trust.md).
export { createSigner, Signer } from './receipt/sign.js';
export type { SignerOptions } from './receipt/sign.js';
export { AuditLogs } from './audit/logs.js';
export { AuditLog } from './audit/log.js';
export { MemoryAuditStore, MemoryAuditStoreFactory } from './audit/memory-store.js';
export type { AuditStore, AuditStoreFactory } from './audit/store.js';

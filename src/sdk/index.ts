// mge/sdk — everything an agent or an execution layer needs to talk to MGE, with no Node-only
// import, so it runs in Node, Deno, Bun, workers and browsers.

export { MGEClient, type MGEClientOptions } from './client.js';
export { guard, type Describe, type GuardClient, type GuardedFn, type GuardOptions, type ReceiptCheck } from './guard.js';
export {
  RulesApi, RULE_CONTENT_TYPES,
  type RuleFormat, type RuleContentType, type ValidateResult, type RuleListing, type RuleView, type PutRuleResult, type ReplaceRulesResult,
} from './rules-api.js';
export { AuditApi, type ExportOptions } from './audit-api.js';
export {
  verifyReceipt, offlineReceiptCheck, importVerifierKeys, KeyRing,
  type VerifyReceiptOptions, type VerifierKeys, type Secret, type VerifyResult, type ReasonCode, type NonceStore,
} from './verify.js';
export { MemoryNonceStore } from '../state/nonce-store.js';
export type { FetchLike, TransportOptions } from './transport.js';
export * from './errors.js';
export type * from './types.js';
export { RuleBuilder } from './rule-builder.js';
export type { RuleDraft, RuleHeader, ConditionParameters, ParametersOf, DraftCondition } from './rule-draft.js';
export { decisionLeafHash, verifyInclusionProof, verifyConsistencyProof, verifyCheckpoint } from './audit-verify.js';

// The app with every store in memory: engine from bundled rule sources, HS256 signer, memory
// nonces, memory rate buckets and a memory audit log, each tenant's starting with the rules in
// force. This is what the Bun, Deno and Workers adapters serve; nothing here outlives the
// process (or the Workers isolate).

import { AuditLogs } from '../audit/logs.js';
import { MemoryAuditStoreFactory } from '../audit/memory-store.js';
import { createEngine, type Engine, type RuleSource } from '../engine/engine.js';
import { createSigner } from '../receipt/sign.js';
import { MemoryNonceStore } from '../state/nonce-store.js';
import { ApiKeySpecError, callerTenants, parseApiKeys } from './api-keys.js';
import { createApp } from './app.js';
import { auditPort } from './audit-port.js';
import { refuseOpenModeOffLoopback } from './open-mode.js';
import { ruleChangeEntry } from '../audit/rule-change.js';
import type { HttpEnv } from './deps.js';
import type { Logger } from './logger.js';
import type { Hono } from 'hono';

export interface StandaloneOptions {
  /** Where the server binds; with no `apiKeys` it must be loopback (SPEC §7). Absent for a Worker. */
  host?: string;
  rules: RuleSource[];
  /** HS256 secret, at least 32 bytes. */
  secret: string;
  /**
   * `tenant:role[+role]:key,…`; absent (undefined): open mode (tenant `default`, every role).
   * Blank is refused, not read as absent: `process.env.MGE_API_KEYS` from a secret that did not
   * resolve opened every route to every local caller, as in `mge serve`.
   */
  apiKeys?: string;
  /** A precompiled VM module (Workers cannot compile wasm from bytes). */
  wasm?: WebAssembly.Module;
  logger?: Logger;
}

/**
 * Rules changed over HTTP would live in this process's memory only: gone at a restart (a
 * denied check approved, its rule change's entry gone with the memory log) and, on Workers,
 * held by the one isolate of many that took the PUT. So they are refused;
 * the rules are those bundled with the app.
 */
const RULES_READ_ONLY = 'rules are read-only over HTTP on this server: it keeps everything in memory (Bun, Deno, Workers), so a rule changed here would be lost at a restart and, on Workers, held by one isolate of many; change the rules bundled with the app and deploy it';

// No rule source at all is refused (NoRulesError): `readRulesDir('./rules')` of a folder not
// mounted or empty would serve an approve-everything server on Bun and Deno.
import { NoRulesError } from '../engine/engine-types.js';
export { NoRulesError };

/** @example const { app } = await createStandaloneApp({ rules, secret }); export default { fetch: app.fetch } */
export async function createStandaloneApp(opts: StandaloneOptions): Promise<{ app: Hono<HttpEnv>; engine: Engine }> {
  if (opts.rules.length === 0) {
    throw new NoRulesError('no rule source given (an empty rules folder, a volume not mounted, a bundle built without its rules?): every check would be approved; to serve no rules, give one source holding `rules: []`');
  }
  const engine = await createEngine({ rules: opts.rules, ...(opts.wasm ? { wasm: opts.wasm } : {}) });
  const signer = await createSigner({ hs256Secret: opts.secret });
  const audit = auditPort(new AuditLogs(new MemoryAuditStoreFactory()), signer);
  if (opts.apiKeys !== undefined && opts.apiKeys.trim() === '') {
    throw new ApiKeySpecError('apiKeys (MGE_API_KEYS?) is set but empty (a secret or variable that did not resolve?); leave it undefined for the open mode');
  }
  const keys = opts.apiKeys !== undefined ? await parseApiKeys(opts.apiKeys) : [];
  if (opts.host !== undefined) refuseOpenModeOffLoopback(keys.length, opts.host);
  // Each log starts empty here: it starts with the rules in force, as `mge serve`'s does at a
  // first start, so an export names the rules its decisions were made under.
  const timestamp = new Date().toISOString();
  for (const tenant of [...new Set([...callerTenants(keys), ...engine.tenants()])].sort()) {
    const policy = engine.policy(tenant);
    const ids = policy.rules.map((r) => r.rule_id).sort();
    if (ids.length > 0) await audit.append(tenant, ids.map((id) => ruleChangeEntry(id, 'put', policy.policyVersion, 'rules-dir', timestamp)));
  }
  const app = createApp({ engine, signer, audit, keys, nonceStore: new MemoryNonceStore(), rulesReadOnly: RULES_READ_ONLY, ...(opts.logger ? { logger: opts.logger } : {}) });
  return { app, engine };
}

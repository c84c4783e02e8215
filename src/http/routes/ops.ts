// Unauthenticated operational routes (SPEC §8): liveness, readiness, Prometheus metrics, the
// OpenAPI document and the JWKS of public receipt keys. None of them reveals a tenant's data
// beyond counts: a rule set is shown by a keyed fingerprint, not its policy_version, which is
// a plain hash of the compiled rules (from /metrics alone anyone could test
// guesses of another tenant's rules offline, `burst_limit` 1…50 in 58 ms).

import type { Hono } from 'hono';
import { callerTenants } from '../api-keys.js';
import type { AppContext, HttpEnv } from '../deps.js';
import { renderGauge, type GaugeSample } from '../metrics.js';
import { METRICS_CONTENT_TYPE, openApiDocument } from '../openapi.js';
import { problemResponse, ShuttingDown, StoreUnavailable } from '../problem.js';
import { rawPath } from '../request-url.js';

/** Each tenant's rule-set fingerprint, signed again only when its policy_version changes. */
function ruleSetFingerprints(ctx: AppContext): (tenant: string) => Promise<string> {
  const known = new Map<string, { policyVersion: string; fingerprint: string }>();
  return async (tenant) => {
    const policyVersion = ctx.engine.policy(tenant).policyVersion;
    const seen = known.get(tenant);
    if (seen?.policyVersion === policyVersion) return seen.fingerprint;
    // The tenant is in the signed text: two tenants with the same rules show different values,
    // so one tenant's admin cannot PUT guesses and compare its own value with another's.
    const fingerprint = await ctx.signer.fingerprint(`rule set\n${tenant}\n${policyVersion}`);
    known.set(tenant, { policyVersion, fingerprint });
    return fingerprint;
  };
}

async function metricsText(ctx: AppContext, fingerprintOf: (tenant: string) => Promise<string>): Promise<string> {
  const m = ctx.metrics;
  const logged = await ctx.audit.tenants();
  // The rule sets checks can meet: those of the tenants a caller can be, not of every tenant
  // with a rules folder or a log.
  const tenants = callerTenants(ctx.keys);
  const policies: GaugeSample[] = [];
  for (const tenant of tenants) policies.push({ labels: { tenant, fingerprint: await fingerprintOf(tenant) }, value: 1 });
  // A log that failed (damaged, disk full) has no size to give; metrics must still answer then,
  // since that is when an operator needs them: it is counted as unavailable instead.
  const sizes: GaugeSample[] = [];
  const unavailable: GaugeSample[] = [];
  for (const tenant of logged) {
    try {
      sizes.push({ labels: { tenant }, value: await ctx.audit.size(tenant) });
      unavailable.push({ labels: { tenant }, value: 0 });
    } catch {
      unavailable.push({ labels: { tenant }, value: 1 });
    }
  }
  return [
    m.checks.render(),
    m.checkErrors.render(),
    m.latency.render(),
    m.verifications.render(),
    m.reloads.render(),
    m.responses.render(),
    m.connectionsRefused.render(),
    m.connectionsOpen === undefined ? '' : renderGauge('mge_connections_open', 'HTTP connections open now; past MGE_MAX_CONNECTIONS new ones are refused.', [{ labels: {}, value: m.connectionsOpen() }]),
    renderGauge('mge_audit_entries', 'Entries in each tenant\'s audit log.', sizes),
    renderGauge('mge_audit_log_unavailable', '1 while a tenant\'s audit log has failed (damaged, or its store failed): its checks get 503.', unavailable),
    renderGauge('mge_rule_set_info', 'A fingerprint of the rule set each tenant is checked against, keyed by the receipt key: it changes when the policy_version does (GET /api/v1/rules gives that).', policies),
    renderGauge('mge_rules_dir_refused', '1 while the last edit of the rules directory was refused: the rule files on disk are not the rules in force (the server log says why).', [{ labels: {}, value: m.rulesDirRefused }]),
    renderGauge('mge_checks_in_flight', 'Checks being evaluated, signed or logged right now (a batch counts each of its requests); past the limit (4096 by default) new ones get 429.', [{ labels: {}, value: ctx.lifecycle.inFlight }]),
    m.sharedStateUp === undefined ? '' : renderGauge('mge_shared_state_up', '1 while the shared store of rate buckets and used nonces (MGE_REDIS_URL) is connected; 0: rate-limited checks are denied and receipts refused.', [{ labels: {}, value: m.sharedStateUp() ? 1 : 0 }]),
  ].join('');
}

export function opsRoutes(app: Hono<HttpEnv>, ctx: AppContext): void {
  const openapi = JSON.stringify(openApiDocument(ctx.version));

  app.get('/healthz', (c) => {
    const dead = ctx.dead?.();
    return dead === undefined ? c.json({ status: 'ok' }) : problemResponse(new StoreUnavailable(dead), rawPath(c.req.url));
  });

  app.get('/readyz', (c) => {
    const dead = ctx.dead?.();
    if (dead !== undefined) return problemResponse(new StoreUnavailable(dead), rawPath(c.req.url));
    // The checks' own answer while draining (type shutting-down, `Connection: close`), not a store's.
    if (ctx.lifecycle.isDraining) return problemResponse(new ShuttingDown(), rawPath(c.req.url));
    if (!ctx.ready()) return problemResponse(new StoreUnavailable('a store is not ready'), rawPath(c.req.url));
    // Only in the open mode, where every caller may read the rules: with keys, `default` can
    // be a tenant whose rules are its own (see the top of this file).
    return c.json(ctx.keys.length === 0 ? { status: 'ready', policy_version: ctx.engine.policy('default').policyVersion } : { status: 'ready' });
  });

  const fingerprintOf = ruleSetFingerprints(ctx);
  app.get('/metrics', async (c) => c.text(await metricsText(ctx, fingerprintOf), 200, { 'content-type': METRICS_CONTENT_TYPE }));

  app.get('/openapi.json', (c) => c.body(openapi, 200, { 'content-type': 'application/json' }));

  app.get('/api/v1/keys', (c) => c.json(ctx.signer.jwks()));
}

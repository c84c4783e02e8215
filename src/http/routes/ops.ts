// Unauthenticated operational routes (SPEC §8): liveness, readiness, Prometheus metrics, the
// OpenAPI document and the JWKS of public receipt keys. None of them reveals a tenant's data
// beyond counts and policy versions.

import type { Hono } from 'hono';
import { callerTenants } from '../api-keys.js';
import type { AppContext, HttpEnv } from '../deps.js';
import { renderGauge, type GaugeSample } from '../metrics.js';
import { METRICS_CONTENT_TYPE, openApiDocument } from '../openapi.js';
import { problemResponse, StoreUnavailable } from '../problem.js';
import { rawPath } from '../request-url.js';

async function metricsText(ctx: AppContext): Promise<string> {
  const m = ctx.metrics;
  const logged = await ctx.audit.tenants();
  // The rule sets checks can meet: those of the tenants a caller can be, not of every tenant
  // with a rules folder or a log.
  const tenants = callerTenants(ctx.keys);
  const policies: GaugeSample[] = tenants.map((tenant) => ({ labels: { tenant, policy_version: ctx.engine.policy(tenant).policyVersion }, value: 1 }));
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
    renderGauge('mge_audit_entries', 'Entries in each tenant\'s audit log.', sizes),
    renderGauge('mge_audit_log_unavailable', '1 while a tenant\'s audit log has failed (damaged, or its store failed): its checks get 503.', unavailable),
    renderGauge('mge_rule_set_info', 'The policy version (hash of the compiled rule set) each tenant is checked against.', policies),
    renderGauge('mge_rules_dir_refused', '1 while the last edit of the rules directory was refused: the rule files on disk are not the rules in force (the server log says why).', [{ labels: {}, value: m.rulesDirRefused }]),
    renderGauge('mge_checks_in_flight', 'Requests being evaluated, signed or logged right now.', [{ labels: {}, value: ctx.lifecycle.inFlight }]),
  ].join('');
}

export function opsRoutes(app: Hono<HttpEnv>, ctx: AppContext): void {
  const openapi = JSON.stringify(openApiDocument(ctx.version));

  app.get('/healthz', (c) => c.json({ status: 'ok' }));

  app.get('/readyz', (c) => {
    if (ctx.lifecycle.isDraining) return problemResponse(new StoreUnavailable('the server is shutting down'), rawPath(c.req.url));
    if (!ctx.ready()) return problemResponse(new StoreUnavailable('a store is not ready'), rawPath(c.req.url));
    return c.json({ status: 'ready', policy_version: ctx.engine.policy('default').policyVersion });
  });

  app.get('/metrics', async (c) => c.text(await metricsText(ctx), 200, { 'content-type': METRICS_CONTENT_TYPE }));

  app.get('/openapi.json', (c) => c.body(openapi, 200, { 'content-type': 'application/json' }));

  app.get('/api/v1/keys', (c) => c.json(ctx.signer.jwks()));
}

// The HTTP sidecar (SPEC §8) as a Hono app: a function from a web Request to a Response, with
// no runtime-specific import, so every adapter (Node, Bun, Deno, Workers) serves this same app.
// Every failure leaves through one error handler as RFC 9457 problem+json; nothing a request
// does can throw past it.

import { Hono } from 'hono';
import { jsonLimits } from '../json/strict-parse.js';
import { webCryptoBackend } from '../receipt/backend.js';
import { badVerifyClock } from '../receipt/verify.js';
import { MGE_VERSION } from '../version.js';
import type { AppContext, AppDeps, HttpEnv } from './deps.js';
import { Lifecycle } from './lifecycle.js';
import { rateLimitedWarnEach, repeatLimited, silentLogger } from './logger.js';
import { openModeHostProblem } from './open-mode.js';
import { checkedUrl, rawPath } from './request-url.js';
import { ServerMetrics } from './metrics.js';
import { Forbidden, HttpProblem, InternalError, MethodNotAllowed, NotFound, problemResponse } from './problem.js';
import { auditRoutes } from './routes/audit.js';
import { checkRoutes } from './routes/check.js';
import { opsRoutes } from './routes/ops.js';
import { rulesRoutes } from './routes/rules.js';
import { verifyRoutes } from './routes/verify.js';

/**
 * Refused credentials logged one by one: 200 at once, 50 a second on average; the rest counted.
 * Keyless and unknown credentials share one such allowance; each configured key has its own.
 */
const REFUSED_LINES_BURST = 200;
const REFUSED_LINES_PER_SECOND = 50;

function resolve(deps: AppDeps): AppContext {
  const clock = badVerifyClock({ skewMs: deps.skewMs });
  if (clock !== undefined) throw new RangeError(`createApp: ${clock}`);
  const logger = deps.logger ?? silentLogger;
  return {
    ...deps,
    logger,
    logRepeated: repeatLimited(logger, 10_000, deps.now ?? Date.now),
    logRefused: rateLimitedWarnEach(logger, REFUSED_LINES_PER_SECOND, REFUSED_LINES_BURST, deps.now ?? Date.now),
    crypto: deps.crypto ?? webCryptoBackend,
    now: deps.now ?? Date.now,
    lifecycle: deps.lifecycle ?? new Lifecycle(),
    metrics: deps.metrics ?? new ServerMetrics(),
    limits: jsonLimits(deps.limits),
    skewMs: deps.skewMs,
    ruleStore: deps.ruleStore,
    rulesReadOnly: deps.rulesReadOnly,
    rulesChanged: deps.rulesChanged,
    version: deps.version ?? MGE_VERSION,
    ready: deps.ready ?? (() => true),
    dead: deps.dead,
    preReadBody: deps.preReadBody ?? (() => undefined),
    checkTurn: deps.checkTurn,
  };
}

/** Paths that exist, with the methods they take: a wrong method is 405, not 404. */
const ALLOWED: Array<[string, string]> = [
  ['/api/v1/governance/check', 'POST'],
  ['/api/v1/governance/check/batch', 'POST'],
  ['/api/v1/receipts/verify', 'POST'],
  // Also the path of the rule whose id is `validate` (a valid id): GET, PUT and DELETE reach it.
  ['/api/v1/rules/validate', 'GET, PUT, DELETE, POST'],
  ['/api/v1/rules', 'GET, PUT, DELETE'],
  ['/api/v1/rules/:rule_id', 'GET, PUT, DELETE'],
  ['/api/v1/audit', 'GET'],
  ['/api/v1/audit/export', 'GET'],
  ['/api/v1/audit/checkpoint', 'GET'],
  ['/api/v1/audit/consistency', 'GET'],
  ['/api/v1/audit/proof/:decision_id', 'GET'],
  ['/api/v1/keys', 'GET'],
  ['/healthz', 'GET'],
  ['/readyz', 'GET'],
  ['/metrics', 'GET'],
  ['/openapi.json', 'GET'],
];

/** Logged paths past this many characters are cut: a keyless client sent 16 KB paths and grew the log 10 MB a second. */
const LOGGED_PATH_CHARS = 256;

function loggedPath(path: string): string {
  return path.length <= LOGGED_PATH_CHARS ? path : `${path.slice(0, LOGGED_PATH_CHARS)}… (${path.length - LOGGED_PATH_CHARS} more characters)`;
}

/**
 * Builds the app from injected engine, signer and stores.
 * @example
 * const app = createApp({ engine, signer, nonceStore, audit, keys: [] })
 * const res = await app.request('/api/v1/governance/check', { method: 'POST', body, headers })
 */
export function createApp(deps: AppDeps): Hono<HttpEnv> {
  const ctx = resolve(deps);
  const app = new Hono<HttpEnv>();

  app.onError((err, c) => {
    if (err instanceof HttpProblem) {
      // Refused credentials are what a security team looks for in the logs; the detail never
      // holds the key (src/http/auth.ts).
      if (err.status === 401 || err.status === 403) {
        // A 403's key is named by its id (else nobody can tell which client to fix). Lines
        // are held to a rate per sender: all 401s (no key, or an unknown one: anyone can send
        // those) share one, and each configured key has its own, so neither a keyless flood
        // nor another key's hides a key's refusals.
        const fields = { method: c.req.method, path: loggedPath(c.req.path), status: err.status, detail: err.detail };
        const by = err instanceof Forbidden && err.by !== undefined ? { tenant: err.by.tenant, by: err.by.keyId } : {};
        ctx.logRefused(by.by === undefined ? '' : `key:${by.by}`, 'request refused', { ...fields, ...by });
      }
      return problemResponse(err, rawPath(c.req.url));
    }
    ctx.logger.error('request failed', { method: c.req.method, path: loggedPath(c.req.path), error: err });
    // "nothing was approved" is what a failed check needs to hear; any other route, only the failure.
    const detail = c.req.path.startsWith('/api/v1/governance/') ? undefined : 'internal error';
    return problemResponse(new InternalError(detail), rawPath(c.req.url));
  });
  // 404 or 405 is decided here from ALLOWED rather than by catch-all routes: a catch-all for
  // `/api/v1/rules/validate` after `/api/v1/rules/:rule_id` is an order Hono's RegExpRouter
  // cannot express, and its fallback, TrieRouter, took ~0.5 µs a match (3 % of a check's CPU).
  app.notFound((c) => {
    const allow = allowedMethods(c.req.path);
    const problem = allow === undefined || allow.split(', ').includes(c.req.method)
      ? new NotFound(`no route \`${c.req.method} ${c.req.path}\``)
      : new MethodNotAllowed(`\`${c.req.method}\` is not allowed on \`${c.req.path}\``, allow);
    return problemResponse(problem, rawPath(c.req.url));
  });

  // Every response is counted by status around the whole app, not in a middleware: a
  // middleware puts every route, checks included, through Hono's compose.
  const dispatch = app.fetch;
  const counted = (res: Response): Response => {
    ctx.metrics.responses.inc({ status: String(res.status) });
    return res;
  };
  const openMode = ctx.keys.length === 0;
  app.fetch = (request, env, executionCtx) => {
    if (openMode) {
      const refused = openModeHostProblem(deps.requestHost?.(env) ?? request.headers.get('host'));
      if (refused !== undefined) {
        // A warning like every other 401/403, but one line per 10 s: a rebinding page may retry fast.
        const path = rawPath(request.url);
        ctx.logRepeated('open-mode-host', 'request refused', { method: request.method, path: loggedPath(path), status: 403, detail: refused.detail }, 'warn');
        return counted(problemResponse(refused, path));
      }
    }
    let req = request;
    if (!deps.urlChecked) {
      const checked = checkedUrl(request);
      if (checked instanceof HttpProblem) return counted(problemResponse(checked));
      req = checked;
    }
    const res = dispatch(req, env, executionCtx);
    return res instanceof Promise ? res.then(counted) : counted(res);
  };

  checkRoutes(app, ctx);
  verifyRoutes(app, ctx);
  rulesRoutes(app, ctx);
  auditRoutes(app, ctx);
  opsRoutes(app, ctx);
  return app;
}

// Hono answers HEAD wherever it answers GET, so Allow names it too (RFC 9110 §9.3.2).
const ALLOWED_SEGMENTS = ALLOWED.map(([path, allow]) => ({ segments: path.split('/'), allow: allow.replace(/^GET\b/, 'GET, HEAD') }));

/** The Allow list of the route `path` names, if any (`:name` stands for one non-empty segment). */
function allowedMethods(path: string): string | undefined {
  const segments = path.split('/');
  const route = ALLOWED_SEGMENTS.find((r) =>
    r.segments.length === segments.length
    && r.segments.every((s, i) => s === segments[i] || (s.startsWith(':') && segments[i] !== '')));
  return route?.allow;
}

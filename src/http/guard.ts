// Route guard: authenticates the caller and requires one role before the handler runs. The
// principal it stores is the only source of the tenant any handler uses.

import type { MiddlewareHandler } from 'hono';
import type { Role } from './api-keys.js';
import { authenticate, OPEN_PRINCIPAL, requireRole } from './auth.js';
import type { AppContext, HttpEnv } from './deps.js';

/** @example app.get('/api/v1/audit', guard(ctx, 'auditor'), handler) */
export function guard(ctx: Pick<AppContext, 'keys' | 'crypto'>, role: Role): MiddlewareHandler<HttpEnv> {
  return async (c, next) => {
    // Open mode needs no header: the web Headers object is not built for it.
    const who = ctx.keys.length === 0 ? OPEN_PRINCIPAL : await authenticate(c.req.raw.headers, ctx.keys, ctx.crypto);
    requireRole(who, role);
    c.set('principal', who);
    await next();
  };
}

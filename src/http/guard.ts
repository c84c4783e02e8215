// Route guard: authenticates the caller and requires one role before the handler runs. The
// principal it stores is the only source of the tenant any handler uses.

import type { MiddlewareHandler } from 'hono';
import type { Role } from './api-keys.js';
import { authenticate, requireRole } from './auth.js';
import type { AppContext, HttpEnv } from './deps.js';

/** @example app.get('/api/v1/audit', guard(ctx, 'auditor'), handler) */
export function guard(ctx: Pick<AppContext, 'keys' | 'crypto'>, role: Role): MiddlewareHandler<HttpEnv> {
  return async (c, next) => {
    const who = await authenticate(c.req.raw, ctx.keys, ctx.crypto);
    requireRole(who, role);
    c.set('principal', who);
    await next();
  };
}

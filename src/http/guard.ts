// Route guard: authenticates the caller and requires one role before the handler runs. The
// principal it stores is the only source of the tenant any handler uses.

import type { MiddlewareHandler } from 'hono';
import type { Role } from './api-keys.js';
import { authenticate, hasRole, requireRole, type Principal } from './auth.js';
import type { AppContext, HttpEnv } from './deps.js';

/** @example app.get('/api/v1/audit', guard(ctx, 'auditor'), handler) */
export function guard(ctx: Pick<AppContext, 'keys' | 'crypto'>, role: Role): MiddlewareHandler<HttpEnv> {
  return async (c, next) => {
    c.set('principal', await authorize(c.req.raw, ctx, role));
    await next();
  };
}

/**
 * What guard does, for a handler that calls it first itself: the check routes, which run
 * without middleware (a route with one handler skips Hono's compose). `refused` hears of a
 * known caller refused for lacking the role (403), so the route can count it against the
 * caller's tenant; an unknown caller (401) has no tenant to count against.
 * @example const { tenant } = await authorize(c.req.raw, ctx, 'checker')
 */
export async function authorize(
  request: Request, ctx: Pick<AppContext, 'keys' | 'crypto'>, role: Role, refused?: (who: Principal) => void,
): Promise<Principal> {
  const who = await authenticate(request, ctx.keys, ctx.crypto);
  if (!hasRole(who, role)) refused?.(who);
  requireRole(who, role);
  return who;
}

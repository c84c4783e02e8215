// Route guard: authenticates the caller and requires one role before the handler runs. The
// principal it stores is the only source of the tenant any handler uses.

import type { MiddlewareHandler } from 'hono';
import type { ApiKey, Role } from './api-keys.js';
import { authenticate, requireRole } from './auth.js';
import type { HttpEnv } from './deps.js';

/** @example app.get('/api/v1/audit', guard(keys, 'auditor'), handler) */
export function guard(keys: readonly ApiKey[], role: Role): MiddlewareHandler<HttpEnv> {
  return async (c, next) => {
    const who = await authenticate(c.req.raw.headers, keys);
    requireRole(who, role);
    c.set('principal', who);
    await next();
  };
}

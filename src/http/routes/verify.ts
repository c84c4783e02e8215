// POST /api/v1/receipts/verify (SPEC §5, §8, role checker): checks a receipt the way an
// executor would, and consumes its nonce. A receipt of another tenant is refused with 403
// before anything is checked, so one tenant can never burn another's nonces.

import type { Hono } from 'hono';
import { verifyReceipt, type VerifyOptions } from '../../receipt/verify.js';
import { readJsonBody, VERIFY_PATH, verifyLimits } from '../body.js';
import type { AppContext, HttpEnv } from '../deps.js';
import { guard } from '../guard.js';
import { BadRequest, Forbidden, StoreUnavailable } from '../problem.js';
import { isObject } from '../../json/is-object.js';

const FIELDS = new Set(['decision', 'action', 'context', 'audience']);

export function verifyRoutes(app: Hono<HttpEnv>, ctx: AppContext): void {
  const limits = verifyLimits(ctx.limits); // a whole decision, not a check request (body.ts)
  app.post(VERIFY_PATH, guard(ctx, 'checker'), async (c) => {
    const who = c.get('principal');
    const { tenant } = who;
    // Read before an in-flight slot is taken, as for a check: a slow upload holds none.
    const body = await readJsonBody(c.req.raw, limits, ctx.preReadBody(c.env));
    return ctx.lifecycle.run(async () => {
      // Like a check, a verification waits for its turn (AppDeps.checkTurn) before any work.
      await ctx.checkTurn?.();
      if (!isObject(body)) throw new BadRequest('the body must be `{"decision": {...}, "action"?, "context"?, "audience"?}`');
      for (const key of Object.keys(body)) {
        if (!FIELDS.has(key)) throw new BadRequest(`unknown field \`${key}\`; expected \`decision\`, \`action\`, \`context\`, \`audience\``);
      }
      const { decision, action, context, audience } = body;
      if (!isObject(decision)) throw new BadRequest('`decision` must be the decision object as returned by the check');
      if (audience !== undefined && (typeof audience !== 'string' || audience === '')) throw new BadRequest('`audience` must be a non-empty string: this executor\'s id');
      // The shapes a check takes (SPEC §2): anything else could never match, so it is refused as
      // the request it is, not answered as a receipt for another action.
      if (context !== undefined && !isObject(context)) throw new BadRequest('`context` must be an object');
      if (action !== undefined && typeof action !== 'string' && !(isObject(action) && typeof action.type === 'string')) {
        throw new BadRequest('`action` must be an object with a string `type`, or a string');
      }
      if (context !== undefined && action === undefined) {
        throw new BadRequest('`context` needs `action`: the receipt binds the two together (action_hash), so a context alone cannot be checked');
      }
      if (typeof decision.tenant === 'string' && decision.tenant !== tenant) {
        throw new Forbidden('the receipt belongs to another tenant', who);
      }
      // The store's own error, for the log line if it fails (the result names only the reason).
      let storeError: unknown = 'no answer in time';
      const store = ctx.nonceStore;
      const nonceStore: typeof store = {
        consumeOnce: (t, n, e, from) => Promise.resolve(store.consumeOnce(t, n, e, from)).catch((err: unknown) => {
          storeError = err;
          throw err;
        }),
        ...(store.forgetClock === undefined ? {} : { forgetClock: () => store.forgetClock!() }),
      };
      const opts: VerifyOptions = {
        keys: ctx.signer.keys, nonceStore, tenant, now: ctx.now(), backend: ctx.crypto,
        ...(ctx.skewMs !== undefined ? { skewMs: ctx.skewMs } : {}),
        ...(action !== undefined ? { action } : {}),
        ...(context !== undefined ? { context } : {}),
        ...(audience !== undefined ? { audience } : {}),
      };
      const result = await verifyReceipt(decision, opts);
      ctx.metrics.verifications.inc({ tenant, result: result.valid ? 'valid' : (result.reason ?? 'invalid') });
      if (result.reason === 'nonce_store_unavailable') {
        ctx.logRepeated('nonce-store', 'nonce store unavailable: receipts are not accepted', { tenant, error: storeError });
        throw new StoreUnavailable('the nonce store is unavailable; the receipt was not accepted');
      }
      return c.json(result.valid ? { valid: true, approved: result.approved === true } : { valid: false, reason: result.reason });
    }, 1, tenant);
  });
}

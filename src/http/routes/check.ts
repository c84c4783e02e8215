// POST /api/v1/governance/check and /check/batch (SPEC §8, role checker). 200 whether approved
// or not; the tenant is always the caller's, never taken from the body.

import type { Context, Hono } from 'hono';
import type { Json } from '../../ir/types.js';
import { readJsonBody, type PreReadBody } from '../body.js';
import type { Principal } from '../auth.js';
import type { AppContext, HttpEnv } from '../deps.js';
import { authorize } from '../guard.js';
import { BadRequest, HttpProblem } from '../problem.js';
import { evaluate, refuseWhileLogFailing, signAndRecord, validate, type Recorded } from '../check-pipeline.js';
import { isObject } from '../../json/is-object.js';

/** Counts every check in the metrics, answered or refused. */
async function measured(ctx: AppContext, tenant: string, work: () => Promise<Recorded[]>): Promise<Recorded[]> {
  const started = performance.now();
  try {
    const recorded = await work();
    for (const r of recorded) ctx.metrics.checks.inc({ tenant, outcome: r.approved ? 'approved' : 'denied' });
    ctx.metrics.latency.observe((performance.now() - started) / 1000);
    return recorded;
  } catch (err) {
    const status = err instanceof HttpProblem ? err.status : 500;
    ctx.metrics.checkErrors.inc({ tenant, status: String(status) });
    throw err;
  }
}

/**
 * A batch body: `{"requests": [...]}` adds two levels of nesting, which do not count against
 * the depth limit, so a request that is accepted alone is accepted inside a batch too.
 */
async function readBatch(req: Request, ctx: AppContext, preRead: PreReadBody | undefined): Promise<Json> {
  const { maxDepth } = ctx.limits;
  try {
    return await readJsonBody(req, { ...ctx.limits, maxDepth: maxDepth + BATCH_WRAPPER_DEPTH }, preRead);
  } catch (err) {
    if (err instanceof BadRequest && err.extensions.reason === 'too_deep') {
      throw new BadRequest(`malformed JSON: a request in the batch is nested deeper than ${maxDepth}`, err.extensions);
    }
    throw err;
  }
}

const BATCH_WRAPPER_DEPTH = 2;

/** How long a batch evaluates before it lets other requests run (see the batch route). */
const BATCH_SLICE_MS = 5;

/** A fresh object per response: @hono/node-server adds Content-Length to the one it is given. */
const jsonType = (): { 'content-type': string } => ({ 'content-type': 'application/json' });

/**
 * `?explain=true` (SPEC §4), or `false`; anything else, or the parameter twice, is a 400 rather
 * than a silent no (`explain=1` used to answer without an explanation), as the audit routes'
 * parameters are.
 */
function explainParam(c: Context<HttpEnv>): boolean {
  if (!c.req.url.includes('?')) return false; // most checks: no query to parse
  const all = c.req.queries('explain');
  if (all === undefined) return false;
  if (all.length === 1 && (all[0] === 'true' || all[0] === 'false')) return all[0] === 'true';
  throw new BadRequest(`the query parameter \`explain\` is \`true\` or \`false\`, given once; got ${all.map((v) => `\`${v}\``).join(', ')}`);
}

export function checkRoutes(app: Hono<HttpEnv>, ctx: AppContext): void {
  // A key of the tenant without the checker role: a check of that tenant not answered.
  const refused = (who: Principal): void => ctx.metrics.checkErrors.inc({ tenant: who.tenant, status: '403' });
  // The caller is authorized in the handler, not by guard(): a route with one handler skips
  // Hono's middleware composition (with the app's response counter, ~3 µs a check in process).
  app.post('/api/v1/governance/check', async (c) => {
    const { tenant } = await authorize(c.req.raw, ctx, 'checker', refused);
    const [recorded] = await measured(ctx, tenant, async () => {
      const explain = explainParam(c); // inside: a bad value is counted as a check error
      // Read before an in-flight slot is taken: a slow upload holds none (on Node the body is
      // read before the app runs at all).
      const body = await readJsonBody(c.req.raw, ctx.limits, ctx.preReadBody(c.env));
      return ctx.lifecycle.run(async () => {
        await ctx.checkTurn?.(); // at once unless the adapter defers (AppDeps.checkTurn)
        refuseWhileLogFailing(ctx, tenant);
        const decision = await evaluate(ctx, tenant, body, explain);
        return signAndRecord(ctx, tenant, [decision]);
      }, 1, tenant);
    });
    return c.body(recorded.json, 200, jsonType());
  });

  app.post('/api/v1/governance/check/batch', async (c) => {
    const { tenant } = await authorize(c.req.raw, ctx, 'checker', refused);
    const recorded = await measured(ctx, tenant, async () => {
      const explain = explainParam(c);
      const body = await readBatch(c.req.raw, ctx, ctx.preReadBody(c.env)); // before a slot, as for a check
      // A slot for each request: a batch's decisions are held, and its work shares the event
      // loop, until all are answered (Lifecycle.run).
      const size = isObject(body) && Array.isArray(body.requests) ? body.requests.length : 1;
      return ctx.lifecycle.run(async () => {
        await ctx.checkTurn?.(); // at once unless the adapter defers (AppDeps.checkTurn)
        if (!isObject(body) || !Array.isArray(body.requests) || Object.keys(body).length !== 1) {
          throw new BadRequest('a batch is `{"requests": [...]}` and nothing else');
        }
        // Every request is checked for shape before any is evaluated, so a bad item refuses
        // the whole batch with nothing decided: no decision half-answered, and no rate-limit
        // token taken by a batch that leaves no trace (a bucket could be drained that way).
        for (const [i, request] of body.requests.entries()) validate(ctx, request, `requests[${i}]`);
        refuseWhileLogFailing(ctx, tenant);
        const evaluated = [];
        let since = performance.now();
        for (const [i, request] of body.requests.entries()) {
          evaluated.push(await evaluate(ctx, tenant, request, explain, `requests[${i}]`));
          // Every tenant's requests share one event loop: a batch of costly checks (each within
          // its glob budget) hands it over every few milliseconds instead of holding it for
          // seconds. A rule change that lands meanwhile applies to the later items (each
          // decision names its policy_version).
          if (performance.now() - since > BATCH_SLICE_MS) {
            await new Promise((r) => setTimeout(r, 0));
            since = performance.now();
          }
        }
        return signAndRecord(ctx, tenant, evaluated);
      }, size, tenant);
    });
    return c.body(`{"decisions":[${recorded.map((r) => r.json).join(',')}]}`, 200, jsonType());
  });
}

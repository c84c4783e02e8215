// Audit routes (SPEC §6, §8, role auditor), always on the caller's own tenant log: a decision
// id from another tenant is simply not in it (404), whatever the caller guesses.

import type { Hono } from 'hono';
import { AuditRangeError } from '../audit-port.js';
import type { AppContext, HttpEnv } from '../deps.js';
import { guard } from '../guard.js';
import { BadRequest, NotFound } from '../problem.js';

const MAX_PAGE = 1000;

/** A non-negative integer query parameter; `fallback` when absent. */
function intParam(value: string | undefined, name: string, fallback: number | undefined, min: number): number {
  if (value === undefined) {
    if (fallback === undefined) throw new BadRequest(`the query parameter \`${name}\` is required`);
    return fallback;
  }
  if (!/^\d{1,15}$/.test(value) || Number(value) < min) throw new BadRequest(`\`${name}\` must be an integer ≥ ${min}`);
  return Number(value);
}

function rangeErrors<T>(work: () => Promise<T>): Promise<T> {
  return work().catch((err: unknown) => {
    throw err instanceof AuditRangeError ? new BadRequest(err.message) : err;
  });
}

export function auditRoutes(app: Hono<HttpEnv>, ctx: AppContext): void {
  const auditor = guard(ctx, 'auditor');

  app.get('/api/v1/audit', auditor, async (c) => {
    const { tenant } = c.get('principal');
    const from = intParam(c.req.query('from'), 'from', 0, 0);
    const limit = Math.min(intParam(c.req.query('limit'), 'limit', 100, 1), MAX_PAGE);
    const treeSize = await ctx.audit.size(tenant);
    const entries = from >= treeSize ? [] : await ctx.audit.entries(tenant, from, limit);
    return c.json({ tenant, tree_size: treeSize, from, entries });
  });

  app.get('/api/v1/audit/export', auditor, (c) => {
    const { tenant } = c.get('principal');
    const encoder = new TextEncoder();
    const iterator = ctx.audit.export(tenant)[Symbol.asyncIterator]();
    // Lines are already canonical JSON text: streamed as stored, never re-serialized.
    // Streamed: the log can be far larger than memory. A store failure mid-stream cannot change
    // the status any more, so the stream is aborted and the client sees a truncated body.
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const next = await iterator.next();
          if (next.done) controller.close();
          else controller.enqueue(encoder.encode(next.value));
        } catch (err) {
          ctx.logger.error('audit export failed', { tenant, error: err });
          controller.error(err);
        }
      },
      async cancel() {
        await iterator.return?.();
      },
    });
    return c.body(stream, 200, { 'content-type': 'application/jsonl; charset=utf-8', 'content-disposition': `attachment; filename="audit-${tenant}.jsonl"` });
  });

  app.get('/api/v1/audit/checkpoint', auditor, async (c) => c.json(await ctx.audit.checkpoint(c.get('principal').tenant)));

  app.get('/api/v1/audit/proof/:decision_id', auditor, async (c) => {
    const { tenant } = c.get('principal');
    const id = c.req.param('decision_id');
    const treeSize = c.req.query('tree_size');
    const size = treeSize === undefined ? undefined : intParam(treeSize, 'tree_size', undefined, 1);
    const proof = await rangeErrors(() => ctx.audit.proof(tenant, id, size));
    if (proof === undefined) throw new NotFound(`no decision \`${id}\` in this tenant's log${size === undefined ? '' : ` within its first ${size} entries`}`);
    return c.json(proof);
  });

  app.get('/api/v1/audit/consistency', auditor, async (c) => {
    const { tenant } = c.get('principal');
    const first = intParam(c.req.query('first'), 'first', undefined, 1);
    const second = intParam(c.req.query('second'), 'second', undefined, 1);
    if (first > second) throw new BadRequest('`first` must not be larger than `second`');
    return c.json(await rangeErrors(() => ctx.audit.consistency(tenant, first, second)));
  });
}

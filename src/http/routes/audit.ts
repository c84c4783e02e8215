// Audit routes (SPEC §6, §8, role auditor), always on the caller's own tenant log: a decision
// id from another tenant is simply not in it (404), whatever the caller guesses.

import type { Context, Hono } from 'hono';
import { LeafReadBackError } from '../../audit/merkle-tree.js';
import { AuditStoreError } from '../../audit/store.js';
import { AuditRangeError } from '../audit-port.js';
import type { AppContext, HttpEnv } from '../deps.js';
import { guard } from '../guard.js';
import { BadRequest, HttpProblem, NotFound, Overloaded, StoreUnavailable } from '../problem.js';

const MAX_PAGE = 1000;
/**
 * Exports streaming at once, per tenant and in all: each holds a read buffer and the log's file
 * for as long as its client keeps the connection, reading or not (a review, 11-29: 1 000
 * stalled exports held 1.3 GB; with the connection cap's 10 000, ~11 GB).
 */
export const MAX_EXPORTS_PER_TENANT = 4;
export const MAX_EXPORTS = 32;

/** A non-negative integer query parameter; `fallback` when absent. */
function intParam(value: string | undefined, name: string, fallback: number | undefined, min: number): number {
  if (value === undefined) {
    if (fallback === undefined) throw new BadRequest(`the query parameter \`${name}\` is required`);
    return fallback;
  }
  // One spelling per number (no leading zeros, signs or exponents), as in the JSON we sign.
  // At most 15 digits (said, so that a 20-digit value is not told it is not an integer).
  if (!/^(?:0|[1-9]\d{0,14})$/.test(value) || Number(value) < min) throw new BadRequest(`\`${name}\` must be an integer ≥ ${min} of at most 15 digits, in decimal without leading zeros`);
  return Number(value);
}

/** A query parameter given at most once: `?tree_size=10&tree_size=20` is refused, not read as its first. */
function single(c: Context, name: string): string | undefined {
  const all = c.req.queries(name);
  if (all !== undefined && all.length > 1) throw new BadRequest(`the query parameter \`${name}\` is given ${all.length} times`);
  return all?.[0];
}

function rangeErrors<T>(work: () => Promise<T>): Promise<T> {
  return work().catch((err: unknown) => {
    throw err instanceof AuditRangeError ? new BadRequest(err.message) : err;
  });
}

/** A store that failed or cannot be read (ENOSPC, EIO, a damaged log that will not open). */
function isStoreFailure(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof AuditStoreError || err instanceof LeafReadBackError || (typeof code === 'string' && /^E[A-Z]+$/.test(code));
}

export function auditRoutes(app: Hono<HttpEnv>, ctx: AppContext): void {
  const exports = new ExportSlots();
  const auditor = guard(ctx, 'auditor');

  /** Reads the tenant's log; a store that failed is 503, as it is for checks (SPEC §8), not 500. */
  async function fromStore<T>(tenant: string, work: () => Promise<T>, unavailable = 'the audit log of this tenant is unavailable; try again later'): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (err instanceof HttpProblem || !isStoreFailure(err)) throw err;
      ctx.logRepeated(`audit-read:${tenant}`, 'audit read failed', { tenant, error: err });
      // Entries that no longer hash to the tree (the file changed under the running server):
      // a proof from them would be wrong, so none is given (not a 500 "nothing was approved").
      const retryAfter = ctx.audit.retryAfterSeconds(tenant);
      if (err instanceof LeafReadBackError) throw new StoreUnavailable('the audit log of this tenant does not read back as it was written (changed on disk?); no proof is given from it; `mge audit verify` tells more', retryAfter);
      throw new StoreUnavailable(unavailable, retryAfter);
    }
  }

  app.get('/api/v1/audit', auditor, async (c) => {
    const { tenant } = c.get('principal');
    const from = intParam(single(c, 'from'), 'from', 0, 0);
    const limit = Math.min(intParam(single(c, 'limit'), 'limit', 100, 1), MAX_PAGE);
    return c.json(await fromStore(tenant, async () => {
      const treeSize = await ctx.audit.size(tenant);
      const entries = from >= treeSize ? [] : await ctx.audit.entries(tenant, from, limit);
      return { tenant, tree_size: treeSize, from, entries };
    }));
  });

  app.get('/api/v1/audit/export', auditor, async (c) => {
    const { tenant } = c.get('principal');
    const headers = { 'content-type': 'application/jsonl; charset=utf-8', 'content-disposition': `attachment; filename="audit-${tenant}.jsonl"` };
    // HEAD runs this handler and drops the body without cancelling it: no stream, no slot (a
    // re-review, 11-29: four HEADs held a tenant's slots until a restart). The log is opened,
    // so a log that cannot be read is 503 here too, as its GET would be (a review, 11-29).
    if (c.req.method === 'HEAD') {
      await fromStore(tenant, () => ctx.audit.size(tenant));
      return c.body(null, 200, headers);
    }
    const encoder = new TextEncoder();
    const release = exports.take(tenant);
    const iterator = ctx.audit.export(tenant)[Symbol.asyncIterator]();
    // The first line is read before answering, so a log that cannot be read is a 503, not an
    // empty 200 whose stream breaks.
    let first: IteratorResult<string> | undefined;
    try {
      first = await fromStore(tenant, () => iterator.next());
    } catch (err) {
      release();
      throw err;
    }
    // Lines are already canonical JSON text: streamed as stored, never re-serialized.
    // Streamed: the log can be far larger than memory. A store failure mid-stream cannot change
    // the status any more, so the stream is aborted and the client sees a truncated body.
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const next = first ?? (await iterator.next());
          first = undefined;
          if (next.done) {
            release();
            controller.close();
          } else controller.enqueue(encoder.encode(next.value));
        } catch (err) {
          release();
          ctx.logger.error('audit export failed', { tenant, error: err });
          controller.error(err);
        }
      },
      // The client went away (the server cancels the body) or stopped reading until cut.
      async cancel() {
        release();
        await iterator.return?.();
      },
    });
    return c.body(stream, 200, headers);
  });

  app.get('/api/v1/audit/checkpoint', auditor, async (c) => {
    const { tenant } = c.get('principal');
    // A checkpoint is kept (written beside the log) before it is given: a checkpoints file that
    // cannot be written fails this route and no check.
    return c.json(await fromStore(tenant, () => ctx.audit.checkpoint(tenant), 'the audit log of this tenant, or the checkpoints file kept beside it, is unavailable; try again later'));
  });

  app.get('/api/v1/audit/proof/:decision_id', auditor, async (c) => {
    const { tenant } = c.get('principal');
    const id = c.req.param('decision_id');
    const treeSize = single(c, 'tree_size');
    const size = treeSize === undefined ? undefined : intParam(treeSize, 'tree_size', undefined, 1);
    const proof = await fromStore(tenant, () => rangeErrors(() => ctx.audit.proof(tenant, id, size)));
    if (proof === undefined) throw new NotFound(`no decision \`${id}\` in this tenant's log${size === undefined ? '' : ` within its first ${size} entries`}`);
    return c.json(proof);
  });

  app.get('/api/v1/audit/consistency', auditor, async (c) => {
    const { tenant } = c.get('principal');
    const first = intParam(single(c, 'first'), 'first', undefined, 1);
    const second = intParam(single(c, 'second'), 'second', undefined, 1);
    if (first > second) throw new BadRequest('`first` must not be larger than `second`');
    return c.json(await fromStore(tenant, () => rangeErrors(() => ctx.audit.consistency(tenant, first, second))));
  });
}

/** Exports streaming now, per tenant; take() refuses past the caps (429) and gives a release to call once. */
class ExportSlots {
  private total = 0;
  private readonly byTenant = new Map<string, number>();

  take(tenant: string): () => void {
    const held = this.byTenant.get(tenant) ?? 0;
    if (held >= MAX_EXPORTS_PER_TENANT) throw new Overloaded(`${held} exports of this tenant's audit log are streaming; at most ${MAX_EXPORTS_PER_TENANT} at once: try again once one ends`, 5);
    if (this.total >= MAX_EXPORTS) throw new Overloaded(`${this.total} audit exports are streaming; at most ${MAX_EXPORTS} at once: try again once one ends`, 5);
    this.total++;
    this.byTenant.set(tenant, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      const left = this.byTenant.get(tenant)! - 1;
      if (left === 0) this.byTenant.delete(tenant);
      else this.byTenant.set(tenant, left);
    };
  }
}

// MGEClient: the agent side of SPEC §8. Checks and receipt verifications are sent once (they
// have effects: an audit entry, rate-limit tokens, a consumed nonce); reads are retried.

import type { Json } from '../ir/types.js';
import { computeActionHash } from '../receipt/decision-hash.js';
import { AuditApi } from './audit-api.js';
import { MGEConfigError, MGEProtocolError } from './errors.js';
import { guard, type GuardedFn, type GuardOptions, type Describe } from './guard.js';
import { RulesApi } from './rules-api.js';
import { batchOf, DECISION, JWKS, VERIFY_RESULT } from './shapes.js';
import { Transport, type TransportOptions } from './transport.js';
import type { Action, CheckInput, CheckOptions, CheckResult, Context, Decision, Jwks, ServerVerifyResult } from './types.js';

export interface MGEClientOptions extends TransportOptions {
  /**
   * The tenant this client's key belongs to: given, a decision of another tenant (a proxy that
   * routed the check with another key) is refused like one of another action.
   */
  tenant?: string;
}

const CHECK_PATH = '/api/v1/governance/check';
const BATCH_PATH = `${CHECK_PATH}/batch`;

export class MGEClient {
  readonly rules: RulesApi;
  readonly audit: AuditApi;
  private readonly t: Transport;
  private readonly tenant: string | undefined;

  /**
   * @example
   * const client = new MGEClient('http://127.0.0.1:8080', { apiKey: process.env.MGE_API_KEY })
   */
  constructor(baseUrl: string | URL, opts: MGEClientOptions = {}) {
    this.t = new Transport(baseUrl, opts);
    if (opts.tenant !== undefined && (typeof opts.tenant !== 'string' || opts.tenant === '')) {
      throw new MGEConfigError('MGEClient: `tenant` is the tenant of the client\'s key, a non-empty string; leave it out to accept any');
    }
    this.tenant = opts.tenant;
    this.rules = new RulesApi(this.t);
    this.audit = new AuditApi(this.t);
  }

  /**
   * Asks whether `action` may run. Resolves with the decision whether approved or not; throws
   * when there is no decision (typed HTTP, timeout or network errors), or when the decision is
   * not this request's (its `action_hash` or `audience` another's: MGEProtocolError).
   *
   * @example
   * const d = await client.checkCompliance({ type: 'db.write', table: 'users' }, { environment: 'production' })
   * if (!d.approved) console.log(d.reasoning, d.violations)
   */
  async checkCompliance(action: Action, context?: Context, opts: CheckOptions = {}): Promise<CheckResult> {
    const request = { action, context, audience: opts.audience };
    const decision = await this.t.json<CheckResult>({
      method: 'POST',
      path: CHECK_PATH,
      query: { explain: opts.explain ? 'true' : undefined },
      body: request,
      idempotent: false,
      signal: opts.signal,
    }, DECISION);
    // A caching or misrouted proxy's answer for another action would be believed.
    const problem = await notTheDecisionOf(decision, request, this.tenant);
    if (problem !== undefined) throw new MGEProtocolError('POST', this.t.baseUrl + CHECK_PATH, `the decision is not this request's (${problem}): refused`);
    return decision;
  }

  /**
   * Several checks in one round trip; decisions come back in request order, each checked to be
   * the decision of its request (its `action_hash` is that of the request as sent): a proxy or
   * server that answered them in another order would be believed.
   * @example const [a, b] = await client.checkBatch([{ action: 'file.read' }, { action: 'db.drop' }])
   */
  async checkBatch(requests: CheckInput[], opts: { explain?: boolean; signal?: AbortSignal } = {}): Promise<CheckResult[]> {
    const body = await this.t.json<{ decisions: CheckResult[] }>({
      method: 'POST',
      path: BATCH_PATH,
      query: { explain: opts.explain ? 'true' : undefined },
      body: { requests },
      idempotent: false,
      signal: opts.signal,
    }, batchOf(requests.length));
    for (const [i, d] of body.decisions.entries()) {
      const problem = await notTheDecisionOf(d, requests[i], this.tenant);
      if (problem !== undefined) {
        throw new MGEProtocolError('POST', this.t.baseUrl + BATCH_PATH, `decision ${i} is not the decision of request ${i} (${problem}): the batch is refused, not matched up`);
      }
    }
    return body.decisions;
  }

  /**
   * Server-side receipt verification (SPEC §5). A valid answer consumes the nonce: the same
   * receipt verifies once. Pass the action about to run to catch `action_mismatch`, and the
   * executor's own id as `audience` to refuse receipts meant for another.
   *
   * @example
   * const { valid, approved, reason } = await client.verify(decision, { action, context })
   * if (!(valid && approved)) throw new Error(`refusing to execute: ${reason ?? 'denied'}`)
   */
  verify(decision: Decision, opts: { action?: Action; context?: Context; audience?: string; signal?: AbortSignal } = {}): Promise<ServerVerifyResult> {
    return this.t.json<ServerVerifyResult>({
      method: 'POST',
      path: '/api/v1/receipts/verify',
      body: { decision, action: opts.action, context: opts.context, audience: opts.audience },
      idempotent: false,
      signal: opts.signal,
    }, VERIFY_RESULT);
  }

  /**
   * The server's public receipt keys (Ed25519), for offline `verifyReceipt`; HS256 secrets are
   * never published, so a server that signs only with HS256 returns an empty set.
   * @example const r = await verifyReceipt(decision, { jwks: await client.keys(), tenant: 'acme', action })
   */
  keys(): Promise<Jwks> {
    return this.t.json<Jwks>({ method: 'GET', path: '/api/v1/keys', idempotent: true }, JWKS);
  }

  /**
   * Wraps `fn` so that every call is described, checked, and its receipt verified before `fn`
   * runs; a denial throws `ActionDenied`, a bad receipt `ReceiptRejected`.
   *
   * @example
   * const drop = client.guard((t: string) => ({ action: { type: 'db.drop', table: t } }), dropTable)
   * await drop('users') // throws ActionDenied when a rule forbids it
   */
  guard<A extends unknown[], R>(describe: Describe<A>, fn: (...args: A) => R | Promise<R>, opts: GuardOptions = {}): GuardedFn<A, R> {
    return guard(this, describe, fn, opts);
  }
}

/**
 * Why `decision` is not the decision of `request`, or undefined when it is: its `action_hash`
 * must be that of the request as the server read it (the JSON text sent: an undefined member
 * dropped, a Date a string), and its `audience` the one asked for (action_hash does not cover
 * it: a batch of one action for two executors swapped its receipts), and its
 * tenant the client's when the client was told it.
 */
async function notTheDecisionOf(decision: CheckResult, request: object, tenant: string | undefined): Promise<string | undefined> {
  const sent = JSON.parse(JSON.stringify(request)) as { action: Json; context?: Json; audience?: string };
  if (tenant !== undefined && decision.tenant !== tenant) return `it is tenant \`${decision.tenant}\`'s, not \`${tenant}\`'s`;
  if (decision.action_hash !== (await computeActionHash(sent.action, sent.context))) return "its action_hash is another action's";
  if (decision.audience !== sent.audience) return `its audience is ${decision.audience === undefined ? 'none' : `\`${decision.audience}\``}, not ${sent.audience === undefined ? 'none' : `\`${sent.audience}\``}`;
  return undefined;
}

// In-flight work and shutdown. Every request that evaluates, signs or logs passes through
// `run`: past `maxInflight` concurrent checks the server answers 429 instead of queueing without
// bound (a batch counts each of its requests), and once draining starts new work gets 503
// while `drained()` waits for the rest, so SIGTERM never drops a decision that was already
// being answered.

import { Overloaded, ShuttingDown, StoreUnavailable } from './problem.js';

export class Lifecycle {
  private inflight = 0;
  /** In-flight units by tenant, for work run on a tenant's behalf. */
  private readonly byTenant = new Map<string, number>();
  /** The most one tenant may hold: three quarters of the limit. */
  private readonly tenantMax: number;
  /**
   * The last slots (a sixteenth), taken only by a tenant that holds fewer than a quarter of
   * them: a few checks of a tenant get in while others flood (with three quarters alone, two
   * flooding tenants filled every slot; a re-review, 11-29).
   */
  private readonly reserve: number;
  /** The most a tenant may hold and still take one of the last slots (at least 1: a small limit left none). */
  private readonly reserveHolder: number;
  private draining = false;
  /** Why new work is refused, when not because the server is stopping (its data directory lock lost). */
  private refusal: (() => Error) | undefined;
  private readonly idleWaiters: Array<() => void> = [];

  /**
   * `writable`, when given, is asked before each unit of work: false answers 503 (the Node
   * sidecar: its data directory lock not read back as its own for seconds, so no log, nonce or
   * rule file is written: else a paused server answers a receipt its successor has used).
   */
  constructor(readonly maxInflight = 4096, private readonly writable?: () => boolean) {
    this.tenantMax = maxInflight - Math.floor(maxInflight / 4);
    this.reserve = Math.floor(maxInflight / 16);
    this.reserveHolder = Math.max(1, Math.floor(this.reserve / 4));
  }

  get inFlight(): number {
    return this.inflight;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /**
   * Runs `work` as `weight` units of in-flight work (a batch: its number of requests), on
   * behalf of `tenant` when given: one tenant holds at most three quarters of the limit, so
   * a flood from one key leaves the others room (a batch larger than that takes that much,
   * and runs once its tenant has nothing else in flight). Until 11-29 a batch was one unit,
   * and no tenant was held back: a thousand batches of 1 024 requests from one checker key
   * ran at once, holding their decisions (2 GB) and the event loop (seconds a turn), and
   * every tenant's checks waited or got 503.
   * @example return lifecycle.run(() => answerCheck(c), 1, tenant)
   */
  async run<T>(work: () => Promise<T>, weight = 1, tenant?: string): Promise<T> {
    if (this.draining) throw this.refusal?.() ?? new ShuttingDown();
    if (this.writable?.() === false) throw new StoreUnavailable('this server has not read its data directory lock back as its own, or could not touch it, for seconds; nothing is written meanwhile', 1);
    // A weight that is not a count (NaN made `inflight` NaN for good: no limit, no drain) is one.
    const units = Math.min(Number.isSafeInteger(weight) && weight > 0 ? weight : 1, this.tenantMax);
    const held = tenant === undefined ? 0 : this.byTenant.get(tenant) ?? 0;
    const inReserve = this.inflight + units > this.maxInflight - this.reserve;
    if (this.inflight + units > this.maxInflight) throw new Overloaded(`more than ${this.maxInflight} checks in flight (a batch counts each of its requests)`);
    if (inReserve && held + units > this.reserveHolder) {
      throw new Overloaded(
        `${this.inflight} of ${this.maxInflight} check slots in use; the last ${this.reserve} go only to a tenant holding at most ${this.reserveHolder} (a batch counts each of its requests)`,
      );
    }
    if (tenant !== undefined && held + units > this.tenantMax) throw new Overloaded(`more than ${this.tenantMax} checks of this tenant in flight (a batch counts each of its requests)`);
    this.inflight += units;
    if (tenant !== undefined) this.byTenant.set(tenant, held + units);
    try {
      return await work();
    } finally {
      this.inflight -= units;
      if (tenant !== undefined) {
        const left = this.byTenant.get(tenant)! - units;
        if (left === 0) this.byTenant.delete(tenant);
        else this.byTenant.set(tenant, left);
      }
      if (this.inflight === 0) this.wakeIdle();
    }
  }

  /**
   * Refuses new work from now on and resolves once all started work has finished. `refusal`:
   * what new work is answered instead of "shutting down", when the server is not stopping but
   * can serve no more (the first one given stays).
   */
  drained(refusal?: () => Error): Promise<void> {
    this.draining = true;
    this.refusal ??= refusal;
    if (this.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private wakeIdle(): void {
    if (!this.draining) return;
    for (const wake of this.idleWaiters.splice(0)) wake();
  }
}

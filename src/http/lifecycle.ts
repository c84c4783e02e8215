// In-flight work and shutdown. Every request that evaluates, signs or logs passes through
// `run`: past `maxInflight` concurrent ones the server answers 429 instead of queueing without
// bound, and once draining starts new work gets 503 while `drained()` waits for the rest, so
// SIGTERM never drops a decision that was already being answered.

import { Overloaded, ShuttingDown, StoreUnavailable } from './problem.js';

export class Lifecycle {
  private inflight = 0;
  private draining = false;
  /** Why new work is refused, when not because the server is stopping (its data directory lock lost). */
  private refusal: (() => Error) | undefined;
  private readonly idleWaiters: Array<() => void> = [];

  /**
   * `writable`, when given, is asked before each unit of work: false answers 503 (the Node
   * sidecar: its data directory lock not read back as its own for seconds, so no log, nonce or
   * rule file is written: else a paused server answers a receipt its successor has used).
   */
  constructor(readonly maxInflight = 4096, private readonly writable?: () => boolean) {}

  get inFlight(): number {
    return this.inflight;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /**
   * Runs `work` as one unit of in-flight work.
   * @example return lifecycle.run(() => answerCheck(c))
   */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.draining) throw this.refusal?.() ?? new ShuttingDown();
    if (this.writable?.() === false) throw new StoreUnavailable('this server has not read its data directory lock back as its own for seconds; nothing is written meanwhile', 1);
    if (this.inflight >= this.maxInflight) throw new Overloaded(`more than ${this.maxInflight} requests in flight`);
    this.inflight++;
    try {
      return await work();
    } finally {
      this.inflight--;
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

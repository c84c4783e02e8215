// How far a Redis server's clock is from this process's steady clock, over the longest life of
// a used nonce. Redis expires keys by its own clock, so steps of it forward shorten every key's
// life by their sum; the shared state (node/redis-state.ts) begins a new epoch when the server's
// clock has run ahead of where it was in this window by more than half the nonce margin. Against
// the steady clock (and, in redis-state.ts, against the wall clock too: a step counts only when
// the server's clock ran ahead of both; a correction of this host's own clock moves only the
// wall one, a suspended host only the steady one, and neither shortens a key's life). The same
// window holds this host's wall clock to the steady one's pace after a step forward (wallAtMost).

/**
 * The longest a used nonce lives: a receipt's longest life (an hour), the skew before its issue
 * and after its expiry (an hour each at most), and a minute.
 */
const WINDOW_MS = 3 * 3_600_000 + 60_000;
/** Offsets are kept as the least of each minute. */
const SLOT_MS = 60_000;

/** The process's steady clock in milliseconds (never stepped, unlike Date.now()). */
export const steadyNow = (): number => performance.timeOrigin + performance.now();

export class ServerClockOffsets {
  private slots: Array<{ slot: number; least: number }> = [];

  constructor(private readonly steady: () => number = steadyNow) {}

  /** Notes an offset (the server's ms less the steady clock's) measured now. */
  note(offset: number): void {
    const slot = Math.floor(this.steady() / SLOT_MS);
    const last = this.slots.at(-1);
    if (last?.slot === slot) last.least = Math.min(last.least, offset);
    else this.slots.push({ slot, least: offset });
    const oldest = slot - Math.ceil(WINDOW_MS / SLOT_MS);
    while (this.slots.length > 0 && this.slots[0].slot < oldest) this.slots.shift();
  }

  /** The least offset in the window (the server's clock as far behind as it was); undefined before any. */
  least(): number | undefined {
    let least: number | undefined;
    for (const s of this.slots) least = least === undefined ? s.least : Math.min(least, s.least);
    return least;
  }

  /** Keeps `offset` alone (a new epoch: receipts from before it are refused anyway). */
  reset(offset: number): void {
    this.slots = [];
    this.note(offset);
  }
}

/**
 * The wall clock, but never ahead of where it was plus the steady time since, within the window
 * (the longest a used nonce lives): a step forward counts only once the window has passed. Used
 * nonces are dropped by it, so a clock stepped ahead and set back within the window has dropped
 * none early (a re-review, 11-29: dropped, their receipts were refused for the hour the clock
 * had run ahead, to keep them from verifying twice).
 */
export function wallAtMost(now: () => number = Date.now, steady: () => number = steadyNow): () => number {
  const lead = new ServerClockOffsets(steady); // the wall clock less the steady one
  return () => {
    const wall = now();
    lead.note(wall - steady());
    return Math.min(wall, steady() + lead.least()!);
  };
}

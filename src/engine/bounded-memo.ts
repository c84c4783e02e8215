// A memo per action type with two bounds: how many types it remembers, and how many elements
// their arrays (and their keys' characters) hold together. The count alone let memory grow
// with the rule set: with 10 000 unscoped rules every type's candidate list held all of them,
// and a caller sending new action types filled 4 096 such entries (~660 MB for one policy).
// Past either bound the memo starts again empty.

import { detached } from '../state/detached.js';

/** Distinct action types remembered. */
export const MEMO_LIMIT = 4096;
/** Array elements held across every remembered entry (4 Mi: at most 16 MB of Uint32). */
export const MEMO_UNITS = 1 << 22;

export class BoundedMemo<V> {
  private readonly entries = new Map<string, V>();
  private units = 0;

  get(key: string): V | undefined {
    return this.entries.get(key);
  }

  /**
   * `units`: how many array elements `value` holds. The key is kept as a copy: an action type
   * is a view of the check body it was parsed from, and 4 096 of them held ~268 MB of bodies
   * (src/state/detached.ts).
   */
  set(key: string, value: V, units: number): void {
    const total = units + key.length;
    if (this.entries.size >= MEMO_LIMIT || this.units + total > MEMO_UNITS) {
      this.entries.clear();
      this.units = 0;
    }
    this.entries.set(detached(key), value);
    this.units += total;
  }
}

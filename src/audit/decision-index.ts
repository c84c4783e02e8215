// Where each decision id sits in a log: for proofs by id and for refusing an id twice. It lives
// as long as the log, so its size per entry is what a long-running sidecar pays per decision.
// Ids the engine makes (`dec-` + 28 lowercase hex digits, increasing within a process:
// src/engine/decision-id.ts) are packed into four 28-bit words in append order and found by
// binary search: 24 bytes each, against about 85 for a Map entry and its string. Any other id,
// or one not above the last packed one (a clock set back across a restart), goes to a Map.

import { PagedArray } from './paged-array.js';

const HEX_DIGITS = 28;
const WORDS = 4; // 7 hex digits (28 bits) each
const PAGE_SLOTS = 4096;
const PREFIX = 'dec-';

export class DecisionIndex {
  /** The keys, WORDS words each, and slot for slot each key's position in the log. */
  private readonly keys = new PagedArray((n) => new Uint32Array(n), WORDS, PAGE_SLOTS);
  private readonly positions = new PagedArray((n) => new Float64Array(n), 1, PAGE_SLOTS);
  private packed = 0;
  private readonly others = new Map<string, number>();
  /** The key being looked up or added, parsed once (no allocation per call). */
  private readonly key = new Uint32Array(WORDS);
  /** The id `key` holds. */
  private parsedId: string | undefined;

  get size(): number {
    return this.packed + this.others.size;
  }

  get(id: string): number | undefined {
    if (this.parse(id)) {
      const slot = this.find();
      if (slot >= 0) return this.positions.page(slot)[this.positions.offset(slot)];
    }
    return this.others.get(id);
  }

  has(id: string): boolean {
    return this.get(id) !== undefined;
  }

  /** Records `id` at `index`; an id already present moves to the new index, as Map.set would. */
  set(id: string, index: number): void {
    if (this.parse(id)) {
      // The usual case: a new id above every packed one is appended without a search.
      if (this.aboveLast() && (this.others.size === 0 || !this.others.has(id))) {
        this.append(index);
        return;
      }
      const slot = this.find();
      if (slot >= 0) {
        this.positions.page(slot)[this.positions.offset(slot)] = index;
        return;
      }
    }
    this.others.set(id, index);
  }

  /** Parses an engine-made id into `key`; false for any other id. */
  private parse(id: string): boolean {
    // An append asks `has` and then `set` for the same id: parse it once.
    if (id === this.parsedId) return true;
    if (id.length !== PREFIX.length + HEX_DIGITS || !id.startsWith(PREFIX)) return false;
    this.parsedId = undefined; // `key` is overwritten below, even if `id` turns out not to parse
    let at = PREFIX.length;
    for (let w = 0; w < WORDS; w++) {
      let v = 0;
      for (let i = 0; i < 7; i++, at++) {
        const c = id.charCodeAt(at);
        // Lowercase only: 'A' and 'a' would pack alike but are different ids.
        const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1;
        if (d < 0) return false;
        v = v * 16 + d;
      }
      this.key[w] = v;
    }
    this.parsedId = id;
    return true;
  }

  private aboveLast(): boolean {
    return this.packed === 0 || this.compareKeyTo(this.packed - 1) > 0;
  }

  /** The packed slot holding `key`, or -1. Packed keys increase, so binary search finds it. */
  private find(): number {
    if (this.aboveLast()) return -1; // a new id, the usual lookup when appending
    let lo = 0;
    let hi = this.packed - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const c = this.compareKeyTo(mid);
      if (c === 0) return mid;
      if (c > 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  private compareKeyTo(slot: number): number {
    const keys = this.keys.page(slot);
    const at = this.keys.offset(slot);
    for (let w = 0; w < WORDS; w++) {
      const d = this.key[w] - keys[at + w];
      if (d !== 0) return d;
    }
    return 0;
  }

  private append(index: number): void {
    const slot = this.packed;
    this.keys.grow(slot);
    this.positions.grow(slot);
    this.keys.page(slot).set(this.key, this.keys.offset(slot));
    this.positions.page(slot)[this.positions.offset(slot)] = index;
    this.packed++;
  }
}

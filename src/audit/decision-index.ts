// Where each decision id sits in a log: for proofs by id and for refusing an id twice. It lives
// as long as the log, so what it keeps per entry is what a long-running sidecar pays per
// decision. Ids the engine makes (`dec-` + 28 lowercase hex digits, increasing within a
// process: src/engine/decision-id.ts) are not kept one by one: every 256th of them is kept as
// a sample (four 28-bit words and its log position), and an id between two samples is found
// by reading the entries between their positions back from the store. About 0.1 byte per
// entry, where a Map of id strings kept about 85. Engine ids that arrive below the last one
// (a batch's, made while it was evaluated and logged after single checks made later) are
// kept the same way in a second sequence, sampled also wherever their positions jump, so a
// range read back stays within one batch (a review, 11-29: in a Map, 15 % of a busy log's
// ids at ~110 bytes each, and past 2^24 of them the Map threw). Any other id, or an engine id
// below the last of both (an entry logged again, overlapping batches, a clock set back across
// a restart), goes to a Map.

import { PagedArray } from './paged-array.js';

const HEX_DIGITS = 28;
const WORDS = 4; // 7 hex digits (28 bits) each
const PAGE_SLOTS = 4096;
const PREFIX = 'dec-';
/** Engine ids between two samples: a lookup reads at most this many entries (and any others logged among them). */
export const IDS_PER_SAMPLE = 256;

/** The first log entry among [from, to) whose decision id is one of `ids`, and its position, if one is. */
export type FindIds = (ids: ReadonlySet<string>, from: number, to: number) => Promise<{ id: string; position: number } | undefined>;

/**
 * Engine ids recorded in increasing order at increasing log positions, in blocks: a block
 * begins at every IDS_PER_SAMPLE-th id and, with `splitAtJumps`, wherever the position is not
 * the one after the last, and keeps its first id (WORDS words), its first position and the
 * position after its last id. An id within a block's keys is found by reading that block's
 * positions back.
 */
class SampledIds {
  private readonly keys = new PagedArray((n) => new Uint32Array(n), WORDS, PAGE_SLOTS);
  /** Per block: its first position and the position after its last id. */
  private readonly spans = new PagedArray((n) => new Float64Array(n), 2, PAGE_SLOTS);
  private blocks = 0;
  private inBlock = 0;
  readonly last = new Uint32Array(WORDS);
  private lastPosition = -1;

  constructor(private readonly splitAtJumps: boolean) {}

  get empty(): boolean {
    return this.blocks === 0;
  }

  /** Whether `key` at `index` continues the sequence (above its last id, at a later position). */
  takes(key: Uint32Array, index: number): boolean {
    return this.blocks === 0 || (compare(key, 0, this.last, 0) > 0 && index > this.lastPosition);
  }

  add(key: Uint32Array, index: number): void {
    if (this.blocks === 0 || this.inBlock === IDS_PER_SAMPLE || (this.splitAtJumps && index !== this.lastPosition + 1)) {
      const b = this.blocks++;
      this.keys.grow(b);
      this.spans.grow(b);
      this.keys.page(b).set(key, this.keys.offset(b));
      this.spans.page(b)[this.spans.offset(b)] = index;
      this.inBlock = 0;
    }
    this.inBlock++;
    const b = this.blocks - 1;
    this.spans.page(b)[this.spans.offset(b) + 1] = index + 1;
    this.last.set(key);
    this.lastPosition = index;
  }

  /** The positions [from, to) that hold `key` if this sequence does: its block's (binary search: blocks begin at increasing keys). */
  range(key: Uint32Array): [number, number] {
    let lo = 0;
    let hi = this.blocks - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (compare(key, 0, this.keys.page(mid), this.keys.offset(mid)) >= 0) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    if (found < 0 || compare(key, 0, this.last, 0) > 0) return [0, 0]; // below the first id, or above the last
    const at = this.spans.offset(found);
    const span = this.spans.page(found);
    return [span[at], span[at + 1]];
  }
}

export class DecisionIndex {
  /** Engine ids above every earlier one: nearly all of a log's. */
  private readonly inOrder = new SampledIds(false);
  /** Engine ids below those when logged, above every earlier one of these (a batch's). */
  private readonly late = new SampledIds(true);
  private readonly others = new Map<string, number>();
  /** The key being looked up or added, parsed once (no allocation per call). */
  private readonly key = new Uint32Array(WORDS);
  /** The id `key` holds. */
  private parsedId: string | undefined;

  constructor(private readonly findIds: FindIds) {}

  /** The last engine id recorded in order (the largest), written back from its key. */
  get lastId(): string | undefined {
    if (this.inOrder.empty) return undefined;
    let id = PREFIX;
    for (let w = 0; w < WORDS; w++) id += this.inOrder.last[w].toString(16).padStart(7, '0');
    return id;
  }

  /**
   * Whether `id` is recorded, when that is known without reading entries back: a new engine
   * id (above the last one, the usual case when appending) is not; `undefined` means only
   * `get` can tell.
   */
  known(id: string): boolean | undefined {
    // Usually empty: skip hashing the id for nothing.
    if (this.others.size !== 0 && this.others.has(id)) return true;
    // Late ids were below the last in-order id when logged: above it, an id is in neither.
    if (!this.parse(id) || this.aboveLast()) return false;
    return undefined;
  }

  /**
   * The log position of `id`, reading entries back from the store when needed. An id recorded
   * more than once is found where it was recorded last: in `others` if it is there, else in
   * `late` (a repeat goes to a sequence above where it was, never below).
   */
  async get(id: string): Promise<number | undefined> {
    const other = this.others.get(id);
    if (other !== undefined) return other;
    if (!this.parse(id) || this.aboveLast()) return undefined;
    const ranges = [this.late.range(this.key), this.inOrder.range(this.key)];
    for (const [from, to] of ranges) {
      const found = from < to ? await this.findIds(new Set([id]), from, to) : undefined;
      if (found !== undefined) return found.position;
    }
    return undefined;
  }

  /**
   * One of `ids` that is recorded, if any, reading each range of entries back at most once: a
   * batch whose ids fell below the last one (other checks logged while it was evaluated) read
   * one range per id, up to 256 entries each, and every append of its tenant waited for that
   * (a 1 000-check batch beside 50 single checks took 10–25× its CPU).
   */
  async firstRecorded(ids: readonly string[]): Promise<string | undefined> {
    const ranges = new Map<number, { to: number; ids: Set<string> }>();
    for (const id of ids) {
      if (this.others.has(id)) return id;
      if (!this.parse(id) || this.aboveLast()) continue;
      for (const [from, to] of [this.late.range(this.key), this.inOrder.range(this.key)]) {
        if (from >= to) continue;
        // A range is one block of one sequence, named by its start (blocks of the two never
        // start at one position: a position holds one id).
        let range = ranges.get(from);
        if (range === undefined) ranges.set(from, (range = { to, ids: new Set() }));
        range.ids.add(id);
      }
    }
    for (const [from, range] of ranges) {
      const found = await this.findIds(range.ids, from, range.to);
      if (found !== undefined) return found.id;
    }
    return undefined;
  }

  /**
   * Records `id` at log position `index`; positions only grow. An id recorded again moves to
   * the new position, as Map.set would.
   */
  set(id: string, index: number): void {
    if (this.parse(id)) {
      // The usual case: a new engine id above every earlier one.
      if (this.inOrder.takes(this.key, index)) return this.inOrder.add(this.key, index);
      if (this.late.takes(this.key, index)) return this.late.add(this.key, index);
    }
    this.others.set(id, index);
  }

  /** Parses an engine-made id into `key`; false for any other id. */
  private parse(id: string): boolean {
    // An append asks `known` and then `set` for the same id: parse it once.
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
    return this.inOrder.empty || compare(this.key, 0, this.inOrder.last, 0) > 0;
  }
}

function compare(a: Uint32Array, at: number, b: Uint32Array, bt: number): number {
  for (let w = 0; w < WORDS; w++) {
    const d = a[at + w] - b[bt + w];
    if (d !== 0) return d;
  }
  return 0;
}

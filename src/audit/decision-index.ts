// Where each decision id sits in a log: for proofs by id and for refusing an id twice. It lives
// as long as the log, so what it keeps per entry is what a long-running sidecar pays per
// decision. Ids the engine makes (`dec-` + 28 lowercase hex digits, increasing within a
// process: src/engine/decision-id.ts) are not kept one by one: every 256th of them is kept as
// a sample (four 28-bit words and its log position), and an id between two samples is found
// by reading the entries between their positions back from the store. About 0.1 byte per
// entry, where a Map of id strings kept about 85. Any other id, or an engine id not above the
// last one (a clock set back across a restart, an entry logged again), goes to a Map.

import { PagedArray } from './paged-array.js';

const HEX_DIGITS = 28;
const WORDS = 4; // 7 hex digits (28 bits) each
const PAGE_SLOTS = 4096;
const PREFIX = 'dec-';
/** Engine ids between two samples: a lookup reads at most this many entries (and any others logged among them). */
export const IDS_PER_SAMPLE = 256;

/** The first log entry among [from, to) whose decision id is one of `ids`, and its position, if one is. */
export type FindIds = (ids: ReadonlySet<string>, from: number, to: number) => Promise<{ id: string; position: number } | undefined>;

export class DecisionIndex {
  /** Every IDS_PER_SAMPLE-th engine id, WORDS words each, and slot for slot its log position. */
  private readonly sampleKeys = new PagedArray((n) => new Uint32Array(n), WORDS, PAGE_SLOTS);
  private readonly samplePositions = new PagedArray((n) => new Float64Array(n), 1, PAGE_SLOTS);
  private samples = 0;
  /** Engine ids recorded in increasing order, the last one's key, and its log position. */
  private packed = 0;
  private readonly last = new Uint32Array(WORDS);
  private lastPosition = -1;
  private readonly others = new Map<string, number>();
  /** The key being looked up or added, parsed once (no allocation per call). */
  private readonly key = new Uint32Array(WORDS);
  /** The id `key` holds. */
  private parsedId: string | undefined;

  constructor(private readonly findIds: FindIds) {}

  /** The last engine id recorded in order (the largest), written back from its key. */
  get lastId(): string | undefined {
    if (this.packed === 0) return undefined;
    let id = PREFIX;
    for (let w = 0; w < WORDS; w++) id += this.last[w].toString(16).padStart(7, '0');
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
    if (!this.parse(id) || this.aboveLast()) return false;
    return undefined;
  }

  /** The log position of `id`, reading entries back from the store when needed. */
  async get(id: string): Promise<number | undefined> {
    const other = this.others.get(id);
    if (other !== undefined) return other;
    if (!this.parse(id) || this.aboveLast()) return undefined;
    const [from, to] = this.range();
    return from < to ? (await this.findIds(new Set([id]), from, to))?.position : undefined;
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
      const [from, to] = this.range();
      if (from >= to) continue;
      let range = ranges.get(from); // ranges run from one sample to the next: `from` names one
      if (range === undefined) ranges.set(from, (range = { to, ids: new Set() }));
      range.ids.add(id);
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
    // The usual case: a new engine id above every earlier one.
    if (this.parse(id) && this.aboveLast() && index > this.lastPosition) {
      if (this.packed % IDS_PER_SAMPLE === 0) {
        const s = this.samples++;
        this.sampleKeys.grow(s);
        this.samplePositions.grow(s);
        this.sampleKeys.page(s).set(this.key, this.sampleKeys.offset(s));
        this.samplePositions.page(s)[this.samplePositions.offset(s)] = index;
      }
      this.last.set(this.key);
      this.lastPosition = index;
      this.packed++;
      return;
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
    return this.packed === 0 || compare(this.key, 0, this.last, 0) > 0;
  }

  /**
   * The log positions [from, to) that hold `key` if any engine id recorded in order does: from
   * the last sample not above it up to the next sample. Sampled keys increase, so binary search.
   */
  private range(): [number, number] {
    let lo = 0;
    let hi = this.samples - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (compare(this.key, 0, this.sampleKeys.page(mid), this.sampleKeys.offset(mid)) >= 0) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    if (found < 0) return [0, 0]; // below the first engine id recorded
    const position = (s: number) => this.samplePositions.page(s)[this.samplePositions.offset(s)];
    return [position(found), found + 1 < this.samples ? position(found + 1) : this.lastPosition + 1];
  }
}

function compare(a: Uint32Array, at: number, b: Uint32Array, bt: number): number {
  for (let w = 0; w < WORDS; w++) {
    const d = a[at + w] - b[bt + w];
    if (d !== 0) return d;
  }
  return 0;
}

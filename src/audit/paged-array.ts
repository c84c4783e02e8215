// Fixed-width slots of numbers in typed-array pages, for what an audit log keeps per entry for
// as long as it runs (tree hashes, the decision index, line offsets). One growing buffer would
// be copied whole each time it fills: at millions of entries, tens of MiB on the event loop at
// once. Full pages are never copied; only the first page starts small (64 slots) and doubles up
// to a full one, so small logs and sparse tree levels stay small.

type NumberArray = Uint8Array | Uint32Array | Float64Array;

const FIRST_PAGE_SLOTS = 64;

export class PagedArray<T extends NumberArray> {
  private readonly pages: T[] = [];

  /**
   * @param create  a zeroed array of `length` elements
   * @param width   elements per slot
   * @param pageSlots  slots per full page
   */
  constructor(
    private readonly create: (length: number) => T,
    private readonly width: number,
    private readonly pageSlots: number,
  ) {}

  /** The array holding `slot`; its elements start at `offset(slot)`. */
  page(slot: number): T {
    return this.pages[Math.floor(slot / this.pageSlots)];
  }

  offset(slot: number): number {
    return (slot % this.pageSlots) * this.width;
  }

  /** Makes room for `slot`, the one after the last slot used. */
  grow(slot: number): void {
    const page = Math.floor(slot / this.pageSlots);
    const at = this.offset(slot);
    if (page === this.pages.length) {
      this.pages.push(this.create(this.width * (page === 0 ? Math.min(FIRST_PAGE_SLOTS, this.pageSlots) : this.pageSlots)));
    } else if (at === this.pages[page].length) {
      const bigger = this.create(Math.min(at * 2, this.width * this.pageSlots));
      bigger.set(this.pages[page]);
      this.pages[page] = bigger;
    }
  }
}

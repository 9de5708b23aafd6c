import { formatValue, RlistError } from "@rlist/encoding";

/**
 * The smallest view of a DMA list the consumers (segments, blocks) need: an allocation-free
 * forward cursor over `(dmaAddress, length)` pairs. `DmaRangeList` cursors implement it; plain
 * arrays do too, through {@link ArrayDmaCursor}, for tests and for callers without a list.
 */
export interface DmaEntryCursor {
  /** Back to the first entry; false when there is none. */
  reset(): boolean;
  /** To the next entry; false past the last one. */
  next(): boolean;
  /** DMA address of the current entry (a safe integer). */
  readonly dmaAddress: number;
  /** Length in bytes of the current entry. */
  readonly length: number;
}

/** A {@link DmaEntryCursor} over `[dmaAddress, length]` pairs. */
export class ArrayDmaCursor implements DmaEntryCursor {
  dmaAddress = 0;
  length = 0;
  private index = -1;

  /** `entries` is checked to be an array here; its pairs are read unchecked, one per next(). */
  constructor(private readonly entries: ReadonlyArray<readonly [number, number]>) {
    if (!Array.isArray(entries)) {
      throw new RlistError(
        "EINVAL",
        `entries must be an array of [dmaAddress, length], got ${formatValue(entries)}`,
      );
    }
  }

  reset(): boolean {
    this.index = -1;
    return this.next();
  }

  next(): boolean {
    const e = this.entries[++this.index];
    if (e === undefined) {
      this.index = this.entries.length;
      this.dmaAddress = 0;
      this.length = 0;
      return false;
    }
    this.dmaAddress = e[0];
    this.length = e[1];
    return true;
  }
}

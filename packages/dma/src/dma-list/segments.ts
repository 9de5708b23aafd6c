/**
 * Scatter/gather segment iteration over a DMA list: each entry is cut at every
 * `segmentBoundaryMask + 1` boundary and at `maxSegmentSize`, the way a driver programs
 * hardware descriptors (the prototype only sketched `rlist_dma_for_each_segment`; the split rule is
 * the block layer's get_max_segment_size()). Entries are never merged, so the count equals
 * {@link numSegments}.
 */

import { checkCursor } from "../args.js";
import type { DmaEntryCursor } from "./dma-entries.js";
import { cutSegment, type Segmentation, segmentsFor, validateSegmentation } from "./segmentation.js";

/**
 * The segments of a DMA list as a driver programs them (`rlist_dma_for_each_segment`, the
 * `for_each_sg` walk over a mapped scatterlist): allocation-free, fields valid while the last
 * `reset()` / `next()` returned true (docs/conventions.md#cursors). Not a bio's single-page
 * segments: those are `@rlist/bvec`'s `BioSegmentCursor`.
 */
export class DmaSegmentCursor {
  /** DMA address of the current segment. */
  dmaAddress = 0;
  /** Length of the current segment (> 0). */
  length = 0;
  /** Byte offset of the segment in the list (sum of the lengths before it). */
  position = 0;
  private entryLeft = 0;
  private readonly mask: number;
  private readonly maxSeg: number;

  constructor(
    private readonly entries: DmaEntryCursor,
    seg: Segmentation,
  ) {
    checkCursor("entries", entries);
    validateSegmentation(seg);
    this.mask = seg.segmentBoundaryMask;
    this.maxSeg = seg.maxSegmentSize;
  }

  reset(): boolean {
    this.position = 0;
    this.length = 0;
    return this.load(this.entries.reset());
  }

  next(): boolean {
    this.position += this.length;
    if (this.entryLeft !== 0) {
      this.dmaAddress += this.length;
      this.cut();
      return true;
    }
    return this.load(this.entries.next());
  }

  private load(ok: boolean): boolean {
    const e = this.entries;
    while (ok && e.length === 0) ok = e.next();
    if (!ok) {
      this.dmaAddress = 0;
      this.length = 0;
      this.entryLeft = 0;
      return false;
    }
    this.dmaAddress = e.dmaAddress;
    this.entryLeft = e.length;
    this.cut();
    return true;
  }

  private cut(): void {
    const len = cutSegment(this.dmaAddress, this.entryLeft, this.mask, this.maxSeg);
    this.length = len;
    this.entryLeft -= len;
  }
}

/** Like rlist_dma_num_segments() summed over a list: segments {@link DmaSegmentCursor} yields. */
export function numSegments(entries: DmaEntryCursor, seg: Segmentation): number {
  checkCursor("entries", entries);
  validateSegmentation(seg);
  let n = 0;
  for (let ok = entries.reset(); ok; ok = entries.next())
    n += segmentsFor(seg, entries.dmaAddress, entries.length);
  return n;
}

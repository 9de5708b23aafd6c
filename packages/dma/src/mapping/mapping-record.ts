/**
 * What a mapping took, kept apart from the DMA list the caller holds: the IOVA window, the
 * granule-aligned IOVA spans it programmed into the page table, and the swiotlb slots it bounced
 * through. `DmaMapping.unmap()` and the rollback of a failed map release exactly this record, so
 * nothing the caller does to the list can make them unmap another mapping's pages (the way
 * dma-debug keeps its own hash of every mapping in kernel/dma/debug.c instead of trusting the
 * driver's scatterlist).
 *
 * The record costs no object per entry: the linear path's one IOVA span lives in two numbers,
 * the per-entry path's spans and the bounce slots in growable typed arrays.
 */
import type { IommuDomain } from "../iommu/iommu-domain.js";
import type { DmaDirection } from "./direction.js";
import type { SwiotlbPool } from "./swiotlb.js";

const NO_PAIRS = new Float64Array(0);

/**
 * Granule-aligned IOVA spans in the order they were mapped; a span that starts where the last one
 * ended extends it (so one page list is one span, unmapped in one call).
 */
export class IovaSpanLog {
  /** Closed spans as (start, length) pairs. */
  #pairs: Float64Array = NO_PAIRS;
  #closed = 0;
  /** The open (last) span; start -1 when there is none. */
  #start = -1;
  #end = -1;

  /** Spans recorded. */
  get count(): number {
    return this.#closed + (this.#start >= 0 ? 1 : 0);
  }

  /** Bytes recorded. */
  get bytes(): number {
    let n = this.#start >= 0 ? this.#end - this.#start : 0;
    for (let i = 0; i < this.#closed; i++) n += this.#pairs[2 * i + 1]!;
    return n;
  }

  /** Makes room for `spans` spans without growing again (the per-entry path knows its entries). */
  reserve(spans: number): void {
    if (this.#pairs.length < 2 * spans) this.#grow(spans);
  }

  push(start: number, length: number): void {
    if (start === this.#end) {
      this.#end += length;
      return;
    }
    if (this.#start >= 0) {
      if (this.#pairs.length < 2 * (this.#closed + 1)) this.#grow(2 * this.#closed + 4);
      this.#pairs[2 * this.#closed] = this.#start;
      this.#pairs[2 * this.#closed + 1] = this.#end - this.#start;
      this.#closed++;
    }
    this.#start = start;
    this.#end = start + length;
  }

  /**
   * Forgets every recorded byte at or after `end` (spans starting there go, the one across it is
   * cut): undoes the tail a failed entry had recorded before it failed.
   */
  trimEnd(end: number): void {
    while (this.#start >= 0 && this.#start >= end) {
      if (this.#closed === 0) {
        this.#start = -1;
        this.#end = -1;
        return;
      }
      this.#closed--;
      this.#start = this.#pairs[2 * this.#closed]!;
      this.#end = this.#start + this.#pairs[2 * this.#closed + 1]!;
    }
    if (this.#start >= 0 && this.#end > end) this.#end = end;
  }

  /** Start of span `i` (0 <= i < count). */
  start(i: number): number {
    return i === this.#closed ? this.#start : this.#pairs[2 * i]!;
  }

  /** Length of span `i`. */
  length(i: number): number {
    return i === this.#closed ? this.#end - this.#start : this.#pairs[2 * i + 1]!;
  }

  #grow(spans: number): void {
    const next = new Float64Array(2 * spans);
    next.set(this.#pairs.subarray(0, 2 * this.#closed));
    this.#pairs = next;
  }
}

/**
 * IOVA windows of a mapping that gives every entry its own (an untrusted device's per-entry path,
 * like iommu_dma_map_sg_swiotlb()), as (start, size) pairs, each mapped whole.
 */
export class WindowLog {
  #pairs: Float64Array = NO_PAIRS;
  count = 0;

  push(start: number, size: number): void {
    if (this.#pairs.length < 2 * (this.count + 1)) {
      const next = new Float64Array(2 * (2 * this.count + 2));
      next.set(this.#pairs.subarray(0, 2 * this.count));
      this.#pairs = next;
    }
    this.#pairs[2 * this.count] = start;
    this.#pairs[2 * this.count + 1] = size;
    this.count++;
  }

  start(i: number): number {
    return this.#pairs[2 * i]!;
  }

  size(i: number): number {
    return this.#pairs[2 * i + 1]!;
  }
}

/** Swiotlb slots as (list position, bounce address, length) triples. */
export class BounceLog {
  #triples: Float64Array = NO_PAIRS;
  count = 0;

  push(position: number, tlb: number, length: number): void {
    if (this.#triples.length < 3 * (this.count + 1)) {
      const next = new Float64Array(3 * (2 * this.count + 2));
      next.set(this.#triples.subarray(0, 3 * this.count));
      this.#triples = next;
    }
    const at = 3 * this.count++;
    this.#triples[at] = position;
    this.#triples[at + 1] = tlb;
    this.#triples[at + 2] = length;
  }

  /** Byte position of bounce `i` in the DMA list. */
  position(i: number): number {
    return this.#triples[3 * i]!;
  }

  /** Bounce address (the swiotlb slot address `swiotlb_tbl_map_single()` returned). */
  tlb(i: number): number {
    return this.#triples[3 * i + 1]!;
  }

  length(i: number): number {
    return this.#triples[3 * i + 2]!;
  }
}

/** @internal The private record of one mapping (see the module comment). */
export class MappingRecord {
  /** IOVA window start, -1 without one. */
  iova = -1;
  /** IOVA window size in bytes (the allocation's size). */
  iovaSize = 0;
  readonly iovaSpans = new IovaSpanLog();
  /** Per-entry IOVA windows (untrusted devices); the single window above is then unused. */
  readonly windows = new WindowLog();
  readonly bounces = new BounceLog();
  /** DMA list entries at map time (what cache maintenance of a non-coherent device walks). */
  entries = 0;
  /** Bytes mapped (the DMA list's length at map time). */
  bytes = 0;

  /**
   * Unmaps every recorded IOVA span and frees the window: the release half of __iommu_dma_unmap()
   * in drivers/iommu/dma-iommu.c. With `queue` (an unmap, not a rollback) a lazy domain parks the
   * window on its flush queue and leaves the IOTLB alone; otherwise one IOTLB sync, then the free.
   */
  releaseIova(domain: IommuDomain, queue = false): void {
    const spans = this.iovaSpans;
    const gather = domain.gatherInit(queue && this.iova >= 0);
    for (let i = 0; i < spans.count; i++) domain.unmapFast(spans.start(i), spans.length(i), gather);
    if (spans.count !== 0 && !gather.queued) domain.iotlbSync(gather);
    if (this.iova >= 0) domain.dmaFreeIova(this.iova, this.iovaSize, gather);
    // Per-entry windows: one __iommu_dma_unmap() each, as iommu_dma_unmap_sg_swiotlb() does.
    const w = this.windows;
    for (let i = 0; i < w.count; i++) {
      const g = domain.gatherInit(queue);
      domain.unmapFast(w.start(i), w.size(i), g);
      if (!g.queued) domain.iotlbSync(g);
      domain.dmaFreeIova(w.start(i), w.size(i), g);
    }
  }

  /**
   * Returns every recorded bounce slot (swiotlb_tbl_unmap_single()): `dir` FROM_DEVICE or
   * BIDIRECTIONAL copies the device's writes back first; a rollback passes "to-device" (no copy).
   */
  releaseBounces(swiotlb: SwiotlbPool, dir: DmaDirection, minAlignMask: number): void {
    const b = this.bounces;
    for (let i = 0; i < b.count; i++) swiotlb.unmap(b.tlb(i), b.length(i), dir, minAlignMask);
  }
}

import type { FolioLookup } from "../../src/rdma/pin-table.js";

/**
 * A small stand-in for PhysicalMemory's folio view: `nrPages` frames, declared large folios by
 * head pfn, and frames without struct page (holes). Used where a test needs only folio geometry.
 */
export class FakeFolios implements FolioLookup {
  readonly pageSize = 4096;
  readonly orders = new Map<number, number>();
  constructor(
    readonly nrPages: number,
    readonly holes: ReadonlySet<number> = new Set(),
  ) {}

  declare(pfn: number, order: number): this {
    this.orders.set(pfn, order);
    return this;
  }

  folioHead(pfn: number): number {
    if (pfn >= this.nrPages || this.holes.has(pfn)) return -1;
    for (const [head, order] of this.orders) if (pfn >= head && pfn < head + 2 ** order) return head;
    return pfn;
  }

  folioOrder(headPfn: number): number {
    return this.orders.get(headPfn) ?? 0;
  }
}

import type { P2pProvider } from "../pci/p2p-provider.js";

/**
 * A ZONE_DEVICE page map (`struct dev_pagemap`): a range of device memory with struct pages.
 * Here always the P2P kind (`MEMORY_DEVICE_PCI_P2PDMA`), so it names its provider.
 * Ordinary RAM has no pgmap (`null`), as `page->pgmap` is unset for it in the kernel.
 */
export interface Pgmap {
  /** 1, 2, ... in creation order; 0 is reserved for "ordinary RAM". */
  readonly id: number;
  readonly startPfn: number;
  readonly nrPages: number;
  readonly provider: P2pProvider;
}

/**
 * A folio: `2^order` naturally aligned, physically contiguous pages headed by `pfn`.
 * Compare folios by `pfn` (order-0 folios are created on lookup, so two lookups of one page give
 * equal, not identical, objects).
 */
export interface Folio {
  readonly pfn: number;
  readonly order: number;
  readonly nrPages: number;
  /** The P2P provider's pgmap for ZONE_DEVICE pages, null for ordinary RAM. */
  readonly pgmap: Pgmap | null;
}

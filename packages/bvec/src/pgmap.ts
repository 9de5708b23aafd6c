/**
 * What the bio model needs to know about a page frame: which ZONE_DEVICE `dev_pagemap` it
 * belongs to, if any. The kernel reads it from `struct page`; the model asks a lookup.
 */
import { formatValue, RlistError } from "@rlist/encoding";
import { checkSafe } from "./checks.js";

/**
 * Maps a PFN to its pgmap identity: 0 for ordinary RAM, >= 1 for a ZONE_DEVICE pgmap, -1 for a
 * frame with no struct page (which can never be in a bio). Two pages may share a bio only if their
 * identities are equal, like `zone_device_pages_have_same_pgmap()`. `PhysicalMemory` from
 * `@rlist/dma` is one.
 */
export interface PgmapLookup {
  pgmapIdOf(pfn: number): number;
}

/** Every page is ordinary RAM. */
export const NO_PGMAP: PgmapLookup = Object.freeze({
  pgmapIdOf(pfn: number): number {
    checkSafe("pfn", pfn);
    return 0;
  },
});

/** A pgmap identity: -1 (no struct page), 0 (RAM) or a ZONE_DEVICE pgmap's number. */
function checkPgmapId(name: string, id: number): void {
  if (!Number.isSafeInteger(id) || id < -1) {
    throw new RlistError("EINVAL", `${name} ${formatValue(id)} is not a pgmap identity (-1, 0 or above)`);
  }
}

/**
 * `addPage` refused a page whose pgmap differs from the bio's: the bio would mix P2P kinds or
 * providers. The kernel's `bio_add_page()` returns 0 here; the caller submits the bio and starts
 * a new one.
 */
export class P2pMixError extends RlistError {
  /** pgmap identity of the pages already in the bio. */
  readonly bioPgmap: number;
  /** pgmap identity of the refused page. */
  readonly pagePgmap: number;

  constructor(bioPgmap: number, pagePgmap: number, pfn: number) {
    checkPgmapId("bioPgmap", bioPgmap);
    checkPgmapId("pagePgmap", pagePgmap);
    checkSafe("pfn", pfn);
    super(
      "EINVAL",
      `page ${formatValue(pfn)} (pgmap ${formatValue(pagePgmap)}) cannot join a bio of pgmap ${formatValue(bioPgmap)}: one bio never mixes P2P kinds or providers`,
    );
    this.bioPgmap = bioPgmap;
    this.pagePgmap = pagePgmap;
  }
}

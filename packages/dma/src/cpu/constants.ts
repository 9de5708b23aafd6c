/**
 * Stored entry types (the 2-bit `type` of the underlying range list):
 * - 3: page-aligned folio run, base = first pfn, length in pages (8 bytes for pfn < 2^32 and
 *   fewer than 2^28 pages, i.e. 1 TiB of 4K pages) - the prototype's `RLIST_CPU_MEM_FOLIO_PFN`;
 * - 0: other folio ranges, base = pfn of the first byte's page, offset = byte offset in that page,
 *   length in bytes;
 * - 1: physical ranges, base = phys, extra = provider id (0: none), length in bytes.
 */
export const STORED_FOLIO_BYTES = 0;
export const STORED_PHYSICAL = 1;
export const STORED_FOLIO_PAGES = 3;

/** Pending-entry kinds. */
export const PENDING_NONE = 0;
export const PENDING_FOLIO = 1;
export const PENDING_PHYSICAL = 2;

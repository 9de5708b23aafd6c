/**
 * Memory arithmetic for the structures an RDMA memory region (or any long-lived DMA user) keeps
 * for as long as the registration lives: the range lists of this library, the `struct page *`
 * array GUP fills, and the scatterlist (`sg_table`) that ib_umem builds from it. Pure arithmetic:
 * it sizes a 1 TiB registration without allocating anything.
 *
 * Sizes assumed (64-bit kernel, 4 KiB pages; docs/scatterlist.md#layout-and-size):
 * - `struct page *` array: 8 B per 4 KiB page, whatever the folio size (GUP returns every page);
 * - scatterlist: 32 B per entry (CONFIG_NEED_SG_DMA_LENGTH), chained in arrays of
 *   SG_MAX_SINGLE_ALLOC = 128 where the last slot of each full array is the chain link, plus the
 *   16-B `sg_table`; entries coalesce PFN-contiguous pages up to `max_segment`
 *   (sg_alloc_table_from_pages: UINT_MAX rounded down to the page, 0xFFFFF000). kmalloc rounding
 *   of the arrays is not counted;
 * - range list: 8/16/24-B entries packed greedily into 512-B chunks with an 8-B header and no
 *   back-filling (docs/prototype.md#chunks, docs/vectors.md#chunk-packing), counted in whole chunks.
 */
import {
  checkU53,
  formatValue,
  isPowerOfTwo,
  lowBits,
  RlistError,
  variableUnitsForFields,
} from "@rlist/encoding";
import { checkBoolean, checkObject, orDefault } from "../args.js";

/** Bytes of one `struct page *`. */
export const PAGE_POINTER_BYTES = 8;
/** Bytes of one `struct scatterlist` with dma_length (x86-64). */
export const SG_ENTRY_BYTES = 32;
/** Bytes of a `struct sg_table`. */
export const SG_TABLE_BYTES = 16;
/** Like SG_MAX_SINGLE_ALLOC: scatterlist entries per page-sized array (4096 / 32). */
export const SG_MAX_SINGLE_ALLOC = 128;
/** sg_alloc_table_from_pages()'s default max_segment: UINT_MAX rounded down to 4 KiB. */
export const SG_DEFAULT_MAX_SEGMENT = 0xffff_f000;

/** `pages` pointers of a GUP page array. */
export function pageArrayBytes(pages: number): number {
  checkU53("pages", pages);
  return pages * PAGE_POINTER_BYTES;
}

/**
 * Entries `__sg_alloc_table()` allocates for `nents` used entries: arrays of up to 128 entries,
 * each full array giving up its last slot to the chain link (129 -> 128 + 2 = 130).
 */
export function sgAllocatedEntries(nents: number): number {
  checkU53("nents", nents);
  if (nents <= SG_MAX_SINGLE_ALLOC) return nents;
  const fullArrays = Math.ceil((nents - SG_MAX_SINGLE_ALLOC) / (SG_MAX_SINGLE_ALLOC - 1));
  return fullArrays * SG_MAX_SINGLE_ALLOC + (nents - fullArrays * (SG_MAX_SINGLE_ALLOC - 1));
}

/** Bytes of an `sg_table` with `nents` used entries (chain slots included). 0 for none. */
export function scatterlistBytes(nents: number): number {
  return nents === 0 ? 0 : sgAllocatedEntries(nents) * SG_ENTRY_BYTES + SG_TABLE_BYTES;
}

/** Scatterlist entries for one run of `pages` PFN-contiguous pages of one pgmap. */
export function sgEntriesForRun(pages: number, pageSize = 4096, maxSegment = SG_DEFAULT_MAX_SEGMENT): number {
  checkU53("pages", pages);
  if (!isPowerOfTwo(pageSize))
    throw new RlistError("EINVAL", `page size ${formatValue(pageSize)} is not a power of two`);
  checkU53("maxSegment", maxSegment);
  const perEntry = Math.floor(maxSegment / pageSize);
  if (perEntry < 1) throw new RlistError("EINVAL", `max_segment ${maxSegment} is below the page size`);
  return Math.ceil(pages / perEntry);
}

/** Stored size of one range-list entry. */
export type EntryBytes = 8 | 16 | 24;

function formOf(length: number, base: number, offset: number, extra: number): EntryBytes {
  return (variableUnitsForFields(length, base, offset, extra) * 4) as EntryBytes;
}

/**
 * Stored size of a CPU-list FOLIO entry covering `[phys, phys + length)`, as `CpuRangeList` encodes
 * it: a page-aligned run is FOLIO_PFN (base = pfn, length in pages: 8 B for pfn < 2^32 and fewer
 * than 2^28 pages, i.e. up to 1 TiB of 4 KiB pages); any other run stores the first page's pfn, the
 * in-page offset and the byte length (8 B without an offset, else 16 B). The prototype stored a
 * folio pointer there, which never fits 8 B (docs/prototype.md#stored-forms).
 */
export function cpuFolioEntryBytes(phys: number, length: number, pageSize = 4096): EntryBytes {
  checkU53("phys", phys);
  checkU53("length", length);
  if (!isPowerOfTwo(pageSize))
    throw new RlistError("EINVAL", `pageSize ${formatValue(pageSize)} is not a power of two`);
  const off = lowBits(phys, pageSize);
  const pfn = (phys - off) / pageSize;
  if (off === 0 && lowBits(length, pageSize) === 0) return formOf(length / pageSize, pfn, 0, 0);
  return formOf(length, pfn, off, 0);
}

/** Stored size of a PHYSICAL entry: base = phys; a provider id in `extra` forces the 24-B form. */
export function cpuPhysicalEntryBytes(phys: number, length: number, providerId: number): EntryBytes {
  return formOf(length, phys, 0, providerId);
}

/** Stored size of a DMA-list entry of `length` bytes at stored base `base`. */
export function dmaEntryBytes(base: number, length: number): EntryBytes {
  return formOf(length, base, 0, 0);
}

/** A run of `count` equally sized entries, in list order. */
export interface EntryGroup {
  readonly entryBytes: EntryBytes;
  readonly count: number;
}

/** Chunks and bytes a list of the given entry groups occupies. */
export interface ListFootprint {
  readonly entries: number;
  readonly chunks: number;
  readonly bytes: number;
}

/**
 * Footprint of a range list holding `groups` in order, packed like the container does: each entry
 * goes into the current chunk if its units fit, else a new chunk is linked (the unused tail is
 * left, never back-filled). Exact for any order of groups; O(groups).
 */
export function rangeListFootprint(groups: readonly EntryGroup[], chunkBytes = 512): ListFootprint {
  if (!Array.isArray(groups as unknown)) {
    throw new RlistError("EINVAL", `entry groups must be an array, got ${formatValue(groups)}`);
  }
  if (chunkBytes !== 128 && chunkBytes !== 512 && chunkBytes !== 4096) {
    throw new RlistError("EINVAL", `chunk size must be 128, 512 or 4096, got ${formatValue(chunkBytes)}`);
  }
  const area = chunkBytes / 4 - 2;
  let free = 0;
  let chunks = 0;
  let entries = 0;
  for (const g of groups) {
    checkObject("entry group", g);
    const { count, entryBytes } = g;
    checkU53("count", count);
    if (entryBytes !== 8 && entryBytes !== 16 && entryBytes !== 24) {
      throw new RlistError("EINVAL", `entryBytes must be 8, 16 or 24, got ${formatValue(entryBytes)}`);
    }
    const u = entryBytes / 4;
    let left = g.count;
    const inCurrent = Math.min(left, Math.floor(free / u));
    left -= inCurrent;
    free -= inCurrent * u;
    if (left > 0) {
      const perChunk = Math.floor(area / u);
      const added = Math.ceil(left / perChunk);
      chunks += added;
      free = area - (left - (added - 1) * perChunk) * u;
    }
    entries += g.count;
  }
  return { entries, chunks, bytes: chunks * chunkBytes };
}

/** How the pages behind a modelled registration are laid out. */
export interface RegistrationLayout {
  /** Registered bytes (the MR length). */
  readonly lengthBytes: number;
  /** Folio size backing the range: 4 KiB pages, 2 MiB THP, 1 GiB hugetlb... (power of two). */
  readonly folioBytes: number;
  /** True when consecutive folios are physically adjacent (one run), false when scattered. */
  readonly contiguous: boolean;
  /** How the device reaches memory: `iommu` (one IOVA range, 1 DMA entry) or `direct` (identity). */
  readonly dma?: "iommu" | "direct";
  /** Page size, default 4096. */
  readonly pageSize?: number;
  /** Chunk size of the range lists, default 512. */
  readonly chunkBytes?: number;
  /** Highest pfn involved (decides the 8-B form's pfn < 2^32 test); default: low memory. */
  readonly maxPfn?: number;
}

/**
 * Bytes an MR holds for its lifetime, next to what the kernel's structures would take: measured
 * by `MemoryRegion.memoryReport()`, computed by {@link registrationFootprint}.
 */
export interface MrMemoryReport {
  readonly lengthBytes: number;
  /** Pages the MR spans (`ib_umem_num_pages`). */
  readonly pages: number;
  readonly cpuEntries: number;
  /** Chunk bytes of the CPU list (8/16/24-B entries), the pending last entry where sealing would store it. */
  readonly cpuListBytes: number;
  readonly dmaEntries: number;
  /** The DMA list's chunks (0 for dma-direct's identity view). */
  readonly dmaListBytes: number;
  /** CPU list + DMA list. */
  readonly rangeListBytes: number;
  /** A `struct page *` array: 8 B per page. */
  readonly pageArrayBytes: number;
  /** ib_umem's sg_table over the same pages (its DMA addresses live in the same entries). */
  readonly scatterlistEntries: number;
  readonly scatterlistBytes: number;
}

/** Bytes held for one registration by each representation (the model's {@link MrMemoryReport}). */
export interface RegistrationFootprint extends MrMemoryReport {
  readonly folios: number;
}

/**
 * Footprint of registering `layout.lengthBytes` starting at a folio boundary: the CPU range list
 * (one entry per physically contiguous run), the DMA range list (one IOVA entry, or none for the
 * identity view of dma-direct), the GUP page array and the ib_umem-style scatterlist (which reuses
 * its entries for the DMA addresses, so it has no separate DMA cost).
 */
export function registrationFootprint(layout: RegistrationLayout): RegistrationFootprint {
  checkObject("registration layout", layout);
  checkBoolean("contiguous", layout.contiguous);
  checkDmaMode(layout.dma);
  const ps = orDefault("pageSize", layout.pageSize, 4096);
  const length = layout.lengthBytes;
  const folio = layout.folioBytes;
  checkU53("lengthBytes", length);
  if (!isPowerOfTwo(ps) || !isPowerOfTwo(folio) || folio < ps) {
    throw new RlistError(
      "EINVAL",
      "pageSize and folioBytes must be powers of two with folioBytes >= pageSize",
    );
  }
  if (length === 0) throw new RlistError("EINVAL", "a registration needs at least one byte");
  const pages = Math.ceil(length / ps);
  const folios = Math.ceil(length / folio);
  const pagesPerFolio = folio / ps;
  const pfnHigh = orDefault("maxPfn", layout.maxPfn, 0);
  checkU53("maxPfn", pfnHigh);
  const form = (runPages: number): EntryBytes => cpuFolioEntryBytes(pfnHigh * ps, runPages * ps, ps);
  let groups: EntryGroup[];
  let sgEntries: number;
  if (layout.contiguous || folios === 1) {
    groups = [{ entryBytes: form(pages), count: 1 }];
    sgEntries = sgEntriesForRun(pages, ps);
  } else {
    const lastPages = pages - (folios - 1) * pagesPerFolio;
    groups = [
      { entryBytes: form(pagesPerFolio), count: folios - 1 },
      { entryBytes: form(lastPages), count: 1 },
    ];
    sgEntries = (folios - 1) * sgEntriesForRun(pagesPerFolio, ps) + sgEntriesForRun(lastPages, ps);
  }
  const chunkBytes = orDefault("chunkBytes", layout.chunkBytes, 512);
  const cpu = rangeListFootprint(groups, chunkBytes);
  const dma =
    (layout.dma ?? "iommu") === "iommu"
      ? rangeListFootprint([{ entryBytes: dmaEntryBytes(0, length), count: 1 }], chunkBytes)
      : { entries: 0, chunks: 0, bytes: 0 };
  return {
    lengthBytes: length,
    pages,
    folios,
    cpuEntries: cpu.entries,
    cpuListBytes: cpu.bytes,
    dmaEntries: dma.entries,
    dmaListBytes: dma.bytes,
    rangeListBytes: cpu.bytes + dma.bytes,
    pageArrayBytes: pageArrayBytes(pages),
    scatterlistEntries: sgEntries,
    scatterlistBytes: scatterlistBytes(sgEntries),
  };
}

/** MR sizes of the standard report: 4 KiB to 1 TiB. */
export const REPORT_SIZES: readonly number[] = [
  0x1000, 0x1_0000, 0x20_0000, 0x4000_0000, 0x10_0000_0000, 0x100_0000_0000,
];

/** Layouts of the standard report. */
export const REPORT_LAYOUTS: ReadonlyArray<{ name: string; folioBytes: number; contiguous: boolean }> = [
  { name: "4K pages, scattered", folioBytes: 0x1000, contiguous: false },
  { name: "2M THP, scattered", folioBytes: 0x20_0000, contiguous: false },
  { name: "1G hugetlb, scattered", folioBytes: 0x4000_0000, contiguous: false },
  { name: "physically contiguous", folioBytes: 0x1000, contiguous: true },
];

/** One row of {@link registrationReport}. */
export interface RegistrationReportRow extends RegistrationFootprint {
  readonly layout: string;
}

function checkDmaMode(dma: unknown): void {
  if (dma !== undefined && dma !== "iommu" && dma !== "direct") {
    throw new RlistError("EINVAL", `dma must be "iommu" or "direct", got ${formatValue(dma)}`);
  }
}

/** The 4 KiB .. 1 TiB x layout table (arithmetic only). */
export function registrationReport(
  sizes: readonly number[] = REPORT_SIZES,
  layouts = REPORT_LAYOUTS,
  dma: "iommu" | "direct" = "iommu",
): RegistrationReportRow[] {
  if (!Array.isArray(sizes))
    throw new RlistError("EINVAL", `sizes must be an array, got ${formatValue(sizes)}`);
  if (!Array.isArray(layouts)) {
    throw new RlistError("EINVAL", `layouts must be an array, got ${formatValue(layouts)}`);
  }
  checkDmaMode(dma);
  const rows: RegistrationReportRow[] = [];
  for (const l of layouts) {
    for (const s of sizes) {
      rows.push({ layout: l.name, ...registrationFootprint({ ...l, lengthBytes: s, dma }) });
    }
  }
  return rows;
}

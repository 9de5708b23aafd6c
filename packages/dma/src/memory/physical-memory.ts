import { checkU53, formatValue, isPowerOfTwo, log2Pow2, lowBits, RlistError } from "@rlist/encoding";
import { checkBytes, checkObject, orDefault } from "../args.js";
import type { P2pProvider } from "../pci/p2p-provider.js";
import type { Folio, Pgmap } from "./folio.js";
import { parseIomem } from "./iomem.js";
import { PageStore } from "./page-store.js";
import {
  type MemoryRegion,
  type MemoryRegionInit,
  makeRegion,
  RegionMap,
  regionsFromIomem,
} from "./regions.js";

export interface PhysicalMemoryOptions {
  /** Bytes per page: a power of two from 4096 to 1 MiB (4K default; 16K and 64K as on arm64). */
  readonly pageSize?: number;
  readonly regions?: readonly MemoryRegionInit[];
}

/** Largest folio order accepted (2^30 pages). */
export const MAX_FOLIO_ORDER = 30;
/** Largest provider id (the prototype's registry hands out 31-bit ids from 1). */
const MAX_PROVIDER_ID = 0x7fff_ffff;
const RAM: readonly ["ram"] = ["ram"];
const ACCESSIBLE: readonly ["ram", "bar"] = ["ram", "bar"];

/**
 * A simulated machine's physical memory: the address map (System RAM, device BARs, reserved
 * ranges, holes), the struct-page view (folios `{pfn, order}` with their pgmap: none for RAM, a
 * P2P provider's ZONE_DEVICE map for BAR pages) and sparse byte contents so data can be written and
 * read at physical addresses.
 *
 * Every page fully inside a RAM region has a struct page and is an order-0 folio until
 * {@link declareFolio} groups it into a larger one; BAR pages get struct pages through
 * {@link addP2pMemory}. Physical addresses are `number`s (<= 2^53-1, beyond every real CPU's
 * physical address width); bus addresses, which can be anything, have `...Big` forms in the PCI model.
 */
export class PhysicalMemory {
  readonly pageSize: number;
  readonly pageShift: number;
  readonly #regions = new RegionMap();
  readonly #store: PageStore;
  /** Declared folios of order >= 1, by head pfn, and their heads sorted ascending. */
  readonly #folios = new Map<number, Folio>();
  readonly #heads: number[] = [];
  /** Pgmaps by id - 1, and sorted by start pfn. */
  readonly #pgmaps: Pgmap[] = [];
  readonly #pgmapsByPfn: Pgmap[] = [];
  readonly #providers: P2pProvider[] = [];
  readonly #providerIds = new Map<P2pProvider, number>();
  /** Last RAM region a range lookup landed in (regions are never removed, so it stays valid). */
  #lastRam: MemoryRegion | null = null;

  constructor(options: PhysicalMemoryOptions = {}) {
    checkObject("physical memory options", options);
    if (options.regions !== undefined && !Array.isArray(options.regions)) {
      throw new RlistError("EINVAL", `regions must be an array, got ${formatValue(options.regions)}`);
    }
    const ps = orDefault("pageSize", options.pageSize, 4096);
    if (!isPowerOfTwo(ps) || ps < 4096 || ps > 1 << 20) {
      throw new RlistError(
        "EINVAL",
        `page size must be a power of two from 4096 to 1 MiB, got ${formatValue(ps)}`,
      );
    }
    this.pageSize = ps;
    this.pageShift = log2Pow2(ps);
    this.#store = new PageStore(ps);
    for (const r of options.regions ?? []) this.#regions.add(makeRegion(r));
  }

  /** A memory whose address map is a parsed `/proc/iomem` (see {@link regionsFromIomem}). */
  static fromIomem(text: string, options: { pageSize?: number } = {}): PhysicalMemory {
    checkObject("options", options);
    return new PhysicalMemory({ ...options, regions: regionsFromIomem(parseIomem(text)) });
  }

  /** The address map, sorted by address. */
  get regions(): readonly MemoryRegion[] {
    return this.#regions.regions;
  }

  /** Adds a region; `EINVAL` if it overlaps one already there. */
  addRegion(init: MemoryRegionInit): MemoryRegion {
    const r = makeRegion(init);
    this.#regions.add(r);
    return r;
  }

  /** The region holding `phys`, or null for a hole. */
  regionOf(phys: number): MemoryRegion | null {
    checkU53("phys", phys);
    return this.#regions.find(phys);
  }

  /** Total bytes of System RAM. */
  get ramBytes(): number {
    let n = 0;
    for (const r of this.#regions.regions) if (r.kind === "ram") n += r.size;
    return n;
  }

  // ---- struct pages, pgmaps, folios --------------------------------------------------------

  /**
   * Pgmap of page `pfn`: 0 for ordinary RAM, the pgmap id (>= 1) for ZONE_DEVICE pages, -1 when the
   * page has no struct page (hole, reserved, plain MMIO, or a RAM page cut by a region edge).
   * `ERANGE` for a pfn that is not a safe non-negative integer, `EINVAL` for a non-number.
   */
  pgmapIdOf(pfn: number): number {
    // One inlined test on the per-page path; the error is built out of line.
    if (!(Number.isSafeInteger(pfn) && pfn >= 0)) throw lookupError("pfn", pfn);
    return this.pgmapIdAt(pfn);
  }

  /**
   * @internal {@link pgmapIdOf} without the argument check, for callers whose pfn is already a
   * safe non-negative integer (the per-page paths of list building).
   */
  pgmapIdAt(pfn: number): number {
    const pm = this.#pgmapAt(pfn);
    if (pm) return pm.id;
    return this.#regions.covers(pfn * this.pageSize, this.pageSize, RAM) ? 0 : -1;
  }

  /**
   * The one pgmap id shared by all `nrPages` pages from `pfn` (0 = RAM), or -1 if any of them has no
   * struct page or they straddle two kinds of memory. `ERANGE` for a pfn or count that is not a
   * safe non-negative integer, `EINVAL` for a non-number.
   */
  rangePgmapId(pfn: number, nrPages: number): number {
    if (!(Number.isSafeInteger(pfn) && Number.isSafeInteger(nrPages) && pfn >= 0 && nrPages >= 0)) {
      throw Number.isSafeInteger(pfn) && pfn >= 0 ? lookupError("nrPages", nrPages) : lookupError("pfn", pfn);
    }
    return this.rangePgmapIdAt(pfn, nrPages);
  }

  /**
   * @internal {@link rangePgmapId} without the argument checks, for callers whose pfn and count are
   * already safe non-negative integers (CpuRangeList's append, once per entry).
   */
  rangePgmapIdAt(pfn: number, nrPages: number): number {
    if (this.#pgmapsByPfn.length !== 0) {
      const pm = this.#pgmapAt(pfn);
      if (pm) return pfn + nrPages <= pm.startPfn + pm.nrPages ? pm.id : -1;
    }
    const start = pfn * this.pageSize;
    const end = start + nrPages * this.pageSize;
    // Hot path (building lists page by page): the RAM region of the previous lookup.
    const last = this.#lastRam;
    if (last !== null && start >= last.start && end <= last.end) return 0;
    const r = this.#regions.find(start);
    if (r !== null && r.kind === "ram" && end <= r.end) {
      this.#lastRam = r;
      return 0;
    }
    return this.#regions.covers(start, end - start, RAM) ? 0 : -1;
  }

  /**
   * True once a ZONE_DEVICE pgmap exists ({@link addP2pMemory}); while false every struct page is
   * ordinary RAM and pgmap lookups can be skipped. O(1).
   */
  get hasPgmaps(): boolean {
    return this.#pgmaps.length !== 0;
  }

  /** The pgmap with this id (>= 1), or null (also for 0, RAM). */
  pgmapById(id: number): Pgmap | null {
    checkU53("id", id);
    return this.#pgmaps[id - 1] ?? null;
  }

  /** The pgmap of page `pfn`, null for RAM pages and pages without struct page. */
  pgmapOf(pfn: number): Pgmap | null {
    checkU53("pfn", pfn);
    return this.#pgmapAt(pfn);
  }

  /** Head pfn of the folio holding page `pfn`, or -1 when the page has no struct page. */
  folioHead(pfn: number): number {
    checkU53("pfn", pfn);
    if (this.pgmapIdAt(pfn) < 0) return -1;
    const h = this.#headAtOrBefore(pfn);
    return h >= 0 && h + this.#folios.get(h)!.nrPages > pfn ? h : pfn;
  }

  /** Order of the folio headed by `headPfn` (0 unless declared larger). */
  folioOrder(headPfn: number): number {
    checkU53("headPfn", headPfn);
    return this.#folios.get(headPfn)?.order ?? 0;
  }

  /** The folio holding page `pfn` (like `pfn_folio()`), or null when the page has no struct page. */
  folioOf(pfn: number): Folio | null {
    checkU53("pfn", pfn);
    const head = this.folioHead(pfn);
    if (head < 0) return null;
    return this.#folios.get(head) ?? this.#orderZero(head);
  }

  /** The folio whose first page follows `folio`'s last page, or null if that page has none. */
  nextFolio(folio: Folio): Folio | null {
    checkFolio(folio);
    return this.folioOf(folio.pfn + folio.nrPages);
  }

  /** Bytes in `folio` (`folio_size()`). */
  folioSize(folio: Folio): number {
    checkFolio(folio);
    return folio.nrPages * this.pageSize;
  }

  /**
   * Groups the `2^order` pages from `pfn` into one folio (a compound page). The head must be
   * naturally aligned, every page must have a struct page of one kind (all RAM or one pgmap), and no
   * page may belong to another declared folio (`EBUSY`). Returns the folio.
   */
  declareFolio(pfn: number, order: number): Folio {
    checkU53("pfn", pfn);
    if (!Number.isInteger(order) || order < 1 || order > MAX_FOLIO_ORDER) {
      throw new RlistError("EINVAL", `folio order must be 1..${MAX_FOLIO_ORDER}, got ${formatValue(order)}`);
    }
    const nr = 2 ** order;
    if (lowBits(pfn, nr) !== 0)
      throw new RlistError("EINVAL", `folio at pfn ${pfn} is not aligned to its ${nr} pages`);
    checkU53("folio end", (pfn + nr) * this.pageSize);
    const pgmapId = this.rangePgmapIdAt(pfn, nr);
    if (pgmapId < 0) {
      throw new RlistError(
        "EINVAL",
        `pages ${pfn}..${pfn + nr - 1} are not all struct-page memory of one kind`,
      );
    }
    const before = this.#headAtOrBefore(pfn + nr - 1);
    if (before >= 0 && before + this.#folios.get(before)!.nrPages > pfn) {
      throw new RlistError("EBUSY", `pages ${pfn}..${pfn + nr - 1} overlap the folio at pfn ${before}`);
    }
    const folio: Folio = Object.freeze({ pfn, order, nrPages: nr, pgmap: this.pgmapById(pgmapId) });
    this.#folios.set(pfn, folio);
    this.#heads.splice(this.#upperHead(pfn), 0, pfn);
    return folio;
  }

  /** Splits a declared folio back into order-0 pages (like splitting a huge page). */
  splitFolio(folio: Folio): void {
    checkFolio(folio);
    if (this.#folios.get(folio.pfn) === undefined || folio.order === 0) {
      throw new RlistError("EINVAL", `no declared folio at pfn ${formatValue(folio.pfn)}`);
    }
    this.#folios.delete(folio.pfn);
    this.#heads.splice(this.#upperHead(folio.pfn) - 1, 1);
  }

  /** Declared folios of order >= 1. */
  get declaredFolios(): number {
    return this.#folios.size;
  }

  /**
   * Gives `provider`'s BAR (or the part `[offset, offset + size)` of it) struct pages in a new
   * ZONE_DEVICE pgmap, like `pci_p2pdma_add_resource()`. The range must be page aligned; a BAR not yet
   * in the address map is added as a `bar` region. Registers the provider. Returns the pgmap.
   */
  addP2pMemory(provider: P2pProvider, options: { offset?: number; size?: number } = {}): Pgmap {
    checkObject("provider", provider);
    checkObject("options", options);
    const bar = provider.bar;
    checkObject("provider.bar", bar);
    const barStart = bar.cpuAddress;
    const barSize = bar.size;
    const offset = orDefault("offset", options.offset, 0);
    const size = orDefault<number | undefined>("size", options.size, undefined) ?? barSize - offset;
    checkU53("offset", offset);
    checkU53("size", size);
    const start = barStart + offset;
    const ps = this.pageSize;
    if (size === 0 || lowBits(start, ps) !== 0 || lowBits(size, ps) !== 0) {
      throw new RlistError("EINVAL", `P2P memory [${start}, +${size}) must be non-empty and page aligned`);
    }
    if (offset + size > barSize) throw new RlistError("EINVAL", `P2P memory runs past ${provider.name}`);
    const startPfn = start / ps;
    const nrPages = size / ps;
    for (const pm of this.#pgmaps) {
      if (pm.startPfn < startPfn + nrPages && startPfn < pm.startPfn + pm.nrPages) {
        throw new RlistError("EBUSY", `P2P memory overlaps pgmap ${pm.id}`);
      }
    }
    if (!this.#regions.covers(start, size, ["bar"])) {
      this.#regions.add(makeRegion({ start: barStart, size: barSize, kind: "bar", name: provider.name }));
    }
    const pm: Pgmap = Object.freeze({ id: this.#pgmaps.length + 1, startPfn, nrPages, provider });
    this.#pgmaps.push(pm);
    const at = this.#pgmapsByPfn.findIndex((p) => p.startPfn > startPfn);
    this.#pgmapsByPfn.splice(at < 0 ? this.#pgmapsByPfn.length : at, 0, pm);
    this.registerProvider(provider);
    return pm;
  }

  /** The id (>= 1) of `provider` in this memory's registry, registering it on first use. */
  registerProvider(provider: P2pProvider): number {
    checkObject("provider", provider);
    checkObject("provider.bar", provider.bar);
    let id = this.#providerIds.get(provider);
    if (id === undefined) {
      if (this.#providers.length >= MAX_PROVIDER_ID) throw new RlistError("ENOSPC", "provider ids exhausted");
      this.#providers.push(provider);
      id = this.#providers.length;
      this.#providerIds.set(provider, id);
    }
    return id;
  }

  /** The provider registered under `id`, or null. */
  providerById(id: number): P2pProvider | null {
    checkU53("id", id);
    return this.#providers[id - 1] ?? null;
  }

  // ---- bytes -------------------------------------------------------------------------------

  /** True when every byte of `[phys, phys + length)` is RAM or BAR memory. */
  isAccessible(phys: number, length: number): boolean {
    checkU53("phys", phys);
    checkU53("length", length);
    return length === 0 || this.#regions.covers(phys, length, ACCESSIBLE);
  }

  /** Reads `out.length` bytes at `phys`; `EFAULT` (and `out` untouched) if any byte is not memory. */
  read(phys: number, out: Uint8Array): void {
    checkBytes("out", out);
    this.#checkAccess(phys, out.length);
    this.#store.read(phys, out);
  }

  /** Writes `data` at `phys`; `EFAULT` (and nothing written) if any byte is not memory. */
  write(phys: number, data: Uint8Array): void {
    checkBytes("data", data);
    this.#checkAccess(phys, data.length);
    this.#store.write(phys, data);
  }

  /** Pages that hold written data (the sparse store's footprint). */
  get touchedPages(): number {
    return this.#store.touchedPages;
  }

  #checkAccess(phys: number, length: number): void {
    checkU53("phys", phys);
    checkU53("phys end", phys + length);
    if (!this.isAccessible(phys, length)) {
      throw new RlistError(
        "EFAULT",
        `[0x${phys.toString(16)}, +0x${length.toString(16)}) is not RAM or BAR memory`,
      );
    }
  }

  #orderZero(pfn: number): Folio {
    const id = this.pgmapIdAt(pfn);
    return { pfn, order: 0, nrPages: 1, pgmap: id > 0 ? this.#pgmaps[id - 1]! : null };
  }

  #pgmapAt(pfn: number): Pgmap | null {
    const list = this.#pgmapsByPfn;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list[mid]!.startPfn <= pfn) lo = mid + 1;
      else hi = mid;
    }
    const pm = list[lo - 1];
    return pm && pfn < pm.startPfn + pm.nrPages ? pm : null;
  }

  /** Largest declared head <= pfn, or -1. */
  #headAtOrBefore(pfn: number): number {
    const i = this.#upperHead(pfn);
    return i > 0 ? this.#heads[i - 1]! : -1;
  }

  /** Index of the first declared head > pfn. */
  #upperHead(pfn: number): number {
    const heads = this.#heads;
    if (heads.length === 0 || heads[heads.length - 1]! <= pfn) return heads.length;
    let lo = 0;
    let hi = heads.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (heads[mid]! <= pfn) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** `EINVAL` / `ERANGE` unless `folio` looks like a folio: a pfn, 2^order pages, a pgmap or null. */
/** The error of a pgmap lookup's bad argument (checkU53's), kept out of the lookups' bodies. */
function lookupError(name: string, value: unknown): RlistError {
  return new RlistError(
    typeof value === "number" ? "ERANGE" : "EINVAL",
    `${name} must be a safe non-negative integer, got ${formatValue(value)}`,
  );
}

/**
 * @internal `EINVAL` unless `folio` is an object with a pgmap object or null and `nrPages` equal to
 * `2^order` (`folio_nr_pages()`); `ERANGE` for a pfn, order or nrPages that is not a safe
 * non-negative integer.
 */
export function checkFolio(folio: Folio): void {
  checkObject("folio", folio);
  checkU53("folio.pfn", folio.pfn);
  checkU53("folio.order", folio.order);
  checkU53("folio.nrPages", folio.nrPages);
  if (folio.pgmap !== null) checkObject("folio.pgmap", folio.pgmap);
  if (folio.order > 52 || folio.nrPages !== 2 ** folio.order) {
    throw new RlistError("EINVAL", `folio.nrPages ${folio.nrPages} is not 2^order (order ${folio.order})`);
  }
}

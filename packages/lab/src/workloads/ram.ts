import { formatValue, RlistError } from "@rlist/encoding";
import { checkArray, checkFunction, checkInteger, checkObject } from "../args.js";
import type { Rng } from "../rng.js";
import { PAGE_SIZE } from "./range-set.js";

/** One "System RAM" region in CPU physical address space, `[start, end)` in bytes. */
export interface RamRegion {
  readonly start: number;
  readonly end: number;
}

/**
 * A typical 16 GiB x86-64 layout (low RAM below the 3 GiB PCI hole, the rest above 4 GiB),
 * used when this machine's /proc/iomem cannot be read.
 */
export const EXAMPLE_RAM: readonly RamRegion[] = [
  { start: 0x0010_0000, end: 0xc000_0000 },
  { start: 0x1_0000_0000, end: 0x4_4000_0000 },
];

/** The largest folio order a picker hands out (2^30 pages, 4 TiB). */
export const MAX_FOLIO_ORDER = 30;

/** `EINVAL` unless `regions` is an array of `{ start, end }` byte addresses with start <= end. */
export function checkRamRegions(what: string, regions: unknown): asserts regions is readonly RamRegion[] {
  checkArray(what, regions, (at, r) => {
    checkObject(at, r);
    const { start, end } = r as Partial<RamRegion>;
    checkInteger(`${at}.start`, start);
    checkInteger(`${at}.end`, end);
    if (end < start) throw new RlistError("EINVAL", `${at} ends at ${end}, before its start ${start}`);
  });
}

/** Random probes for a free folio before falling back to a scan. */
const PROBES = 48;

interface Region {
  readonly firstPfn: number;
  readonly pages: number;
  /** One bit per page: allocated. */
  readonly used: Uint32Array;
}

/**
 * A toy page allocator over the RAM regions: hands out naturally aligned, non-overlapping
 * folios at random places, the way a long-running system's buddy allocator scatters
 * unrelated allocations. Returns -1 once no free folio of the order is left.
 */
export class PfnPicker {
  readonly #regions: Region[];
  readonly #rng: Rng;
  readonly #slotCache = new Map<number, { firsts: number[]; counts: number[]; total: number }>();

  constructor(regions: readonly RamRegion[], rng: Rng) {
    checkRamRegions("regions", regions);
    checkObject("rng", rng);
    for (const m of ["next", "below", "between", "chance"] as const) checkFunction(`rng.${m}`, rng[m]);
    this.#regions = regions
      .filter((r) => r.end - r.start >= 2 * 1024 * 1024)
      .map((r) => {
        const firstPfn = Math.ceil(r.start / PAGE_SIZE);
        const pages = Math.floor(r.end / PAGE_SIZE) - firstPfn;
        return { firstPfn, pages, used: new Uint32Array(Math.ceil(pages / 32)) };
      });
    if (this.#regions.length === 0)
      throw new RlistError("EINVAL", "no RAM region of at least 2 MiB to draw pages from");
    this.#rng = rng;
  }

  /** True when page `pfn` lies in RAM and is still free (a run may only grow into such a page). */
  isFree(pfn: number): boolean {
    checkInteger("pfn", pfn);
    const r = this.#regionOf(pfn);
    return r !== null && !this.#anyUsed(r, pfn - r.firstPfn, 1);
  }

  /** Takes page `pfn` (must be free, see {@link isFree}). */
  take(pfn: number): void {
    checkInteger("pfn", pfn);
    const r = this.#regionOf(pfn);
    if (r === null) throw new RlistError("EINVAL", `pfn ${formatValue(pfn)} is not in RAM`);
    if (this.#anyUsed(r, pfn - r.firstPfn, 1)) throw new RlistError("EBUSY", `pfn ${pfn} is already taken`);
    this.#mark(r, pfn - r.firstPfn, 1);
  }

  /** PFN of a free, naturally aligned folio of `order` inside one region, now taken; -1 if none is left. */
  folio(order: number): number {
    checkInteger("folio order", order, 0, MAX_FOLIO_ORDER);
    const pages = 2 ** order;
    const { firsts, counts, total } = this.#slotsFor(order);
    if (total === 0) return -1;
    for (let probe = 0; probe < PROBES; probe++) {
      const pfn = this.#slotPfn(firsts, counts, this.#rng.between(0, total - 1), pages);
      if (this.#tryTake(pfn, pages)) return pfn;
    }
    // Crowded: scan every slot once from a random start.
    const start = this.#rng.between(0, total - 1);
    for (let k = 0; k < total; k++) {
      const pfn = this.#slotPfn(firsts, counts, (start + k) % total, pages);
      if (this.#tryTake(pfn, pages)) return pfn;
    }
    return -1;
  }

  #slotPfn(firsts: number[], counts: number[], k: number, pages: number): number {
    for (let i = 0; i < counts.length; i++) {
      if (k < counts[i]!) return (firsts[i]! + k) * pages;
      k -= counts[i]!;
    }
    throw new Error("unreachable: slot index past the last region");
  }

  #tryTake(pfn: number, pages: number): boolean {
    const r = this.#regionOf(pfn)!;
    const at = pfn - r.firstPfn;
    if (this.#anyUsed(r, at, pages)) return false;
    this.#mark(r, at, pages);
    return true;
  }

  #regionOf(pfn: number): Region | null {
    for (const r of this.#regions) if (pfn >= r.firstPfn && pfn < r.firstPfn + r.pages) return r;
    return null;
  }

  #anyUsed(r: Region, at: number, n: number): boolean {
    for (let i = at; i < at + n; i++) if ((r.used[i >>> 5]! >>> (i & 31)) & 1) return true;
    return false;
  }

  #mark(r: Region, at: number, n: number): void {
    for (let i = at; i < at + n; i++) r.used[i >>> 5] = r.used[i >>> 5]! | (1 << (i & 31));
  }

  /** Aligned folio slots per region for `order` (weights for the draw), cached. */
  #slotsFor(order: number) {
    let entry = this.#slotCache.get(order);
    if (entry === undefined) {
      const pages = 2 ** order;
      const firsts: number[] = [];
      const counts: number[] = [];
      let total = 0;
      for (const r of this.#regions) {
        const first = Math.ceil(r.firstPfn / pages);
        const n = Math.max(0, Math.floor((r.firstPfn + r.pages) / pages) - first);
        firsts.push(first);
        counts.push(n);
        total += n;
      }
      entry = { firsts, counts, total };
      this.#slotCache.set(order, entry);
    }
    return entry;
  }
}

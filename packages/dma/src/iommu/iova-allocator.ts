/**
 * An IOVA allocator with the semantics of drivers/iommu/iova.c (mainline, rbtree version):
 *
 * - ranges are whole granules ("pfns"), IOVA pfn 0 is never handed out (`start_pfn = 1`);
 * - alloc_iova() searches **top-down** from the limit for a free gap, starting at the cached node
 *   (`cached_node` / `cached32_node`) and rescanning once from the limit before failing; with
 *   `sizeAligned` the start is aligned to roundup_pow_of_two(size), with no upper cap (Android's
 *   CONFIG_IOMMU_LIMIT_IOVA_ALIGNMENT is not modelled);
 * - alloc_iova_fast() rounds sizes under 32 granules up to a power of two, tries the range cache
 *   first and, on failure, flushes the caches and retries once;
 * - free_iova_fast() parks sizes of order < 6 in per-order magazines of 127 pfns (one CPU is
 *   modelled; the depot is a LIFO list like iova_depot_push() / iova_depot_pop(), trimmed to one
 *   magazine at once where iova_depot_work_func() pops its head every 100 ms).
 *
 * Storage is a pfn-sorted pair of arrays (the rbtree's in-order view); searches are binary.
 * Parked (cached) ranges stay allocated in the tree exactly as in the kernel, so
 * {@link IovaAllocator.outstandingGranules} is what callers hold, and {@link IovaAllocator.flushRcache}
 * returns everything to the tree.
 */
import { checkU53, formatValue, isPowerOfTwo, log2Pow2, lowBits, RlistError } from "@rlist/encoding";
import { checkBoolean, checkObject, orDefault } from "../args.js";
import { orderBase2, roundupPow2 } from "../util/bits.js";
import { checkFaultInjector, type FaultInjector } from "./faults.js";

/** IOVA_RANGE_CACHE_MAX_SIZE: orders 0..5 are cached. */
export const IOVA_RANGE_CACHE_MAX_SIZE = 6;
/** IOVA_MAG_SIZE: pfns per magazine. */
export const IOVA_MAG_SIZE = 127;

const ANCHOR = Number.POSITIVE_INFINITY;
const KIND_ALLOC = 0;
const KIND_RESERVED = 1;

export interface IovaAllocatorOptions {
  /** Bytes per IOVA pfn (the IOMMU's smallest page size), a power of two. Default 4096. */
  granule?: number;
  /** Lowest pfn handed out. Default 1, as init_iova_domain(). */
  startPfn?: number;
  /** Enables the per-order range cache (alloc_iova_fast / free_iova_fast). Default true. */
  rcache?: boolean;
  /** Fault injection at site `"iova"` (each tree allocation). */
  faults?: FaultInjector;
}

interface Magazine {
  pfns: number[];
}

interface RangeCache {
  loaded: Magazine;
  prev: Magazine;
  depot: Magazine[];
}

export class IovaAllocator {
  readonly granule: number;
  readonly shift: number;
  readonly startPfn: number;
  /** 1 << (32 - shift): the first pfn at or above 4 GiB (`dma_32bit_pfn`). */
  readonly dma32BitPfn: number;
  private readonly lo: number[] = [];
  private readonly hi: number[] = [];
  private readonly kind: number[] = [];
  /** pfn_lo of the cached nodes; ANCHOR for the anchor node. */
  private cachedNode = ANCHOR;
  private cached32Node = ANCHOR;
  private max32AllocSize: number;
  private readonly rcaches: RangeCache[] | null;
  private readonly faults: FaultInjector | undefined;
  private treeGranules = 0;
  private reservedGranules = 0;
  private cachedGranules = 0;
  private readonly parked = new Map<number, number>();

  constructor(options: IovaAllocatorOptions = {}) {
    checkObject("IOVA allocator options", options);
    const granule = orDefault("granule", options.granule, 4096);
    if (!isPowerOfTwo(granule))
      throw new RlistError("EINVAL", `IOVA granule ${formatValue(granule)} is not a power of two`);
    this.granule = granule;
    this.shift = log2Pow2(granule);
    this.startPfn = orDefault("startPfn", options.startPfn, 1);
    checkU53("startPfn", this.startPfn);
    this.dma32BitPfn = 2 ** (32 - this.shift);
    this.max32AllocSize = this.dma32BitPfn;
    const { faults, rcache } = options;
    checkFaultInjector("faults", faults);
    checkBoolean("rcache", rcache, true);
    this.faults = faults;
    this.rcaches =
      rcache === false
        ? null
        : Array.from({ length: IOVA_RANGE_CACHE_MAX_SIZE }, () => ({
            loaded: { pfns: [] },
            prev: { pfns: [] },
            depot: [],
          }));
  }

  /** Granules in the tree, parked ranges included, reserved ranges excluded. */
  get allocatedGranules(): number {
    return this.treeGranules;
  }

  /** Granules parked in the range cache (allocated in the tree, free for callers). */
  get cachedGranulesCount(): number {
    return this.cachedGranules;
  }

  /** Granules callers hold: allocated and not parked in the cache. */
  get outstandingGranules(): number {
    return this.treeGranules - this.cachedGranules;
  }

  /** Granules of reserved regions (reserve_iova()). */
  get reservedGranulesCount(): number {
    return this.reservedGranules;
  }

  /** Number of nodes in the tree (allocations, parked ranges and reservations). */
  get nodeCount(): number {
    return this.lo.length;
  }

  /** Like alloc_iova_fast(): returns the first pfn; throws `ENOMEM` when the space is exhausted. */
  allocFast(size: number, limitPfn: number, flushRcache = true): number {
    checkSize(size);
    checkU53("limitPfn", limitPfn);
    checkBoolean("flushRcache", flushRcache);
    size = fastRounded(size);
    const cached = this.rcacheGet(size, limitPfn + 1);
    if (cached !== 0) return cached;
    for (;;) {
      const pfn = this.tryAlloc(size, limitPfn, true);
      if (pfn !== -1) return pfn;
      if (!flushRcache) break;
      flushRcache = false;
      this.flushRcache();
    }
    throw new RlistError("ENOMEM", `no IOVA space for ${size} granules below pfn ${limitPfn + 1}`);
  }

  /** Like alloc_iova(): returns the first pfn of a new `size`-granule range, or throws `ENOMEM`. */
  alloc(size: number, limitPfn: number, sizeAligned = true): number {
    checkSize(size);
    checkU53("limitPfn", limitPfn);
    checkBoolean("sizeAligned", sizeAligned);
    const pfn = this.tryAlloc(size, limitPfn, sizeAligned);
    if (pfn === -1)
      throw new RlistError("ENOMEM", `no IOVA space for ${size} granules below pfn ${limitPfn + 1}`);
    return pfn;
  }

  /**
   * Like free_iova_fast(): parks the range in the cache when its order is cacheable, else returns
   * it to the tree. The allocation is looked up first (find_iova()): `pfn` must start a live
   * allocation and `size` must be its size, or a size {@link allocFast} rounds to it (3 granules
   * for a 4-granule allocation: what dma_iova_destroy() passes). Anything else is `EINVAL` and
   * nothing changes. The range is binned by its real size, never by the caller's, so a cached
   * range is never handed out bigger than it is.
   */
  freeFast(pfn: number, size: number): void {
    const i = this.checkFreeFast(pfn, size);
    const granules = this.hi[i]! - this.lo[i]! + 1;
    if (this.rcacheInsert(pfn, granules, i)) return;
    this.removeAt(i);
  }

  /**
   * The checks of {@link freeFast} without the free: `EINVAL` unless `pfn` starts a live
   * allocation of `size` granules (or of alloc_iova_fast()'s rounding of it). Returns its index.
   * @internal also used by the flush queue, which frees later.
   */
  checkFreeFast(pfn: number, size: number): number {
    if (!isCount(pfn, 0) || !isCount(size, 1)) {
      throw new RlistError("EINVAL", `free of ${formatValue(size)} granules at pfn ${formatValue(pfn)}`);
    }
    const i = this.indexOf(pfn);
    if (i < 0 || this.kind[i] !== KIND_ALLOC || this.parked.has(pfn)) {
      throw new RlistError("EINVAL", `pfn ${pfn} is not an allocated IOVA range`);
    }
    const granules = this.hi[i]! - this.lo[i]! + 1;
    if (size !== granules && fastRounded(size) !== granules) {
      throw new RlistError(
        "EINVAL",
        `free of ${size} granules at pfn ${pfn}, which holds ${granules} (freed with a different size)`,
      );
    }
    return i;
  }

  /** Like free_iova(): returns the range starting at `pfn` to the tree at once. */
  free(pfn: number): void {
    if (!isCount(pfn, 0)) throw new RlistError("EINVAL", `free at pfn ${formatValue(pfn)}`);
    const i = this.indexOf(pfn);
    if (i < 0 || this.kind[i] !== KIND_ALLOC || this.parked.has(pfn)) {
      throw new RlistError("EINVAL", `pfn ${pfn} is not an allocated IOVA range`);
    }
    this.removeAt(i);
  }

  /** Like find_iova(): [pfnLo, pfnHi] of the allocated or reserved range containing `pfn`. */
  find(pfn: number): { pfnLo: number; pfnHi: number; reserved: boolean } | undefined {
    checkU53("pfn", pfn);
    const i = this.floorIndex(pfn);
    if (i < 0 || this.hi[i]! < pfn) return undefined;
    return { pfnLo: this.lo[i]!, pfnHi: this.hi[i]!, reserved: this.kind[i] === KIND_RESERVED };
  }

  /** Like reserve_iova(): takes [pfnLo, pfnHi] out of the allocatable space (e.g. an MSI window). */
  reserve(pfnLo: number, pfnHi: number): void {
    checkU53("pfnLo", pfnLo);
    checkU53("pfnHi", pfnHi);
    if (pfnHi < pfnLo) throw new RlistError("EINVAL", "reserve: pfnHi < pfnLo");
    const at = this.floorIndex(pfnHi);
    if (at >= 0 && this.hi[at]! >= pfnLo)
      throw new RlistError("EBUSY", "reserve: range overlaps an IOVA range");
    this.insertAt(at + 1, pfnLo, pfnHi, KIND_RESERVED);
    this.reservedGranules += pfnHi - pfnLo + 1;
  }

  /** Like free_cpu_cached_iovas() + free_global_cached_iovas(): empties the range cache. */
  flushRcache(): void {
    if (this.rcaches === null) return;
    for (const rc of this.rcaches) {
      for (const mag of [rc.loaded, rc.prev, ...rc.depot]) this.freeMagazine(mag);
      rc.depot.length = 0;
    }
  }

  /** Allocated (non-reserved, non-parked) ranges as [pfnLo, pfnHi] pairs, in pfn order. */
  ranges(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let i = 0; i < this.lo.length; i++) {
      if (this.kind[i] === KIND_ALLOC && !this.parked.has(this.lo[i]!)) out.push([this.lo[i]!, this.hi[i]!]);
    }
    return out;
  }

  // --- tree search (__alloc_and_insert_iova_range) ---

  private tryAlloc(size: number, limitPfn: number, sizeAligned: boolean): number {
    if (this.faults?.shouldFail("iova")) return -1;
    if (limitPfn + 1 <= this.dma32BitPfn && size >= this.max32AllocSize) return -1;
    const align = sizeAligned ? roundupPow2(size) : 1;
    const limit = limitPfn + 1; // exclusive, as alloc_iova() passes limit_pfn + 1
    let lowPfn = this.startPfn;
    let highPfn = limit;
    const cachedLo = limit <= this.dma32BitPfn ? this.cached32Node : this.cachedNode;
    let curr = cachedLo === ANCHOR ? this.lo.length : this.indexOf(cachedLo);
    const retryPfn = curr === this.lo.length ? ANCHOR : this.hi[curr]!;
    let newPfn = -1;
    for (let pass = 0; pass < 2; pass++) {
      for (;;) {
        const currLo = curr === this.lo.length ? ANCHOR : this.lo[curr]!;
        if (currLo < highPfn) highPfn = currLo;
        newPfn = highPfn < size ? -1 : highPfn - size - lowBits(highPfn - size, align);
        curr--;
        if (curr < 0 || newPfn < 0 || newPfn > this.hi[curr]! || newPfn < lowPfn) break;
      }
      if (newPfn >= 0 && newPfn >= lowPfn) break;
      if (pass === 0 && lowPfn === this.startPfn && retryPfn < limit) {
        // Rescan once from the limit down to just above where the cached search began.
        highPfn = limit;
        lowPfn = retryPfn + 1;
        curr = this.findLimit(limit);
        continue;
      }
      this.max32AllocSize = size;
      return -1;
    }
    const at = this.floorIndex(newPfn) + 1;
    this.insertAt(at, newPfn, newPfn + size - 1, KIND_ALLOC);
    this.treeGranules += size;
    // __cached_rbnode_insert_update()
    if (newPfn + size - 1 < this.dma32BitPfn) this.cached32Node = newPfn;
    else this.cachedNode = newPfn;
    return newPfn;
  }

  /** iova_find_limit(): index of the lowest node reaching `limit` (exclusive); anchor above 32 bits. */
  private findLimit(limit: number): number {
    if (limit > this.dma32BitPfn) return this.lo.length;
    let a = 0;
    let b = this.lo.length;
    while (a < b) {
      const m = (a + b) >>> 1;
      if (this.hi[m]! < limit) a = m + 1;
      else b = m;
    }
    return a;
  }

  private removeAt(i: number): void {
    const lo = this.lo[i]!;
    const hi = this.hi[i]!;
    // __cached_rbnode_delete_update(): the cache moves to rb_next(free).
    const nextLo = i + 1 < this.lo.length ? this.lo[i + 1]! : ANCHOR;
    if (this.cached32Node === lo || (hi < this.dma32BitPfn && lo >= this.cached32Node)) {
      this.cached32Node = nextLo;
    }
    if (lo < this.dma32BitPfn) this.max32AllocSize = this.dma32BitPfn;
    if (lo >= this.cachedNode) this.cachedNode = nextLo;
    this.lo.splice(i, 1);
    this.hi.splice(i, 1);
    this.kind.splice(i, 1);
    this.treeGranules -= hi - lo + 1;
  }

  private insertAt(i: number, lo: number, hi: number, kind: number): void {
    this.lo.splice(i, 0, lo);
    this.hi.splice(i, 0, hi);
    this.kind.splice(i, 0, kind);
  }

  /** Index of the node with pfn_lo == pfn, or -1. */
  private indexOf(pfn: number): number {
    const i = this.floorIndex(pfn);
    return i >= 0 && this.lo[i] === pfn ? i : -1;
  }

  /** Index of the last node with pfn_lo <= pfn, or -1. */
  private floorIndex(pfn: number): number {
    let a = 0;
    let b = this.lo.length;
    while (a < b) {
      const m = (a + b) >>> 1;
      if (this.lo[m]! <= pfn) a = m + 1;
      else b = m;
    }
    return a - 1;
  }

  // --- range cache (iova_rcache_get / iova_rcache_insert) ---

  private rcacheGet(size: number, limitPfn: number): number {
    if (this.rcaches === null) return 0;
    const order = orderBase2(size);
    if (order >= IOVA_RANGE_CACHE_MAX_SIZE) return 0;
    const rc = this.rcaches[order]!;
    let has = false;
    if (rc.loaded.pfns.length !== 0) has = true;
    else if (rc.prev.pfns.length !== 0) {
      [rc.loaded, rc.prev] = [rc.prev, rc.loaded];
      has = true;
    } else if (rc.depot.length !== 0) {
      rc.loaded = rc.depot.pop()!;
      has = true;
    }
    if (!has) return 0;
    // iova_magazine_pop(): the topmost slot whose pfn fits under limit_pfn - size.
    const pfns = rc.loaded.pfns;
    const max = limitPfn - size;
    let i = pfns.length - 1;
    while (pfns[i]! > max) {
      if (i === 0) return 0;
      i--;
    }
    const pfn = pfns[i]!;
    pfns[i] = pfns[pfns.length - 1]!;
    pfns.pop();
    this.cachedGranules -= this.parked.get(pfn)!;
    this.parked.delete(pfn);
    return pfn;
  }

  private rcacheInsert(pfn: number, size: number, index: number): boolean {
    if (this.rcaches === null) return false;
    const order = orderBase2(size);
    if (order >= IOVA_RANGE_CACHE_MAX_SIZE) return false;
    const rc = this.rcaches[order]!;
    if (rc.loaded.pfns.length === IOVA_MAG_SIZE) {
      if (rc.prev.pfns.length !== IOVA_MAG_SIZE) {
        [rc.loaded, rc.prev] = [rc.prev, rc.loaded];
      } else {
        // iova_depot_push(): the depot is a LIFO list (the array's end is its head).
        rc.depot.push(rc.loaded);
        rc.loaded = { pfns: [] };
        // iova_depot_work_func() trims down to one magazine per online CPU (one here), each time
        // popping the head: the magazine pushed last goes back to the tree, older ones stay.
        while (rc.depot.length > 1) this.freeMagazine(rc.depot.pop()!);
      }
    }
    rc.loaded.pfns.push(pfn);
    const granules = this.hi[index]! - this.lo[index]! + 1;
    this.parked.set(pfn, granules);
    this.cachedGranules += granules;
    return true;
  }

  private freeMagazine(mag: Magazine): void {
    for (const pfn of mag.pfns) {
      this.cachedGranules -= this.parked.get(pfn)!;
      this.parked.delete(pfn);
      this.removeAt(this.indexOf(pfn));
    }
    mag.pfns.length = 0;
  }
}

/** The size alloc_iova_fast() really allocates: under 32 granules, the next power of two. */
function fastRounded(size: number): number {
  return size < 2 ** (IOVA_RANGE_CACHE_MAX_SIZE - 1) ? roundupPow2(size) : size;
}

/** True for a safe integer >= `min`. */
function isCount(v: unknown, min: number): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= min;
}

function checkSize(size: number): void {
  checkU53("size", size);
  if (size === 0) throw new RlistError("EINVAL", "IOVA allocation of 0 granules");
}

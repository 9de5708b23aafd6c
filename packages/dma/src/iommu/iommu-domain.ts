/**
 * An IOMMU domain as dma-iommu sees it: a page table you map into and `translate()` through, an
 * IOVA allocator (`struct iova_domain`), and the counters a kernel engineer would look at:
 * leaves mapped per page size, page-table pages, IOTLB syncs.
 */
import { checkU53, formatValue, log2Pow2, lowBits, RlistError } from "@rlist/encoding";
import { checkInstance, checkObject, optionsObject, orDefault } from "../args.js";
import type { FaultInjector } from "./faults.js";
import { type FlushQueueOptions, type IotlbExposure, IovaFlushQueue } from "./flush-queue.js";
import { Iotlb } from "./iotlb.js";
import { IovaAllocator } from "./iova-allocator.js";
import { IoPageTable, levelSizeAt, type PteLookup } from "./page-table.js";
import { SimClock } from "./sim-clock.js";

export const SZ_4K = 0x1000;
export const SZ_2M = 0x20_0000;
export const SZ_1G = 0x4000_0000;

/** Per-device IOMMU state that outlives one mapping (like `dev->iommu->pci_32bit_workaround`). */
export interface IommuDeviceState {
  /** Try IOVAs below 4 GiB first (single-address-cycle PCI); cleared after the first failure. */
  pci32BitWorkaround: boolean;
}

export interface IommuDomainOptions {
  /** Supported page sizes as a bitmap (`pgsize_bitmap`); must include 4 KiB. Default 4K|2M|1G. */
  pageSizes?: number;
  /** Page-table levels: 3 (39-bit IOVA) or 4 (48-bit, default). */
  levels?: number;
  /** Highest IOVA the domain may use (`geometry.aperture_end`). Default the page-table limit - 1. */
  apertureEnd?: number;
  /** IOVA byte ranges [start, end] never handed out (e.g. the x86 MSI window 0xFEE00000-0xFEEFFFFF). */
  reservedRegions?: ReadonlyArray<readonly [number, number]>;
  /** Enables the IOVA range cache. Default true. */
  rcache?: boolean;
  /** Fault injection for sites `"iova"` and `"pgtable"`. */
  faults?: FaultInjector;
  /**
   * `iommu.strict`: true (default) invalidates the IOTLB on every DMA unmap before the IOVA is
   * freed; false is lazy mode (IOMMU_DOMAIN_DMA_FQ): DMA unmaps clear the PTEs, park the IOVA on
   * the flush queue and leave the IOTLB as it is until the queue flushes.
   */
  strict?: boolean;
  /** Flush queue size and timeout in lazy mode (default 256 slots, 10 ms). */
  flushQueue?: FlushQueueOptions;
  /** The clock the flush-queue timer runs on (default: a new one, see `domain.clock`). */
  clock?: SimClock;
  /** IOTLB entries kept in lazy mode, oldest evicted first; 0 (default) keeps every one used. */
  iotlbEntries?: number;
}

/**
 * Like `struct iommu_iotlb_gather`: the IOVA range an unmap cleared and still has to invalidate,
 * and whether the invalidation is left to the flush queue (`queued`).
 */
export interface IotlbGather {
  start: number;
  end: number;
  /** Bytes of PTEs cleared into this gather. */
  bytes: number;
  readonly queued: boolean;
}

/**
 * Throws unless `g` is an {@link IotlbGather} (what {@link IommuDomain.gatherInit} returns):
 * `EINVAL` for what is not one, `ERANGE` for a field outside its range. Its fields are read
 * before the caller changes anything, so a bad gather leaves the domain as it was.
 */
function checkGather(g: IotlbGather): void {
  if (typeof g !== "object" || g === null)
    throw new RlistError("EINVAL", `an IOTLB gather must be an object, got ${formatValue(g)}`);
  const { start, end, bytes, queued } = g;
  if (start !== Number.POSITIVE_INFINITY) checkU53("gather.start", start);
  checkU53("gather.end", end);
  checkU53("gather.bytes", bytes);
  if (typeof queued !== "boolean")
    throw new RlistError("EINVAL", `gather.queued must be a boolean, got ${formatValue(queued)}`);
}

/** What a lazy domain's IOTLB and flush queue exposed; all zero for a strict domain. */
export interface DomainExposure extends IotlbExposure {
  /** Cached IOTLB leaves whose PTE is gone or changed: reachable by the device right now. */
  staleIotlbEntries: number;
  /** Bytes those stale leaves cover. */
  staleIotlbBytes: number;
}

export interface IommuCounters {
  /** iommu_map()-style calls (each may map several leaves). */
  mapCalls: number;
  /** iommu_unmap()-style calls. */
  unmapCalls: number;
  /** IOTLB syncs: iotlb_sync_map after maps, iotlb_sync after an unmap gather. */
  iotlbSyncs: number;
  /** IOVA allocations that succeeded. */
  iovaAllocs: number;
  /**
   * IOTLB invalidations: one per strict unmap sync, one per flush-queue `flush_iotlb_all()`. The
   * hardware cost that lazy mode saves.
   */
  iotlbInvalidations: number;
}

export class IommuDomain {
  readonly pageSizes: number;
  /** Smallest page size: the IOVA granule and the merge boundary + 1. */
  readonly granule: number;
  readonly apertureEnd: number;
  readonly pageTable: IoPageTable;
  readonly iovad: IovaAllocator;
  readonly counters: IommuCounters = {
    mapCalls: 0,
    unmapCalls: 0,
    iotlbSyncs: 0,
    iovaAllocs: 0,
    iotlbInvalidations: 0,
  };
  /** `iommu.strict`: false for a lazy (flush-queue) domain. */
  readonly strict: boolean;
  /** The flush queue of a lazy domain; null in strict mode. */
  readonly flushQueue: IovaFlushQueue | null;
  /** The IOTLB model of a lazy domain (what the device used and may still use); null in strict mode. */
  readonly iotlb: Iotlb | null;
  /** Simulated time for the flush-queue timer (advance it to let timed flushes happen). */
  readonly clock: SimClock;
  private readonly lookup: PteLookup = { phys: 0, pageSize: 0, pageIova: 0, prot: 0 };
  /** The range unmapNoSync() cleared since the last flushIotlb(). */
  private readonly pending: IotlbGather = {
    start: Number.POSITIVE_INFINITY,
    end: 0,
    bytes: 0,
    queued: false,
  };

  constructor(options: IommuDomainOptions = {}) {
    checkObject("IOMMU domain options", options);
    const pageSizes = orDefault("pageSizes", options.pageSizes, SZ_4K + SZ_2M + SZ_1G);
    checkU53("pageSizes", pageSizes);
    for (let s = pageSizes, bit = 2 ** 52; s > 0; bit /= 2) {
      if (s >= bit) {
        if (bit !== SZ_4K && bit !== SZ_2M && bit !== SZ_1G) {
          throw new RlistError("EOPNOTSUPP", `page size ${bit} is not one of 4K / 2M / 1G`);
        }
        s -= bit;
      }
    }
    if ((Math.floor(pageSizes / SZ_4K) & 1) !== 1)
      throw new RlistError("EINVAL", "pageSizes must include 4 KiB");
    this.pageSizes = pageSizes;
    this.granule = SZ_4K;
    this.pageTable = new IoPageTable({
      levels: orDefault("levels", options.levels, 4),
      pageSizes,
      ...(options.faults ? { faults: options.faults } : {}),
    });
    this.apertureEnd = orDefault("apertureEnd", options.apertureEnd, this.pageTable.ivaLimit - 1);
    checkU53("apertureEnd", this.apertureEnd);
    if (this.apertureEnd >= this.pageTable.ivaLimit) {
      throw new RlistError("ERANGE", "apertureEnd beyond what the page table can map");
    }
    this.iovad = new IovaAllocator({
      granule: this.granule,
      ...(options.rcache === undefined ? {} : { rcache: options.rcache }),
      ...(options.faults ? { faults: options.faults } : {}),
    });
    const reserved = options.reservedRegions ?? [];
    if (!Array.isArray(reserved))
      throw new RlistError("EINVAL", `reservedRegions must be an array, got ${formatValue(reserved)}`);
    for (const r of reserved) {
      if (!Array.isArray(r) || r.length !== 2)
        throw new RlistError("EINVAL", `a reserved region must be [start, end], got ${formatValue(r)}`);
      const [start, end] = r as unknown as readonly [number, number];
      checkU53("reserved region start", start);
      checkU53("reserved region end", end);
      this.iovad.reserve(Math.floor(start / this.granule), Math.floor(end / this.granule));
    }
    const strict = options.strict ?? true;
    if (typeof strict !== "boolean")
      throw new RlistError("EINVAL", `strict must be a boolean, got ${formatValue(strict)}`);
    if (options.clock !== undefined) checkInstance("clock", options.clock, SimClock);
    const fqOptions = optionsObject("flushQueue options", options.flushQueue);
    const iotlbEntries = options.iotlbEntries ?? 0;
    if (!Number.isSafeInteger(iotlbEntries) || iotlbEntries < 0) {
      throw new RlistError(
        "EINVAL",
        `iotlbEntries must be a non-negative integer, got ${formatValue(iotlbEntries)}`,
      );
    }
    this.strict = strict;
    this.clock = options.clock ?? new SimClock();
    if (this.strict) {
      this.flushQueue = null;
      this.iotlb = null;
    } else {
      this.iotlb = new Iotlb(iotlbEntries);
      this.flushQueue = new IovaFlushQueue(
        {
          flushIotlbAll: () => this.flushIotlbAll(),
          freeIovaFast: (pfn, pages) => this.iovad.freeFast(pfn, pages),
        },
        this.clock,
        fqOptions,
      );
    }
  }

  /** iova_align(): `size` rounded up to the granule. */
  ivaAlign(size: number): number {
    checkU53("size", size);
    const g = this.granule;
    const r = lowBits(size, g);
    return r === 0 ? size : size - r + g;
  }

  /**
   * Like iommu_dma_alloc_iova(): `size` bytes (granule multiple) below min(`dmaLimit`, aperture).
   * With `device.pci32BitWorkaround` and a limit above 4 GiB it tries below 4 GiB first and
   * clears the flag on failure ("Using N-bit DMA addresses"). Throws `ENOMEM`.
   */
  allocIova(size: number, dmaLimit: number, device?: IommuDeviceState): number {
    checkU53("size", size);
    checkU53("dmaLimit", dmaLimit);
    if (device !== undefined) checkObject("device", device);
    if (size === 0 || lowBits(size, this.granule) !== 0) {
      throw new RlistError("EINVAL", `IOVA size ${size} is not a non-zero granule multiple`);
    }
    const shift = log2Pow2(this.granule);
    const pages = size / this.granule;
    const limit = Math.min(dmaLimit, this.apertureEnd);
    if (limit > 0xffff_ffff && device?.pci32BitWorkaround) {
      try {
        const pfn = this.iovad.allocFast(pages, Math.floor(0xffff_ffff / 2 ** shift), false);
        this.counters.iovaAllocs++;
        return pfn * this.granule;
      } catch (e) {
        if (!(e instanceof RlistError) || e.code !== "ENOMEM") throw e;
        device.pci32BitWorkaround = false;
      }
    }
    const pfn = this.iovad.allocFast(pages, Math.floor(limit / this.granule), true);
    this.counters.iovaAllocs++;
    return pfn * this.granule;
  }

  /**
   * Like iommu_dma_free_iova(): returns the allocation at `iova` through the range cache. `iova`
   * must be what {@link allocIova} returned and `size` the size asked for (or one that rounds to
   * the same allocation, see `IovaAllocator.freeFast`); otherwise `EINVAL` and nothing is freed,
   * like dma-debug's "frees DMA memory it has not allocated" / "with different size" reports.
   */
  freeIova(iova: number, size: number): void {
    const g = this.granule;
    if (
      typeof iova !== "number" ||
      typeof size !== "number" ||
      !Number.isSafeInteger(iova) ||
      !Number.isSafeInteger(size) ||
      iova < 0 ||
      size <= 0 ||
      !Number.isInteger(iova / g)
    ) {
      throw new RlistError("EINVAL", `free of ${formatValue(size)} IOVA bytes at ${formatValue(iova)}`);
    }
    this.iovad.freeFast(iova / g, Math.ceil(size / g));
  }

  /** Like iommu_map(): map + iotlb_sync_map. Throws with nothing mapped on failure. */
  map(iova: number, phys: number, size: number, prot: number): void {
    this.mapNoSync(iova, phys, size, prot);
    this.syncMap();
  }

  /** Like iommu_map_nosync(): used by dma_iova_link(), which syncs once at the end. */
  mapNoSync(iova: number, phys: number, size: number, prot: number): void {
    this.counters.mapCalls++;
    this.pageTable.map(iova, phys, size, prot);
  }

  /**
   * @internal {@link mapNoSync} of one 4 KiB page: the mappers' per-page call, small enough to
   * inline. `iova` and `phys` are 4 KiB-aligned safe integers (the caller's invariant); the page
   * table's region cache takes it when it can, its full walk (and checks) otherwise.
   */
  map4kNoSync(iova: number, phys: number, prot: number): void {
    this.counters.mapCalls++;
    const pt = this.pageTable;
    if (phys >= 2 ** 52 || !pt.map4k(iova, phys, prot)) pt.map(iova, phys, 0x1000, prot);
  }

  /** Like iommu_sync_map(): one IOTLB sync for everything mapped since the last one. */
  syncMap(): void {
    this.counters.iotlbSyncs++;
  }

  /** Like iommu_unmap(): unmaps and syncs the IOTLB once; returns the bytes unmapped. */
  unmap(iova: number, size: number): number {
    const n = this.unmapNoSync(iova, size);
    this.flushIotlb();
    return n;
  }

  /** Like iommu_unmap_fast() into a gather: the caller flushes with {@link flushIotlb}. */
  unmapNoSync(iova: number, size: number): number {
    return this.unmapFast(iova, size, this.pending);
  }

  /** Like iommu_iotlb_sync() of the gather {@link unmapNoSync} filled. */
  flushIotlb(): void {
    this.iotlbSync(this.pending);
  }

  /**
   * Like iommu_iotlb_gather_init() in __iommu_dma_unmap(): a gather for a DMA-API unmap, `queued`
   * when the domain has a flush queue (and `queue` is not false: dma_iova_unlink() never queues).
   */
  gatherInit(queue = true): IotlbGather {
    if (typeof queue !== "boolean")
      throw new RlistError("EINVAL", `queue must be a boolean, got ${formatValue(queue)}`);
    return { start: Number.POSITIVE_INFINITY, end: 0, bytes: 0, queued: queue && this.flushQueue !== null };
  }

  /** Like iommu_unmap_fast(): clears the PTEs of `[iova, iova + size)` into `gather`; bytes unmapped. */
  unmapFast(iova: number, size: number, gather: IotlbGather): number {
    checkGather(gather);
    this.counters.unmapCalls++;
    const n = this.pageTable.unmap(iova, size);
    if (n !== 0) {
      if (iova < gather.start) gather.start = iova;
      if (iova + n > gather.end) gather.end = iova + n;
      gather.bytes += n;
    }
    return n;
  }

  /** Like iommu_iotlb_sync(): invalidates the gathered range in the IOTLB now, then empties the gather. */
  iotlbSync(gather: IotlbGather): void {
    checkGather(gather);
    this.counters.iotlbSyncs++;
    this.counters.iotlbInvalidations++;
    // An empty gather (start +Infinity) invalidates nothing.
    if (gather.end > gather.start) this.iotlb?.invalidateRange(gather.start, gather.end);
    gather.start = Number.POSITIVE_INFINITY;
    gather.end = 0;
    gather.bytes = 0;
  }

  /**
   * Like iommu_dma_free_iova(): a queued gather parks the IOVA on the flush queue (its PTEs are
   * cleared, its IOTLB entries are not invalidated yet); otherwise the IOVA is freed now (the
   * caller synced the gather first, as __iommu_dma_unmap() does).
   */
  dmaFreeIova(iova: number, size: number, gather: IotlbGather): void {
    checkGather(gather);
    if (!gather.queued) {
      this.freeIova(iova, size);
      return;
    }
    if (this.flushQueue === null)
      throw new RlistError("EINVAL", "a queued gather on a domain without a flush queue (strict mode)");
    const pfn = iova / this.granule;
    const pages = Math.ceil(size / this.granule);
    // Checked now, as freeIova() would: the queue frees it later, from a timer.
    this.iovad.checkFreeFast(pfn, pages);
    const fq = this.flushQueue;
    if (fq.holds(pfn)) {
      throw new RlistError("EINVAL", `IOVA 0x${iova.toString(16)} is already on the flush queue`);
    }
    fq.queue(pfn, pages, gather.bytes);
    gather.start = Number.POSITIVE_INFINITY;
    gather.end = 0;
    gather.bytes = 0;
  }

  /** flush_iotlb_all(), the flush queue's invalidation: the whole IOTLB at once. */
  private flushIotlbAll(): void {
    this.counters.iotlbSyncs++;
    this.counters.iotlbInvalidations++;
    this.iotlb?.invalidateAll();
  }

  /**
   * What the device's IOMMU returns for `iova`: the IOTLB first (lazy domains), then the page
   * walk, which fills the IOTLB. Fills `out`; returns -1 on a fault, 1 when a stale IOTLB entry
   * answered (its PTE is gone or changed), 0 otherwise.
   */
  deviceLookup(iova: number, out: PteLookup): number {
    checkU53("iova", iova);
    checkObject("out", out);
    const tlb = this.iotlb;
    if (tlb?.lookup(iova, out)) {
      return this.pageTable.translate(iova) === out.phys ? 0 : 1;
    }
    if (!this.pageTable.lookupInto(iova, out)) return -1;
    tlb?.fill(out);
    return 0;
  }

  /**
   * The exposure lazy invalidation opened (see {@link IotlbExposure}) plus the IOTLB entries that
   * are stale right now; all zero in strict mode, where nothing outlives its unmap.
   */
  exposure(): DomainExposure {
    const base: IotlbExposure = this.flushQueue?.exposure() ?? {
      unmaps: 0,
      unmappedBytes: 0,
      openBytes: 0,
      oldestOpenMs: 0,
      byteMs: 0,
      maxWindowMs: 0,
      meanWindowMs: 0,
      flushes: { full: 0, timeout: 0, explicit: 0 },
      queued: 0,
      queuedGranules: 0,
    };
    let staleIotlbEntries = 0;
    let staleIotlbBytes = 0;
    for (const [iova, phys, size] of this.iotlb?.entries() ?? []) {
      // A leaf is unmapped whole (the page table refuses partial unmaps): its first byte tells.
      if (this.pageTable.translate(iova) !== phys) {
        staleIotlbEntries++;
        staleIotlbBytes += size;
      }
    }
    return { ...base, staleIotlbEntries, staleIotlbBytes };
  }

  /** Like iommu_iova_to_phys(): the physical address of `iova`, or -1 on a translation fault. */
  translate(iova: number): number {
    checkU53("iova", iova);
    return this.pageTable.translate(iova);
  }

  /** Protection bits of the leaf mapping `iova`, or -1 on a fault. */
  protectionOf(iova: number): number {
    checkU53("iova", iova);
    return this.pageTable.lookupInto(iova, this.lookup) ? this.lookup.prot : -1;
  }

  /** Leaves mapped, by page size (e.g. `{ 4096: 3, 2097152: 1 }`). */
  mappedPagesBySize(): Record<number, number> {
    const out: Record<number, number> = {};
    this.pageTable.mappedLeaves.forEach((n, level) => {
      if (n !== 0) out[levelSizeAt(level)] = n;
    });
    return out;
  }

  /** Total leaves mapped (any size). */
  get mappedPages(): number {
    return this.pageTable.mappedLeaves.reduce((a, b) => a + b, 0);
  }

  /** Bytes mapped. */
  get mappedBytes(): number {
    return this.pageTable.mappedBytes;
  }

  /** Page-table pages in use (root included). */
  get pageTablePages(): number {
    return this.pageTable.tablePages;
  }

  /**
   * True when nothing is mapped and no IOVA is held by a caller (range-cache entries are free). In
   * lazy mode IOVA parked on the flush queue is still held: flush the queue (or let its timer fire).
   */
  get idle(): boolean {
    return this.mappedPages === 0 && this.iovad.outstandingGranules === 0;
  }
}

/**
 * An IOMMU domain as dma-iommu sees it: a page table you map into and `translate()` through, an
 * IOVA allocator (`struct iova_domain`), and the counters a kernel engineer would look at:
 * leaves mapped per page size, page-table pages, IOTLB syncs.
 */
import { formatValue, RlistError } from "@rlist/encoding";
import { checkU53, log2Pow2 } from "./bits.js";
import type { FaultInjector } from "./faults.js";
import { IovaAllocator } from "./iova-allocator.js";
import { IoPageTable, levelSize, type PteLookup } from "./page-table.js";

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
}

export class IommuDomain {
  readonly pageSizes: number;
  /** Smallest page size: the IOVA granule and the merge boundary + 1. */
  readonly granule: number;
  readonly apertureEnd: number;
  readonly pageTable: IoPageTable;
  readonly iovad: IovaAllocator;
  readonly counters: IommuCounters = { mapCalls: 0, unmapCalls: 0, iotlbSyncs: 0, iovaAllocs: 0 };
  private readonly lookup: PteLookup = { phys: 0, pageSize: 0, pageIova: 0, prot: 0 };

  constructor(options: IommuDomainOptions = {}) {
    const pageSizes = options.pageSizes ?? SZ_4K + SZ_2M + SZ_1G;
    checkU53("pageSizes", pageSizes);
    for (let s = pageSizes, bit = 2 ** 52; s > 0; bit /= 2) {
      if (s >= bit) {
        if (bit !== SZ_4K && bit !== SZ_2M && bit !== SZ_1G) {
          throw new RlistError("EOPNOTSUPP", `page size ${bit} is not one of 4K / 2M / 1G`);
        }
        s -= bit;
      }
    }
    if (Math.floor(pageSizes / SZ_4K) % 2 !== 1)
      throw new RlistError("EINVAL", "pageSizes must include 4 KiB");
    this.pageSizes = pageSizes;
    this.granule = SZ_4K;
    this.pageTable = new IoPageTable({
      levels: options.levels ?? 4,
      pageSizes,
      ...(options.faults ? { faults: options.faults } : {}),
    });
    this.apertureEnd = options.apertureEnd ?? this.pageTable.ivaLimit - 1;
    checkU53("apertureEnd", this.apertureEnd);
    if (this.apertureEnd >= this.pageTable.ivaLimit) {
      throw new RlistError("ERANGE", "apertureEnd beyond what the page table can map");
    }
    this.iovad = new IovaAllocator({
      granule: this.granule,
      ...(options.rcache === undefined ? {} : { rcache: options.rcache }),
      ...(options.faults ? { faults: options.faults } : {}),
    });
    for (const [start, end] of options.reservedRegions ?? []) {
      this.iovad.reserve(Math.floor(start / this.granule), Math.floor(end / this.granule));
    }
  }

  /** iova_align(): `size` rounded up to the granule. */
  ivaAlign(size: number): number {
    const r = size % this.granule;
    return r === 0 ? size : size - r + this.granule;
  }

  /**
   * Like iommu_dma_alloc_iova(): `size` bytes (granule multiple) below min(`dmaLimit`, aperture).
   * With `device.pci32BitWorkaround` and a limit above 4 GiB it tries below 4 GiB first and
   * clears the flag on failure ("Using N-bit DMA addresses"). Throws `ENOMEM`.
   */
  allocIova(size: number, dmaLimit: number, device?: IommuDeviceState): number {
    checkU53("size", size);
    checkU53("dmaLimit", dmaLimit);
    if (size === 0 || size % this.granule !== 0) {
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

  /** Like iommu_sync_map(): one IOTLB sync for everything mapped since the last one. */
  syncMap(): void {
    this.counters.iotlbSyncs++;
  }

  /** Like iommu_unmap(): unmaps and syncs the IOTLB once; returns the bytes unmapped. */
  unmap(iova: number, size: number): number {
    const n = this.unmapNoSync(iova, size);
    this.counters.iotlbSyncs++;
    return n;
  }

  /** Like iommu_unmap_fast() into a gather: the caller flushes with {@link flushIotlb}. */
  unmapNoSync(iova: number, size: number): number {
    this.counters.unmapCalls++;
    return this.pageTable.unmap(iova, size);
  }

  /** Like iommu_iotlb_sync() of a gather. */
  flushIotlb(): void {
    this.counters.iotlbSyncs++;
  }

  /** Like iommu_iova_to_phys(): the physical address of `iova`, or -1 on a translation fault. */
  translate(iova: number): number {
    return this.pageTable.translate(iova);
  }

  /** Protection bits of the leaf mapping `iova`, or -1 on a fault. */
  protectionOf(iova: number): number {
    return this.pageTable.lookupInto(iova, this.lookup) ? this.lookup.prot : -1;
  }

  /** Leaves mapped, by page size (e.g. `{ 4096: 3, 2097152: 1 }`). */
  mappedPagesBySize(): Record<number, number> {
    const out: Record<number, number> = {};
    this.pageTable.mappedLeaves.forEach((n, level) => {
      if (n !== 0) out[levelSize(level)] = n;
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

  /** True when nothing is mapped and no IOVA is held by a caller (range-cache entries are free). */
  get idle(): boolean {
    return this.mappedPages === 0 && this.iovad.outstandingGranules === 0;
  }
}

/**
 * `DmaMapping`: a live mapping made by {@link mapRangeList}, what `dma_map_rlist()` hands a driver:
 * the DMA list to program the device with, and the handle to sync and unmap it.
 *
 * Ownership: the mapping keeps a private {@link MappingRecord} of what it took (IOVA window and
 * spans, bounce slots) and releases exactly that. The DMA list it hands out is frozen while it is
 * mapped (its mutators throw `EBUSY`), so the list the caller reads is the list that was mapped.
 */
import { RlistError } from "@rlist/encoding";
import type { CpuListSource } from "./cpu-source.js";
import type { DmaDevice } from "./device.js";
import type { DmaDirection } from "./direction.js";
import { DmaKind, type DmaRangeList, freezeDmaList } from "./dma-range-list.js";
import type { MappingRecord } from "./mapping-record.js";

/** Which implementation mapped the list. */
export type DmaMapPath = "identity" | "direct" | "iommu-linear" | "iommu-per-entry";

/** A live mapping: the DMA list plus what is needed to sync and unmap it. */
export class DmaMapping {
  readonly device: DmaDevice;
  readonly cpuList: CpuListSource;
  readonly list: DmaRangeList;
  readonly direction: DmaDirection;
  readonly path: DmaMapPath;
  /** Map-type computations the per-mapping P2P cache made (provider changes). */
  readonly p2pLookups: number;
  readonly #record: MappingRecord;
  readonly #skipCpuSync: boolean;
  #live = true;

  /** @internal use {@link mapRangeList}. */
  constructor(
    device: DmaDevice,
    cpuList: CpuListSource,
    list: DmaRangeList,
    direction: DmaDirection,
    path: DmaMapPath,
    record: MappingRecord,
    skipCpuSync: boolean,
    p2pLookups: number,
  ) {
    this.device = device;
    this.cpuList = cpuList;
    this.list = list;
    this.direction = direction;
    this.path = path;
    this.#record = record;
    this.#skipCpuSync = skipCpuSync;
    this.p2pLookups = p2pLookups;
    freezeDmaList(list, true);
  }

  /** False after {@link unmap}. */
  get mapped(): boolean {
    return this.#live;
  }

  /** IOVA window start, or -1 when no IOVA was allocated. */
  get iova(): number {
    return this.#record.iova;
  }

  /** IOVA window size in bytes (0 without a window). */
  get iovaSize(): number {
    return this.#record.iovaSize;
  }

  /**
   * Like dma_unmap_rlist(): unmaps every IOVA span the mapping programmed (touching spans in one
   * call, one IOTLB flush), frees the IOVA window, copies bounce buffers back (FROM_DEVICE /
   * BIDIRECTIONAL) and releases their slots; then the DMA list is emptied and is the caller's
   * again. `EBUSY` if already unmapped.
   */
  unmap(): void {
    if (!this.#live) throw new RlistError("EBUSY", "mapping already unmapped");
    const dev = this.device;
    const rec = this.#record;
    if (dev.iommu !== null) rec.releaseIova(dev.iommu);
    if (dev.swiotlb !== null) rec.releaseBounces(dev.swiotlb, this.direction, dev.segmentation.minAlignMask);
    if (!dev.coherent && !this.#skipCpuSync && this.direction !== "to-device") {
      dev.counters.cacheSyncs += rec.entries;
    }
    this.#live = false;
    freezeDmaList(this.list, false);
    this.list.clear();
    dev.counters.unmaps++;
  }

  /** Like dma_sync_*_for_cpu(): makes device writes visible to the CPU (bounce copy, cache sync). */
  syncForCpu(): void {
    this.#sync("cpu");
  }

  /** Like dma_sync_*_for_device(): makes CPU writes visible to the device. */
  syncForDevice(): void {
    this.#sync("device");
  }

  #sync(to: "cpu" | "device"): void {
    if (!this.#live) throw new RlistError("EBUSY", "mapping already unmapped");
    const dev = this.device;
    const b = this.#record.bounces;
    if (b.count !== 0) {
      const tlb = dev.swiotlb!;
      const mask = dev.segmentation.minAlignMask;
      for (let i = 0; i < b.count; i++) {
        if (to === "cpu") tlb.syncForCpu(b.tlb(i), b.length(i), this.direction, mask);
        else tlb.syncForDevice(b.tlb(i), b.length(i), this.direction, mask);
      }
    }
    if (!dev.coherent) {
      const c = this.list.cursor();
      for (let ok = c.reset(); ok; ok = c.next()) {
        if (c.kind !== DmaKind.BUS_ADDR && c.kind !== DmaKind.BOUNCE) dev.counters.cacheSyncs++;
      }
    }
  }
}

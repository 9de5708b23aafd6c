/**
 * `DmaMapping`: a live mapping made by {@link mapRangeList}, what `dma_map_rlist()` hands a driver:
 * the DMA list to program the device with, and the handle to sync and unmap it.
 *
 * Ownership: the mapping keeps a private {@link MappingRecord} of what it took (IOVA window and
 * spans, bounce slots) and releases exactly that. The DMA list it hands out is frozen while it is
 * mapped (its mutators throw `EBUSY`), so the list the caller reads is the list that was mapped.
 */
import { formatValue, RlistError } from "@rlist/encoding";
import { orDefault } from "../args.js";
import { DmaKind, type DmaRangeList, freezeDmaList } from "../dma-list/dma-range-list.js";
import { checkFactory } from "../factory.js";
import type { CpuListSource } from "./cpu-source.js";
import type { DmaDevice, OutstandingDma, SyncAtResult } from "./device.js";
import { type DmaDirection, isDmaDirection } from "./direction.js";
import type { MappingRecord } from "./mapping-record.js";

/** Which implementation mapped the list. */
export type DmaMapPath = "identity" | "direct" | "iommu-linear" | "iommu-per-entry" | "iommu-untrusted";

/**
 * Part of a mapping to sync (`dma_sync_single_range_for_*()`): bytes `[offset, offset + length)`
 * of the DMA list, in `direction`. Defaults: the whole list, the mapping's direction.
 */
export interface DmaSyncRange {
  offset?: number;
  length?: number;
  direction?: DmaDirection;
}

/** Who made a mapping: the caller's tag and the call's stack (see `DmaDevice.outstanding()`). */
export interface MappingOrigin {
  readonly tag: string | null;
  readonly stack: string | null;
}

let setOwner: (mapping: DmaMapping, owner: string | null) => void;
let releaseOwned: (mapping: DmaMapping) => void;

/**
 * @internal Hands `mapping` to an owner (a dma-buf attachment, an RDMA MR): from then on only
 * {@link releaseOwnedMapping} unmaps it, and `mapping.unmap()` is `EBUSY` naming the owner.
 */
export function claimMapping(mapping: DmaMapping, owner: string): void {
  setOwner(mapping, owner);
}

/** @internal The owner's unmap of a mapping it claimed. */
export function releaseOwnedMapping(mapping: DmaMapping): void {
  releaseOwned(mapping);
}

/** A live mapping: the DMA list plus what is needed to sync and unmap it. */
export class DmaMapping {
  static {
    setOwner = (m, owner) => {
      m.#owner = owner;
    };
    releaseOwned = (m) => {
      m.#release();
    };
  }

  readonly device: DmaDevice;
  readonly cpuList: CpuListSource;
  readonly list: DmaRangeList;
  readonly direction: DmaDirection;
  readonly path: DmaMapPath;
  /** Map-type computations the per-mapping P2P cache made (provider changes). */
  readonly p2pLookups: number;
  /** The caller's tag (`MapOptions.tag`), or null. */
  readonly tag: string | null;
  readonly #record: MappingRecord;
  readonly #skipCpuSync: boolean;
  readonly #stack: string | null;
  #owner: string | null = null;
  #live = true;

  /** @internal use {@link mapRangeList} (`new DmaMapping(...)` is `EINVAL`). */
  constructor(
    factory: symbol,
    device: DmaDevice,
    cpuList: CpuListSource,
    list: DmaRangeList,
    direction: DmaDirection,
    path: DmaMapPath,
    record: MappingRecord,
    skipCpuSync: boolean,
    p2pLookups: number,
    tag: string | null,
    stack: string | null,
  ) {
    checkFactory(factory, "DmaMapping", "mapRangeList()");
    this.device = device;
    this.cpuList = cpuList;
    this.list = list;
    this.direction = direction;
    this.path = path;
    this.#record = record;
    this.#skipCpuSync = skipCpuSync;
    this.p2pLookups = p2pLookups;
    this.tag = tag;
    this.#stack = stack;
    freezeDmaList(list, true);
    device.trackDma(this);
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

  /** Bytes mapped. */
  get bytes(): number {
    return this.#record.bytes;
  }

  /** Who owns the mapping when it is not the caller (a dma-buf attachment, an RDMA MR), or null. */
  get owner(): string | null {
    return this.#owner;
  }

  /**
   * Like dma_unmap_rlist(): unmaps every IOVA span the mapping programmed (touching spans in one
   * call), then, as __iommu_dma_unmap() does, syncs the IOTLB once and frees the IOVA window
   * (strict domain) or parks the window on the flush queue with the IOTLB left as it is (lazy
   * domain); copies bounce buffers back (FROM_DEVICE / BIDIRECTIONAL) and releases their slots;
   * then the DMA list is emptied and is the caller's again. `EBUSY` if already unmapped, or when
   * an owner holds the mapping (unmap it through the dma-buf exporter or deregister the MR instead).
   */
  unmap(): void {
    this.#checkLive();
    if (this.#owner !== null) {
      throw new RlistError("EBUSY", `the mapping belongs to ${this.#owner}: release it there, not here`);
    }
    this.#release();
  }

  #release(): void {
    this.#checkLive();
    const dev = this.device;
    const rec = this.#record;
    if (dev.iommu !== null) rec.releaseIova(dev.iommu, true);
    if (dev.swiotlb !== null) rec.releaseBounces(dev.swiotlb, this.direction, dev.bounceAlignMask);
    if (!dev.coherent && !this.#skipCpuSync && this.direction !== "to-device") {
      dev.counters.cacheSyncs += rec.entries;
    }
    this.#live = false;
    dev.untrackDma(this);
    freezeDmaList(this.list, false);
    this.list.clear();
    dev.counters.unmaps++;
  }

  /**
   * Like dma_sync_*_for_cpu() (`dma_sync_single_range_for_cpu()` with a range): makes device writes
   * visible to the CPU (bounce copy, cache sync). `EBUSY` after unmap; `EINVAL` for a range outside
   * the mapping or a direction other than the mapping's, unless it is bidirectional (check_sync()
   * in kernel/dma/debug.c). A refused sync copies nothing.
   */
  syncForCpu(range?: DmaSyncRange): void {
    this.#sync("cpu", range);
  }

  /** Like dma_sync_*_for_device(): makes CPU writes visible to the device. Errors as {@link syncForCpu}. */
  syncForDevice(range?: DmaSyncRange): void {
    this.#sync("device", range);
  }

  /** @internal see `TrackedDma`. */
  isLive(): boolean {
    return this.#live;
  }

  /** @internal see `TrackedDma`. */
  describeOutstanding(): OutstandingDma {
    const rec = this.#record;
    return {
      kind: "mapping",
      path: this.path,
      direction: this.direction,
      bytes: rec.bytes,
      entries: rec.entries,
      iova: rec.iova,
      cpuList: this.cpuList,
      owner: this.#owner,
      tag: this.tag,
      stack: this.#stack,
    };
  }

  /** @internal see `TrackedDma`: sync by DMA address (`DmaDevice.syncSingleForCpu`). */
  syncAt(dmaAddress: number, size: number, dir: DmaDirection, to: "cpu" | "device"): SyncAtResult {
    const c = this.list.cursor();
    for (let ok = c.reset(); ok; ok = c.next()) {
      const start = c.dmaAddress;
      if (dmaAddress < start || dmaAddress >= start + c.length) continue;
      if (dmaAddress + size > start + c.length) return "outside";
      if (!this.#directionOk(dir)) return "direction";
      this.#syncRange(to, c.position + (dmaAddress - start), size, dir);
      return "done";
    }
    return "miss";
  }

  #checkLive(): void {
    if (!this.#live) throw new RlistError("EBUSY", "mapping already unmapped");
  }

  #directionOk(dir: DmaDirection): boolean {
    return this.direction === "bidirectional" || dir === this.direction;
  }

  #sync(to: "cpu" | "device", range: DmaSyncRange | undefined): void {
    this.#checkLive();
    const bytes = this.#record.bytes;
    if (range !== undefined && (typeof range !== "object" || range === null)) {
      throw new RlistError("EINVAL", `sync range must be an object, got ${formatValue(range)}`);
    }
    // each field read once; the default length is computed only from a checked offset
    const offset = orDefault("offset", range?.offset, 0);
    const given = orDefault<number | undefined>("length", range?.length, undefined);
    const dir = orDefault("direction", range?.direction, this.direction);
    const length = given ?? (Number.isSafeInteger(offset) ? bytes - offset : Number.NaN);
    if (
      !Number.isSafeInteger(offset) ||
      !Number.isSafeInteger(length) ||
      offset < 0 ||
      length < 0 ||
      offset + length > bytes
    ) {
      throw new RlistError(
        "EINVAL",
        `sync of [${formatValue(offset)}, +${formatValue(length)}) is outside the ${bytes}-byte mapping`,
      );
    }
    if (!isDmaDirection(dir)) throw new RlistError("EINVAL", `bad DMA direction ${formatValue(dir)}`);
    if (!this.#directionOk(dir)) {
      throw new RlistError("EINVAL", `sync ${dir} of a mapping made ${this.direction}`);
    }
    this.#syncRange(to, offset, length, dir);
  }

  /** Syncs list bytes `[offset, offset + length)`: bounce copies, then cache maintenance. */
  #syncRange(to: "cpu" | "device", offset: number, length: number, dir: DmaDirection): void {
    if (length === 0) return;
    const dev = this.device;
    const end = offset + length;
    const b = this.#record.bounces;
    if (b.count !== 0) {
      const tlb = dev.swiotlb!;
      const mask = dev.bounceAlignMask;
      for (let i = 0; i < b.count; i++) {
        const pos = b.position(i);
        const from = Math.max(offset, pos);
        const to_ = Math.min(end, pos + b.length(i));
        if (from >= to_) continue;
        const at = b.tlb(i) + (from - pos);
        if (to === "cpu") tlb.syncForCpu(at, to_ - from, dir, mask);
        else tlb.syncForDevice(at, to_ - from, dir, mask);
      }
    }
    if (!dev.coherent) {
      const c = this.list.cursor();
      for (let ok = c.reset(); ok; ok = c.next()) {
        if (c.position >= end) break;
        if (c.position + c.length <= offset) continue;
        if (c.kind !== DmaKind.BUS_ADDR && c.kind !== DmaKind.BOUNCE) dev.counters.cacheSyncs++;
      }
    }
  }
}

/**
 * A DMA-capable device as the DMA API sees it (`struct device` + `dma_parms` + `dma_mask`):
 * the PCI function it is (for P2P distance), its DMA mask, the direct-map offset, cache
 * coherence, segmentation limits, and either an IOMMU domain or none (dma-direct, with swiotlb
 * for memory the mask cannot reach).
 */
import { checkU53, formatValue, MAX_SAFE, RlistError } from "@rlist/encoding";
import { checkBoolean, checkInstance, checkObject, checkString } from "../args.js";
import { noSegmentation, type Segmentation, validateSegmentation } from "../dma-list/segmentation.js";
import { type IommuDeviceState, IommuDomain } from "../iommu/iommu-domain.js";
import { PciFunction } from "../pci/topology.js";
import type { CpuListSource } from "./cpu-source.js";
import { type DmaDirection, isDmaDirection } from "./direction.js";
import { SwiotlbPool } from "./swiotlb.js";

export interface DmaDeviceInit {
  /** A name for messages (default: the PCI BDF or "dma-device"). */
  name?: string;
  /** The PCI function from the topology; null for a non-PCI device (never P2P capable). */
  pci?: PciFunction | null;
  /** DMA_BIT_MASK(n): 1..64. Default 64. */
  dmaMaskBits?: number;
  /** dma = phys + directOffset on the direct path (`dma_range_map` with one range). Default 0. */
  directOffset?: number;
  /** Cache-coherent DMA (no arch cache maintenance). Default true. */
  coherent?: boolean;
  /** Segmentation limits; default {@link noSegmentation}. */
  segmentation?: Segmentation;
  /** Translate through this IOMMU domain; null/absent means dma-direct. */
  iommu?: IommuDomain | null;
  /**
   * Bounce pool: for dma-direct when the mask cannot reach a buffer, and behind an IOMMU for the
   * unaligned buffers of an {@link untrusted} device.
   */
  swiotlb?: SwiotlbPool | null;
  /**
   * `pci_dev->untrusted` (a device behind an external-facing port, e.g. Thunderbolt): behind an
   * IOMMU, every buffer that does not start and end on an IOVA granule is bounced through
   * `swiotlb`, so the device never sees the rest of the pages it shares (`dev_is_untrusted()`,
   * `dev_use_swiotlb()` in drivers/iommu/dma-iommu.c). Default false.
   */
  untrusted?: boolean;
  /**
   * Record the JavaScript stack of every mapping call, shown by {@link DmaDevice.outstanding} and
   * {@link DmaDevice.assertIdle} (dma-debug keeps a stack trace per entry). Costs a stack capture
   * per map; default false.
   */
  captureStacks?: boolean;
}

/**
 * One live DMA resource of a device, as {@link DmaDevice.outstanding} reports it: what dma-debug
 * keeps per mapping in its hash (kernel/dma/debug.c, `struct dma_debug_entry`).
 */
export interface OutstandingDma {
  /** A `mapRangeList` mapping, a two-step IOVA window, or a block request (`@rlist/bvec`). */
  readonly kind: "mapping" | "iova-window" | "request";
  /** The mapping path (`identity`, `direct`, `iommu-linear`, `iommu-per-entry`, `two-step`, ...). */
  readonly path: string;
  /** The mapping's direction; null for a two-step window (each link has its own). */
  readonly direction: DmaDirection | null;
  /** Bytes mapped (for a two-step window: the size it was allocated for). */
  readonly bytes: number;
  /** DMA entries (for a two-step window: granules linked now). */
  readonly entries: number;
  /** IOVA of the mapping's window, -1 without one. */
  readonly iova: number;
  /** The CPU list that was mapped, when there is one. */
  readonly cpuList: CpuListSource | null;
  /** Who owns the mapping when it is not the caller (a dma-buf attachment, an RDMA MR). */
  readonly owner: string | null;
  /** The caller's `tag`, if it gave one. */
  readonly tag: string | null;
  /** The mapping call's stack, with `captureStacks`. */
  readonly stack: string | null;
}

/**
 * @internal A live DMA resource a device tracks (`DmaMapping`, `IovaState`, `@rlist/bvec`'s
 * `MappedRequest`).
 */
export interface TrackedDma {
  /**
   * True until the resource is released. It must read false before the release calls
   * `DmaDevice.untrackDma()`: the device drops released entries from its live list in batches.
   */
  isLive(): boolean;
  describeOutstanding(): OutstandingDma;
  /**
   * Syncs `[dmaAddress, +size)` if this resource maps `dmaAddress`: "done", "outside" (it maps
   * `dmaAddress` but not the whole range), "direction" (mapped with another direction) or "miss".
   */
  syncAt?(dmaAddress: number, size: number, dir: DmaDirection, to: "cpu" | "device"): SyncAtResult;
}

/** @internal see {@link TrackedDma.syncAt}. */
export type SyncAtResult = "done" | "outside" | "direction" | "miss";

/** Counters of the work the DMA API did for this device. */
export interface DmaDeviceCounters {
  /** arch_sync_dma_for_device / _for_cpu calls (non-coherent devices). */
  cacheSyncs: number;
  /** Mappings made and released. */
  maps: number;
  unmaps: number;
}

export class DmaDevice {
  readonly name: string;
  readonly pci: PciFunction | null;
  readonly dmaMaskBits: number;
  /** The DMA mask as a number; masks of 53 bits and more read as 2^53 - 1 (nothing is above it). */
  readonly dmaMask: number;
  readonly directOffset: number;
  readonly coherent: boolean;
  readonly segmentation: Segmentation;
  readonly iommu: IommuDomain | null;
  readonly swiotlb: SwiotlbPool | null;
  /** See {@link DmaDeviceInit.untrusted}. */
  readonly untrusted: boolean;
  /** Like `dev->iommu->pci_32bit_workaround`: PCI devices try IOVAs below 4 GiB first. */
  readonly iommuState: IommuDeviceState;
  readonly counters: DmaDeviceCounters = { cacheSyncs: 0, maps: 0, unmaps: 0 };
  /** Whether mapping calls record their stack (see {@link DmaDeviceInit.captureStacks}). */
  readonly captureStacks: boolean;
  /**
   * Live mappings and IOVA windows, oldest first (dma-debug's hash of entries for this device),
   * plus released ones not dropped yet: see {@link untrackDma}.
   */
  readonly #live: TrackedDma[] = [];
  /** Released entries still in `#live`. */
  #released = 0;

  /**
   * Every field is checked before anything is kept: `EINVAL` for a field of the wrong type (a name
   * that is not a string, a flag that is not a boolean, a `pci`, `iommu` or `swiotlb` that is not
   * one of ours; `null` stands for "none" only where the type says so), `ERANGE` for an unsafe
   * `directOffset`.
   */
  constructor(init: DmaDeviceInit = {}) {
    checkObject("DMA device init", init);
    const { name, pci, dmaMaskBits, directOffset, coherent, segmentation, iommu, swiotlb } = init;
    const { untrusted, captureStacks } = init;
    if (name !== undefined) checkString("DMA device name", name);
    if (pci != null) checkInstance("DMA device pci", pci, PciFunction);
    const bits = dmaMaskBits === undefined ? 64 : dmaMaskBits;
    if (!Number.isInteger(bits) || bits < 1 || bits > 64) {
      throw new RlistError("EINVAL", `dmaMaskBits must be 1..64, got ${formatValue(bits)}`);
    }
    const offset = directOffset === undefined ? 0 : directOffset;
    if (typeof offset !== "number")
      throw new RlistError("EINVAL", `directOffset must be a number, got ${formatValue(offset)}`);
    if (!Number.isSafeInteger(offset)) throw new RlistError("ERANGE", "directOffset must be a safe integer");
    checkBoolean("coherent", coherent, true);
    const seg = segmentation === undefined ? noSegmentation : segmentation;
    validateSegmentation(seg);
    if (iommu != null) checkInstance("DMA device iommu", iommu, IommuDomain);
    if (swiotlb != null) checkInstance("DMA device swiotlb", swiotlb, SwiotlbPool);
    checkBoolean("untrusted", untrusted, true);
    checkBoolean("captureStacks", captureStacks, true);
    this.pci = pci ?? null;
    this.name = name ?? this.pci?.bdf ?? "dma-device";
    this.dmaMaskBits = bits;
    this.dmaMask = bits >= 53 ? MAX_SAFE : 2 ** bits - 1;
    this.directOffset = offset;
    this.coherent = coherent ?? true;
    this.segmentation = seg;
    this.iommu = iommu ?? null;
    this.swiotlb = swiotlb ?? null;
    this.untrusted = untrusted ?? false;
    this.iommuState = { pci32BitWorkaround: this.pci !== null };
    this.captureStacks = captureStacks ?? false;
  }

  /** @internal a live mapping or window of this device (dma-debug's add_dma_entry()). */
  trackDma(entry: TrackedDma): void {
    this.#live.push(entry);
  }

  /**
   * @internal `entry`, tracked and now released (its `isLive()` reads false), leaves the live list
   * (dma-debug's check_unmap() found and removed it). No Set and no allocation per call (a Set
   * insert + delete cost more than the rest of a small dma-direct map + unmap): the newest entry
   * is popped; any other stays, skipped by every reader, until released ones are half the list,
   * then one pass drops them all (in order, so the list stays oldest first).
   */
  untrackDma(entry: TrackedDma): void {
    const live = this.#live;
    if (live[live.length - 1] === entry) {
      live.pop();
      return;
    }
    if (++this.#released < 16 || 2 * this.#released < live.length) return;
    let kept = 0;
    for (let i = 0; i < live.length; i++) {
      const e = live[i]!;
      if (e.isLive()) live[kept++] = e;
    }
    live.length = kept;
    this.#released = 0;
  }

  /** @internal the stack of the current mapping call, or null without {@link captureStacks}. */
  callerStack(): string | null {
    if (!this.captureStacks) return null;
    const stack = new Error("mapped here").stack ?? "";
    return stack.split("\n").slice(1).join("\n");
  }

  /**
   * Live mappings and IOVA windows of this device, oldest first, with who made them: the CPU list,
   * direction, size, path, owner, the caller's tag and (with `captureStacks`) the stack. What
   * dma-debug's `dump` lists for one device.
   */
  outstanding(): OutstandingDma[] {
    const out: OutstandingDma[] = [];
    for (const e of this.#live) if (e.isLive()) out.push(e.describeOutstanding());
    return out;
  }

  /**
   * Throws `EBUSY` listing every live mapping and IOVA window, like dma-debug's "device driver has
   * pending DMA allocations while released from device" when a driver unbinds
   * (kernel/dma/debug.c, dma_debug_device_change()). Returns when the device is idle.
   */
  assertIdle(): void {
    if (this.#live.length === this.#released) return;
    const lines = this.outstanding().map(describeLine);
    throw new RlistError(
      "EBUSY",
      `${this.name} has ${lines.length} pending DMA mapping(s):\n${lines.join("\n")}`,
    );
  }

  /**
   * Like dma_sync_single_for_cpu(dev, addr, size, dir): syncs `[dmaAddress, +size)` of the live
   * mapping holding it. `EINVAL`, nothing synced, when no live mapping of this device holds
   * `dmaAddress` ("tries to sync DMA memory it has not allocated"), when the range runs past the
   * entry holding it ("syncs DMA memory outside allocated range") or for another direction than
   * the mapping's unless that is bidirectional (check_sync() in kernel/dma/debug.c).
   */
  syncSingleForCpu(dmaAddress: number, size: number, dir: DmaDirection): void {
    this.#syncSingle(dmaAddress, size, dir, "cpu");
  }

  /** Like dma_sync_single_for_device(); errors as {@link syncSingleForCpu}. */
  syncSingleForDevice(dmaAddress: number, size: number, dir: DmaDirection): void {
    this.#syncSingle(dmaAddress, size, dir, "device");
  }

  #syncSingle(dmaAddress: number, size: number, dir: DmaDirection, to: "cpu" | "device"): void {
    if (!Number.isSafeInteger(dmaAddress) || dmaAddress < 0 || !Number.isSafeInteger(size) || size < 1) {
      throw new RlistError("EINVAL", `sync of ${formatValue(size)} bytes at ${formatValue(dmaAddress)}`);
    }
    if (!isDmaDirection(dir)) throw new RlistError("EINVAL", `bad DMA direction ${formatValue(dir)}`);
    const where = `[0x${dmaAddress.toString(16)}, +0x${size.toString(16)})`;
    for (const e of this.#live) {
      if (!e.isLive()) continue;
      const r = e.syncAt?.(dmaAddress, size, dir, to) ?? "miss";
      if (r === "done") return;
      if (r === "outside")
        throw new RlistError("EINVAL", `${this.name} syncs ${where}, outside the mapped range`);
      if (r === "direction") {
        throw new RlistError("EINVAL", `${this.name} syncs ${where} ${dir}, mapped with another direction`);
      }
    }
    throw new RlistError("EINVAL", `${this.name} syncs ${where}, which it has not mapped`);
  }

  /** True when `[dma, dma + length)` is under the DMA mask (like dma_capable()). */
  dmaCapable(dma: number, length: number): boolean {
    checkU53("dma", dma);
    checkU53("length", length);
    return length === 0 ? dma <= this.dmaMask : dma + length - 1 <= this.dmaMask;
  }

  /** Highest IOVA the device can use: min(mask, domain aperture). */
  get iovaLimit(): number {
    if (this.iommu === null) return this.dmaMask;
    return Math.min(this.dmaMask, this.iommu.apertureEnd);
  }

  /** Like dma_get_merge_boundary(): smallest IOMMU page - 1, or 0 without an IOMMU. */
  get mergeBoundary(): number {
    return this.iommu === null ? 0 : this.iommu.granule - 1;
  }

  /**
   * @internal The low address bits a bounce buffer of this device keeps from the original: the
   * `min_align_mask`, and behind an IOMMU also the granule offset (dma-iommu bounces with
   * `alloc_align_mask = iova_mask()`).
   */
  get bounceAlignMask(): number {
    const m = this.segmentation.minAlignMask;
    return this.iommu === null ? m : Math.max(m, this.iommu.granule - 1);
  }
}

function describeLine(e: OutstandingDma): string {
  const what = [
    e.kind,
    e.path,
    e.direction ?? "",
    `${e.bytes} bytes`,
    e.iova >= 0 ? `iova 0x${e.iova.toString(16)}` : "",
    e.owner === null ? "" : `owned by ${e.owner}`,
    e.tag === null ? "" : `tag ${JSON.stringify(e.tag)}`,
  ].filter((x) => x !== "");
  const head = `  ${what.join(", ")}`;
  return e.stack === null ? head : `${head}\n${e.stack}`;
}

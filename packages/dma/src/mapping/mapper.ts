/**
 * The DMA mapper: `mapRangeList(device, cpuList, { direction })` turns a CPU range list into a
 * {@link DmaRangeList} the device can use, like the prototype's dma_map_rlist() with its
 * dma-direct and dma-iommu implementations (docs/prototype.md#dma-api-glue,
 * docs/prototype.md#iova-layout-rsiova), INTENDED versions:
 *
 * - **dma-direct, identity**: no P2P and the mask reaches every entry → the DMA list is a view of
 *   the CPU list (`phys + directOffset`), nothing is allocated or copied;
 * - **dma-direct, per entry**: `DIRECT` entries, swiotlb `BOUNCE` entries where the mask cannot
 *   reach, `BUS_ADDR` entries for P2P through a switch;
 * - **IOMMU, page list without P2P**: one IOVA allocation and **one** DMA entry for the whole list
 *   (the pagelist fast path; also what dma_map_sg's concatenation gives);
 * - **IOMMU otherwise**: one IOVA window laid out per entry with the boundary-padding rule, so the
 *   DMA list never needs more segments than the CPU list; P2P `BUS_ADDR` entries take no IOVA,
 *   `THRU_HOST_BRIDGE` entries are mapped like memory with IOMMU_MMIO.
 *
 * P2P `NOT_SUPPORTED` fails with `EREMOTEIO`; any failure part-way (IOVA exhausted, page-table
 * allocation, swiotlb full, mask) unmaps and frees everything this call did and leaves the CPU list
 * untouched.
 */
import { RlistError } from "@rlist/encoding";
import { alignDown, alignUp, isPow2, lowBits, MAX_SAFE } from "../iommu/bits.js";
import type { IommuDomain } from "../iommu/iommu-domain.js";
import { IOMMU_MMIO } from "../iommu/page-table.js";
import { P2pMapCache } from "../pci/p2p-map.js";
import { busAddress, type P2pProvider } from "../pci/p2p-provider.js";
import type { CpuListSource, CpuListSummary, CpuSourceCursor } from "./cpu-source.js";
import { summaryOf } from "./cpu-source.js";
import type { DmaDevice } from "./device.js";
import { type DmaDirection, directionToProt, isDmaDirection } from "./direction.js";
import { type DmaCursor, DmaKind, DmaRangeList, type DmaRangeListOptions } from "./dma-range-list.js";
import { checkMinAlignForIommu, IovaLayout } from "./iova-layout.js";
import { NO_MAX_SEGMENT_SIZE, NO_SEGMENT_BOUNDARY, type Segmentation } from "./segmentation.js";

/** Which implementation mapped the list. */
export type DmaMapPath = "identity" | "direct" | "iommu-linear" | "iommu-per-entry";

export interface MapOptions {
  direction: DmaDirection;
  /** DMA_ATTR_SKIP_CPU_SYNC: no cache maintenance for non-coherent devices. */
  skipCpuSync?: boolean;
  /** Storage options of the DMA list (chunk size, pool). */
  list?: Omit<DmaRangeListOptions, "merge">;
  /** A precomputed summary of the CPU list (otherwise one pass computes it). */
  summary?: CpuListSummary;
}

/** A live mapping: the DMA list plus what is needed to sync and unmap it. */
export class DmaMapping {
  private _live = true;

  /** @internal use {@link mapRangeList}. */
  constructor(
    readonly device: DmaDevice,
    readonly cpuList: CpuListSource,
    readonly list: DmaRangeList,
    readonly direction: DmaDirection,
    readonly path: DmaMapPath,
    /** IOVA window start, or -1 when no IOVA was allocated. */
    readonly iova: number,
    /** IOVA window size in bytes (0 without a window). */
    readonly iovaSize: number,
    private readonly skipCpuSync: boolean,
    /** Map-type computations the per-mapping P2P cache made (provider changes). */
    readonly p2pLookups: number,
  ) {}

  /** False after {@link unmap}. */
  get mapped(): boolean {
    return this._live;
  }

  /**
   * Like dma_unmap_rlist(): unmaps every IOVA page (IOVA-contiguous entries in one call, one IOTLB
   * flush), frees the IOVA window,
   * copies bounce buffers back (FROM_DEVICE / BIDIRECTIONAL) and releases their slots. `EBUSY` if
   * already unmapped.
   */
  unmap(): void {
    if (!this._live) throw new RlistError("EBUSY", "mapping already unmapped");
    const dev = this.device;
    const c = this.list.cursor();
    if (this.iova >= 0) {
      const domain = dev.iommu!;
      const g = domain.granule;
      // Gather spans that touch after granule alignment into one unmap (the prototype's FIXME).
      let runStart = -1;
      let runEnd = -1;
      for (let ok = c.reset(); ok; ok = c.next()) {
        if (c.kind !== DmaKind.IOVA || c.length === 0) continue;
        const start = alignDown(c.dmaAddress, g);
        const end = alignUp(c.dmaAddress + c.length, g);
        if (start === runEnd) {
          runEnd = end;
          continue;
        }
        if (runStart >= 0) domain.unmapNoSync(runStart, runEnd - runStart);
        runStart = start;
        runEnd = end;
      }
      if (runStart >= 0) domain.unmapNoSync(runStart, runEnd - runStart);
      domain.flushIotlb();
      domain.freeIova(this.iova, this.iovaSize);
    } else {
      for (let ok = c.reset(); ok; ok = c.next()) {
        if (c.kind === DmaKind.BOUNCE) {
          dev.swiotlb!.unmap(
            c.dmaAddress - dev.directOffset,
            c.length,
            this.direction,
            dev.segmentation.minAlignMask,
          );
        }
      }
    }
    if (!dev.coherent && !this.skipCpuSync && this.direction !== "to-device") {
      dev.counters.cacheSyncs += this.list.count;
    }
    this.list.clear();
    this._live = false;
    dev.counters.unmaps++;
  }

  /** Like dma_sync_*_for_cpu(): makes device writes visible to the CPU (bounce copy, cache sync). */
  syncForCpu(): void {
    this.sync("cpu");
  }

  /** Like dma_sync_*_for_device(): makes CPU writes visible to the device. */
  syncForDevice(): void {
    this.sync("device");
  }

  private sync(to: "cpu" | "device"): void {
    if (!this._live) throw new RlistError("EBUSY", "mapping already unmapped");
    const dev = this.device;
    const c = this.list.cursor();
    for (let ok = c.reset(); ok; ok = c.next()) {
      if (c.kind === DmaKind.BOUNCE) {
        const tlb = c.dmaAddress - dev.directOffset;
        const mask = dev.segmentation.minAlignMask;
        if (to === "cpu") dev.swiotlb!.syncForCpu(tlb, c.length, this.direction, mask);
        else dev.swiotlb!.syncForDevice(tlb, c.length, this.direction, mask);
      } else if (!dev.coherent && c.kind !== DmaKind.BUS_ADDR) dev.counters.cacheSyncs++;
    }
  }
}

/**
 * Maps `cpuList` for `device` (like dma_map_rlist()). Returns the mapping; throws `RlistError`
 * with nothing left mapped: `EREMOTEIO` (P2P not supported), `ENOMEM` (IOVA / page tables /
 * swiotlb), `EIO` (the mask cannot reach a buffer and there is no swiotlb), `EINVAL`.
 */
export function mapRangeList(device: DmaDevice, cpuList: CpuListSource, options: MapOptions): DmaMapping {
  const dir = options.direction;
  if (!isDmaDirection(dir)) throw new RlistError("EINVAL", `bad DMA direction ${String(dir)}`);
  const cursor = cpuList.cursor();
  // dma-direct needs the physical span unless every address is reachable whatever it is.
  const needSpan = device.iommu === null && (device.dmaMask < MAX_SAFE || device.directOffset < 0);
  const summary = options.summary ?? summaryOf(cpuList, needSpan);
  const skip = options.skipCpuSync ?? false;
  const mapping =
    device.iommu !== null
      ? mapIommu(device, device.iommu, cpuList, cursor, summary, options)
      : mapDirect(device, cpuList, cursor, summary, options);
  device.counters.maps++;
  if (!device.coherent && !skip) device.counters.cacheSyncs += summary.entries;
  return new DmaMapping(
    device,
    cpuList,
    mapping.list,
    dir,
    mapping.path,
    mapping.iova,
    mapping.iovaSize,
    skip,
    mapping.p2pLookups,
  );
}

interface Built {
  list: DmaRangeList;
  path: DmaMapPath;
  iova: number;
  iovaSize: number;
  p2pLookups: number;
}

function newList(options: MapOptions): DmaRangeList {
  return new DmaRangeList(options.list ?? {});
}

// ---- dma-direct ---------------------------------------------------------------------------

function mapDirect(
  device: DmaDevice,
  cpuList: CpuListSource,
  c: CpuSourceCursor,
  summary: CpuListSummary,
  options: MapOptions,
): Built {
  const off = device.directOffset;
  // The prototype's fast path: no P2P and the mask reaches every byte → reuse the CPU list as is.
  const reachable =
    summary.entries === 0 ||
    (device.dmaMask === MAX_SAFE && off >= 0) ||
    (summary.physStart + off >= 0 && summary.physEnd - 1 + off <= device.dmaMask);
  if (!summary.hasP2p && reachable) {
    return {
      list: DmaRangeList.identity(cpuList, off),
      path: "identity",
      iova: -1,
      iovaSize: 0,
      p2pLookups: 0,
    };
  }
  const list = newList(options);
  const cache = new P2pMapCache(device.pci);
  const swiotlb = device.swiotlb;
  const seg = device.segmentation;
  try {
    for (let ok = c.reset(); ok; ok = c.next()) {
      const len = c.length;
      if (len === 0) continue;
      const phys = c.phys;
      const provider = c.provider;
      if (provider !== null) {
        const type = cache.lookup(provider);
        if (type === "NOT_SUPPORTED") throw notSupported(device, provider.name);
        if (type === "BUS_ADDR") {
          list.append(DmaKind.BUS_ADDR, p2pBusAddress(device, provider, phys, len), len);
          continue;
        }
        // THRU_HOST_BRIDGE: dma_map_resource() of the MMIO range; never bounced.
        const dma = phys + off;
        if (dma < 0 || !device.dmaCapable(dma, len)) throw maskError(device, phys, len);
        list.append(DmaKind.DIRECT, dma, len);
        continue;
      }
      const dma = phys + off;
      if (dma >= 0 && device.dmaCapable(dma, len)) {
        list.append(DmaKind.DIRECT, dma, len);
        continue;
      }
      if (swiotlb === null) throw maskError(device, phys, len);
      const tlb = swiotlb.map(phys, len, seg.minAlignMask, seg.segmentBoundaryMask);
      if (!device.dmaCapable(tlb + off, len)) {
        swiotlb.unmap(tlb, len, "to-device", seg.minAlignMask);
        throw maskError(device, tlb, len);
      }
      try {
        list.append(DmaKind.BOUNCE, tlb + off, len);
      } catch (e) {
        swiotlb.unmap(tlb, len, "to-device", seg.minAlignMask);
        throw e;
      }
    }
  } catch (e) {
    releaseBounces(device, list);
    list.clear();
    throw e;
  }
  return { list, path: "direct", iova: -1, iovaSize: 0, p2pLookups: cache.lookups };
}

/** Rollback of a failed direct mapping: bounce slots go back without copying (SKIP_CPU_SYNC). */
function releaseBounces(device: DmaDevice, list: DmaRangeList): void {
  if (device.swiotlb === null || list.isIdentity) return;
  const c = list.cursor();
  for (let ok = c.reset(); ok; ok = c.next()) {
    if (c.kind === DmaKind.BOUNCE) {
      device.swiotlb.unmap(
        c.dmaAddress - device.directOffset,
        c.length,
        "to-device",
        device.segmentation.minAlignMask,
      );
    }
  }
}

// ---- dma-iommu ----------------------------------------------------------------------------

function mapIommu(
  device: DmaDevice,
  domain: IommuDomain,
  _cpuList: CpuListSource,
  c: CpuSourceCursor,
  summary: CpuListSummary,
  options: MapOptions,
): Built {
  const seg = device.segmentation;
  checkMinAlignForIommu(domain.granule, seg.minAlignMask);
  const prot = directionToProt(options.direction);
  if (summary.entries === 0)
    return { list: newList(options), path: "iommu-linear", iova: -1, iovaSize: 0, p2pLookups: 0 };
  if (summary.isPagelist && !summary.hasP2p && linearKeepsSegments(seg, domain.granule)) {
    return mapLinear(device, domain, c, summary, options, prot);
  }
  return mapPerEntry(device, domain, c, options, prot);
}

/**
 * True when mapping a page list as one IOVA range cannot need more segments than the CPU list:
 * the max segment size is unlimited, at least the boundary window, or a power of two at least the
 * granule (then segments are the size-aligned blocks touched, and the CPU list touches at least as
 * many). A max size like 6 KiB under a 64 KiB boundary splits windows unevenly, and a range that
 * starts earlier in its window can need one more segment: such lists take the per-entry layout.
 */
function linearKeepsSegments(seg: Segmentation, granule: number): boolean {
  const maxSeg = seg.maxSegmentSize;
  if (maxSeg === NO_MAX_SEGMENT_SIZE) return true;
  if (seg.segmentBoundaryMask !== NO_SEGMENT_BOUNDARY && maxSeg >= seg.segmentBoundaryMask + 1) return true;
  return isPow2(maxSeg) && maxSeg >= granule;
}

/** One IOVA window, one DMA entry: the page-list fast path. */
function mapLinear(
  device: DmaDevice,
  domain: IommuDomain,
  c: CpuSourceCursor,
  summary: CpuListSummary,
  options: MapOptions,
  prot: number,
): Built {
  const g = domain.granule;
  const firstOff = lowBits(summary.firstPhys, g);
  const size = domain.ivaAlign(summary.totalLength + firstOff);
  const iova = domain.allocIova(size, device.iovaLimit, device.iommuState);
  const list = newList(options);
  let mapped = 0;
  try {
    list.setBase(iova);
    list.appendRelative(firstOff, summary.totalLength);
    let at = iova; // granule-aligned IOVA of the next entry's first granule
    for (let ok = c.reset(); ok; ok = c.next()) {
      const len = c.length;
      if (len === 0) continue;
      const phys = c.phys;
      const off = lowBits(phys, g);
      const span = domain.ivaAlign(len + off);
      domain.mapNoSync(at, phys - off, span, prot);
      at += span;
      mapped += span;
    }
    domain.syncMap();
  } catch (e) {
    if (mapped !== 0) {
      domain.unmapNoSync(iova, mapped);
      domain.flushIotlb();
    }
    domain.freeIova(iova, size);
    list.clear();
    throw e;
  }
  return { list, path: "iommu-linear", iova, iovaSize: size, p2pLookups: 0 };
}

/** Per-entry layout in one IOVA window (rsiova slow path), P2P entries by bus address. */
function mapPerEntry(
  device: DmaDevice,
  domain: IommuDomain,
  c: CpuSourceCursor,
  options: MapOptions,
  prot: number,
): Built {
  const g = domain.granule;
  const layout = new IovaLayout(device.segmentation, g);
  const cache = new P2pMapCache(device.pci);
  const list = newList(options);
  // Pass 1: lay the list out relative to a window that does not exist yet.
  try {
    for (let ok = c.reset(); ok; ok = c.next()) {
      const len = c.length;
      if (len === 0) continue;
      const phys = c.phys;
      const provider = c.provider;
      if (provider !== null) {
        const type = cache.lookup(provider);
        if (type === "NOT_SUPPORTED") throw notSupported(device, provider.name);
        if (type === "BUS_ADDR") {
          list.append(DmaKind.BUS_ADDR, p2pBusAddress(device, provider, phys, len), len);
          continue;
        }
      }
      list.appendRelative(layout.place(phys, len), len);
    }
  } catch (e) {
    list.clear();
    throw e;
  }
  const size = layout.length;
  if (size === 0) return { list, path: "iommu-per-entry", iova: -1, iovaSize: 0, p2pLookups: cache.lookups };
  let iova: number;
  try {
    iova = domain.allocIova(size, device.iovaLimit, device.iommuState);
  } catch (e) {
    list.clear();
    throw e;
  }
  list.setBase(iova);
  // Pass 2: program the IOMMU, walking the CPU and DMA lists in step.
  const d = list.cursor();
  let mappedEntries = 0;
  try {
    let dok = d.reset();
    for (let ok = c.reset(); ok; ok = c.next()) {
      const len = c.length;
      if (len === 0) continue;
      if (!dok) throw new RlistError("EINVAL", "the CPU list changed while it was being mapped");
      if (d.kind === DmaKind.IOVA) {
        const phys = c.phys;
        const off = lowBits(phys, g);
        const p = c.provider === null ? prot : prot | IOMMU_MMIO;
        domain.mapNoSync(d.dmaAddress - off, phys - off, domain.ivaAlign(len + off), p);
      }
      mappedEntries++;
      dok = d.next();
    }
    domain.syncMap();
  } catch (e) {
    unmapFirst(domain, d, mappedEntries);
    domain.freeIova(iova, size);
    list.clear();
    throw e;
  }
  return { list, path: "iommu-per-entry", iova, iovaSize: size, p2pLookups: cache.lookups };
}

/** Unmaps the IOVA spans of the first `n` entries (rollback), with one IOTLB flush. */
function unmapFirst(domain: IommuDomain, d: DmaCursor, n: number): void {
  const g = domain.granule;
  let i = 0;
  for (let ok = d.reset(); ok && i < n; ok = d.next(), i++) {
    if (d.kind !== DmaKind.IOVA) continue;
    const start = alignDown(d.dmaAddress, g);
    domain.unmapNoSync(start, alignUp(d.dmaAddress + d.length, g) - start);
  }
  if (n !== 0) domain.flushIotlb();
}

/**
 * The bus address of a BUS_ADDR entry. Unlike the kernel (which trusts the BAR to be reachable),
 * an address above the device's DMA mask is refused with `EIO`: the device could not emit it.
 */
function p2pBusAddress(device: DmaDevice, provider: P2pProvider, phys: number, len: number): number {
  let bus: number;
  try {
    bus = busAddress(provider, phys);
  } catch {
    throw maskError(device, phys, len);
  }
  if (!device.dmaCapable(bus, len)) throw maskError(device, bus, len);
  return bus;
}

function notSupported(device: DmaDevice, provider: string): RlistError {
  return new RlistError("EREMOTEIO", `P2P DMA from ${device.name} to ${provider} is not supported`);
}

function maskError(device: DmaDevice, phys: number, len: number): RlistError {
  return new RlistError(
    "EIO",
    `${device.name}: [0x${phys.toString(16)}, +0x${len.toString(16)}) is above its ${device.dmaMaskBits}-bit DMA mask`,
  );
}

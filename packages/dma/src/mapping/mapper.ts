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
 * untouched. What a mapping takes is written to its private {@link MappingRecord} as it is taken,
 * and both the rollback and `DmaMapping.unmap()` release that record, never the DMA list.
 */
import { RlistError } from "@rlist/encoding";
import { isPow2, lowBits, MAX_SAFE } from "../iommu/bits.js";
import type { IommuDomain } from "../iommu/iommu-domain.js";
import { IOMMU_MMIO } from "../iommu/page-table.js";
import { P2pMapCache } from "../pci/p2p-map.js";
import { busAddress, type P2pProvider } from "../pci/p2p-provider.js";
import type { CpuListSource, CpuListSummary, CpuSourceCursor } from "./cpu-source.js";
import { summaryOf } from "./cpu-source.js";
import type { DmaDevice } from "./device.js";
import { type DmaDirection, directionToProt, isDmaDirection } from "./direction.js";
import { DmaKind, DmaRangeList, type DmaRangeListOptions } from "./dma-range-list.js";
import { checkMinAlignForIommu, IovaLayout } from "./iova-layout.js";
import { type DmaMapPath, DmaMapping } from "./mapping.js";
import { MappingRecord } from "./mapping-record.js";
import { NO_MAX_SEGMENT_SIZE, NO_SEGMENT_BOUNDARY, type Segmentation } from "./segmentation.js";

export type { DmaMapPath } from "./mapping.js";
export { DmaMapping } from "./mapping.js";

export interface MapOptions {
  direction: DmaDirection;
  /** DMA_ATTR_SKIP_CPU_SYNC: no cache maintenance for non-coherent devices. */
  skipCpuSync?: boolean;
  /** Storage options of the DMA list (chunk size, pool). */
  list?: Omit<DmaRangeListOptions, "merge">;
  /** A precomputed summary of the CPU list (otherwise one pass computes it). */
  summary?: CpuListSummary;
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
  const record = new MappingRecord();
  const built =
    device.iommu !== null
      ? mapIommu(device, device.iommu, cursor, summary, options, record)
      : mapDirect(device, cpuList, cursor, summary, options, record);
  record.entries = summary.entries;
  record.bytes = summary.totalLength;
  device.counters.maps++;
  if (!device.coherent && !skip) device.counters.cacheSyncs += summary.entries;
  return new DmaMapping(device, cpuList, built.list, dir, built.path, record, skip, built.p2pLookups);
}

interface Built {
  list: DmaRangeList;
  path: DmaMapPath;
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
  record: MappingRecord,
): Built {
  const off = device.directOffset;
  // The prototype's fast path: no P2P and the mask reaches every byte → reuse the CPU list as is.
  const reachable =
    summary.entries === 0 ||
    (device.dmaMask === MAX_SAFE && off >= 0) ||
    (summary.physStart + off >= 0 && summary.physEnd - 1 + off <= device.dmaMask);
  if (!summary.hasP2p && reachable) {
    return { list: DmaRangeList.identity(cpuList, off), path: "identity", p2pLookups: 0 };
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
      record.bounces.push(c.position, tlb, len);
      if (!device.dmaCapable(tlb + off, len)) throw maskError(device, tlb, len);
      list.append(DmaKind.BOUNCE, tlb + off, len);
    }
  } catch (e) {
    // Rollback: the slots go back without copying (SKIP_CPU_SYNC).
    if (swiotlb !== null) record.releaseBounces(swiotlb, "to-device", seg.minAlignMask);
    list.clear();
    throw e;
  }
  return { list, path: "direct", p2pLookups: cache.lookups };
}

// ---- dma-iommu ----------------------------------------------------------------------------

function mapIommu(
  device: DmaDevice,
  domain: IommuDomain,
  c: CpuSourceCursor,
  summary: CpuListSummary,
  options: MapOptions,
  record: MappingRecord,
): Built {
  const seg = device.segmentation;
  checkMinAlignForIommu(domain.granule, seg.minAlignMask);
  const prot = directionToProt(options.direction);
  if (summary.entries === 0) return { list: newList(options), path: "iommu-linear", p2pLookups: 0 };
  if (summary.isPagelist && !summary.hasP2p && linearKeepsSegments(seg, domain.granule)) {
    return mapLinear(device, domain, c, summary, options, prot, record);
  }
  return mapPerEntry(device, domain, c, options, prot, record);
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
  record: MappingRecord,
): Built {
  const g = domain.granule;
  const firstOff = lowBits(summary.firstPhys, g);
  const size = domain.ivaAlign(summary.totalLength + firstOff);
  const iova = domain.allocIova(size, device.iovaLimit, device.iommuState);
  record.iova = iova;
  record.iovaSize = size;
  const list = newList(options);
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
      record.iovaSpans.push(at, span);
      at += span;
    }
    domain.syncMap();
  } catch (e) {
    record.releaseIova(domain);
    list.clear();
    throw e;
  }
  return { list, path: "iommu-linear", p2pLookups: 0 };
}

/** Per-entry layout in one IOVA window (rsiova slow path), P2P entries by bus address. */
function mapPerEntry(
  device: DmaDevice,
  domain: IommuDomain,
  c: CpuSourceCursor,
  options: MapOptions,
  prot: number,
  record: MappingRecord,
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
  if (size === 0) return { list, path: "iommu-per-entry", p2pLookups: cache.lookups };
  try {
    record.iova = domain.allocIova(size, device.iovaLimit, device.iommuState);
    record.iovaSize = size;
  } catch (e) {
    list.clear();
    throw e;
  }
  list.setBase(record.iova);
  record.iovaSpans.reserve(list.count);
  // Pass 2: program the IOMMU, walking the CPU and DMA lists in step.
  const d = list.cursor();
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
        const span = domain.ivaAlign(len + off);
        domain.mapNoSync(d.dmaAddress - off, phys - off, span, p);
        record.iovaSpans.push(d.dmaAddress - off, span);
      }
      dok = d.next();
    }
    domain.syncMap();
  } catch (e) {
    record.releaseIova(domain);
    list.clear();
    throw e;
  }
  return { list, path: "iommu-per-entry", p2pLookups: cache.lookups };
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

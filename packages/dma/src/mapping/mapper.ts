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
import { formatValue, isPowerOfTwo, lowBits, MAX_SAFE, RlistError } from "@rlist/encoding";
import { RangeList } from "@rlist/list";
import { orDefault } from "../args.js";
import { CpuRangeList } from "../cpu/cpu-range-list.js";
import {
  DmaKind,
  DmaRangeList,
  type DmaRangeListOptions,
  defaultList,
  identityList,
} from "../dma-list/dma-range-list.js";
import { NO_MAX_SEGMENT_SIZE, NO_SEGMENT_BOUNDARY, type Segmentation } from "../dma-list/segmentation.js";
import { FACTORY } from "../factory.js";
import type { IommuDomain } from "../iommu/iommu-domain.js";
import { IOMMU_MMIO } from "../iommu/page-table.js";
import { type LinearWalk, mapLinearKernel } from "../kernels/iommu-linear.js";
import { layoutPerEntryKernel, mapPerEntryKernel, type PerEntryLayout } from "../kernels/iommu-per-entry.js";
import { kernelMinEntries } from "../kernels/thresholds.js";
import { P2pMapCache } from "../pci/p2p-map.js";
import { busAddress, type P2pProvider } from "../pci/p2p-provider.js";
import type { CpuListSource, CpuListSummary, CpuSourceCursor } from "./cpu-source.js";
import { summaryFrom } from "./cpu-source.js";
import { DmaDevice } from "./device.js";
import { type DmaDirection, directionToProt, isDmaDirection } from "./direction.js";
import { checkMinAlignForIommu, IovaLayout } from "./iova-layout.js";
import { type DmaMapPath, DmaMapping } from "./mapping.js";
import { MappingRecord } from "./mapping-record.js";

export type { DmaMapPath } from "./mapping.js";
export { DmaMapping } from "./mapping.js";

export interface MapOptions {
  direction: DmaDirection;
  /** DMA_ATTR_SKIP_CPU_SYNC: no cache maintenance for non-coherent devices. */
  skipCpuSync?: boolean;
  /** Storage options of the DMA list (chunk size, pool). */
  list?: Omit<DmaRangeListOptions, "merge">;
  /** A label for this mapping in `DmaDevice.outstanding()` and `assertIdle()` (e.g. "rx ring 3"). */
  tag?: string;
  /**
   * A summary of the CPU list, checked, never trusted: the mapper knows the summary itself (kept by
   * a `CpuRangeList`, one pass for any other source) and refuses a hint that disagrees (`EINVAL`).
   * Only the two path flags may be more cautious than the list: `isPagelist: false` or
   * `hasP2p: true` on any list select the per-entry layout, which is correct for every list.
   */
  summary?: CpuListSummary;
}

/**
 * Maps `cpuList` for `device` (like dma_map_rlist()). Returns the mapping; throws `RlistError`
 * with nothing left mapped or allocated: `EREMOTEIO` (P2P not supported), `ENOMEM` (IOVA / page
 * tables / swiotlb / chunks), `EIO` (the mask cannot reach a buffer and there is no swiotlb),
 * `EINVAL` (bad arguments, a summary that disagrees with the list, a list that changed while it
 * was being mapped). Every argument is checked before anything is allocated.
 */
export function mapRangeList(device: DmaDevice, cpuList: CpuListSource, options: MapOptions): DmaMapping {
  if (!(device instanceof DmaDevice))
    throw new RlistError("EINVAL", `${formatValue(device)} is not a DmaDevice`);
  if (typeof (cpuList as Partial<CpuListSource> | null)?.cursor !== "function") {
    throw new RlistError("EINVAL", `${formatValue(cpuList)} is not a CPU range list`);
  }
  if (typeof options !== "object" || options === null) {
    throw new RlistError("EINVAL", `map options must be an object, got ${formatValue(options)}`);
  }
  const dir = options.direction;
  if (!isDmaDirection(dir)) throw new RlistError("EINVAL", `bad DMA direction ${formatValue(dir)}`);
  const skip = orDefault("skipCpuSync", options.skipCpuSync, false);
  if (typeof skip !== "boolean")
    throw new RlistError("EINVAL", `skipCpuSync must be a boolean, got ${formatValue(skip)}`);
  const tag = orDefault<string | null>("tag", options.tag, null);
  if (tag !== null && typeof tag !== "string") {
    throw new RlistError("EINVAL", `tag must be a string, got ${formatValue(tag)}`);
  }
  // Made now, so bad storage options fail before any IOVA, slot or page is taken.
  const preset = options.list === undefined ? null : new DmaRangeList(listOptions(options.list));
  // One cursor for the summary and the mapping pass (each starts with reset()).
  const cursor = cpuList.cursor();
  // dma-direct needs the physical span unless every address is reachable whatever it is.
  const needSpan = device.iommu === null && (device.dmaMask < MAX_SAFE || device.directOffset < 0);
  const summary = checkedSummary(summaryFrom(cpuList, cursor, needSpan), options.summary);
  const record = new MappingRecord();
  const built =
    device.iommu !== null
      ? mapIommu(device, device.iommu, cpuList, cursor, summary, dir, preset, record)
      : mapDirect(device, cpuList, cursor, summary, preset, record);
  record.entries = built.list.isIdentity ? summary.entries : built.list.count;
  record.bytes = summary.totalLength;
  device.counters.maps++;
  if (!device.coherent && !skip) device.counters.cacheSyncs += summary.entries;
  return new DmaMapping(
    FACTORY,
    device,
    cpuList,
    built.list,
    dir,
    built.path,
    record,
    skip,
    built.p2pLookups,
    tag,
    device.callerStack(),
  );
}

/** The DMA list a path appends to: the caller's preset one (`MapOptions.list`) or a new one. */
function emptyList(preset: DmaRangeList | null): DmaRangeList {
  return preset ?? defaultList();
}

interface Built {
  list: DmaRangeList;
  path: DmaMapPath;
  p2pLookups: number;
}

/** The DMA list's storage options, checked (the list itself checks chunk size and pool). */
function listOptions(o: unknown): DmaRangeListOptions {
  if (typeof o !== "object" || o === null) {
    throw new RlistError("EINVAL", `map options.list must be an object, got ${formatValue(o)}`);
  }
  const { chunkBytes, pool } = o as DmaRangeListOptions;
  return { ...(chunkBytes !== undefined && { chunkBytes }), ...(pool !== undefined && { pool }) };
}

/**
 * The summary the mapper uses: its own (`own`), with a caller's `hint` checked against it. A hint
 * that disagrees is `EINVAL`, except the two path flags, which may only be more cautious.
 */
function checkedSummary(own: CpuListSummary, hint: unknown): CpuListSummary {
  if (hint === undefined) return own;
  if (typeof hint !== "object" || hint === null) {
    throw new RlistError("EINVAL", `map options.summary must be an object, got ${formatValue(hint)}`);
  }
  const h = hint as Partial<CpuListSummary>;
  const differs = (field: "entries" | "totalLength" | "firstPhys" | "physStart" | "physEnd"): boolean => {
    const mine = own[field];
    const theirs = h[field];
    // A span the mapper did not compute (NaN) is not needed, so the hint's is not checked.
    if (Number.isNaN(mine) && (field === "physStart" || field === "physEnd")) return false;
    return theirs !== mine;
  };
  for (const field of ["entries", "totalLength", "firstPhys", "physStart", "physEnd"] as const) {
    if (differs(field)) {
      throw new RlistError(
        "EINVAL",
        `options.summary.${field} is ${formatValue(h[field])}, the list's is ${formatValue(own[field])}`,
      );
    }
  }
  if (typeof h.isPagelist !== "boolean" || (h.isPagelist && !own.isPagelist)) {
    throw new RlistError(
      "EINVAL",
      `options.summary.isPagelist is ${formatValue(h.isPagelist)}: the list is not a page list`,
    );
  }
  if (typeof h.hasP2p !== "boolean" || (!h.hasP2p && own.hasP2p)) {
    throw new RlistError(
      "EINVAL",
      `options.summary.hasP2p is ${formatValue(h.hasP2p)}: the list has P2P memory`,
    );
  }
  return { ...own, isPagelist: h.isPagelist, hasP2p: h.hasP2p };
}

/**
 * The RangeList holding the stored entries of `cpuList` when a kernel should walk it: a
 * `CpuRangeList` of at least `minEntries` entries on the default store; else null.
 */
function kernelStore(cpuList: CpuListSource, minEntries: number): RangeList | null {
  if (!(cpuList instanceof CpuRangeList) || cpuList.count < minEntries) return null;
  const store = cpuList.store;
  return store instanceof RangeList ? store : null;
}

/** The mapping pass found another list than the summary pass did (a source that changed). */
function listChanged(): RlistError {
  return new RlistError("EINVAL", "the CPU list changed while it was being mapped");
}

// ---- dma-direct ---------------------------------------------------------------------------

function mapDirect(
  device: DmaDevice,
  cpuList: CpuListSource,
  c: CpuSourceCursor,
  summary: CpuListSummary,
  preset: DmaRangeList | null,
  record: MappingRecord,
): Built {
  const off = device.directOffset;
  // The prototype's fast path: no P2P and the mask reaches every byte → reuse the CPU list as is.
  const reachable =
    summary.entries === 0 ||
    (device.dmaMask === MAX_SAFE && off >= 0) ||
    (summary.physStart + off >= 0 && summary.physEnd - 1 + off <= device.dmaMask);
  if (!summary.hasP2p && reachable) {
    return { list: identityList(cpuList, off), path: "identity", p2pLookups: 0 };
  }
  const list = emptyList(preset);
  const cache = new P2pMapCache(device.pci);
  const swiotlb = device.swiotlb;
  const seg = device.segmentation;
  try {
    let entries = 0;
    for (let ok = c.reset(); ok; ok = c.next()) {
      const len = c.length;
      if (len === 0) continue;
      if (++entries > summary.entries) throw listChanged();
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
    if (entries !== summary.entries) throw listChanged();
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
  cpuList: CpuListSource,
  c: CpuSourceCursor,
  summary: CpuListSummary,
  dir: DmaDirection,
  preset: DmaRangeList | null,
  record: MappingRecord,
): Built {
  const seg = device.segmentation;
  checkMinAlignForIommu(domain.granule, seg.minAlignMask);
  const prot = directionToProt(dir);
  if (summary.entries === 0) return { list: emptyList(preset), path: "iommu-linear", p2pLookups: 0 };
  if (device.untrusted) return mapUntrusted(device, domain, c, summary, prot, emptyList(preset), record);
  if (summary.isPagelist && !summary.hasP2p && linearKeepsSegments(seg, domain.granule)) {
    return mapLinear(device, domain, cpuList, c, summary, prot, emptyList(preset), record);
  }
  const store = domain.granule === 0x1000 ? kernelStore(cpuList, kernelMinEntries.perEntry) : null;
  if (store !== null && !(cpuList as CpuRangeList).hasP2P) {
    return mapPerEntryByKernels(
      device,
      domain,
      cpuList as CpuRangeList,
      store,
      summary,
      prot,
      emptyList(preset),
      record,
    );
  }
  return mapPerEntry(device, domain, c, summary, prot, emptyList(preset), record);
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
  return isPowerOfTwo(maxSeg) && maxSeg >= granule;
}

/**
 * One IOVA window, one DMA entry: the page-list fast path. The walk checks that the list is the
 * page list the summary described (entries, bytes, granule-aligned joins), so a source that
 * changed since can never map past the window.
 */
function mapLinear(
  device: DmaDevice,
  domain: IommuDomain,
  cpuList: CpuListSource,
  c: CpuSourceCursor,
  summary: CpuListSummary,
  prot: number,
  list: DmaRangeList,
  record: MappingRecord,
): Built {
  const g = domain.granule;
  const firstOff = lowBits(summary.firstPhys, g);
  const size = domain.ivaAlign(summary.totalLength + firstOff);
  record.iova = domain.allocIova(size, device.iovaLimit, device.iommuState);
  record.iovaSize = size;
  const end = record.iova + size;
  try {
    list.setBase(record.iova);
    list.appendRelative(firstOff, summary.totalLength);
    const spans = record.iovaSpans;
    let at = record.iova; // granule-aligned IOVA of the next entry's first granule
    let entries = 0;
    let bytes = 0;
    let prevEndAligned = true;
    const store = g === 0x1000 ? kernelStore(cpuList, kernelMinEntries.linear) : null;
    if (store !== null) {
      // The kernel walks the list; the loop below finds nothing left.
      const walk: LinearWalk = { at, entries, bytes, prevEndAligned };
      mapLinearKernel(domain, cpuList as CpuRangeList, store, end, prot, spans, walk, listChanged);
      ({ at, entries, bytes, prevEndAligned } = walk);
    }
    for (let ok = store === null ? c.reset() : false; ok; ok = c.next()) {
      const len = c.length;
      if (len === 0) continue;
      const phys = c.phys;
      // Integer-only granule math (g <= 2^31: see lowBits()); spans are whole granules.
      const off = (phys >>> 0) & (g - 1);
      const tail = ((off + len) >>> 0) & (g - 1);
      const span = tail === 0 ? off + len : off + len - tail + g;
      if (at + span > end || (entries > 0 && (off !== 0 || !prevEndAligned))) throw listChanged();
      if (span === 4096) domain.map4kNoSync(at, phys - off, prot);
      else domain.mapNoSync(at, phys - off, span, prot);
      spans.push(at, span);
      at += span;
      entries++;
      bytes += len;
      prevEndAligned = tail === 0;
    }
    if (entries !== summary.entries || bytes !== summary.totalLength) throw listChanged();
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
  summary: CpuListSummary,
  prot: number,
  list: DmaRangeList,
  record: MappingRecord,
): Built {
  const g = domain.granule;
  const layout = new IovaLayout(device.segmentation, g);
  const cache = new P2pMapCache(device.pci);
  // Pass 1: lay the list out relative to a window that does not exist yet.
  try {
    let entries = 0;
    let bytes = 0;
    for (let ok = c.reset(); ok; ok = c.next()) {
      const len = c.length;
      if (len === 0) continue;
      entries++;
      bytes += len;
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
    if (entries !== summary.entries || bytes !== summary.totalLength) throw listChanged();
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
      if (!dok || d.length !== len) throw listChanged();
      if (d.kind === DmaKind.IOVA) {
        const phys = c.phys;
        const off = (phys >>> 0) & (g - 1); // g <= 2^31: exact, integer-only
        const p = c.provider === null ? prot : prot | IOMMU_MMIO;
        const tail = ((off + len) >>> 0) & (g - 1);
        const span = tail === 0 ? off + len : off + len - tail + g;
        const iova = d.dmaAddress - off;
        if (iova < record.iova || iova + span > record.iova + size) throw listChanged();
        if (span === 4096) domain.map4kNoSync(iova, phys - off, p);
        else domain.mapNoSync(iova, phys - off, span, p);
        record.iovaSpans.push(iova, span);
      }
      dok = d.next();
    }
    if (dok) throw listChanged();
    domain.syncMap();
  } catch (e) {
    record.releaseIova(domain);
    list.clear();
    throw e;
  }
  return { list, path: "iommu-per-entry", p2pLookups: cache.lookups };
}

/**
 * An untrusted device (`dev_is_untrusted()`), like iommu_dma_map_sg_swiotlb(): every entry is
 * mapped on its own, in its own IOVA window (iommu_dma_map_page() per entry), and an entry whose
 * start or length is not a granule multiple is first bounced through the device's swiotlb, into
 * granules of its own with the padding zeroed, so the device never reaches the rest of the pages
 * it shares with other data. P2P `BUS_ADDR` entries take no IOVA; host-bridge MMIO is never
 * bounced, so an unaligned one is refused (`EIO`). `EIO` too without a swiotlb pool ("DMA bounce
 * buffers are inactive") or for an unaligned entry larger than a bounce buffer can be.
 */
function mapUntrusted(
  device: DmaDevice,
  domain: IommuDomain,
  c: CpuSourceCursor,
  summary: CpuListSummary,
  prot: number,
  list: DmaRangeList,
  record: MappingRecord,
): Built {
  const g = domain.granule;
  const cache = new P2pMapCache(device.pci);
  const swiotlb = device.swiotlb;
  const mask = device.bounceAlignMask;
  try {
    let entries = 0;
    let bytes = 0;
    for (let ok = c.reset(); ok; ok = c.next()) {
      const len = c.length;
      if (len === 0) continue;
      if (++entries > summary.entries) throw listChanged();
      bytes += len;
      const phys = c.phys;
      const provider = c.provider;
      const unaligned = lowBits(phys, g) !== 0 || lowBits(len, g) !== 0;
      let p = prot;
      if (provider !== null) {
        const type = cache.lookup(provider);
        if (type === "NOT_SUPPORTED") throw notSupported(device, provider.name);
        if (type === "BUS_ADDR") {
          list.append(DmaKind.BUS_ADDR, p2pBusAddress(device, provider, phys, len), len);
          continue;
        }
        if (unaligned) {
          throw new RlistError(
            "EIO",
            `${device.name} is untrusted: MMIO [0x${phys.toString(16)}, +0x${len.toString(16)}) is not granule-aligned and cannot be bounced`,
          );
        }
        p |= IOMMU_MMIO;
      }
      let target = phys;
      if (unaligned && provider === null) {
        if (swiotlb === null) {
          throw new RlistError(
            "EIO",
            `${device.name} is untrusted and has no swiotlb pool to bounce an unaligned buffer`,
          );
        }
        try {
          target = swiotlb.map(phys, len, device.segmentation.minAlignMask, undefined, g - 1);
        } catch (e) {
          if (e instanceof RlistError && e.code === "EINVAL") {
            throw new RlistError(
              "EIO",
              `${device.name}: ${e.message} (split entries to swiotlbMaxMappingSize)`,
              {
                cause: e,
              },
            );
          }
          throw e;
        }
        record.bounces.push(c.position, target, len);
      }
      const off = lowBits(target, g);
      const size = domain.ivaAlign(len + off);
      const iova = domain.allocIova(size, device.iovaLimit, device.iommuState);
      try {
        domain.mapNoSync(iova, target - off, size, p);
      } catch (e) {
        domain.freeIova(iova, size);
        throw e;
      }
      record.windows.push(iova, size);
      list.append(DmaKind.IOVA, iova + off, len);
    }
    if (entries !== summary.entries || bytes !== summary.totalLength) throw listChanged();
    domain.syncMap();
  } catch (e) {
    record.releaseIova(domain);
    if (swiotlb !== null) record.releaseBounces(swiotlb, "to-device", mask);
    list.clear();
    throw e;
  }
  return { list, path: "iommu-untrusted", p2pLookups: cache.lookups };
}

/**
 * {@link mapPerEntry} for a CPU list without P2P memory, by the kernels (kernels/iommu-per-entry.ts):
 * the same layout, DMA list, leaves, counters and errors.
 */
function mapPerEntryByKernels(
  device: DmaDevice,
  domain: IommuDomain,
  cpuList: CpuRangeList,
  store: RangeList,
  summary: CpuListSummary,
  prot: number,
  list: DmaRangeList,
  record: MappingRecord,
): Built {
  const seg = device.segmentation;
  let layout: PerEntryLayout;
  try {
    layout = layoutPerEntryKernel(cpuList, store, seg, list);
    if (layout.entries !== summary.entries || layout.bytes !== summary.totalLength) throw listChanged();
  } catch (e) {
    list.clear();
    throw e;
  }
  const size = layout.size;
  if (size === 0) return { list, path: "iommu-per-entry", p2pLookups: 0 };
  try {
    record.iova = domain.allocIova(size, device.iovaLimit, device.iommuState);
    record.iovaSize = size;
  } catch (e) {
    list.clear();
    throw e;
  }
  list.setBase(record.iova);
  // No reserve(list.count) here: the kernel records whole runs of contiguous IOVAs, not entries.
  try {
    const done = mapPerEntryKernel(domain, cpuList, store, seg, prot, record);
    if (done.entries !== layout.entries || done.bytes !== layout.bytes || done.size !== size) {
      throw listChanged();
    }
    domain.syncMap();
  } catch (e) {
    record.releaseIova(domain);
    list.clear();
    throw e;
  }
  return { list, path: "iommu-per-entry", p2pLookups: 0 };
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

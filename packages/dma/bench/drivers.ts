/**
 * The measured loops of the mapping benchmark (bench/mapping.ts), written against the public
 * `@rlist/dma` API only. scripts/bench-baseline.ts compiles this module into each side's bundle
 * (this checkout's code, and the baseline revision's), so each side gets its own copy of every
 * loop: no call site sees both sides' classes, and neither side's timing suffers from the other's.
 */
import {
  type CpuRangeList as CpuList,
  CpuRangeList,
  DmaDevice,
  type DmaMapping,
  IommuDomain,
  type MapOptions,
  mapRangeList,
  PhysicalMemory,
  summarizeCpuList,
} from "@rlist/dma";

const GiB = 2 ** 30;
/** A CPU range list of this side's code. */
export type CpuListOf = CpuList;

/** RAM of the simulated machine: 256 GiB from 4 GiB up (every address is above 2^32). */
export const RAM_START = 4 * GiB;
export const RAM_BYTES = 256 * GiB;

export function newMemory(): PhysicalMemory {
  return new PhysicalMemory({ regions: [{ start: RAM_START, size: RAM_BYTES, kind: "ram" }] });
}

/** One whole page per pfn (physically contiguous ones merge). */
export function pageList(memory: PhysicalMemory, pfns: Float64Array): CpuList {
  return CpuRangeList.fromPfns(memory, pfns);
}

/** One 2 MiB folio at each 2 MiB slot index (from RAM_START). */
export function folioList(memory: PhysicalMemory, slots: Uint32Array): CpuList {
  const list = new CpuRangeList(memory);
  for (const s of slots) {
    const pfn = RAM_START / 4096 + s * 512;
    const folio = memory.folioOrder(pfn) === 9 ? memory.folioOf(pfn)! : memory.declareFolio(pfn, 9);
    list.appendFolio(folio, 0, 2 * 2 ** 20);
  }
  return list;
}

/** The public-cursor walk: `phys` + `length` of every entry (the rate the targets compare with). */
export function walk(list: CpuList): number {
  const c = list.cursor();
  let sum = 0;
  for (let ok = c.reset(); ok; ok = c.next()) sum += c.phys + c.length;
  return sum;
}

export type MapPath = "iommu-linear" | "iommu-per-entry" | "direct";

export function newDevice(path: MapPath): DmaDevice {
  return path === "direct"
    ? new DmaDevice({ name: "direct" })
    : new DmaDevice({ name: "iommu", iommu: new IommuDomain() });
}

/** Map options that select `path` on `device` for `list` (per entry: the path flags forced off). */
export function mapOptions(list: CpuList, path: MapPath): MapOptions {
  if (path !== "iommu-per-entry") return { direction: "bidirectional" };
  return {
    direction: "bidirectional",
    summary: { ...summarizeCpuList(list.cursor()), isPagelist: false, hasP2p: true },
  };
}

export interface MapTimes {
  mapNs: number;
  unmapNs: number;
  /** The path the mapper took (checked against the one asked for). */
  path: string;
}

/** One map (on a fresh device) and its unmap, timed separately. */
export function mapOnce(list: CpuList, path: MapPath, opts: MapOptions): MapTimes {
  const device = newDevice(path);
  const t0 = process.hrtime.bigint();
  const m: DmaMapping = mapRangeList(device, list, opts);
  const t1 = process.hrtime.bigint();
  m.unmap();
  const t2 = process.hrtime.bigint();
  return { mapNs: Number(t1 - t0), unmapNs: Number(t2 - t1), path: m.path };
}

/** ns per map + unmap of `list` on one long-lived `device`, over `calls` calls. */
export function mapUnmapNs(device: DmaDevice, list: CpuList, opts: MapOptions, calls: number): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) mapRangeList(device, list, opts).unmap();
  return Number(process.hrtime.bigint() - t0) / calls;
}

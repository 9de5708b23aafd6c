import {
  type CpuRangeList,
  DmaDevice,
  type DmaMapping,
  findBestBlockSize,
  IommuDomain,
  mappingExposure,
  mapRangeList,
  NO_MAX_SEGMENT_SIZE,
  NO_SEGMENT_BOUNDARY,
  numBlocks,
  numSegments,
  type PciFunction,
  p2pMapType,
  type Segmentation,
  SZ_1G,
  SZ_2M,
  SZ_4K,
} from "@rlist/dma";
import { isRlistError } from "@rlist/encoding";
import { ChunkPool, RangeList } from "@rlist/list";
import { checkInteger, checkObject } from "../args.js";
import { checkP2pMachine, type P2pMachine } from "../machine/example-p2p.js";
import { makeList } from "../representations/rlist.js";
import { checkPrepared, type Prepared } from "./prepare.js";
import type { IotlbFigures, MappingResult } from "./results.js";
import { checkBudget, interleaved, MAX_TIMING_ROUNDS } from "./timing.js";

export interface MapOptions {
  /** Interleaved timing rounds (every device once per round). */
  readonly rounds: number;
  /** Time the rounds may take in all for one workload, ns: fewer rounds when one call is slow. */
  readonly budgetNs: number;
}

/** A device a workload is mapped for. */
export interface MapTarget {
  readonly label: string;
  /** Builds a fresh device (with a fresh IOMMU domain, so IOVA figures do not depend on order). */
  readonly device: () => DmaDevice;
  /** The PCI function, for P2P map types. */
  readonly pci: PciFunction | null;
}

/** An RDMA HCA: no segment limits; MR page sizes 4K/2M/1G for its block (page) lists. */
export const HCA_SEGMENTATION: Segmentation = {
  minAlignMask: 0,
  segmentBoundaryMask: NO_SEGMENT_BOUNDARY,
  maxSegmentSize: NO_MAX_SEGMENT_SIZE,
  blockSizes: SZ_4K | SZ_2M | SZ_1G,
};

/** An NVMe controller: 4 KiB PRP pages (min_align_mask 0xFFF) and the PCI segment defaults. */
export const NVME_SEGMENTATION: Segmentation = {
  minAlignMask: 0xfff,
  segmentBoundaryMask: 0xffff_ffff,
  maxSegmentSize: 0x1_0000,
  blockSizes: SZ_4K,
};

/** An IOMMU domain with 4K/2M/1G pages; `strict` false is lazy invalidation (iommu.strict=0, a flush queue). */
function iommu(strict = true): IommuDomain {
  return new IommuDomain({ pageSizes: SZ_4K | SZ_2M | SZ_1G, strict });
}

/** Simulated time between the map + unmap of one list and the next, for the flush-queue figures. */
export const LIST_INTERVAL_MS = 1;

/** The devices a workload is mapped for: the GPU's NICs for P2P, else one device with and without IOMMU. */
export function mapTargets(p: Prepared, p2p: P2pMachine): MapTarget[] {
  checkPrepared("prepared", p);
  checkP2pMachine("p2p", p2p);
  if (p.p2p) {
    return p2p.clients.map((c) => ({
      label: c.label,
      pci: c.fn,
      device: () =>
        new DmaDevice({ name: c.label, pci: c.fn, iommu: iommu(), segmentation: HCA_SEGMENTATION }),
    }));
  }
  const nvme = p.workload.id === "nvme";
  const seg = nvme ? NVME_SEGMENTATION : HCA_SEGMENTATION;
  const what = nvme ? "NVMe controller" : "RDMA NIC";
  return [
    {
      label: `${what} behind an IOMMU`,
      pci: null,
      device: () => new DmaDevice({ name: what, iommu: iommu(), segmentation: seg }),
    },
    {
      label: `${what} behind a lazy IOMMU (iommu.strict=0)`,
      pci: null,
      device: () => new DmaDevice({ name: what, iommu: iommu(false), segmentation: seg }),
    },
    {
      label: `${what} without IOMMU`,
      pci: null,
      device: () => new DmaDevice({ name: what, segmentation: seg }),
    },
  ];
}

interface Figures {
  iovaBytes: number;
  dmaEntries: number;
  segments: number;
  bestBlockSize: number;
  blocks: number;
  exposedBytes: number;
  isolated: boolean;
  path: string | null;
}

/** The figures of a mapping that failed, or before any list is mapped. */
const NO_FIGURES: Readonly<Figures> = {
  iovaBytes: 0,
  dmaEntries: 0,
  segments: 0,
  bestBlockSize: 0,
  blocks: 0,
  exposedBytes: 0,
  isolated: false,
  path: null,
};

/**
 * Maps every list of the workload for one device and sums the figures (read while mapped);
 * the block size is the largest every list can use, blocks are counted at it. Unmaps them all.
 */
function mapAll(lists: readonly CpuRangeList[], device: DmaDevice): Figures {
  const f: Figures = { ...NO_FIGURES };
  const seg = device.segmentation;
  const live: DmaMapping[] = [];
  let bs = Number.POSITIVE_INFINITY;
  try {
    for (const list of lists) {
      const m = mapRangeList(device, list, { direction: "bidirectional" });
      live.push(m);
      const c = m.list.cursor();
      const ex = mappingExposure(m);
      f.path ??= m.path;
      f.iovaBytes += m.iovaSize;
      f.dmaEntries += m.list.count;
      f.segments += numSegments(c, seg);
      f.exposedBytes += ex.exposedBytes;
      f.isolated = ex.isolated;
      bs = Math.min(bs, seg.blockSizes !== undefined ? findBestBlockSize(c, seg.blockSizes) : 0);
    }
    f.bestBlockSize = Number.isFinite(bs) ? bs : 0;
    if (f.bestBlockSize > 0) for (const m of live) f.blocks += numBlocks(m.list.cursor(), f.bestBlockSize);
  } finally {
    for (const m of live) m.unmap();
  }
  return f;
}

/**
 * What IOTLB invalidation costs and exposes: every list mapped and unmapped in turn on a fresh
 * device, {@link LIST_INTERVAL_MS} of simulated time after each (the flush-queue timer runs on it),
 * then the queue's exposure read before a final flush. All exact: the clock is simulated.
 */
function iotlbFigures(lists: readonly CpuRangeList[], device: DmaDevice): IotlbFigures | null {
  const domain = device.iommu;
  if (domain === null || domain === undefined) return null;
  for (const list of lists) {
    mapRangeList(device, list, { direction: "bidirectional" }).unmap();
    domain.clock.advance(LIST_INTERVAL_MS);
  }
  const e = domain.exposure();
  return {
    strict: domain.strict,
    unmaps: lists.length,
    invalidations: domain.counters.iotlbInvalidations,
    exposedByteMs: e.byteMs,
    meanWindowMs: e.meanWindowMs,
    maxWindowMs: e.maxWindowMs,
  };
}

/**
 * Maps the workload for each of its devices with @rlist/dma's mapper (dma_map_rlist semantics:
 * identity for dma-direct, one IOVA range for page lists, bus addresses for BUS_ADDR P2P), reads
 * the DMA-list figures, unmaps, and times map + unmap of every list for every device side by side
 * in interleaved rounds (fewer rounds than asked when they would not fit in the budget; the
 * result says how many were taken).
 */
export function mapWorkload(p: Prepared, p2p: P2pMachine, o: MapOptions): MappingResult[] {
  checkPrepared("prepared", p);
  checkP2pMachine("p2p", p2p);
  checkObject("map options", o);
  checkInteger("rounds", o.rounds, 1, MAX_TIMING_ROUNDS);
  checkBudget("budgetNs", o.budgetNs);
  const set = p.workload.ranges;
  const pool = new ChunkPool({ chunkBytes: 512 });
  const stores: RangeList[] = [];
  const lists: CpuRangeList[] = [];
  try {
    for (let g = 0; g < set.groups; g++) {
      const store = new RangeList({ chunkBytes: 512, pool });
      stores.push(store);
      lists.push(makeList(set, g, p.ctx, store));
    }
    interface Mapped {
      base: Pick<MappingResult, "workload" | "device" | "p2pMapType" | "lists">;
      f: Readonly<Figures>;
      error: string | null;
      /** Time of the first (figures) call, ns. */
      ns: number;
      /** A fresh device to time on, null when mapping failed. */
      device: DmaDevice | null;
      iotlb: IotlbFigures | null;
    }
    const figures = mapTargets(p, p2p).map((t): Mapped => {
      const mapType = p.p2p && t.pci !== null ? p2pMapType(p2p.provider, t.pci) : null;
      const base = { workload: p.workload.id, device: t.label, p2pMapType: mapType, lists: lists.length };
      try {
        const t0 = process.hrtime.bigint();
        const f = mapAll(lists, t.device());
        const ns = Number(process.hrtime.bigint() - t0);
        return { base, f, error: null, ns, device: t.device(), iotlb: iotlbFigures(lists, t.device()) };
      } catch (err) {
        if (!isRlistError(err)) throw err;
        return { base, f: NO_FIGURES, error: err.message, ns: 0, device: null, iotlb: null };
      }
    });
    const timed = figures.filter((x) => x.device !== null);
    const perRound = timed.reduce((a, x) => a + Math.max(x.ns, 2e6), 0);
    const rounds = Math.max(1, Math.min(o.rounds, Math.floor(o.budgetNs / Math.max(1, perRound))));
    const timings = interleaved(
      timed.map((x) => () => {
        mapAll(lists, x.device!);
      }),
      rounds,
      { warmCallNs: timed.map((x) => x.ns), calibrateNs: 20e6 },
    );
    return figures.map((x) => {
      const k = timed.indexOf(x);
      return { ...x.base, ...x.f, error: x.error, map: k >= 0 ? timings[k]! : null, iotlb: x.iotlb };
    });
  } finally {
    for (const s of stores) s.clear();
  }
}

/**
 * The IOMMU per-entry layout of mapRangeList() (the rsiova path: one IOVA window, every entry
 * placed in it with the boundary-padding rule) as WebAssembly kernels, for CPU lists without P2P
 * memory. Pass 1 (assembly/dma.ts layoutPerEntry) lays out a batch of entries at a time in the
 * window that does not exist yet; the DMA list appends them (DmaRangeList.appendRelativeBatch).
 * Pass 2 (stagePerEntry), once the window is allocated, walks the list again and stages the 4 KiB
 * PTEs of each run of contiguous IOVAs (a boundary pad starts a new run), which StagedWriter
 * copies into the page table. Entries a 2 MiB leaf could map, or that reach past 2^52, go to the
 * page table's general path, so the leaves, the DMA list, the counters and every error are those
 * of the mapper's TypeScript loops (the property tests compare the two).
 */
import { lo32, RlistError } from "@rlist/encoding";
import type { RangeList } from "@rlist/list";
import type { CpuRangeList } from "../cpu/cpu-range-list.js";
import type { DmaRangeList } from "../dma-list/dma-range-list.js";
import type { Segmentation } from "../dma-list/segmentation.js";
import type { IommuDomain } from "../iommu/iommu-domain.js";
import type { MappingRecord } from "../mapping/mapping-record.js";
import { StagedWriter } from "./staging.js";
import {
  type ChunkWalk,
  chunkWalk,
  type DmaKernels,
  dmaKernels,
  hi32u,
  R_A,
  R_B,
  R_C,
  R_CUR,
  R_ENTRIES,
  R_FLAGS,
  R_NEXT,
  R_RUN,
  R_SLOW_IOVA,
  R_TOTAL,
  S_AT,
  S_ID,
  S_LEFT,
  S_SUB,
  ST_END,
  ST_SLOW,
  ST_UNSAFE,
  STAGE_ENTRIES,
  STAGE_PTES,
  setSlot,
  slotNumber,
} from "./wasm.js";

/** What pass 1 found: the entries, their bytes and the window's length. */
export interface PerEntryLayout {
  entries: number;
  bytes: number;
  size: number;
}

function startWalk(d: DmaKernels, w: ChunkWalk): void {
  const u32 = d.u32;
  u32[S_ID >>> 2] = w.first;
  u32[S_AT >>> 2] = 8;
  u32[S_LEFT >>> 2] = w.chunks;
  u32[S_SUB >>> 2] = 0;
  u32[R_ENTRIES >>> 2] = 0;
  setSlot(d, R_TOTAL, 0);
  setSlot(d, R_CUR, 0);
  setSlot(d, R_NEXT, 0);
}

/**
 * Pass 1: appends every entry of `list` (`store`: its RangeList) to `dma` as an IOVA entry at its
 * window-relative position under `seg`. A fresh DMA list in the CPU list's pool is filled in
 * place by the kernel (fillPerEntry writes its chunks; new tails are linked here, as append()
 * links them); any other takes the layout in batches through appendRelativeBatch(). Errors are
 * the DMA list's (the caller clears it).
 */
export function layoutPerEntryKernel(
  list: CpuRangeList,
  store: RangeList,
  seg: Segmentation,
  dma: DmaRangeList,
): PerEntryLayout {
  const d = dmaKernels(store.pool);
  const w = chunkWalk(d, store, list._pendingStored());
  if (w.chunks === 0) return { entries: 0, bytes: 0, size: 0 };
  startWalk(d, w);
  const pageShift = 31 - Math.clz32(list.pageSize);
  const mask = seg.segmentBoundaryMask;
  const maxSeg = seg.maxSegmentSize;
  const out = dma.storage;
  if (out !== null && out.pool === store.pool && out.count === 0 && !out.merge && !dma.frozen) {
    fillInPlace(d, out, pageShift, mask, maxSeg);
  } else {
    for (;;) {
      const n = d.k.layoutPerEntry(
        d.chunkShift,
        pageShift,
        lo32(mask),
        hi32u(mask),
        lo32(maxSeg),
        hi32u(maxSeg),
        STAGE_ENTRIES,
      );
      dma.appendRelativeBatch(d.stageF64, n);
      if ((d.u32[R_FLAGS >>> 2] as number) === ST_END) break;
    }
  }
  return {
    entries: d.u32[R_ENTRIES >>> 2] as number,
    bytes: slotNumber(d, R_TOTAL),
    size: slotNumber(d, R_CUR),
  };
}

/**
 * The kernel appends to `out`'s tail chunk until the next entry does not fit; the tail and the
 * list's counts are updated here from what it wrote, and a new tail is linked as append() links
 * one (the same chunk packing, the same pool allocations, so the same faults).
 */
function fillInPlace(d: DmaKernels, out: RangeList, pageShift: number, mask: number, maxSeg: number): void {
  const u32 = d.u32;
  for (;;) {
    const n = d.k.fillPerEntry(
      d.chunkShift,
      pageShift,
      lo32(mask),
      hi32u(mask),
      lo32(maxSeg),
      hi32u(maxSeg),
      out._tBase * 4,
      out._tUsed,
      out.unitsPerChunk,
    );
    if (n !== 0) {
      out._count += n;
      out._total += slotNumber(d, R_A);
      out._lastAt = u32[R_B >>> 2] as number;
      out._tUsed = u32[R_C >>> 2] as number;
    }
    const status = u32[R_FLAGS >>> 2] as number;
    if (status === ST_END) return;
    if (status === ST_UNSAFE) {
      throw new RlistError("ERANGE", "a window-relative IOVA offset passes 2^53 - 1");
    }
    out._link(out._acquire(), out._total, 0n, out._count);
  }
}

/**
 * Pass 2: maps every entry of `list` into the window at `record.iova` (laid out by pass 1 under
 * `seg`), recording the spans in `record`. Returns what it walked (the caller checks it against
 * pass 1); the page table's errors otherwise, with what was mapped before them recorded.
 */
export function mapPerEntryKernel(
  domain: IommuDomain,
  list: CpuRangeList,
  store: RangeList,
  seg: Segmentation,
  prot: number,
  record: MappingRecord,
): PerEntryLayout {
  const d = dmaKernels(store.pool);
  const w = chunkWalk(d, store, list._pendingStored());
  if (w.chunks === 0) return { entries: 0, bytes: 0, size: 0 };
  startWalk(d, w);
  const u32 = d.u32;
  const spans = record.iovaSpans;
  const pageShift = 31 - Math.clz32(list.pageSize);
  const pteFlags = 3 | ((prot & 7) << 2);
  const big2M = domain.pageTable.supportsLeaf(0x20_0000) ? 1 : 0;
  const base = record.iova;
  const mask = seg.segmentBoundaryMask;
  const maxSeg = seg.maxSegmentSize;
  const writer = new StagedWriter(domain, d, spans, base);
  const stage = (max: number): number =>
    d.k.stagePerEntry(
      d.chunkShift,
      pageShift,
      pteFlags,
      max,
      lo32(base),
      hi32u(base),
      lo32(mask),
      hi32u(mask),
      lo32(maxSeg),
      hi32u(maxSeg),
      big2M,
    );
  for (;;) {
    writer.save();
    const n = stage(STAGE_PTES);
    const status = u32[R_FLAGS >>> 2] as number;
    const calls = writer.started() - (status === ST_SLOW ? 1 : 0);
    if (n !== 0) writer.write(slotNumber(d, R_RUN), n, stage);
    domain.counters.mapCalls += calls;
    if (status === ST_END) break;
    if (status === ST_SLOW) {
      const iova = slotNumber(d, R_SLOW_IOVA);
      const span = slotNumber(d, R_B);
      domain.mapNoSync(iova, slotNumber(d, R_A), span, prot);
      spans.push(iova, span);
      writer.entryIova = iova + span;
    }
  }
  return {
    entries: u32[R_ENTRIES >>> 2] as number,
    bytes: slotNumber(d, R_TOTAL),
    size: slotNumber(d, R_CUR),
  };
}

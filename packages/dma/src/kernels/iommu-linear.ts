/**
 * The IOMMU page-list fast path of mapRangeList() as a WebAssembly kernel: a CPU page list
 * mapped into one contiguous IOVA run. The kernel (assembly/dma.ts, stageLinear) walks the CPU
 * list's chunk words in the pool's memory and stages the 4 KiB PTEs of up to 4,096 pages at a
 * time; the page table copies each batch into its leaf tables with one `set()` per 2 MiB region
 * (IoPageTable.writeStaged4k). Entries a 2 MiB leaf could map, or that reach past 2^52, are
 * handed back one by one to the page table's general path, so the leaves are exactly those the
 * per-entry TypeScript loop of the mapper makes (the property tests compare the two).
 *
 * One walk covers the stored entries and the CPU list's pending last entry (see chunkWalk()).
 */
import type { RangeList } from "@rlist/list";
import type { CpuRangeList } from "../cpu/cpu-range-list.js";
import type { IommuDomain } from "../iommu/iommu-domain.js";
import type { IovaSpanLog } from "../mapping/mapping-record.js";
import { StagedWriter } from "./staging.js";
import {
  chunkWalk,
  dmaKernels,
  F_PAGELIST,
  F_PREV_END_ALIGNED,
  R_A,
  R_B,
  R_D,
  R_ENTRIES,
  R_FLAGS,
  R_TOTAL,
  S_AT,
  S_ID,
  S_LEFT,
  S_SUB,
  ST_END,
  ST_NOT_PAGELIST,
  ST_SLOW,
  STAGE_PTES,
  setSlot,
  slotNumber,
} from "./wasm.js";

/** Where the walk of the stored entries ended (the pending entry continues from here). */
export interface LinearWalk {
  /** Granule-aligned IOVA of the next entry. */
  at: number;
  /** Non-empty entries mapped. */
  entries: number;
  /** Bytes mapped. */
  bytes: number;
  /** The last entry ended on a granule (true before the first). */
  prevEndAligned: boolean;
}

/**
 * Maps the entries of a CPU list (`store`: its RangeList) into `[walk.at, end)` with protection
 * `prot`, recording every span in `spans`; updates `walk`.
 * Throws `listChanged()` when the entries are not the page list the summary described (a join
 * off a granule, or more bytes than the window), the page table's errors otherwise; what was
 * mapped before the throw is in `spans` for the caller's rollback.
 */
export function mapLinearKernel(
  domain: IommuDomain,
  list: CpuRangeList,
  store: RangeList,
  end: number,
  prot: number,
  spans: IovaSpanLog,
  walk: LinearWalk,
  listChanged: () => Error,
): void {
  const d = dmaKernels(store.pool);
  const w = chunkWalk(d, store, list._pendingStored());
  if (w.chunks === 0) return;
  const u32 = d.u32;
  const pt = domain.pageTable;
  u32[S_ID >>> 2] = w.first;
  u32[S_AT >>> 2] = 8;
  u32[S_LEFT >>> 2] = w.chunks;
  u32[S_SUB >>> 2] = 0;
  u32[R_ENTRIES >>> 2] = 0;
  setSlot(d, R_TOTAL, 0);
  setSlot(d, R_D, walk.entries === 0 ? 0 : F_PAGELIST | (walk.prevEndAligned ? F_PREV_END_ALIGNED : 0));
  const pageShift = 31 - Math.clz32(list.pageSize);
  const pteFlags = 3 | ((prot & 7) << 2);
  const big2M = pt.supportsLeaf(0x20_0000) ? 1 : 0;
  let at = walk.at;
  const writer = new StagedWriter(domain, d, spans, at);
  const stage = (max: number): number =>
    d.k.stageLinear(d.chunkShift, pageShift, pteFlags, max, at >>> 0, big2M);
  for (;;) {
    writer.save();
    const n = stage(Math.min(STAGE_PTES, (end - at) / 0x1000));
    const status = u32[R_FLAGS >>> 2] as number;
    // iommu_map() calls, one per entry, as the TypeScript loop counts them (a slow entry counts
    // itself in mapNoSync()).
    const calls = writer.started() - (status === ST_SLOW ? 1 : 0);
    if (n !== 0) {
      writer.write(at, n, stage);
      at += n * 0x1000;
    }
    domain.counters.mapCalls += calls;
    if (status === ST_END) break;
    if (status === ST_NOT_PAGELIST) throw listChanged();
    if (status === ST_SLOW) {
      const base = slotNumber(d, R_A);
      const span = slotNumber(d, R_B);
      if (at + span > end) throw listChanged();
      domain.mapNoSync(at, base, span, prot);
      spans.push(at, span);
      at += span;
      writer.entryIova = at;
      continue;
    }
    if (n === 0) throw listChanged(); // the window is full and entries are left
  }
  const entries = u32[R_ENTRIES >>> 2] as number;
  const state = u32[R_D >>> 2] as number;
  walk.at = at;
  walk.entries += entries;
  walk.bytes += slotNumber(d, R_TOTAL);
  walk.prevEndAligned = (state & F_PREV_END_ALIGNED) !== 0;
}

/**
 * summarizeCpuList() and isPageList() over a CPU range list's chunk words, as WebAssembly
 * kernels (assembly/dma.ts: cpuSummary, cpuIsPageList): one call walks the stored entries and
 * then the list's pending last entry (see chunkWalk()), exactly as the TypeScript loops of
 * src/mapping/cpu-source.ts read them. Used for `CpuRangeList`s on the default store with
 * {@link kernelMinEntries} entries or more; the loops answer everything else.
 *
 * P2P: a PHYSICAL entry names its provider in the chunk words (the kernel sees it); a folio
 * entry's provider comes from its pgmap in the memory model, which the kernel cannot read. A
 * `CpuRangeList`'s `hasP2P` is true exactly when some entry has a provider (set by the append
 * that adds one, restored by `rollback()`, cleared by `clear()`), so it answers for the folios.
 */
import { RlistError } from "@rlist/encoding";
import { RangeList } from "@rlist/list";
import { CpuRangeList } from "../cpu/cpu-range-list.js";
import { CpuEntryCursor } from "../cpu/entry-cursor.js";
import type { CpuListSource, CpuListSummary, CpuSourceCursor } from "../mapping/cpu-source.js";
import { kernelMinEntries } from "./thresholds.js";
import {
  chunkWalk,
  dmaKernels,
  F_PAGELIST,
  F_PROVIDER,
  F_TOTAL_WRAP,
  R_FIRST,
  R_FLAGS,
  R_MAX,
  R_MIN,
  R_TOTAL,
  slotNumber,
} from "./wasm.js";

/** The store a kernel may walk for `list`, or null (another store, or too few entries). */
function storeOf(list: CpuRangeList, pageSize: number): RangeList | null {
  const store = list.store;
  if (!(store instanceof RangeList) || list.count < kernelMinEntries.summary || pageSize > 0x8000_0000) {
    return null;
  }
  return store;
}

/** The kernel path of summarizeCpuList(), or null when the loop must run. */
export function summaryKernel(cursor: CpuSourceCursor, pageSize: number): CpuListSummary | null {
  if (!(cursor instanceof CpuEntryCursor)) return null;
  const list = cursor.list;
  const store = storeOf(list, pageSize);
  if (store === null) return null;
  const d = dmaKernels(store.pool);
  const w = chunkWalk(d, store, list._pendingStored());
  const entries =
    w.chunks === 0
      ? 0
      : d.k.cpuSummary(w.first, w.chunks, d.chunkShift, 31 - Math.clz32(list.pageSize), pageSize - 1);
  const flags = w.chunks === 0 ? F_PAGELIST : (d.u32[R_FLAGS >>> 2] as number);
  if ((flags & F_TOTAL_WRAP) !== 0) {
    throw new RlistError("ERANGE", "the CPU list's total length passes 2^53 - 1");
  }
  // The loop leaves its cursor past the last entry: so does this path.
  cursor.seek(list.length);
  if (entries === 0) {
    return {
      entries: 0,
      totalLength: 0,
      hasP2p: false,
      isPagelist: true,
      firstPhys: 0,
      physStart: 0,
      physEnd: 0,
    };
  }
  return {
    entries,
    totalLength: slotNumber(d, R_TOTAL),
    hasP2p: list.hasP2P || (flags & F_PROVIDER) !== 0,
    isPagelist: (flags & F_PAGELIST) !== 0,
    firstPhys: slotNumber(d, R_FIRST),
    physStart: slotNumber(d, R_MIN),
    physEnd: slotNumber(d, R_MAX),
  };
}

/** The kernel path of isPageList(), or null when the loop must run. */
export function isPageListKernel(source: CpuListSource, pageSize: number): boolean | null {
  if (!(source instanceof CpuRangeList)) return null;
  const store = storeOf(source, pageSize);
  if (store === null) return null;
  const d = dmaKernels(store.pool);
  const w = chunkWalk(d, store, source._pendingStored());
  if (w.chunks === 0) return true;
  return (
    d.k.cpuIsPageList(w.first, w.chunks, d.chunkShift, 31 - Math.clz32(source.pageSize), pageSize - 1) !== 0
  );
}

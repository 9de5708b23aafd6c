/**
 * Storage accounting for the benchmark: the CpuRangeList keeps its entries in `@rlist/list`'s
 * RangeList, whose `stats()` counts whole chunks (headers and end markers included).
 */
import type { CpuRangeList } from "@rlist/dma";

export interface StoreFigures {
  chunkBytes: number;
  chunks: number;
  bytesInUse: number;
  bytesPerEntry: number;
  /** Encoded entry bytes / chunk bytes. */
  efficiency: number;
  byForm: { 8: number; 16: number; 24: number };
}

/** Chunk-level figures of a sealed list. */
export function storeFigures(list: CpuRangeList): StoreFigures {
  list.seal();
  const s = list.stats();
  return {
    chunkBytes: s.chunkBytes,
    chunks: s.chunks,
    bytesInUse: s.bytesInUse,
    bytesPerEntry: s.bytesPerEntry,
    efficiency: s.efficiency,
    byForm: s.byForm,
  };
}

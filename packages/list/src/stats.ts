/** stats(): memory accounting in whole chunks (headers and pads included), forms counted. */
import { listForms } from "./kernels/forms.js";
import type { RangeList, RangeListStats } from "./range-list.js";

export function listStats(list: RangeList): RangeListStats {
  const ix = list._ix;
  const byForm = listForms(list);
  const entryBytes = byForm[8] * 8 + byForm[16] * 16 + byForm[24] * 24;
  const bytesInUse = ix.length * list.chunkBytes;
  return {
    entries: list._count,
    chunks: ix.length,
    chunkBytes: list.chunkBytes,
    bytesInUse,
    bytesPerEntry: list._count === 0 ? 0 : bytesInUse / list._count,
    efficiency: bytesInUse === 0 ? 0 : entryBytes / bytesInUse,
    byForm,
    reservedChunks: list._preload.length,
    indexBytes: ix.bytes,
    memoryTailBytes: list.pool.stats().memoryTailBytes,
  };
}

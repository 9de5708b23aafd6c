/** stats(): memory accounting in whole chunks (headers and pads included), forms counted. */
import { HDR_USED, HEADER_UNITS } from "./constants.js";
import type { RangeList, RangeListStats } from "./range-list.js";

export function listStats(list: RangeList): RangeListStats {
  const byForm = { 8: 0, 16: 0, 24: 0 };
  const ix = list._ix;
  let entryBytes = 0;
  for (let k = 0; k < ix.length; k++) {
    const id = ix.ids[k] as number;
    const w = list.pool.words(id);
    const hdr = list.pool.wordBase(id);
    const area = hdr + HEADER_UNITS;
    const end = area + (w[hdr + HDR_USED] as number);
    if (list._fixed) {
      byForm[16] += (end - area) / 4;
      continue;
    }
    for (let at = area; at < end; ) {
      const enc = (w[at] as number) & 3;
      if (enc === 0) {
        byForm[8]++;
        at += 2;
      } else if (enc === 1) {
        byForm[16]++;
        at += 4;
      } else {
        byForm[24]++;
        at += 6;
      }
    }
  }
  entryBytes = byForm[8] * 8 + byForm[16] * 16 + byForm[24] * 24;
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
  };
}

/**
 * truncate(): keep the first `count` entries. The result is the layout that appending those
 * entries alone would give, so the chunk holding entry `count` is either cut at that entry or,
 * if the entry opens it, dropped whole with the rest. Freed chunks go back to the pool.
 */
import { checkSafe, variableUnitsAt } from "@rlist/encoding";
import { HDR_NEXT, HDR_USED, HEADER_UNITS, MAX_SAFE, NIL } from "./constants.js";
import type { RangeList } from "./range-list.js";
import { rawLength, rawLengthBig } from "./raw.js";

const END_MARKER = 3;

export function truncateList(list: RangeList, count: number): void {
  checkSafe("count", count, list._count);
  if (count === list._count) return;
  if (count === 0) {
    list._freeChunks();
    list._resetTail();
    list._epoch++;
    return;
  }
  const ix = list._ix;
  const k = ix.findByIndex(count);
  const exact = ix.posBig !== null;
  let keep: number;
  let used: number;
  let lastAt: number;
  let total: number;
  let totalBig = 0n;
  if ((ix.first[k] as number) === count) {
    // Entry `count` opens chunk k: chunk k-1 becomes the tail exactly as it is.
    keep = k - 1;
    total = ix.pos[k] as number;
    if (exact) totalBig = ix.posExact(k);
    const id = ix.ids[keep] as number;
    const w = list.pool.words(id);
    const hdr = list.pool.wordBase(id);
    used = w[hdr + HDR_USED] as number;
    lastAt = lastEntryUnit(list, w, hdr, used);
  } else {
    keep = k;
    const id = ix.ids[k] as number;
    const w = list.pool.words(id);
    const hdr = list.pool.wordBase(id);
    const area = hdr + HEADER_UNITS;
    let at = 0;
    lastAt = -1;
    total = ix.pos[k] as number;
    if (exact) totalBig = ix.posExact(k);
    const raw = list._prev;
    for (let i = ix.first[k] as number; i < count; i++) {
      const units = list._read(w, area + at, raw);
      total += rawLength(raw);
      if (exact) totalBig += rawLengthBig(raw);
      lastAt = at;
      at += units;
    }
    used = at;
  }
  for (let j = keep + 1; j < ix.length; j++) list.pool.free(ix.ids[j] as number);
  ix.length = keep + 1;
  const id = ix.ids[keep] as number;
  const w = list.pool.words(id);
  const hdr = list.pool.wordBase(id);
  w[hdr + HDR_NEXT] = NIL;
  w[hdr + HDR_USED] = used;
  if (used < list.unitsPerChunk) w[hdr + HEADER_UNITS + used] = END_MARKER;
  list._tw = w;
  list._tBase = hdr;
  list._tUsed = used;
  list._lastAt = lastAt;
  list._count = count;
  if (exact) {
    total = Number(totalBig);
    list._totalBig = totalBig;
    if (totalBig <= BigInt(MAX_SAFE)) ix.setExact(false);
  }
  list._total = total;
  list._epoch++;
}

/** Entry-area unit of the last entry of a chunk with `used` units. */
function lastEntryUnit(list: RangeList, w: Uint32Array, hdr: number, used: number): number {
  const area = hdr + HEADER_UNITS;
  if (list._fixed) return used - 4;
  let at = 0;
  let last = 0;
  while (at < used) {
    last = at;
    at += variableUnitsAt(w, area + at);
  }
  return last;
}

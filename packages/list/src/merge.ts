/**
 * Merge-on-append: extending the last entry when the next one continues it, like the bio
 * layer merging physically contiguous bio_vecs. When the longer length needs a larger form
 * that no longer fits the chunk, the entry moves to a new chunk (allocation first, so a
 * failure changes nothing).
 */
import { HDR_USED, HEADER_UNITS } from "./constants.js";
import type { RangeList } from "./range-list.js";
import {
  addLength,
  type Raw,
  rawContiguous,
  rawIsSafe,
  rawLength,
  rawLengthBig,
  rawToEntry,
  variableUnits,
  writeFixed16,
  writeVariable,
} from "./raw.js";

const END_MARKER = 3;

/** Merges `next` into the last entry if the rule allows; false if it must be appended. */
export function tryMerge(list: RangeList, next: Raw): boolean {
  const prev = list._prev;
  const w = list._tw;
  const lastAbs = list._tBase + HEADER_UNITS + list._lastAt;
  const oldUnits = list._read(w, lastAbs, prev);
  if (!mergeable(list, prev, next)) return false;
  const prevLen = rawLength(prev);
  const prevLenBig = list._ix.posBig !== null ? rawLengthBig(prev) : 0n;
  if (!addLength(prev, next)) return false; // would pass 2^60-1: keep two entries
  const units = list._fixed ? 4 : variableUnits(prev);
  const cap = list.unitsPerChunk;
  if (list._lastAt + units <= cap) {
    if (list._fixed) writeFixed16(w, lastAbs, prev);
    else writeVariable(w, lastAbs, prev);
    if (units !== oldUnits) {
      const used = list._lastAt + units;
      w[list._tBase + HDR_USED] = used;
      if (used < cap) w[list._tBase + HEADER_UNITS + used] = END_MARKER;
      list._tUsed = used;
    }
    return true;
  }
  // The longer form no longer fits this chunk: move the entry to a new one.
  const id = list._acquire();
  const lastAt = list._lastAt;
  w[list._tBase + HDR_USED] = lastAt;
  w[lastAbs] = END_MARKER;
  // Above 2^53 the double position must be the exact one rounded once, not a difference
  // of two rounded doubles (seek relies on it comparing right against safe targets).
  const exact = list._ix.posBig !== null;
  const posBig = exact ? list._totalExact() - prevLenBig : 0n;
  list._link(id, exact ? Number(posBig) : list._total - prevLen, posBig, list._count - 1);
  list._put(prev, units);
  return true;
}

function mergeable(list: RangeList, prev: Raw, next: Raw): boolean {
  const hook = list.canMerge;
  if (hook === null) {
    return (
      prev.type === next.type &&
      prev.extra === next.extra &&
      prev.offset === 0 &&
      next.offset === 0 &&
      rawContiguous(prev, next)
    );
  }
  if (!rawIsSafe(prev) || !rawIsSafe(next)) return false;
  list._busy = true;
  try {
    return hook(rawToEntry(prev, list._hookPrev), rawToEntry(next, list._hookNext)) === true;
  } finally {
    list._busy = false;
  }
}

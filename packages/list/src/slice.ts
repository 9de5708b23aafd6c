/**
 * slice(): a new list covering the byte range [from, to) of a list, for splitting an I/O.
 * Entries are copied; the first and last are trimmed.
 */
import { lengthHiOf, lengthLowOf, RlistError, TWO32 } from "@rlist/encoding";
import { HDR_USED, HEADER_UNITS } from "./constants.js";
import type { RangeList } from "./range-list.js";
import { newRaw, type Raw, rawLength, variableUnits } from "./raw.js";

/** How trimming the front of an entry is recorded. */
export type TrimFront = "offset" | "base";

const scratch = newRaw();

function setLength(r: Raw, length: number): void {
  r.lenLo = lengthLowOf(length);
  r.lenHi = lengthHiOf(length);
}

function advanceFront(r: Raw, front: number, how: TrimFront): void {
  if (how === "offset") {
    const off = r.offset + front;
    if (off > 0xffff_ffff) {
      throw new RlistError("ERANGE", `trimmed offset ${off} does not fit u32 (slice with trimFront: "base")`);
    }
    r.offset = off;
    return;
  }
  const addLo = front >>> 0;
  let lo = r.baseLo + addLo;
  let hi = r.baseHi + (front - addLo) / TWO32;
  if (lo >= TWO32) {
    lo -= TWO32;
    hi++;
  }
  if (hi > 0xffff_ffff) throw new RlistError("ERANGE", "trimmed base passes 2^64-1");
  r.baseLo = lo;
  r.baseHi = hi;
}

/**
 * Appends to `out` (empty, merge off, same codec) the entries of `src` that intersect
 * [from, to), trimmed to it; zero-length entries are kept when from <= pos < to.
 * `from <= to <= src.totalLength`, all safe integers (checked by the caller).
 */
export function sliceInto(src: RangeList, out: RangeList, from: number, to: number, how: TrimFront): void {
  if (from === to) return;
  const ix = src._ix;
  // First chunk that can hold an included entry: the last one starting before `from`.
  let k = from === 0 ? 0 : ix.findByPosition(from - 1);
  let pos = ix.pos[k] as number;
  const r = scratch;
  for (; k < ix.length; k++) {
    const id = ix.ids[k] as number;
    const w = src.pool.words(id);
    const hdr = src.pool.wordBase(id);
    const end = hdr + HEADER_UNITS + (w[hdr + HDR_USED] as number);
    for (let at = hdr + HEADER_UNITS; at < end; ) {
      if (pos >= to) return;
      const units = src._read(w, at, r);
      // Above 2^53-1 `len` is rounded, but then it is larger than any safe span below.
      const len = rawLength(r);
      if (len > 0 ? pos + len > from : pos >= from) {
        const front = pos < from ? from - pos : 0;
        const span = to - pos;
        if (front === 0 && len <= span) {
          out._appendRaw(r, units);
        } else {
          setLength(r, Math.min(len, span) - front);
          if (front > 0) advanceFront(r, front, how);
          if (src._fixed && r.offset !== 0) {
            throw new RlistError("ERANGE", 'fixed16 entries hold no offset: slice with trimFront: "base"');
          }
          out._appendRaw(r, src._fixed ? 4 : variableUnits(r));
        }
      }
      pos += len;
      at += units;
    }
  }
}

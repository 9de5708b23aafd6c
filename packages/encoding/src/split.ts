/**
 * Both APIs of both codecs first reduce an entry to the same u32 pieces, so the bit layout
 * is written in one place per codec. `Split` is a reused scratch record: no per-entry allocation.
 */
import { lengthHiOf, lengthLowOf } from "./layout.js";
import { hi32, lo32 } from "./numbers.js";
import type { RangeEntry, RangeEntryBig } from "./types.js";
import { entryFieldsError, entryFieldsErrorBig, notAnEntryError } from "./validate.js";

/**
 * Entry fields cut into u32-sized pieces, the units the layout stores (see layout.ts):
 * length = lenHi * 2^28 + lenLo, base = baseHi * 2^32 + baseLo. Exact for every entry of either
 * API with no BigInt arithmetic; containers keep one as a reused scratch record.
 */
export interface Split {
  type: number;
  /** Length bits 0..27. */
  lenLo: number;
  /** Length bits 28..59 (32 bits). */
  lenHi: number;
  baseLo: number;
  baseHi: number;
  offset: number;
  extra: number;
}

/** A zeroed {@link Split} (all fields small integers). */
export function newSplit(): Split {
  return { type: 0, lenLo: 0, lenHi: 0, baseLo: 0, baseHi: 0, offset: 0, extra: 0 };
}

const MAX_LENGTH_BIG = (1n << 60n) - 1n;
const MAX_BASE_BIG = (1n << 64n) - 1n;
const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Validates a number-API entry and cuts it into `s`. Throws `RlistError` (ERANGE / EINVAL).
 * Each field is read once. The inline test is the fast path; `entryFieldsError` explains a
 * failure from the values read.
 */
export function splitEntry(e: RangeEntry, s: Split): void {
  if (typeof e !== "object" || e === null) throw notAnEntryError(e);
  const { type, length, base, offset, extra } = e;
  if (
    !(
      typeof type === "number" &&
      (type & 3) === type &&
      typeof offset === "number" &&
      offset >>> 0 === offset &&
      typeof extra === "number" &&
      extra >>> 0 === extra &&
      Number.isSafeInteger(length) &&
      length >= 0 &&
      Number.isSafeInteger(base) &&
      base >= 0
    )
  ) {
    throw entryFieldsError(type, length, base, offset, extra);
  }
  // lengthLowOf / lengthHiOf / lo32 / hi32 written out: a call to a module function costs a load
  // and check of its binding per call in optimised code (measured 1.14x on encode).
  // `&` and `>>>` reduce modulo 2^32 exactly for any safe integer; the subtractions are exact.
  const lenLo = length & 0x0fff_ffff;
  const baseLo = base >>> 0;
  s.type = type;
  s.lenLo = lenLo;
  s.lenHi = (length - lenLo) / 0x1000_0000;
  s.baseLo = baseLo;
  s.baseHi = (base - baseLo) / 0x1_0000_0000;
  s.offset = offset >>> 0;
  s.extra = extra >>> 0;
}

/** Validates a bigint-API entry and cuts it into `s`, reading each field once. Throws `RlistError` (ERANGE / EINVAL). */
export function splitEntryBig(e: RangeEntryBig, s: Split): void {
  if (typeof e !== "object" || e === null) throw notAnEntryError(e);
  const { type, length, base, offset, extra } = e;
  if (
    !(
      typeof type === "number" &&
      (type & 3) === type &&
      typeof offset === "number" &&
      offset >>> 0 === offset &&
      typeof extra === "number" &&
      extra >>> 0 === extra &&
      typeof length === "bigint" &&
      length >= 0n &&
      length <= MAX_LENGTH_BIG &&
      typeof base === "bigint" &&
      base >= 0n &&
      base <= MAX_BASE_BIG
    )
  ) {
    throw entryFieldsErrorBig(type, length, base, offset, extra);
  }
  s.type = type;
  // Values below 2^53 (nearly all) are cut with exact float arithmetic: BigInt shifts allocate.
  if (length <= MAX_SAFE_BIG) {
    const n = Number(length);
    s.lenLo = lengthLowOf(n);
    s.lenHi = lengthHiOf(n);
  } else {
    s.lenLo = Number(length & 0x0fff_ffffn);
    s.lenHi = Number(length >> 28n);
  }
  if (base <= MAX_SAFE_BIG) {
    const n = Number(base);
    s.baseLo = lo32(n);
    s.baseHi = hi32(n);
  } else {
    s.baseLo = Number(base & 0xffff_ffffn);
    s.baseHi = Number(base >> 32n);
  }
  s.offset = offset >>> 0;
  s.extra = extra >>> 0;
}

/**
 * Entries cut into u32-sized pieces ("raw" form) and the two stored layouts read and written
 * from those pieces. The container works on raw entries on every path that is not the
 * number-API fast path: merges, moves, slices and the bigint API stay exact without BigInt
 * arithmetic or per-entry allocation.
 *
 * The bit layouts are those of `@rlist/encoding` (variableCodec, fixed16Codec); the tests check
 * this module against the codecs word for word.
 */
import type { RangeEntry, RangeEntryBig } from "@rlist/encoding";
import { TWO28, TWO32 } from "./constants.js";

/** length = lenHi * 2^28 + lenLo, base = baseHi * 2^32 + baseLo. */
export interface Raw {
  type: number;
  /** Length bits 0..27. */
  lenLo: number;
  /** Length bits 28..59. */
  lenHi: number;
  baseLo: number;
  baseHi: number;
  offset: number;
  extra: number;
}

export function newRaw(): Raw {
  return { type: 0, lenLo: 0, lenHi: 0, baseLo: 0, baseHi: 0, offset: 0, extra: 0 };
}

/** Largest `lenHi` / `baseHi` whose value is still <= 2^53-1. */
export const SAFE_LEN_HI = 0x1ff_ffff;
export const SAFE_BASE_HI = 0x1f_ffff;

/**
 * Checks number-API entry fields (read once by the caller) like `variableCodec.unitsFor` and cuts
 * them into `out`; false (and `out` unspecified) if any is invalid. No BigInt, no allocation.
 */
export function rawFromFields(
  type: unknown,
  length: unknown,
  base: unknown,
  offset: unknown,
  extra: unknown,
  out: Raw,
): boolean {
  if (
    !(
      typeof type === "number" &&
      (type & 3) === type &&
      typeof length === "number" &&
      Number.isSafeInteger(length) &&
      length >= 0 &&
      typeof base === "number" &&
      Number.isSafeInteger(base) &&
      base >= 0 &&
      typeof offset === "number" &&
      offset >>> 0 === offset &&
      typeof extra === "number" &&
      extra >>> 0 === extra
    )
  ) {
    return false;
  }
  const lenLo = length & 0x0fff_ffff;
  const baseLo = base >>> 0;
  out.type = type;
  out.lenLo = lenLo;
  out.lenHi = (length - lenLo) / TWO28;
  out.baseLo = baseLo;
  out.baseHi = (base - baseLo) / TWO32;
  out.offset = offset >>> 0;
  out.extra = extra >>> 0;
  return true;
}

/** {@link rawFromFields} for the bigint API (length < 2^60, base < 2^64). */
export function rawFromBigFields(
  type: unknown,
  length: unknown,
  base: unknown,
  offset: unknown,
  extra: unknown,
  out: Raw,
): boolean {
  if (
    !(
      typeof type === "number" &&
      (type & 3) === type &&
      typeof length === "bigint" &&
      length >= 0n &&
      length <= 0xfff_ffff_ffff_ffffn &&
      typeof base === "bigint" &&
      base >= 0n &&
      base <= 0xffff_ffff_ffff_ffffn &&
      typeof offset === "number" &&
      offset >>> 0 === offset &&
      typeof extra === "number" &&
      extra >>> 0 === extra
    )
  ) {
    return false;
  }
  out.type = type;
  out.lenLo = Number(length & 0x0fff_ffffn);
  out.lenHi = Number(length >> 28n);
  out.baseLo = Number(base & 0xffff_ffffn);
  out.baseHi = Number(base >> 32n);
  out.offset = offset >>> 0;
  out.extra = extra >>> 0;
  return true;
}

export function rawIsSafe(r: Raw): boolean {
  return r.lenHi <= SAFE_LEN_HI && r.baseHi <= SAFE_BASE_HI;
}

/** Writes the number form of `r` into `out` (caller checked {@link rawIsSafe}). */
export function rawToEntry(r: Raw, out: RangeEntry): RangeEntry {
  out.type = r.type;
  out.length = r.lenHi * TWO28 + r.lenLo;
  out.base = r.baseHi * TWO32 + r.baseLo;
  out.offset = r.offset;
  out.extra = r.extra;
  return out;
}

export function rawToEntryBig(r: Raw, out: RangeEntryBig): RangeEntryBig {
  out.type = r.type;
  out.length = (BigInt(r.lenHi) << 28n) | BigInt(r.lenLo);
  out.base = (BigInt(r.baseHi) << 32n) | BigInt(r.baseLo);
  out.offset = r.offset;
  out.extra = r.extra;
  return out;
}

/** Length as a double: exact when <= 2^53-1, otherwise rounded (and then > 2^53-1). */
export function rawLength(r: Raw): number {
  return r.lenHi * TWO28 + r.lenLo;
}

export function rawLengthBig(r: Raw): bigint {
  return (BigInt(r.lenHi) << 28n) | BigInt(r.lenLo);
}

/** Units the variable codec picks for `r` (first of 8, 16, 24 that fits: docs/prototype.md#choosing-a-form). */
export function variableUnits(r: Raw): number {
  if (r.extra !== 0) return 6;
  if (r.offset === 0 && r.lenHi === 0 && r.baseHi === 0) return 2;
  if (r.lenHi <= 0xff && r.offset <= 0xff_ffff) return 4;
  return 6;
}

/** Writes `r` in the variable layout at `at`; returns the units written. */
export function writeVariable(w: Uint32Array, at: number, r: Raw): number {
  const units = variableUnits(r);
  const low = (r.lenLo << 4) | (r.type << 2);
  if (units === 2) {
    w[at] = low;
    w[at + 1] = r.baseLo;
  } else if (units === 4) {
    w[at] = low | 1;
    w[at + 1] = r.lenHi | (r.offset << 8);
    w[at + 2] = r.baseLo;
    w[at + 3] = r.baseHi;
  } else {
    w[at] = low | 2;
    w[at + 1] = r.offset;
    w[at + 2] = r.baseLo;
    w[at + 3] = r.baseHi;
    w[at + 4] = r.lenHi;
    w[at + 5] = r.extra;
  }
  return units;
}

/** Writes `r` in the fixed16 layout (offset and extra must be 0); returns 4. */
export function writeFixed16(w: Uint32Array, at: number, r: Raw): number {
  w[at] = (r.lenLo << 4) | (r.type << 2);
  w[at + 1] = r.lenHi;
  w[at + 2] = r.baseLo;
  w[at + 3] = r.baseHi;
  return 4;
}

/** Reads the variable entry at `at` into `out`; returns its units, 0 at an END marker. */
export function readVariable(w: Uint32Array, at: number, out: Raw): number {
  const h = w[at] as number;
  const enc = h & 3;
  out.type = (h >>> 2) & 3;
  out.lenLo = h >>> 4;
  if (enc === 0) {
    out.lenHi = 0;
    out.baseLo = w[at + 1] as number;
    out.baseHi = 0;
    out.offset = 0;
    out.extra = 0;
    return 2;
  }
  if (enc === 1) {
    const w1 = w[at + 1] as number;
    out.lenHi = w1 & 0xff;
    out.offset = w1 >>> 8;
    out.baseLo = w[at + 2] as number;
    out.baseHi = w[at + 3] as number;
    out.extra = 0;
    return 4;
  }
  if (enc === 2) {
    out.offset = w[at + 1] as number;
    out.baseLo = w[at + 2] as number;
    out.baseHi = w[at + 3] as number;
    out.lenHi = w[at + 4] as number;
    out.extra = w[at + 5] as number;
    return 6;
  }
  return 0;
}

/** Reads the fixed16 entry at `at` into `out`; returns 4, or 0 at an END marker. */
export function readFixed16(w: Uint32Array, at: number, out: Raw): number {
  const h = w[at] as number;
  if ((h & 3) !== 0) return 0;
  out.type = (h >>> 2) & 3;
  out.lenLo = h >>> 4;
  out.lenHi = w[at + 1] as number;
  out.baseLo = w[at + 2] as number;
  out.baseHi = w[at + 3] as number;
  out.offset = 0;
  out.extra = 0;
  return 4;
}

/** Units of the variable entry whose header is `h` (0 for the END marker). */
export function variableUnitsOf(h: number): number {
  const enc = h & 3;
  return enc === 3 ? 0 : (enc + 1) * 2;
}

/** Length (double, exact up to 2^53-1) of the variable entry at `at`. */
export function variableLengthAt(w: Uint32Array, at: number): number {
  const h = w[at] as number;
  const enc = h & 3;
  if (enc === 0) return h >>> 4;
  if (enc === 1) return ((w[at + 1] as number) & 0xff) * TWO28 + (h >>> 4);
  return (w[at + 4] as number) * TWO28 + (h >>> 4);
}

/** Length (double) of the fixed16 entry at `at`. */
export function fixed16LengthAt(w: Uint32Array, at: number): number {
  return (w[at + 1] as number) * TWO28 + ((w[at] as number) >>> 4);
}

/** Adds `b`'s length to `a` in place; false (and `a` unchanged) if the sum needs more than 60 bits. */
export function addLength(a: Raw, b: Raw): boolean {
  let lo = a.lenLo + b.lenLo;
  let hi = a.lenHi + b.lenHi;
  if (lo >= TWO28) {
    lo -= TWO28;
    hi++;
  }
  if (hi > 0xffff_ffff) return false;
  a.lenLo = lo;
  a.lenHi = hi;
  return true;
}

/** True when `prev.base + prev.length === next.base`, computed exactly over 64 bits. */
export function rawContiguous(prev: Raw, next: Raw): boolean {
  // length as (hi32, lo32): bits 28..31 of the length live in lenHi's low nibble.
  const lenLo32 = (((prev.lenHi & 0xf) << 28) | prev.lenLo) >>> 0;
  const lenHi32 = prev.lenHi >>> 4;
  let lo = prev.baseLo + lenLo32;
  let hi = prev.baseHi + lenHi32;
  if (lo >= TWO32) {
    lo -= TWO32;
    hi++;
  }
  return lo === next.baseLo && hi === next.baseHi;
}

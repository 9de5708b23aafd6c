/**
 * Entries cut into u32-sized pieces ("raw" form) and the two stored layouts read and written
 * from those pieces. The container works on raw entries on every path that is not the
 * number-API fast path: merges, moves, slices and the bigint API stay exact without BigInt
 * arithmetic or per-entry allocation.
 *
 * The bit layouts are `@rlist/encoding`'s (its layout accessors read and write the words); the
 * tests check this module against the codecs word for word.
 */
import {
  type EntryPieces,
  encodingAt,
  fixed16BaseHiAt,
  fixed16BaseLoAt,
  fixed16LengthHiAt,
  hi32,
  join32,
  joinLength,
  lengthHiOf,
  lengthLowAt,
  lengthLowOf,
  lo32,
  newEntryPieces,
  type RangeEntry,
  type RangeEntryBig,
  SAFE_BASE_HI,
  SAFE_LENGTH_HI,
  TWO28,
  TWO32,
  typeAt,
  variableBaseHiAt,
  variableBaseLoAt,
  variableExtraAt,
  variableLengthHiAt,
  variableOffsetAt,
  variableUnitsAt,
  variableUnitsFor,
  writeFixed16 as writeFixed16Words,
  writeVariable8,
  writeVariable16,
  writeVariable24,
} from "@rlist/encoding";

/** An entry in pieces: `@rlist/encoding`'s {@link EntryPieces}. */
export type Raw = EntryPieces;

export function newRaw(): Raw {
  return newEntryPieces();
}

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
  out.type = type;
  out.lenLo = lengthLowOf(length);
  out.lenHi = lengthHiOf(length);
  out.baseLo = lo32(base);
  out.baseHi = hi32(base);
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
  return r.lenHi <= SAFE_LENGTH_HI && r.baseHi <= SAFE_BASE_HI;
}

/** Writes the number form of `r` into `out` (caller checked {@link rawIsSafe}). */
export function rawToEntry(r: Raw, out: RangeEntry): RangeEntry {
  out.type = r.type;
  out.length = joinLength(r.lenHi, r.lenLo);
  out.base = join32(r.baseHi, r.baseLo);
  out.offset = r.offset;
  out.extra = r.extra;
  return out;
}

export function rawToEntryBig(r: Raw, out: RangeEntryBig): RangeEntryBig {
  out.type = r.type;
  out.length = (BigInt(r.lenHi) << 28n) | BigInt(r.lenLo);
  out.base = rawBaseBig(r);
  out.offset = r.offset;
  out.extra = r.extra;
  return out;
}

/** Length as a double: exact when <= 2^53-1, otherwise rounded (and then > 2^53-1). */
export function rawLength(r: Raw): number {
  return joinLength(r.lenHi, r.lenLo);
}

/** Base as an exact bigint. */
export function rawBaseBig(r: Raw): bigint {
  return (BigInt(r.baseHi) << 32n) | BigInt(r.baseLo);
}

export function rawLengthBig(r: Raw): bigint {
  return (BigInt(r.lenHi) << 28n) | BigInt(r.lenLo);
}

/** Units the variable codec picks for `r` (first of 8, 16, 24 that fits: docs/prototype.md#choosing-a-form). */
export function variableUnits(r: Raw): number {
  return variableUnitsFor(r.lenHi, r.baseHi, r.offset, r.extra);
}

/** Writes `r` in the variable layout at `at`; returns the units written. */
export function writeVariable(w: Uint32Array, at: number, r: Raw): number {
  const units = variableUnits(r);
  if (units === 2) writeVariable8(w, at, r.type, r.lenLo, r.baseLo);
  else if (units === 4) writeVariable16(w, at, r.type, r.lenLo, r.lenHi, r.baseLo, r.baseHi, r.offset);
  else writeVariable24(w, at, r.type, r.lenLo, r.lenHi, r.baseLo, r.baseHi, r.offset, r.extra);
  return units;
}

/** Writes `r` in the fixed16 layout (offset and extra must be 0); returns 4. */
export function writeFixed16(w: Uint32Array, at: number, r: Raw): number {
  writeFixed16Words(w, at, r.type, r.lenLo, r.lenHi, r.baseLo, r.baseHi);
  return 4;
}

/** Reads the variable entry at `at` into `out`; returns its units, 0 at an END marker. */
export function readVariable(w: Uint32Array, at: number, out: Raw): number {
  const units = variableUnitsAt(w, at);
  if (units === 0) return 0;
  out.type = typeAt(w, at);
  out.lenLo = lengthLowAt(w, at);
  out.lenHi = variableLengthHiAt(w, at);
  out.baseLo = variableBaseLoAt(w, at);
  out.baseHi = variableBaseHiAt(w, at);
  out.offset = variableOffsetAt(w, at);
  out.extra = variableExtraAt(w, at);
  return units;
}

/** Reads the fixed16 entry at `at` into `out`; returns 4, or 0 at an END marker. */
export function readFixed16(w: Uint32Array, at: number, out: Raw): number {
  if (encodingAt(w, at) !== 0) return 0; // the END marker (tags 1 and 2 are not entries either)
  out.type = typeAt(w, at);
  out.lenLo = lengthLowAt(w, at);
  out.lenHi = fixed16LengthHiAt(w, at);
  out.baseLo = fixed16BaseLoAt(w, at);
  out.baseHi = fixed16BaseHiAt(w, at);
  out.offset = 0;
  out.extra = 0;
  return 4;
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

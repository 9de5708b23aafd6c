/**
 * The entry layout, once: unchecked accessors over a chunk's words (`Uint32Array`) and the unit
 * index `at` of an entry's first word. The codecs, the list's cursors and append path, and the DMA
 * layer's entry cursor all read and write entries through these (docs/prototype.md#entry-encoding).
 *
 * Little-endian u32 words; bit 0 is the least significant.
 *
 * ```text
 * word 0, the header (every form, both codecs):
 *    31                                 4   3   2   1   0
 *   +------------------------------------+-------+-------+
 *   |        length bits 0..27           | type  |  enc  |     enc: 0 = 8 B, 1 = 16 B, 2 = 24 B,
 *   +------------------------------------+-------+-------+          3 = END marker (1 word)
 *
 * variable codec, by enc:
 *   enc 0, 8 B  (2 words):  w1 = base (u32)                    length < 2^28, no offset, no extra
 *   enc 1, 16 B (4 words):  w1 = offset (24 bits) << 8 | length bits 28..35
 *                           w2 = base bits 0..31, w3 = base bits 32..63
 *   enc 2, 24 B (6 words):  w1 = offset (u32)
 *                           w2 = base bits 0..31, w3 = base bits 32..63
 *                           w4 = length bits 28..59, w5 = extra (u32)
 *
 * fixed16 codec (4 words; enc is the tag, 0 = entry, 3 = END):
 *                           w1 = length bits 28..59
 *                           w2 = base bits 0..31, w3 = base bits 32..63
 * ```
 *
 * So length = lengthHi * 2^28 + (w0 >>> 4) and base = baseHi * 2^32 + baseLo. The `...At`
 * readers return doubles: exact while the value is at most 2^53-1, which
 * {@link variableLengthIsSafe} / {@link variableBaseIsSafe} tell; above it they round (read the
 * pieces instead). The writers take the pieces (u32 each; `lengthLow` < 2^28) and write them
 * masked by the u32 store, nothing else: the callers check first.
 *
 * Nothing here checks its arguments or allocates, and only the `...ExactAt` readers throw
 * (`ERANGE`, for a value a double cannot hold): each function is a few word reads, small
 * and monomorphic so that V8 inlines it into the caller's loop. The bodies use number literals
 * rather than the named constants below (an imported `const` is re-read from its module cell on
 * every use, even in optimised code); the constants are for everything that is not a hot loop.
 *
 * @module
 */

import { RlistError } from "./errors.js";

/** Bits 0-1 of the header: the variable form (or fixed16 tag). */
export const ENCODING_MASK = 3;
/** Bits 2-3 of the header: the entry's `type`. */
export const TYPE_SHIFT = 2;
/** Bits 4-31 of the header: length bits 0..27. */
export const LENGTH_LOW_SHIFT = 4;
/** Largest `lengthLow` the header holds: 2^28-1. */
export const LENGTH_LOW_MASK = 0x0fff_ffff;
/** The 16-byte form keeps length bits 28..35 in bits 0-7 of word 1... */
export const VAR16_LENGTH_HI_MASK = 0xff;
/** ...and the offset (24 bits) in bits 8-31 of word 1. */
export const VAR16_OFFSET_SHIFT = 8;
/** Word of the 24-byte form holding length bits 28..59. */
export const VAR24_LENGTH_HI_WORD = 4;
/** Word of the 24-byte form holding `extra`. */
export const VAR24_EXTRA_WORD = 5;
/** Largest length bits 28..59 whose length is still at most 2^53-1. */
export const SAFE_LENGTH_HI = 0x1ff_ffff;
/** Largest base bits 32..63 whose base is still at most 2^53-1. */
export const SAFE_BASE_HI = 0x1f_ffff;

// ---- a length in pieces -------------------------------------------------------------------------

/** Length bits 0..27 of a non-negative safe-integer length: the header's part. */
export function lengthLowOf(length: number): number {
  return length & 0x0fff_ffff;
}

/** Length bits 28..52 of a non-negative safe-integer length (`length - low` is a multiple of 2^28: exact). */
export function lengthHiOf(length: number): number {
  return (length - (length & 0x0fff_ffff)) / 0x1000_0000;
}

/** `lengthHi * 2^28 + lengthLow`: exact while `lengthHi` <= {@link SAFE_LENGTH_HI}. */
export function joinLength(lengthHi: number, lengthLow: number): number {
  return lengthHi * 0x1000_0000 + lengthLow;
}

// ---- the header word -------------------------------------------------------------------------

/**
 * The header word of an entry: `encoding` (0..3), `type` (0..3), `lengthLow` (length bits 0..27),
 * unchecked ({@link makeHeader} is the checked one).
 */
export function packHeader(encoding: number, type: number, lengthLow: number): number {
  return ((lengthLow << 4) | (type << 2) | encoding) >>> 0;
}

/** Bits 0-1 of the word at `at`: the variable form (0, 1, 2) or 3 for the END marker. */
export function encodingAt(w: Uint32Array, at: number): number {
  return (w[at] as number) & 3;
}

/** The entry's 2-bit `type` (both codecs). */
export function typeAt(w: Uint32Array, at: number): number {
  return ((w[at] as number) >>> 2) & 3;
}

/** Length bits 0..27, from the header (both codecs). */
export function lengthLowAt(w: Uint32Array, at: number): number {
  return (w[at] as number) >>> 4;
}

/** True at an END marker: the header's low two bits are 3 (both codecs). */
export function isEndAt(w: Uint32Array, at: number): boolean {
  return ((w[at] as number) & 3) === 3;
}

/**
 * `ERANGE` for an entry field (`"length"`, `"base"`, `"position"`) above 2^53-1 read through the
 * number API: a double cannot hold it exactly, so the reader refuses it and names the bigint twin
 * that can. What the `...ExactAt` readers throw; the list's cursors throw it for a position too.
 */
export function unsafeFieldError(field: string): RlistError {
  return new RlistError(
    "ERANGE",
    `${field} is above 2^53-1 and cannot be exact in a number: read ${field}Big instead`,
  );
}

// ---- the variable codec: readers --------------------------------------------------------------

/** Units of the variable entry at `at`: 2, 4 or 6 (0 at an END marker). */
export function variableUnitsAt(w: Uint32Array, at: number): number {
  // One branch per form, not (enc + 1) * 2: a walk's next step is then predicted, not computed.
  const enc = (w[at] as number) & 3;
  return enc === 0 ? 2 : enc === 1 ? 4 : enc === 2 ? 6 : 0;
}

/** Length bits 28..59 of the variable entry at `at` (0 in the 8-byte form). */
export function variableLengthHiAt(w: Uint32Array, at: number): number {
  const enc = (w[at] as number) & 3;
  return enc === 0 ? 0 : enc === 1 ? (w[at + 1] as number) & 0xff : (w[at + 4] as number);
}

/** Length of the variable entry at `at` (a double: exact up to 2^53-1). */
export function variableLengthAt(w: Uint32Array, at: number): number {
  const h = w[at] as number;
  const enc = h & 3;
  if (enc === 0) return h >>> 4;
  if (enc === 1) return ((w[at + 1] as number) & 0xff) * 0x1000_0000 + (h >>> 4);
  return (w[at + 4] as number) * 0x1000_0000 + (h >>> 4);
}

/**
 * Length of the variable entry at `at`, exact, or `ERANGE` when it is above 2^53-1: the number
 * API's getter. The test sits inside the one form that can fail it (24 bytes), so on the 8- and
 * 16-byte forms this costs what {@link variableLengthAt} costs (a `> 2^53-1` test after the
 * form's dispatch measured 1.5-2 % slower on a cursor walk, a -1 sentinel tested after it 4 %).
 */
export function variableLengthExactAt(w: Uint32Array, at: number): number {
  const h = w[at] as number;
  const enc = h & 3;
  if (enc === 0) return h >>> 4;
  if (enc === 1) return ((w[at + 1] as number) & 0xff) * 0x1000_0000 + (h >>> 4);
  const hi = w[at + 4] as number;
  if (hi > 0x1ff_ffff) throw unsafeFieldError("length");
  return hi * 0x1000_0000 + (h >>> 4);
}

/** Base of the variable entry at `at`, exact, or `ERANGE` (see {@link variableLengthExactAt}). */
export function variableBaseExactAt(w: Uint32Array, at: number): number {
  if (((w[at] as number) & 3) === 0) return w[at + 1] as number;
  const hi = w[at + 3] as number;
  if (hi > 0x1f_ffff) throw unsafeFieldError("base");
  return hi * 0x1_0000_0000 + (w[at + 2] as number);
}

/** Base bits 0..31 of the variable entry at `at`. */
export function variableBaseLoAt(w: Uint32Array, at: number): number {
  return ((w[at] as number) & 3) === 0 ? (w[at + 1] as number) : (w[at + 2] as number);
}

/** Base bits 32..63 of the variable entry at `at` (0 in the 8-byte form). */
export function variableBaseHiAt(w: Uint32Array, at: number): number {
  return ((w[at] as number) & 3) === 0 ? 0 : (w[at + 3] as number);
}

/** Base of the variable entry at `at` (a double: exact up to 2^53-1). */
export function variableBaseAt(w: Uint32Array, at: number): number {
  if (((w[at] as number) & 3) === 0) return w[at + 1] as number;
  return (w[at + 3] as number) * 0x1_0000_0000 + (w[at + 2] as number);
}

/** Offset of the variable entry at `at` (0 in the 8-byte form). */
export function variableOffsetAt(w: Uint32Array, at: number): number {
  const enc = (w[at] as number) & 3;
  if (enc === 0) return 0;
  // Word 1 read once, then a choice of two values (no load in either arm): it can compile to a
  // conditional move, which a walk over mixed forms does not mispredict.
  const w1 = w[at + 1] as number;
  return enc === 1 ? w1 >>> 8 : w1;
}

/** Extra of the variable entry at `at` (only the 24-byte form stores one). */
export function variableExtraAt(w: Uint32Array, at: number): number {
  return ((w[at] as number) & 3) === 2 ? (w[at + 5] as number) : 0;
}

/** True when the variable entry's length is at most 2^53-1 (only the 24-byte form can pass it). */
export function variableLengthIsSafe(w: Uint32Array, at: number): boolean {
  return ((w[at] as number) & 3) !== 2 || (w[at + 4] as number) <= 0x1ff_ffff;
}

/** True when the variable entry's base is at most 2^53-1. */
export function variableBaseIsSafe(w: Uint32Array, at: number): boolean {
  return ((w[at] as number) & 3) === 0 || (w[at + 3] as number) <= 0x1f_ffff;
}

// ---- the variable codec: writers --------------------------------------------------------------

/**
 * The form the variable codec picks (docs/prototype.md#choosing-a-form) for an entry cut into
 * pieces, as units: the first of 8, 16 and 24 bytes that holds `lengthHi` (length bits 28..59),
 * `baseHi` (base bits 32..63), `offset` and `extra`.
 */
export function variableUnitsFor(lengthHi: number, baseHi: number, offset: number, extra: number): number {
  if (extra !== 0) return 6;
  if (offset === 0 && lengthHi === 0 && baseHi === 0) return 2;
  return lengthHi <= 0xff && offset <= 0xff_ffff ? 4 : 6;
}

/** Writes an 8-byte entry (length < 2^28, base < 2^32) at `at`. */
export function writeVariable8(w: Uint32Array, at: number, type: number, length: number, base: number): void {
  w[at] = (length << 4) | (type << 2);
  w[at + 1] = base;
}

/** Writes a 16-byte entry at `at` (`lengthHi` <= 0xff, `offset` < 2^24). */
export function writeVariable16(
  w: Uint32Array,
  at: number,
  type: number,
  lengthLow: number,
  lengthHi: number,
  baseLo: number,
  baseHi: number,
  offset: number,
): void {
  w[at] = (lengthLow << 4) | (type << 2) | 1;
  w[at + 1] = lengthHi | (offset << 8);
  w[at + 2] = baseLo;
  w[at + 3] = baseHi;
}

/** Writes a 24-byte entry at `at`. */
export function writeVariable24(
  w: Uint32Array,
  at: number,
  type: number,
  lengthLow: number,
  lengthHi: number,
  baseLo: number,
  baseHi: number,
  offset: number,
  extra: number,
): void {
  w[at] = (lengthLow << 4) | (type << 2) | 2;
  w[at + 1] = offset;
  w[at + 2] = baseLo;
  w[at + 3] = baseHi;
  w[at + 4] = lengthHi;
  w[at + 5] = extra;
}

/**
 * Units of the wider form, for an entry the 8-byte form cannot hold, from its whole fields
 * (`length` a non-negative safe integer, `offset` and `extra` u32): 4 (16 bytes) while the length
 * is below 2^36, the offset below 2^24 and there is no extra, else 6. The base plays no part: both
 * wider forms keep all 64 bits of it.
 */
export function variableWideUnitsFor(length: number, offset: number, extra: number): number {
  return extra === 0 && length < 0x10_0000_0000 && offset <= 0xff_ffff ? 4 : 6;
}

/**
 * Writes the 16-byte (`units` 4) or 24-byte (`units` 6) entry at `at` from whole fields, as
 * {@link variableWideUnitsFor} sized it: one call where a hot path would otherwise make seven
 * (every call to a module function costs optimised code a load and a compare of its target).
 */
export function writeVariableWide(
  w: Uint32Array,
  at: number,
  units: number,
  type: number,
  length: number,
  base: number,
  offset: number,
  extra: number,
): void {
  const lengthLow = length & 0x0fff_ffff;
  const lengthHi = (length - lengthLow) / 0x1000_0000;
  const baseLo = base >>> 0;
  w[at + 2] = baseLo;
  w[at + 3] = (base - baseLo) / 0x1_0000_0000;
  if (units === 4) {
    w[at] = (lengthLow << 4) | (type << 2) | 1;
    w[at + 1] = lengthHi | (offset << 8);
  } else {
    w[at] = (lengthLow << 4) | (type << 2) | 2;
    w[at + 1] = offset;
    w[at + 4] = lengthHi;
    w[at + 5] = extra;
  }
}

// ---- the fixed16 codec --------------------------------------------------------------------------

/** Length bits 28..59 of the fixed16 entry at `at`. */
export function fixed16LengthHiAt(w: Uint32Array, at: number): number {
  return w[at + 1] as number;
}

/** Length of the fixed16 entry at `at` (a double: exact up to 2^53-1). */
export function fixed16LengthAt(w: Uint32Array, at: number): number {
  return (w[at + 1] as number) * 0x1000_0000 + ((w[at] as number) >>> 4);
}

/** True when the fixed16 entry's length is at most 2^53-1. */
export function fixed16LengthIsSafe(w: Uint32Array, at: number): boolean {
  return (w[at + 1] as number) <= 0x1ff_ffff;
}

/** Base bits 0..31 of the fixed16 entry at `at`. */
export function fixed16BaseLoAt(w: Uint32Array, at: number): number {
  return w[at + 2] as number;
}

/** Base bits 32..63 of the fixed16 entry at `at`. */
export function fixed16BaseHiAt(w: Uint32Array, at: number): number {
  return w[at + 3] as number;
}

/** True when the fixed16 entry's base is at most 2^53-1. */
export function fixed16BaseIsSafe(w: Uint32Array, at: number): boolean {
  return (w[at + 3] as number) <= 0x1f_ffff;
}

/** Base of the fixed16 entry at `at` (a double: exact up to 2^53-1). */
export function fixed16BaseAt(w: Uint32Array, at: number): number {
  return (w[at + 3] as number) * 0x1_0000_0000 + (w[at + 2] as number);
}

/** Length of the fixed16 entry at `at`, exact, or `ERANGE` (see {@link variableLengthExactAt}). */
export function fixed16LengthExactAt(w: Uint32Array, at: number): number {
  const hi = w[at + 1] as number;
  if (hi > 0x1ff_ffff) throw unsafeFieldError("length");
  return hi * 0x1000_0000 + ((w[at] as number) >>> 4);
}

/** Base of the fixed16 entry at `at`, exact, or `ERANGE` (see {@link variableLengthExactAt}). */
export function fixed16BaseExactAt(w: Uint32Array, at: number): number {
  const hi = w[at + 3] as number;
  if (hi > 0x1f_ffff) throw unsafeFieldError("base");
  return hi * 0x1_0000_0000 + (w[at + 2] as number);
}

/** Writes a fixed16 entry (tag 0) at `at`. */
export function writeFixed16(
  w: Uint32Array,
  at: number,
  type: number,
  lengthLow: number,
  lengthHi: number,
  baseLo: number,
  baseHi: number,
): void {
  w[at] = (lengthLow << 4) | (type << 2);
  w[at + 1] = lengthHi;
  w[at + 2] = baseLo;
  w[at + 3] = baseHi;
}

/**
 * Writes a fixed16 entry (tag 0) at `at` from whole fields (`length` and `base` non-negative safe
 * integers): {@link writeFixed16} with the splitting done inside, one call for a hot path.
 */
export function writeFixed16Fields(
  w: Uint32Array,
  at: number,
  type: number,
  length: number,
  base: number,
): void {
  const lengthLow = length & 0x0fff_ffff;
  const baseLo = base >>> 0;
  w[at] = (lengthLow << 4) | (type << 2);
  w[at + 1] = (length - lengthLow) / 0x1000_0000;
  w[at + 2] = baseLo;
  w[at + 3] = (base - baseLo) / 0x1_0000_0000;
}

// ---- for hot classes ------------------------------------------------------------------------------

/**
 * The readers a cursor's hot getters use, as one record to copy onto a class prototype
 * (`Object.assign(MyCursor.prototype, LAYOUT_READERS)`, with matching `declare` fields) and call
 * as `this.variableLengthAt(w, at)`. Measured: a call through a module binding makes optimised
 * code load and compare the target on every call (1.2-1.3x on a cursor walk), a method of the
 * receiver's prototype is inlined with no check at all.
 */
export const LAYOUT_READERS = Object.freeze({
  encodingAt,
  typeAt,
  variableUnitsAt,
  variableLengthAt,
  variableBaseAt,
  variableOffsetAt,
  variableExtraAt,
  variableLengthExactAt,
  variableBaseExactAt,
  fixed16LengthAt,
  fixed16BaseAt,
  fixed16LengthExactAt,
  fixed16BaseExactAt,
});

/** The type of {@link LAYOUT_READERS}. */
export type LayoutReaders = typeof LAYOUT_READERS;

/**
 * The writers an append path uses, as one record to copy onto a class prototype, for the reason
 * given at {@link LAYOUT_READERS}.
 */
export const LAYOUT_WRITERS = Object.freeze({
  variableWideUnitsFor,
  writeVariable8,
  writeVariableWide,
  writeFixed16Fields,
});

/** The type of {@link LAYOUT_WRITERS}. */
export type LayoutWriters = typeof LAYOUT_WRITERS;

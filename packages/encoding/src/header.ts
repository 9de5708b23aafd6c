/**
 * Allocation-free helpers over raw header words, small enough for V8 to inline into a
 * container's hot loop. They do no validation: callers pass words they read from a chunk.
 *
 * Header word (both codecs): bits 0-1 `encoding` (variable) or `tag` (fixed16), bits 2-3
 * `type`, bits 4-31 length bits 0..27.
 */
import { ENCODING_END, VAR8_UNITS, VAR16_UNITS, VAR24_UNITS } from "./limits.js";

/** Bits 0-1: the variable codec's `encoding` (0 = 8 B, 1 = 16 B, 2 = 24 B, 3 = end) or fixed16's tag. */
export function headerEncoding(word: number): number {
  return word & 3;
}

/** Bits 2-3: the entry's 2-bit `type`. */
export function headerType(word: number): number {
  return (word >>> 2) & 3;
}

/** Bits 4-31: length bits 0..27. */
export function headerLengthLow(word: number): number {
  return word >>> 4;
}

/** True when the word's low two bits are 3: the end of a chunk's used area (both codecs). */
export function isEndMarker(word: number): boolean {
  return (word & 3) === ENCODING_END;
}

/**
 * Builds a header word as an unsigned u32. `encoding` and `type` are masked to 2 bits and
 * `lengthLow` to 28, so pass validated values.
 */
export function makeHeader(encoding: number, type: number, lengthLow: number): number {
  return ((encoding & 3) | ((type & 3) << 2) | ((lengthLow & 0x0fff_ffff) << 4)) >>> 0;
}

/**
 * Units a variable entry takes given its header word: 2, 4 or 6, and 0 for the end marker.
 * Lets a cursor skip entries (e.g. seek) without decoding them.
 */
export function variableUnitsOfHeader(word: number): number {
  const enc = word & 3;
  return enc === 0 ? VAR8_UNITS : enc === 1 ? VAR16_UNITS : enc === 2 ? VAR24_UNITS : 0;
}

/**
 * Units the variable codec would choose for already-validated fields (docs/prototype.md#choosing-a-form),
 * without touching an entry object: 2 (8 B), 4 (16 B) or 6 (24 B). Fields must be safe
 * non-negative integers within their ranges; use `codec.unitsFor` for untrusted input.
 */
export function variableUnitsForFields(length: number, base: number, offset: number, extra: number): number {
  if (extra !== 0) return VAR24_UNITS;
  if (offset === 0 && length <= 0x0fff_ffff && base <= 0xffff_ffff) return VAR8_UNITS;
  if (length <= 0xf_ffff_ffff && offset <= 0xff_ffff) return VAR16_UNITS;
  return VAR24_UNITS;
}

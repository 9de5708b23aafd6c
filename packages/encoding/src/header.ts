/**
 * Allocation-free helpers over raw header words, small enough for V8 to inline into a
 * container's hot loop. Each checks its input with one or two compares (a u32 word, fields in
 * their widths) and throws `RlistError` otherwise, so they never mask or coerce a bad value.
 *
 * The header word (both codecs) is drawn in layout.ts: bits 0-1 `encoding` (variable) or `tag`
 * (fixed16), bits 2-3 `type`, bits 4-31 length bits 0..27.
 */
import { RlistError } from "./errors.js";
import { formatValue } from "./format.js";
import { lengthHiOf, packHeader, variableUnitsFor } from "./layout.js";
import { ENCODING_END, VAR8_UNITS, VAR16_UNITS, VAR24_UNITS } from "./limits.js";
import { hi32 } from "./numbers.js";
import { entryFieldsError } from "./validate.js";

function notAWord(name: string, v: unknown): RlistError {
  if (typeof v !== "number")
    return new RlistError("EINVAL", `${name} must be a number, got ${formatValue(v)}`);
  return new RlistError("ERANGE", `${name} ${formatValue(v)} is not a u32`);
}

function fieldError(name: string, v: unknown, max: number): RlistError {
  if (typeof v !== "number")
    return new RlistError("EINVAL", `${name} must be a number, got ${formatValue(v)}`);
  return new RlistError("ERANGE", `${name} ${formatValue(v)} is not an integer in 0..${max}`);
}

/** Bits 0-1: the variable codec's `encoding` (0 = 8 B, 1 = 16 B, 2 = 24 B, 3 = end) or fixed16's tag. */
export function headerEncoding(word: number): number {
  if (!(typeof word === "number" && word >>> 0 === word)) throw notAWord("header word", word);
  return word & 3;
}

/** Bits 2-3: the entry's 2-bit `type`. */
export function headerType(word: number): number {
  if (!(typeof word === "number" && word >>> 0 === word)) throw notAWord("header word", word);
  return (word >>> 2) & 3;
}

/** Bits 4-31: length bits 0..27. */
export function headerLengthLow(word: number): number {
  if (!(typeof word === "number" && word >>> 0 === word)) throw notAWord("header word", word);
  return word >>> 4;
}

/** True when the word's low two bits are 3: the end of a chunk's used area (both codecs). */
export function isEndMarker(word: number): boolean {
  if (!(typeof word === "number" && word >>> 0 === word)) throw notAWord("header word", word);
  return (word & 3) === ENCODING_END;
}

/**
 * Builds a header word as an unsigned u32 from `encoding` (0..3), `type` (0..3) and
 * `lengthLow` (0..2^28-1); a field outside its width is ERANGE, not masked.
 */
export function makeHeader(encoding: number, type: number, lengthLow: number): number {
  if (!(typeof encoding === "number" && (encoding & 3) === encoding))
    throw fieldError("encoding", encoding, 3);
  if (!(typeof type === "number" && (type & 3) === type)) throw fieldError("type", type, 3);
  if (!(typeof lengthLow === "number" && (lengthLow & 0x0fff_ffff) === lengthLow)) {
    throw fieldError("lengthLow", lengthLow, 0x0fff_ffff);
  }
  return packHeader(encoding, type, lengthLow);
}

/**
 * Units a variable entry takes given its header word: 2, 4 or 6, and 0 for the end marker.
 * Lets a cursor skip entries (e.g. seek) without decoding them.
 */
export function variableUnitsOfHeader(word: number): number {
  if (!(typeof word === "number" && word >>> 0 === word)) throw notAWord("header word", word);
  const enc = word & 3;
  return enc === 0 ? VAR8_UNITS : enc === 1 ? VAR16_UNITS : enc === 2 ? VAR24_UNITS : 0;
}

/**
 * Units the variable codec would choose for these fields (docs/prototype.md#choosing-a-form),
 * without an entry object: 2 (8 B), 4 (16 B) or 6 (24 B). Checks them like `codec.unitsFor` (safe
 * non-negative integers, u32 offset and extra; type is not involved).
 */
export function variableUnitsForFields(length: number, base: number, offset: number, extra: number): number {
  if (
    !(
      Number.isSafeInteger(length) &&
      length >= 0 &&
      Number.isSafeInteger(base) &&
      base >= 0 &&
      typeof offset === "number" &&
      offset >>> 0 === offset &&
      typeof extra === "number" &&
      extra >>> 0 === extra
    )
  ) {
    throw entryFieldsError(0, length, base, offset, extra);
  }
  return variableUnitsFor(lengthHiOf(length), hi32(base), offset, extra);
}

/**
 * Exact 64-bit values held in a `number` (up to 2^53-1) or a `bigint`, for every rlist package:
 * hi/lo u32 splits and joins, the argument checks of the `number` and `...Big` APIs, powers of two
 * and low bits.
 *
 * JavaScript's bitwise operators work on 32 bits, so nothing here applies them to a whole address:
 * `v >>> 0` is `v mod 2^32` for every safe integer (one truncating conversion, no rounding), and
 * `*`, `/` by 2^k and `Math.floor` are exact below 2^53. No `%` either: V8 compiles `%` on a double
 * (any value that may reach 2^31) to a call to C's `fmod`. No BigInt and no allocation on the
 * number paths: these sit on the mappers' hot paths and are small enough to inline.
 *
 * @module
 */
import { RlistError } from "./errors.js";
import { formatValue } from "./format.js";

/** 2^28: the weight of length bits 28..59 (the header holds bits 0..27). */
export const TWO28 = 0x1000_0000;
/** 2^32: the weight of the high word of a hi/lo pair. */
export const TWO32 = 0x1_0000_0000;

/** Lower u32 word of a non-negative safe integer (`v mod 2^32`, exactly). */
export function lo32(v: number): number {
  return v >>> 0;
}

/** Upper u32 word of a non-negative safe integer (`v - lo` is a multiple of 2^32: exact). */
export function hi32(v: number): number {
  return (v - (v >>> 0)) / 0x1_0000_0000;
}

/** `hi * 2^32 + lo`: exact while `hi` <= 0x1f_ffff (the result is then at most 2^53-1). */
export function join32(hi: number, lo: number): number {
  return hi * 0x1_0000_0000 + lo;
}

/**
 * Throws unless `value` is a non-negative safe integer (0..2^53-1), the `number` API's rule for a
 * 64-bit field: `EINVAL` when it is not a number at all (a bigint, a string...), `ERANGE` for NaN,
 * fractions, negatives and values past 2^53-1.
 */
export function checkU53(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RlistError(
      typeof value === "number" ? "ERANGE" : "EINVAL",
      `${name} must be a safe non-negative integer, got ${formatValue(value)}`,
    );
  }
}

/**
 * Throws unless `v` is a safe integer in `0..max` (default 2^53-1) and returns it: `EINVAL` for a
 * non-number, `ERANGE` otherwise.
 */
export function checkSafe(name: string, v: unknown, max: number = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== "number") {
    throw new RlistError("EINVAL", `${name} must be a number, got ${formatValue(v)}`);
  }
  if (!Number.isSafeInteger(v) || v < 0 || v > max) {
    throw new RlistError("ERANGE", `${name} ${formatValue(v)} is not an integer in 0..${max}`);
  }
  return v;
}

/** Throws unless `v` is a bigint in `0..max` and returns it: `EINVAL` for a non-bigint, `ERANGE` otherwise. */
export function checkBig(name: string, v: unknown, max: bigint): bigint {
  if (typeof v !== "bigint") {
    throw new RlistError("EINVAL", `${name} must be a bigint, got ${formatValue(v)}`);
  }
  if (v < 0n || v > max) throw new RlistError("ERANGE", `${name} ${formatValue(v)} is not in 0..${max}`);
  return v;
}

/** Throws `ERANGE` unless `value` fits an unsigned 64-bit field. */
export function checkU64Big(name: string, value: bigint): void {
  if (value < 0n || value > 0xffff_ffff_ffff_ffffn) {
    throw new RlistError("ERANGE", `${name} must fit in 64 bits, got ${formatValue(value)}`);
  }
}

/** `value` as a `number`, throwing `ERANGE` if it is above 2^53-1 (or negative). */
export function bigToSafe(name: string, value: bigint): number {
  if (value < 0n || value > 0x1f_ffff_ffff_ffffn) {
    throw new RlistError(
      "ERANGE",
      `${name} 0x${value.toString(16)} does not fit a safe integer; use the Big API`,
    );
  }
  return Number(value);
}

/** True when `v` is a power of two: 1, 2, 4, ... 2^53. */
export function isPowerOfTwo(v: number): boolean {
  if (!Number.isInteger(v) || v < 1 || v > 2 ** 53) return false;
  // An exact power of two has a single significant bit, so it survives a Math.log2 round trip.
  return 2 ** Math.round(Math.log2(v)) === v;
}

/** Like ilog2() for a power of two (exact for every power {@link isPowerOfTwo} accepts). */
export function log2Pow2(p: number): number {
  return Math.round(Math.log2(p));
}

/**
 * `v & (align - 1)` for a non-negative safe integer `v` and a power-of-two `align` (1 .. 2^53):
 * one 32-bit AND up to 2^31, `v - Math.floor(v / align) * align` above (a division by a power of
 * two, a floor and a multiply, each exact below 2^53).
 */
export function lowBits(v: number, align: number): number {
  return align <= 0x8000_0000 ? (v >>> 0) & (align - 1) : v - Math.floor(v / align) * align;
}

/** ALIGN_DOWN(v, align) for a power-of-two `align` (v >= 0). */
export function alignDown(v: number, align: number): number {
  return v - lowBits(v, align);
}

/** ALIGN(v, align) for a power-of-two `align` (v >= 0). */
export function alignUp(v: number, align: number): number {
  const r = lowBits(v, align);
  return r === 0 ? v : v - r + align;
}

/**
 * 53-bit integer helpers for addresses and masks held in `number`.
 *
 * JavaScript's bitwise operators work on 32 bits, so everything here splits a safe integer into
 * hi/lo u32 words or uses exact power-of-two arithmetic (`*`, `/` by 2^k and `Math.floor` are
 * exact for safe integers). No BigInt, no allocation and no `%`: these sit on the mapper's hot
 * path, and V8 compiles `%` on a double (any value that may reach 2^31) to a call to C's `fmod`.
 *
 * Low bits of an address are taken as `(v >>> 0) & (align - 1)` when `align <= 2^31`: `>>> 0` is
 * `v mod 2^32` for every safe integer (one truncating conversion, no rounding), so the low
 * `log2(align)` bits are exact. Wider alignments take `v - Math.floor(v / align) * align`: a
 * division by a power of two, a floor and a multiply, each exact below 2^53.
 */
import { formatValue, RlistError } from "@rlist/encoding";

export const TWO32 = 0x1_0000_0000;
export const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** Throws `ERANGE` unless `v` is a safe non-negative integer (the `number` API's rule); `EINVAL` for a non-number. */
export function checkU53(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) {
    throw new RlistError(
      typeof v === "number" ? "ERANGE" : "EINVAL",
      `${name} must be a safe non-negative integer, got ${formatValue(v)}`,
    );
  }
}

/** True when `v` is a power of two (1, 2, 4, ... 2^53). */
export function isPow2(v: number): boolean {
  if (!Number.isInteger(v) || v < 1 || v > 2 ** 53) return false;
  // An exact power of two has a single significant bit, so it survives a Math.log2 round trip.
  return 2 ** Math.round(Math.log2(v)) === v;
}

/** True when `mask` is 2^k - 1 for some k in 0..53 (a boundary or alignment mask). */
export function isLowMask(mask: number): boolean {
  return mask === 0 || (Number.isSafeInteger(mask) && mask > 0 && isPow2(mask + 1));
}

/** Largest power of two <= v (v >= 1). */
export function floorPow2(v: number): number {
  const p = 2 ** Math.floor(Math.log2(v));
  return p > v ? p / 2 : p * 2 <= v ? p * 2 : p;
}

/** Like roundup_pow_of_two(): smallest power of two >= v (v >= 1). */
export function roundupPow2(v: number): number {
  const p = floorPow2(v);
  return p === v ? p : p * 2;
}

/** Like order_base_2(): ceil(log2(v)), 0 for v <= 1. */
export function orderBase2(v: number): number {
  return v <= 1 ? 0 : Math.log2(roundupPow2(v));
}

/** Like ilog2() for a power of two. */
export function log2Pow2(p: number): number {
  return Math.round(Math.log2(p));
}

/**
 * `v & (align - 1)` for a non-negative safe integer `v` and a power-of-two `align` (1 .. 2^53):
 * integer-only up to 2^31 (see the module comment), exact everywhere. Small enough to inline.
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

/** Upper u32 word of a non-negative safe integer (`v - lo` is a multiple of 2^32: exact). */
export function hi32(v: number): number {
  return (v - (v >>> 0)) / TWO32;
}

/** Lower u32 word of a safe integer. */
export function lo32(v: number): number {
  return v >>> 0;
}

/** a ^ b for safe integers (result is safe too). */
export function xor53(a: number, b: number): number {
  return (hi32(a) ^ hi32(b)) * TWO32 + ((a ^ b) >>> 0);
}

/** a | b for safe integers. */
export function or53(a: number, b: number): number {
  return (hi32(a) | hi32(b)) * TWO32 + ((a | b) >>> 0);
}

/** a & b for safe integers. */
export function and53(a: number, b: number): number {
  return (hi32(a) & hi32(b)) * TWO32 + ((a & b) >>> 0);
}

/** Like __ffs(): index of the lowest set bit; 53 for 0 (nothing set in 53 bits). */
export function ctz53(v: number): number {
  if (v === 0) return 53;
  const lo = v >>> 0;
  if (lo !== 0) return 31 - Math.clz32(lo & -lo);
  const hi = hi32(v);
  return 32 + 31 - Math.clz32(hi & -hi);
}

/** Like fls64(): number of significant bits, 0 for 0. */
export function bitLength53(v: number): number {
  const hi = hi32(v);
  if (hi !== 0) return 64 - Math.clz32(hi);
  return 32 - Math.clz32(v >>> 0);
}

/** Like bits_per(): 1 for v < 2, else the bit length of v. */
export function bitsPer(v: number): number {
  return v < 2 ? 1 : bitLength53(v);
}

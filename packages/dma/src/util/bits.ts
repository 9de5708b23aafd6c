/**
 * Bit operations on 53-bit integers held in `number`, the kernel's `<linux/log2.h>` and
 * `<linux/bitops.h>` helpers for addresses and masks: JavaScript's bitwise operators work on 32
 * bits, so each splits a safe integer into hi/lo u32 words (`@rlist/encoding`'s exact-number
 * helpers, which also hold `lowBits`, `alignDown`, `alignUp`, `isPowerOfTwo`, `checkU53`). No
 * BigInt, no allocation and no `%`: these sit on the mappers' hot paths.
 * (Number literals, not TWO32: an imported const is re-read from its module cell on every use.)
 */
import { hi32, isPowerOfTwo } from "@rlist/encoding";

/** True when `mask` is 2^k - 1 for some k in 0..53 (a boundary or alignment mask). */
export function isLowMask(mask: number): boolean {
  return mask === 0 || (Number.isSafeInteger(mask) && mask > 0 && isPowerOfTwo(mask + 1));
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

/** a ^ b for safe integers (result is safe too). */
export function xor53(a: number, b: number): number {
  return (hi32(a) ^ hi32(b)) * 0x1_0000_0000 + ((a ^ b) >>> 0);
}

/** a | b for safe integers. */
export function or53(a: number, b: number): number {
  return (hi32(a) | hi32(b)) * 0x1_0000_0000 + ((a | b) >>> 0);
}

/** a & b for safe integers. */
export function and53(a: number, b: number): number {
  return (hi32(a) & hi32(b)) * 0x1_0000_0000 + ((a & b) >>> 0);
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

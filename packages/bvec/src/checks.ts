/** Argument checks shared by the package: every failure is an `RlistError` naming the field. */
import { formatValue, RlistError } from "@rlist/encoding";
import { MAX_PHYS, U32_MAX } from "./constants.js";

/** A u32 field (`bv_len`, `bv_offset`, `bi_size`, ...). */
export function checkU32(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > U32_MAX) {
    throw new RlistError("ERANGE", `${name} ${String(v)} is not an integer in 0..${U32_MAX}`);
  }
}

/** A non-negative safe integer (`number` API of a 64-bit field). */
export function checkSafe(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > MAX_PHYS) {
    throw new RlistError(
      "ERANGE",
      `${name} ${String(v)} is not an integer in 0..2^53-1 (use the ...Big API for larger values)`,
    );
  }
}

/** A positive integer no larger than `max`. */
export function checkPositive(name: string, v: number, max: number): void {
  if (!Number.isInteger(v) || v < 1 || v > max) {
    throw new RlistError("EINVAL", `${name} ${String(v)} is not an integer in 1..${max}`);
  }
}

/** True when `v` is 2^k for some k >= 0 (exact for every safe integer and 2^53). */
export function isPowerOfTwo(v: number): boolean {
  return typeof v === "number" && v >= 1 && Number.isInteger(v) && 2 ** Math.round(Math.log2(v)) === v;
}

/**
 * A boundary mask must be 2^k - 1 (the kernel only ever builds them from a power-of-two size).
 * Masks up to 2^53 - 1 are accepted; since every address is below 2^53, 2^53 - 1 behaves like the
 * kernel's ULONG_MAX ("no boundary").
 */
export function checkMask(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > MAX_PHYS || !isPowerOfTwo(v + 1)) {
    throw new RlistError("EINVAL", `${name} ${String(v)} is not of the form 2^k - 1 (k <= 53)`);
  }
}

/**
 * `x & mask` for a non-negative safe integer `x` and a mask 2^k - 1, without 32-bit truncation
 * and without `%` (a call to `fmod` in V8 once `x` may pass 2^31): `x >>> 0` is `x mod 2^32`
 * exactly, so masks of up to 31 bits take one 32-bit AND; wider ones subtract the exact
 * multiple `Math.floor(x / (mask + 1)) * (mask + 1)` (a power of two: every step exact).
 */
export function lowBits(x: number, mask: number): number {
  if (mask <= 0x7fff_ffff) return (x >>> 0) & mask;
  const m = mask + 1;
  return x - Math.floor(x / m) * m;
}

/** `x | mask` for a mask 2^k - 1 (the last address of x's boundary window). */
export function windowEnd(x: number, mask: number): number {
  return x - lowBits(x, mask) + mask;
}

/** `EINVAL` unless `value` is a non-null object (arrays excluded). */
export function checkObject(what: string, value: unknown): asserts value is object {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new RlistError("EINVAL", `${what} must be an object, got ${formatValue(value)}`);
  }
}

/** `EINVAL` unless `value` is a `ctor` instance. */
export function checkInstance<T>(
  what: string,
  value: unknown,
  ctor: abstract new (...args: never[]) => T,
): asserts value is T {
  if (!(value instanceof ctor)) {
    throw new RlistError("EINVAL", `${what} must be a ${ctor.name}, got ${formatValue(value)}`);
  }
}

/** `EINVAL` unless `value` is a function. */
export function checkFunction(what: string, value: unknown): void {
  if (typeof value !== "function") {
    throw new RlistError("EINVAL", `${what} must be a function, got ${formatValue(value)}`);
  }
}

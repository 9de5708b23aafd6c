/** Argument checks shared by the package: every failure is an `RlistError` naming the field. */
import { formatValue, isPowerOfTwo, lowBits, RlistError } from "@rlist/encoding";
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

/** `x | mask` for a mask 2^k - 1 (the last address of x's boundary window). */
export function windowEnd(x: number, mask: number): number {
  return x - lowBits(x, mask + 1) + mask;
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

/** `EINVAL` unless `value` is a boolean (or `undefined` when `optional`): a flag is never truthy-coerced. */
export function checkBoolean(name: string, value: unknown, optional = false): void {
  if (typeof value !== "boolean" && !(optional && value === undefined)) {
    throw new RlistError("EINVAL", `${name} must be a boolean, got ${formatValue(value)}`);
  }
}

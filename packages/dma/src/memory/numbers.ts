import { formatValue, RlistError } from "@rlist/encoding";

/** 2^32, the weight of the high word of a hi/lo pair. */
export const TWO32 = 0x1_0000_0000;

/**
 * Throws unless `value` is a non-negative safe integer (0..2^53-1): `EINVAL` when it is not a
 * number at all (a bigint, a string, a Symbol...), `ERANGE` for NaN, fractions, negatives and
 * values past 2^53-1.
 */
export function checkAddress(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RlistError(
      typeof value === "number" ? "ERANGE" : "EINVAL",
      `${name} must be a safe non-negative integer, got ${formatValue(value)}`,
    );
  }
}

/** Throws `ERANGE` unless `value` fits an unsigned 64-bit field. */
export function checkU64Big(name: string, value: bigint): void {
  if (value < 0n || value > 0xffff_ffff_ffff_ffffn) {
    throw new RlistError("ERANGE", `${name} must fit in 64 bits, got ${formatValue(value)}`);
  }
}

/** `value` as a `number`, throwing `ERANGE` if it is above 2^53-1 (or negative). */
export function bigToSafe(name: string, value: bigint): number {
  if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RlistError(
      "ERANGE",
      `${name} 0x${value.toString(16)} does not fit a safe integer; use the Big API`,
    );
  }
  return Number(value);
}

/** True for 1, 2, 4, ... up to 2^52. */
export function isPowerOfTwo(value: number): boolean {
  if (!Number.isSafeInteger(value) || value <= 0) return false;
  return 2 ** Math.round(Math.log2(value)) === value;
}

/** log2 of a power of two (exact for the powers {@link isPowerOfTwo} accepts). */
export function log2Exact(value: number): number {
  return Math.round(Math.log2(value));
}

/** Parses `0x...` hex, decimal or a bigint/number into an exact bigint (JSON and sysfs input). */
export function parseU64(name: string, value: unknown): bigint {
  let out: bigint;
  if (typeof value === "bigint") out = value;
  else if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) {
      throw new RlistError(
        "ERANGE",
        `${name} must be a safe integer or a hex string, got ${formatValue(value)}`,
      );
    }
    out = BigInt(value);
  } else if (typeof value === "string" && /^(0x[0-9a-f]+|[0-9]+)$/i.test(value.trim())) {
    out = BigInt(value.trim());
  } else {
    throw new RlistError("EINVAL", `${name} is not a number: ${formatValue(value)}`);
  }
  checkU64Big(name, out);
  return out;
}

/** Formats a bigint or number as `0x...` hex (for messages and JSON output). */
export function hex(value: number | bigint): string {
  return `0x${value.toString(16)}`;
}

/** Argument checks shared by the list and its cursors (RlistError with a stable code). */
import { formatValue, RlistError } from "@rlist/encoding";
import { MAX_SAFE } from "./constants.js";

/** Throws unless `v` is a safe integer in `0..max`: EINVAL for a non-number, ERANGE otherwise. */
export function checkSafe(name: string, v: unknown, max: number = MAX_SAFE): number {
  if (typeof v !== "number") {
    throw new RlistError("EINVAL", `${name} must be a number, got ${formatValue(v)}`);
  }
  if (!Number.isSafeInteger(v) || v < 0 || v > max) {
    throw new RlistError("ERANGE", `${name} ${formatValue(v)} is not an integer in 0..${max}`);
  }
  return v;
}

/** Throws unless `v` is a bigint in `0..max`. */
export function checkBig(name: string, v: unknown, max: bigint): bigint {
  if (typeof v !== "bigint") {
    throw new RlistError("EINVAL", `${name} must be a bigint, got ${formatValue(v)}`);
  }
  if (v < 0n || v > max) throw new RlistError("ERANGE", `${name} ${formatValue(v)} is not in 0..${max}`);
  return v;
}

export function unsafeField(field: string): RlistError {
  return new RlistError(
    "ERANGE",
    `${field} is above 2^53-1 and cannot be exact in a number: read ${field}Big instead`,
  );
}

/** u64 values as text: sysfs and JSON input, and `0x...` output. */
import { checkU64Big, formatValue, RlistError } from "@rlist/encoding";

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

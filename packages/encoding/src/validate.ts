/**
 * Input validation shared by both codecs. The codecs run a cheap inline check first and call
 * these slow explainers only on failure, to build an `RlistError` that names the bad field.
 */
import { RlistError } from "./errors.js";
import { formatValue } from "./format.js";
import { MAX_BASE_BIG, MAX_LENGTH_BIG, MAX_SAFE, MAX_TYPE, MAX_U32 } from "./limits.js";

function checkSmall(name: string, v: unknown, max: number): RlistError | undefined {
  if (typeof v !== "number") {
    return new RlistError("EINVAL", `${name} must be a number, got ${formatValue(v)}`);
  }
  if (!Number.isInteger(v) || v < 0 || v > max) {
    return new RlistError("ERANGE", `${name} ${formatValue(v)} is not an integer in 0..${max}`);
  }
  return undefined;
}

function checkNumber64(name: string, v: unknown, bits: number): RlistError | undefined {
  if (typeof v !== "number") {
    const hint = typeof v === "bigint" ? " (use the ...Big API for bigint fields)" : "";
    return new RlistError("EINVAL", `${name} must be a number, got ${formatValue(v)}${hint}`);
  }
  if (!Number.isInteger(v) || v < 0) {
    return new RlistError("ERANGE", `${name} ${formatValue(v)} is not a non-negative integer`);
  }
  if (v > MAX_SAFE) {
    return new RlistError(
      "ERANGE",
      `${name} ${formatValue(v)} is above 2^53-1 and cannot be exact in a number (${bits}-bit field: use the ...Big API)`,
    );
  }
  return undefined;
}

function checkBig(name: string, v: unknown, max: bigint, bits: number): RlistError | undefined {
  if (typeof v !== "bigint") {
    return new RlistError("EINVAL", `${name} must be a bigint, got ${formatValue(v)}`);
  }
  if (v < 0n || v > max)
    return new RlistError("ERANGE", `${name} ${formatValue(v)} does not fit ${bits} unsigned bits`);
  return undefined;
}

/** The error for an entry argument that is not an object. */
export function notAnEntryError(e: unknown): RlistError {
  return new RlistError("EINVAL", `entry must be an object, got ${formatValue(e)}`);
}

/**
 * The error for number-API entry fields that failed a codec's inline check. It takes the values
 * the check read (never the entry again), so a getter cannot change what is reported.
 */
export function entryFieldsError(
  type: unknown,
  length: unknown,
  base: unknown,
  offset: unknown,
  extra: unknown,
): RlistError {
  return (
    checkSmall("type", type, MAX_TYPE) ??
    checkNumber64("length", length, 60) ??
    checkNumber64("base", base, 64) ??
    checkSmall("offset", offset, MAX_U32) ??
    checkSmall("extra", extra, MAX_U32) ??
    new RlistError("EINVAL", "entry rejected")
  );
}

/** {@link entryFieldsError} for the bigint API. */
export function entryFieldsErrorBig(
  type: unknown,
  length: unknown,
  base: unknown,
  offset: unknown,
  extra: unknown,
): RlistError {
  return (
    checkSmall("type", type, MAX_TYPE) ??
    checkBig("length", length, MAX_LENGTH_BIG, 60) ??
    checkBig("base", base, MAX_BASE_BIG, 64) ??
    checkSmall("offset", offset, MAX_U32) ??
    checkSmall("extra", extra, MAX_U32) ??
    new RlistError("EINVAL", "entry rejected")
  );
}

/** The error for a `words` argument that is not a `Uint32Array`. */
export function wordsError(words: unknown): RlistError {
  return new RlistError("EINVAL", `words must be a Uint32Array, got ${formatValue(words)}`);
}

/** Throws unless `at` is a unit index with `units` words of room in `words` (encode side). */
export function roomError(words: unknown, at: unknown, units: number): RlistError {
  if (!(words instanceof Uint32Array)) return wordsError(words);
  if (typeof at !== "number" || !Number.isInteger(at) || at < 0) {
    return new RlistError("EINVAL", `unit index ${formatValue(at)} is not a non-negative integer`);
  }
  const left = Math.max(0, words.length - at);
  return new RlistError(
    "ENOSPC",
    `entry needs ${units} units at unit ${at} but only ${left} of ${words.length} are left`,
  );
}

/** The error for a decode position that is not inside `words`, or a decode target that is no object. */
export function positionError(words: unknown, at: unknown, out: unknown = {}): RlistError {
  if (!(words instanceof Uint32Array)) return wordsError(words);
  if (typeof out !== "object" || out === null) {
    return new RlistError("EINVAL", `out must be an entry object to decode into, got ${formatValue(out)}`);
  }
  return new RlistError("EINVAL", `unit index ${formatValue(at)} is outside 0..${words.length - 1}`);
}

/** The error for an entry whose header says it is longer than what is left of `words`. */
export function truncatedError(words: Uint32Array, at: number, units: number): RlistError {
  return new RlistError(
    "EINVAL",
    `truncated entry at unit ${at}: its header needs ${units} units, only ${words.length - at} left`,
  );
}

/** The number-API decode error for a stored value above 2^53-1. */
export function unsafeDecodeError(field: "length" | "base", at: number): RlistError {
  return new RlistError(
    "ERANGE",
    `entry at unit ${at} has a ${field} above 2^53-1 that a number cannot hold exactly: use decodeBig`,
  );
}

/** The error for a decode target whose fields cannot be written (frozen, read-only, a throwing setter). */
export function outNotWritableError(cause: unknown): RlistError {
  return new RlistError("EINVAL", "out is not a writable entry object", { cause });
}

import type { RangeEntry, RangeEntryBig } from "./types.js";
import { outNotWritableError } from "./validate.js";

/**
 * Writes a decoded entry into the caller's `out`, after every check passed. A frozen or
 * read-only `out` (or a setter that throws) gives EINVAL instead of a TypeError.
 */
export function storeEntry(
  out: RangeEntry,
  type: number,
  length: number,
  base: number,
  offset: number,
  extra: number,
): void {
  try {
    out.type = type;
    out.length = length;
    out.base = base;
    out.offset = offset;
    out.extra = extra;
  } catch (cause) {
    throw outNotWritableError(cause);
  }
}

/** {@link storeEntry} for the bigint form. */
export function storeEntryBig(
  out: RangeEntryBig,
  type: number,
  length: bigint,
  base: bigint,
  offset: number,
  extra: number,
): void {
  try {
    out.type = type;
    out.length = length;
    out.base = base;
    out.offset = offset;
    out.extra = extra;
  } catch (cause) {
    throw outNotWritableError(cause);
  }
}

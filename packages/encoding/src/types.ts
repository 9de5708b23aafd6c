/**
 * Decoded form of one range-list entry (the prototype's `struct rlist_entry`).
 * In this `number` form every field must be a safe integer; use {@link RangeEntryBig}
 * for bases and lengths above 2^53 - 1.
 */
export interface RangeEntry {
  /** 2 bits, 0..3, opaque to the container. */
  type: number;
  /** 60 bits in storage, 0..2^53-1 here. Positions in a list are sums of lengths. */
  length: number;
  /** u64 in storage, 0..2^53-1 here. */
  base: number;
  /** u32: a bias from the start of `base`. */
  offset: number;
  /** u32 of additional data. */
  extra: number;
}

/** The full-range form: `length` up to 2^60-1 and `base` up to 2^64-1 stay exact. */
export interface RangeEntryBig {
  type: number;
  length: bigint;
  base: bigint;
  offset: number;
  extra: number;
}

/**
 * An entry codec over 32-bit units. Both codecs implement it so the container and the
 * lab can swap them. Units are little-endian u32 words of a chunk.
 */
export interface Codec {
  readonly name: "variable" | "fixed16";
  /** 32-bit units `e` takes in this codec (2, 4 or 6 for `variable`; always 4 for `fixed16`). */
  unitsFor(e: RangeEntry): number;
  /** Same as {@link unitsFor} for the bigint form. */
  unitsForBig(e: RangeEntryBig): number;
  /** Units written; throws `RlistError` and writes nothing if `e` is invalid or does not fit. */
  encode(words: Uint32Array, at: number, e: RangeEntry): number;
  /**
   * Units read into `out`; 0 at the end marker. Throws `EINVAL` on words that are no entry
   * (truncated, bad fixed16 tag, `at` outside `words`) and `ERANGE` when the stored length or
   * base is above 2^53-1 (use {@link decodeBig}); `out` is untouched when it throws.
   */
  decode(words: Uint32Array, at: number, out: RangeEntry): number;
  encodeBig(words: Uint32Array, at: number, e: RangeEntryBig): number;
  decodeBig(words: Uint32Array, at: number, out: RangeEntryBig): number;
  /** Marks the end of a chunk's used area at unit `at` (stores the word 3); `ENOSPC` if `at` is past the end. */
  writeEndMarker(words: Uint32Array, at: number): void;
  /** Units taken by the end marker (1 for both codecs; written only when room is left). */
  readonly endMarkerUnits: number;
  /** Largest entry this codec can write, in units (6 for `variable`, 4 for `fixed16`). */
  readonly maxUnits: number;
}

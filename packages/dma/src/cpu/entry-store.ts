import type { RangeEntry } from "@rlist/encoding";

/**
 * The part of `@rlist/list`'s `RangeList` that {@link CpuRangeList} stores its encoded entries in:
 * append-only (plus an optional truncate), typed errors with the store unchanged, and an
 * allocation-free cursor. A `RangeList`
 * (variable codec, merge off) is the default; anything with this shape can stand in.
 */
export interface EntryStore {
  readonly count: number;
  /** Appends one entry; throws (store unchanged) on ENOSPC / ENOMEM / bad fields. */
  append(e: RangeEntry): void;
  clear(): void;
  cursor(): EntryStoreCursor;
  /** Keeps the first `count` entries (optional: {@link CpuRangeList.rollback} needs it). */
  truncate?(count: number): void;
}

export interface EntryStoreCursor {
  reset(): boolean;
  next(): boolean;
  seekIndex(index: number): boolean;
  readonly type: number;
  readonly length: number;
  readonly base: number;
  readonly offset: number;
  readonly extra: number;
}

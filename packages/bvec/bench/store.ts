/**
 * Storage accounting for the benchmark. The CpuRangeList keeps its encoded entries in an
 * `EntryStore`; the bytes those entries take in the variable codec are counted here entry by
 * entry. Chunk-level figures need `@rlist/list`'s RangeList as the store (see `newStore`).
 */
import type { CpuRangeList, EntryStore } from "@rlist/dma";
import { entryForm } from "@rlist/encoding";

/** The store to build big lists in (undefined: the CpuRangeList default). */
export function newStore(): EntryStore | undefined {
  return undefined;
}

/** Chunk statistics of the list's store, when it keeps them. */
export function listStoreStats(
  _list: CpuRangeList,
): { chunkBytes: number; bytesInUse: number; bytesPerEntry: number } | null {
  return null;
}

/** Bytes of the list's stored entries in the variable codec (8/16/24 per entry), by form. */
export function encodedBytes(list: CpuRangeList): {
  bytes: number;
  forms: { 8: number; 16: number; 24: number };
} {
  const forms = { 8: 0, 16: 0, 24: 0 };
  const e = { type: 0, length: 0, base: 0, offset: 0, extra: 0 };
  const c = list.store.cursor();
  for (let ok = c.reset(); ok; ok = c.next()) {
    e.type = c.type;
    e.length = c.length;
    e.base = c.base;
    e.offset = c.offset;
    e.extra = c.extra;
    forms[entryForm(e)]++;
  }
  return { bytes: forms[8] * 8 + forms[16] * 16 + forms[24] * 24, forms };
}

import { NO_PROVIDER, PAGE_SIZE, type RangeSet } from "../workloads/range-set.js";

/** A merge rule: may range `i` extend the entry that currently ends at `end` (`len` bytes long)? */
export type MergeRule = (set: RangeSet, i: number, prev: number, len: number) => boolean;

/** Merges nothing: one entry per input range. */
export const NEVER_MERGE: MergeRule = () => false;

/** Same memory kind: both RAM, or both from one P2P provider (same pgmap). */
export function samePgmap(set: RangeSet, i: number, prev: number): boolean {
  return set.provider[i] === set.provider[prev];
}

/** Byte-contiguous in physical memory. */
export function physContiguous(set: RangeSet, i: number, prev: number): boolean {
  return set.phys[prev]! + set.length[prev]! === set.phys[i]!;
}

/** Like bvec_try_merge_page(): physically contiguous, same pgmap, bv_len stays a u32. */
export const bvecMergeRule: MergeRule = (set, i, prev, len) =>
  physContiguous(set, i, prev) && samePgmap(set, i, prev) && len + set.length[i]! <= 0xffff_ffff;

/** sg_alloc_table_from_pages() with max_segment = UINT_MAX rounded down to PAGE_SIZE. */
export const SG_MAX_SEGMENT = 0xffff_f000;

/**
 * Like sg_alloc_table_from_pages(): pages merge when the next PFN follows and the pgmap is
 * the same, so joins are page-aligned, and an entry stays <= {@link SG_MAX_SEGMENT}.
 */
export const sgMergeRule: MergeRule = (set, i, prev, len) =>
  physContiguous(set, i, prev) &&
  set.phys[i]! % PAGE_SIZE === 0 &&
  samePgmap(set, i, prev) &&
  len + set.length[i]! <= SG_MAX_SEGMENT;

/** True when `set` holds pageless PHYSICAL ranges (no struct page behind them). */
export function hasPhysical(set: RangeSet): boolean {
  for (let i = 0; i < set.count; i++)
    if (set.provider[i] !== NO_PROVIDER && set.folioPfn[i]! < 0) return true;
  return false;
}

/**
 * Visits the merged entries of group `g` under `rule`: `emit(firstRange, phys, length)`.
 * Returns the number of entries. Ranges longer than `maxLen` are split.
 */
export function forEachMerged(
  set: RangeSet,
  g: number,
  rule: MergeRule,
  maxLen: number,
  emit: (first: number, phys: number, length: number) => void,
): number {
  const from = set.groupStart[g]!;
  const to = set.groupStart[g + 1]!;
  let n = 0;
  let first = -1;
  let phys = 0;
  let len = 0;
  for (let i = from; i < to; i++) {
    if (first >= 0 && rule(set, i, i - 1, len)) {
      len += set.length[i]!;
      continue;
    }
    if (first >= 0) {
      emit(first, phys, len);
      n++;
    }
    first = i;
    phys = set.phys[i]!;
    len = set.length[i]!;
    while (len > maxLen) {
      emit(first, phys, maxLen);
      n++;
      phys += maxLen;
      len -= maxLen;
    }
  }
  if (first >= 0) {
    emit(first, phys, len);
    n++;
  }
  return n;
}

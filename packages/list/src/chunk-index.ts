/**
 * The side index that makes seek O(log chunks): for the k-th chunk of a list, its pool index,
 * the position (sum of lengths) before its first entry and that entry's index.
 *
 * Positions are kept as doubles: exact while the list's total length is <= 2^53-1, and a
 * monotone rounding above it, which still compares correctly against any safe target. Lists
 * whose total passes 2^53-1 also keep exact positions in `posBig` (bigint API only).
 */
import { RlistError } from "@rlist/encoding";

const MIN_CAPACITY = 16;
/**
 * The records of every index that has none yet: shared, never written (nothing is pushed before a
 * `reserve()` replaces them), so a new list allocates no typed array until its first chunk.
 */
const NO_IDS = new Uint32Array(0);
const NO_POS = new Float64Array(0);

export class ChunkIndex {
  /** Pool index of the k-th chunk. */
  ids: Uint32Array;
  /** Position before the k-th chunk's first entry (see the module comment on exactness). */
  pos: Float64Array;
  /** Entry index of the k-th chunk's first entry. */
  first: Float64Array;
  /** Exact positions, present only while the list's total is above 2^53-1. */
  posBig: BigUint64Array | null = null;
  length = 0;

  constructor() {
    this.ids = NO_IDS;
    this.pos = NO_POS;
    this.first = NO_POS;
  }

  get capacity(): number {
    return this.ids.length;
  }

  /** Makes room for `n` records; ENOMEM (nothing changed) when the JS heap refuses. */
  reserve(n: number): void {
    if (n <= this.ids.length) return;
    const cap = Math.max(n, MIN_CAPACITY, Math.ceil(this.ids.length * 1.5));
    let ids: Uint32Array;
    let pos: Float64Array;
    let first: Float64Array;
    let posBig: BigUint64Array | null;
    try {
      ids = new Uint32Array(cap);
      pos = new Float64Array(cap);
      first = new Float64Array(cap);
      posBig = this.posBig === null ? null : new BigUint64Array(cap);
    } catch (cause) {
      throw new RlistError("ENOMEM", `cannot grow the chunk index to ${cap} records`, { cause });
    }
    ids.set(this.ids.subarray(0, this.length));
    pos.set(this.pos.subarray(0, this.length));
    first.set(this.first.subarray(0, this.length));
    if (posBig !== null && this.posBig !== null) posBig.set(this.posBig.subarray(0, this.length));
    this.ids = ids;
    this.pos = pos;
    this.first = first;
    this.posBig = posBig;
  }

  /** Appends a record; the caller reserved room. `posBig` is used only in exact mode. */
  push(id: number, pos: number, first: number, posBig: bigint): void {
    const k = this.length++;
    this.ids[k] = id;
    this.pos[k] = pos;
    this.first[k] = first;
    if (this.posBig !== null) this.posBig[k] = posBig;
  }

  /** Exact position of record `k`. */
  posExact(k: number): bigint {
    return this.posBig !== null ? (this.posBig[k] as bigint) : BigInt(this.pos[k] as number);
  }

  /** Switches exact positions on (all current positions must be <= 2^53-1) or off. */
  setExact(on: boolean): void {
    if (!on) {
      this.posBig = null;
      return;
    }
    if (this.posBig !== null) return;
    const big = new BigUint64Array(this.ids.length);
    for (let k = 0; k < this.length; k++) big[k] = BigInt(this.pos[k] as number);
    this.posBig = big;
  }

  /** Last record k with `pos[k] <= position` (0 if none); records 0..length-1. */
  findByPosition(position: number): number {
    const pos = this.pos;
    let lo = 0;
    let hi = this.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if ((pos[mid] as number) <= position) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /**
   * {@link findByPosition} for `position < total` (the list's total length): starts from the
   * interpolated guess `position / total * length` and gallops (exponential search) to the
   * answer, then bisects. At most about twice the steps of a plain binary search, and O(1)
   * when lengths are spread evenly over the chunks (page lists).
   */
  findByPositionNear(position: number, total: number): number {
    const pos = this.pos;
    const n = this.length;
    let g = Math.floor((position / total) * n);
    if (!(g < n)) g = n - 1; // rounding, or NaN for an all-zero total (unreachable)
    if (!(g >= 0)) g = 0;
    let lo: number;
    let hi: number;
    if ((pos[g] as number) <= position) {
      // gallop up: pos[lo] <= position throughout
      lo = g;
      let step = 1;
      while (lo + step < n && (pos[lo + step] as number) <= position) {
        lo += step;
        step += step;
      }
      hi = Math.min(lo + step, n) - 1;
    } else {
      // gallop down: pos[hi + 1] > position throughout (pos[0] = 0 <= position ends it)
      hi = g - 1;
      let step = 1;
      while (hi - step >= 0 && (pos[hi - step + 1] as number) > position) {
        hi -= step;
        step += step;
      }
      lo = Math.max(hi - step + 1, 0);
    }
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if ((pos[mid] as number) <= position) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** {@link findByPosition} with an exact bigint target. */
  findByPositionBig(position: bigint): number {
    let lo = 0;
    let hi = this.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.posExact(mid) <= position) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Last record k with `first[k] <= index` (0 if none). */
  findByIndex(index: number): number {
    const first = this.first;
    let lo = 0;
    let hi = this.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if ((first[mid] as number) <= index) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  clear(): void {
    this.length = 0;
    this.posBig = null;
  }

  /** Bytes held by the index arrays (reported in list stats). */
  get bytes(): number {
    return this.ids.byteLength + this.pos.byteLength + this.first.byteLength + (this.posBig?.byteLength ?? 0);
  }
}

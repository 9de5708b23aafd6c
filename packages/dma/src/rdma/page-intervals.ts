/**
 * A set of page indices kept as sorted, disjoint, non-adjacent half-open intervals. An on-demand
 * paging MR records which of its pages are currently invalidated this way: a handful of intervals
 * however many pages they cover, instead of the per-page `pfn_list` / `dma_list` arrays of the
 * kernel's `ib_umem_odp`.
 *
 * Every method checks its page numbers (safe non-negative integers: `ERANGE`, `EINVAL` for a
 * non-number) once per call, before it changes anything.
 */
import { checkU53 } from "@rlist/encoding";
import { checkFunction } from "../args.js";

function checkRange(start: number, end: number): void {
  checkU53("start", start);
  checkU53("end", end);
}

export class PageIntervalSet {
  /** starts[i] < ends[i] < starts[i + 1]. */
  #starts: number[] = [];
  #ends: number[] = [];
  #pages = 0;

  /** Pages in the set. */
  get size(): number {
    return this.#pages;
  }

  /** Intervals in the set. */
  get intervalCount(): number {
    return this.#starts.length;
  }

  /** The intervals as `[start, end)` pairs (allocates). */
  toArray(): Array<[number, number]> {
    return this.#starts.map((s, i) => [s, this.#ends[i]!]);
  }

  has(page: number): boolean {
    checkU53("page", page);
    const i = this.#firstEndingAfter(page);
    return i < this.#starts.length && this.#starts[i]! <= page;
  }

  /** Adds `[start, end)`; returns how many pages were not in the set before. */
  add(start: number, end: number): number {
    checkRange(start, end);
    if (start >= end) return 0;
    const before = this.#pages;
    // Intervals touching [start, end) (adjacent ones too) are absorbed.
    const i = this.#firstEndingAfter(start - 1);
    let j = i;
    let s = start;
    let e = end;
    while (j < this.#starts.length && this.#starts[j]! <= end) {
      s = Math.min(s, this.#starts[j]!);
      e = Math.max(e, this.#ends[j]!);
      this.#pages -= this.#ends[j]! - this.#starts[j]!;
      j++;
    }
    this.#starts.splice(i, j - i, s);
    this.#ends.splice(i, j - i, e);
    this.#pages += e - s;
    return this.#pages - before;
  }

  /** Removes `[start, end)`; returns how many pages were removed. */
  remove(start: number, end: number): number {
    checkRange(start, end);
    if (start >= end) return 0;
    const before = this.#pages;
    const i = this.#firstEndingAfter(start);
    let j = i;
    const keepS: number[] = [];
    const keepE: number[] = [];
    while (j < this.#starts.length && this.#starts[j]! < end) {
      const s = this.#starts[j]!;
      const e = this.#ends[j]!;
      if (s < start) {
        keepS.push(s);
        keepE.push(start);
      }
      if (e > end) {
        keepS.push(end);
        keepE.push(e);
      }
      this.#pages -= Math.min(e, end) - Math.max(s, start);
      j++;
    }
    this.#starts.splice(i, j - i, ...keepS);
    this.#ends.splice(i, j - i, ...keepE);
    return before - this.#pages;
  }

  /** True when some page of `[start, end)` is in the set. */
  intersects(start: number, end: number): boolean {
    checkRange(start, end);
    const i = this.#firstEndingAfter(start);
    return start < end && i < this.#starts.length && this.#starts[i]! < end;
  }

  /** Calls `fn(start, end)` for every part of `[start, end)` that is in the set, in order. */
  forEachIn(start: number, end: number, fn: (s: number, e: number) => void): void {
    checkRange(start, end);
    checkFunction("fn", fn);
    for (let i = this.#firstEndingAfter(start); i < this.#starts.length && this.#starts[i]! < end; i++) {
      fn(Math.max(start, this.#starts[i]!), Math.min(end, this.#ends[i]!));
    }
  }

  /** Calls `fn(start, end)` for every part of `[start, end)` that is not in the set, in order. */
  forEachGapIn(start: number, end: number, fn: (s: number, e: number) => void): void {
    checkRange(start, end);
    checkFunction("fn", fn);
    let at = start;
    this.forEachIn(start, end, (s, e) => {
      if (s > at) fn(at, s);
      at = e;
    });
    if (at < end) fn(at, end);
  }

  clear(): void {
    this.#starts = [];
    this.#ends = [];
    this.#pages = 0;
  }

  /** Index of the first interval whose end is > `page`. */
  #firstEndingAfter(page: number): number {
    const ends = this.#ends;
    let lo = 0;
    let hi = ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ends[mid]! <= page) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/**
 * Allocation-free cursors for `bio_for_each_bvec()` (multi-page) and `bio_for_each_segment()`
 * (single-page), optionally following `bi_next` through a request's chain like
 * `rq_for_each_bvec()` / `rq_for_each_segment()`.
 *
 * They follow the cursor protocol of every rlist package (docs/conventions.md#cursors):
 *
 * ```ts
 * const c = new BioSegmentCursor();
 * for (let ok = c.reset(bio); ok; ok = c.next()) use(c.page, c.offset, c.len);
 * ```
 */
import { RlistError } from "@rlist/encoding";
import { Bio } from "./bio.js";
import type { BvecArray } from "./bio-vec.js";
import { BvecIter, bvecIterAdvanceSingle } from "./bvec-iter.js";
import { checkBoolean, checkFunction, checkInstance } from "./checks.js";
import { PAGE_SIZE } from "./constants.js";
import { opHasData } from "./ops.js";

abstract class BioCursor {
  /** Page frame of the current element (the bvec's `bv_page` for multi-page steps). */
  page = 0;
  /** Offset into `page` (below PAGE_SIZE for segments, any u32 for multi-page bvecs). */
  offset = 0;
  /** Bytes of the current element. */
  len = 0;
  /** Bytes yielded before the current element, counted from `reset`. */
  position = 0;
  /** The bio the current element belongs to. */
  bio: Bio | null = null;

  private readonly it = new BvecIter();
  private vecs: BvecArray | null = null;
  private chain = false;
  private yielded = false;

  /**
   * Starts at `bio.iter` (a copy: the bio is not advanced) and positions on the first element;
   * false when there is none. `chain` follows `bi_next`.
   */
  reset(bio: Bio, chain = false): boolean {
    checkInstance("bio", bio, Bio);
    checkBoolean("chain", chain);
    this.chain = chain;
    this.position = 0;
    this.len = 0;
    this.yielded = false;
    this.load(bio);
    return this.next();
  }

  /** Moves to the next element; false at the end (and on a cursor never reset). */
  next(): boolean {
    this.position += this.len;
    // Step over the element yielded last (a zero-length bvec too: advance_single(0) skips it).
    if (this.yielded) bvecIterAdvanceSingle(this.vecs!, this.it, this.len);
    this.yielded = false;
    while (this.it.size === 0) {
      const nextBio = this.chain ? (this.bio?.next ?? null) : null;
      if (nextBio === null) {
        this.len = 0;
        return false;
      }
      this.load(nextBio);
    }
    const v = this.vecs!;
    const it = this.it;
    const i = it.idx;
    if (i >= v.count) throw new RlistError("EFAULT", `bi_size runs past the ${v.count} bvecs of the table`);
    const mpOffset = v.offset(i) + it.bvecDone;
    const mpLen = Math.min(it.size, v.len(i) - it.bvecDone);
    this.step(v.page(i), mpOffset, mpLen);
    this.yielded = true;
    return true;
  }

  /** Physical address of the current element's first byte. */
  get phys(): number {
    return this.page * PAGE_SIZE + this.offset;
  }

  /** Sets page/offset/len for the element at the multi-page view (page, mpOffset, mpLen). */
  protected abstract step(page: number, mpOffset: number, mpLen: number): void;

  private load(bio: Bio): void {
    this.bio = bio;
    this.vecs = bio.vecs;
    this.it.copyFrom(bio.iter);
    // No-data ops (discard, write zeroes, flush) have a size but no pages to walk.
    if (!opHasData(bio.op)) this.it.size = 0;
  }
}

/** `bio_for_each_bvec()`: whole multi-page bvecs (`mp_bvec_iter_bvec`). */
export class BvecCursor extends BioCursor {
  protected step(page: number, mpOffset: number, mpLen: number): void {
    this.page = page;
    this.offset = mpOffset;
    this.len = mpLen;
  }
}

/**
 * `bio_for_each_segment()`: single-page pieces (`bvec_iter_bvec`), never crossing a page. (A DMA
 * list's segments, cut at the device's limits, are `@rlist/dma`'s `DmaSegmentCursor`.)
 */
export class BioSegmentCursor extends BioCursor {
  protected step(page: number, mpOffset: number, mpLen: number): void {
    const inPage = (mpOffset >>> 0) & (PAGE_SIZE - 1); // mpOffset < 2^33: integer-only, exact
    this.page = page + (mpOffset - inPage) / PAGE_SIZE;
    this.offset = inPage;
    this.len = Math.min(mpLen, PAGE_SIZE - inPage);
  }
}

/** Calls `fn(page, offset, len)` for each single-page segment of `bio` (or its chain). */
export function forEachSegment(
  bio: Bio,
  fn: (page: number, offset: number, len: number) => void,
  chain = false,
): void {
  checkFunction("fn", fn);
  checkBoolean("chain", chain);
  const c = new BioSegmentCursor();
  for (let ok = c.reset(bio, chain); ok; ok = c.next()) fn(c.page, c.offset, c.len);
}

/** Calls `fn(page, offset, len)` for each multi-page bvec of `bio` (or its chain). */
export function forEachBvec(
  bio: Bio,
  fn: (page: number, offset: number, len: number) => void,
  chain = false,
): void {
  checkFunction("fn", fn);
  checkBoolean("chain", chain);
  const c = new BvecCursor();
  for (let ok = c.reset(bio, chain); ok; ok = c.next()) fn(c.page, c.offset, c.len);
}

/**
 * Like `blk_map_iter_next()` (block/blk-mq-dma.c): walks a request's bio chain as `phys_vec`s
 * `{paddr, len}`, merging the next multi-page bvec, even from the next bio, whenever it follows
 * physically and the merged range stays one segment.
 */
import { lowBits, RlistError } from "@rlist/encoding";
import { Bio } from "./bio.js";
import type { BvecArray } from "./bio-vec.js";
import { BvecIter, bvecIterAdvanceSingle } from "./bvec-iter.js";
import {
  checkBoolean,
  checkFunction,
  checkInstance,
  checkMask,
  checkObject,
  checkPositive,
} from "./checks.js";
import { MAX_PHYS, PAGE_SIZE, U32_MAX } from "./constants.js";
import { type QueueLimits, queueLimits } from "./limits.js";
import { opHasData } from "./ops.js";
import { NO_PGMAP, type PgmapLookup } from "./pgmap.js";

/** The limits a phys_vec walk honours. */
export interface PhysVecLimits {
  /** No phys_vec crosses a (mask + 1) boundary. 2^53 - 1: none. */
  readonly segBoundaryMask: number;
  /** Largest phys_vec. */
  readonly maxSegmentSize: number;
}

/** What `blk_map_iter_next` caps each phys_vec at: the queue's segment rules and UINT_MAX. */
export function requestPhysVecLimits(lim: QueueLimits): PhysVecLimits {
  // Every field checked as blk_validate_limits() would (once per request, not per segment).
  const l = queueLimits(lim);
  return { segBoundaryMask: l.segBoundaryMask, maxSegmentSize: Math.min(l.maxSegmentSize, U32_MAX) };
}

/** No cap at all: maximal physically contiguous runs (what a range list wants). */
export const UNLIMITED_PHYS_VEC: PhysVecLimits = { segBoundaryMask: MAX_PHYS, maxSegmentSize: MAX_PHYS };

/**
 * Allocation-free phys_vec cursor. Unlike the kernel, runs never merge across different pgmaps
 * (the kernel relies on bios never mixing them; chains built by hand might), and zero-length
 * bvecs produce no phys_vec.
 *
 * ```ts
 * const c = new PhysVecCursor();
 * for (let ok = c.reset(bio); ok; ok = c.next()) use(c.paddr, c.len, c.pgmap);
 * ```
 */
export class PhysVecCursor {
  /** Physical address of the current phys_vec. */
  paddr = 0;
  /** Its length in bytes. */
  len = 0;
  /** pgmap identity of its pages (0: ordinary RAM). */
  pgmap = 0;
  /** Multi-page bvecs folded into the phys_vecs so far (merges saved = bvecs - phys_vecs). */
  bvecs = 0;
  /** phys_vecs produced so far. */
  count = 0;

  private bio: Bio | null = null;
  private vecs: BvecArray | null = null;
  private readonly it = new BvecIter();
  private segBoundaryMask = MAX_PHYS;
  private maxSegmentSize = MAX_PHYS;
  private lookups = false;
  private pgmaps: PgmapLookup | null = null;
  private chain = true;

  /**
   * Starts at `bio.iter` and positions on the first phys_vec; false when there is none. Follows
   * `bi_next` unless `chain` is false; the bios are not modified. Pages are classified by `pgmaps`
   * when given, else by each bio's own lookup.
   */
  reset(
    bio: Bio,
    lim: PhysVecLimits = UNLIMITED_PHYS_VEC,
    pgmaps: PgmapLookup | null = null,
    chain = true,
  ): boolean {
    checkInstance("bio", bio, Bio);
    checkObject("phys_vec limits", lim);
    // Each limit is read once and checked here, per walk; next() then reads the checked copy.
    const segBoundaryMask = lim.segBoundaryMask;
    const maxSegmentSize = lim.maxSegmentSize;
    checkMask("segBoundaryMask", segBoundaryMask);
    checkPositive("maxSegmentSize", maxSegmentSize, MAX_PHYS);
    if (pgmaps !== null) {
      checkObject("pgmaps", pgmaps);
      checkFunction("pgmaps.pgmapIdOf", pgmaps.pgmapIdOf);
    }
    checkBoolean("chain", chain);
    this.segBoundaryMask = segBoundaryMask;
    this.maxSegmentSize = maxSegmentSize;
    this.pgmaps = pgmaps;
    this.chain = chain;
    this.bvecs = 0;
    this.count = 0;
    this.len = 0;
    this.load(bio);
    return this.next();
  }

  /** The next phys_vec; false at the end of the chain (and on a cursor never reset). */
  next(): boolean {
    const mask = this.segBoundaryMask;
    let paddr = 0;
    let len = 0;
    let max = 0;
    let pgmap = 0;
    // The first non-empty bvec piece starts the phys_vec.
    for (;;) {
      if (!this.advanceBio()) return false;
      const v = this.vecs!;
      const it = this.it;
      const i = it.idx;
      const mpLen = Math.min(it.size, v.len(i) - it.bvecDone);
      if (mpLen === 0) {
        bvecIterAdvanceSingle(v, it, 0);
        continue;
      }
      paddr = v.page(i) * PAGE_SIZE + v.offset(i) + it.bvecDone;
      // Classify by the page holding the first byte (bv_page itself may precede the data).
      pgmap = this.lookups ? this.lookupOf().pgmapIdOf(Math.floor(paddr / PAGE_SIZE)) : 0;
      max = Math.min(mask - lowBits(paddr, mask + 1), this.maxSegmentSize - 1) + 1;
      len = Math.min(mpLen, max);
      bvecIterAdvanceSingle(v, it, len);
      this.bvecs++;
      break;
    }
    // Fold in following bvecs while this bvec is used up and the next one continues it. `max`
    // already stops at the boundary window, so `len + nextLen <= max` is biovec_phys_mergeable's
    // same-window test.
    while (this.it.bvecDone === 0 && this.advanceBio()) {
      const v = this.vecs!;
      const it = this.it;
      const i = it.idx;
      const nextLen = Math.min(it.size, v.len(i) - it.bvecDone);
      const nextPhys = v.page(i) * PAGE_SIZE + v.offset(i);
      if (nextLen === 0) {
        bvecIterAdvanceSingle(v, it, 0);
        continue;
      }
      if (
        nextPhys !== paddr + len ||
        len + nextLen > max ||
        (this.lookups && this.lookupOf().pgmapIdOf(Math.floor(nextPhys / PAGE_SIZE)) !== pgmap)
      ) {
        break;
      }
      len += nextLen;
      bvecIterAdvanceSingle(v, it, nextLen);
      this.bvecs++;
    }
    this.paddr = paddr;
    this.len = len;
    this.pgmap = pgmap;
    this.count++;
    return true;
  }

  /** Moves to the next bio with bytes left; false when the chain is exhausted. */
  private advanceBio(): boolean {
    while (this.it.size === 0) {
      const nextBio = this.chain ? (this.bio?.next ?? null) : null;
      if (nextBio === null) return false;
      this.load(nextBio);
    }
    if (this.it.idx >= this.vecs!.count) {
      throw new RlistError("EFAULT", `bi_size runs past the ${this.vecs!.count} bvecs of the table`);
    }
    return true;
  }

  private load(bio: Bio): void {
    this.bio = bio;
    this.vecs = bio.vecs;
    this.it.copyFrom(bio.iter);
    if (!opHasData(bio.op)) this.it.size = 0;
    this.lookups = this.lookupOf().pgmapIdOf !== noLookup;
  }

  private lookupOf(): PgmapLookup {
    return this.pgmaps ?? this.bio!.pgmaps;
  }
}

const noLookup = NO_PGMAP.pgmapIdOf;

/**
 * `struct bio`: a bvec table, an iterator over it, an operation, and the `bi_next` link that
 * chains the bios of one request.
 */
import { RlistError } from "@rlist/encoding";
import { type BioVec, BvecArray, checkBioVec } from "./bio-vec.js";
import { BvecIter, type BvecIterInit, bvecIterAdvance } from "./bvec-iter.js";
import {
  checkBoolean,
  checkFunction,
  checkInstance,
  checkMask,
  checkObject,
  checkPositive,
  checkU32,
} from "./checks.js";
import { BIO_MAX_VECS, PAGE_SIZE, SECTOR_SHIFT, U32_MAX } from "./constants.js";
import { physMergeable, type QueueLimits, type QueueLimitsInit, queueLimits } from "./limits.js";
import { type BioOp, checkBioOp, opHasData } from "./ops.js";
import { NO_PGMAP, P2pMixError, type PgmapLookup } from "./pgmap.js";
import { splitBio, splitToLimits } from "./split.js";

export interface BioInit {
  /** Default `READ`. */
  op?: BioOp;
  /** Start sector (`bi_iter.bi_sector`), default 0. */
  sector?: number;
  /** `bi_max_vecs` of the bvec table the bio allocates, default BIO_MAX_VECS. */
  maxVecs?: number;
  /** Where `addPage` learns each page's pgmap; default: all ordinary RAM. */
  pgmaps?: PgmapLookup;
  /** REQ_ATOMIC: such a bio must never be split (`split` throws `EINVAL`). */
  atomic?: boolean;
  /** REQ_NOWAIT: a bio that would need a split is refused with `EAGAIN` instead. */
  nowait?: boolean;
}

/** How `addPage` placed a page. */
export type AddPageResult = "merged" | "added";

/** Like `struct bio`. */
export class Bio {
  /** `bi_io_vec` + `bi_vcnt`: shared with clones and split parts. */
  readonly vecs: BvecArray;
  /** `bi_iter`. */
  readonly iter: BvecIter;
  op: BioOp;
  /** `bi_next`: the next bio of the same request. */
  next: Bio | null = null;
  /** BIO_CLONED: the bvec table belongs to another bio, so this one cannot add pages. */
  readonly cloned: boolean;
  readonly atomic: boolean;
  readonly nowait: boolean;
  readonly pgmaps: PgmapLookup;

  /** A new, empty bio with its own bvec table (`bio_alloc`). */
  constructor(init: BioInit = {}, vecs?: BvecArray, cloned = false) {
    checkObject("bio init", init);
    if (vecs !== undefined) checkInstance("bvec table", vecs, BvecArray);
    const {
      op = "READ",
      sector = 0,
      maxVecs = BIO_MAX_VECS,
      pgmaps = NO_PGMAP,
      atomic = false,
      nowait = false,
    } = init;
    checkBioOp("op", op);
    checkPositive("maxVecs", maxVecs, 1 << 24);
    checkBoolean("cloned", cloned);
    checkBoolean("atomic", atomic);
    checkBoolean("nowait", nowait);
    checkObject("pgmaps", pgmaps);
    checkFunction("pgmaps.pgmapIdOf", pgmaps.pgmapIdOf);
    this.op = op;
    this.iter = new BvecIter({ sector });
    this.vecs = vecs ?? new BvecArray(maxVecs);
    this.pgmaps = pgmaps;
    this.atomic = atomic;
    this.nowait = nowait;
    this.cloned = cloned;
  }

  /**
   * A bio over an existing bvec table (shared, not copied, when a `BvecArray` is given), its
   * iterator covering every bvec unless `size` says otherwise.
   */
  static fromVecs(vecs: BvecArray | readonly BioVec[], init: BioInit & { size?: number } = {}): Bio {
    checkObject("bio init", init);
    const table = vecs instanceof BvecArray ? vecs : BvecArray.from(vecs);
    let total = 0;
    for (let i = 0; i < table.count; i++) total += table.len(i);
    const size = init.size ?? total;
    checkU32("bi_size", size);
    if (size > total) throw new RlistError("EINVAL", `size ${size} exceeds the ${total} bytes of the bvecs`);
    const bio = new Bio(init, table);
    bio.iter.size = size;
    return bio;
  }

  /**
   * A bio over a window of a shared bvec table, positioned by `iter` (a clone in kernel terms: it
   * does not own the table and cannot add pages). `EFAULT` if the window runs past the table.
   */
  static view(vecs: BvecArray, iter: BvecIterInit, init: Omit<BioInit, "sector" | "maxVecs"> = {}): Bio {
    checkInstance("bvec table", vecs, BvecArray);
    const it = new BvecIter(iter);
    let left = it.size + it.bvecDone;
    for (let i = it.idx; left > 0; i++) {
      if (i >= vecs.count) throw new RlistError("EFAULT", `the iterator runs past the ${vecs.count} bvecs`);
      left -= Math.min(left, vecs.len(i));
    }
    if (it.idx < vecs.count ? it.bvecDone > vecs.len(it.idx) : it.bvecDone > 0) {
      throw new RlistError("EFAULT", "bvecDone lies past the current bvec");
    }
    const bio = new Bio(init, vecs, true);
    bio.iter.copyFrom(it);
    return bio;
  }

  /** Links `bios` through `next` and returns the first (the request's `bio` list). */
  static chain(bios: readonly Bio[]): Bio {
    if (!Array.isArray(bios)) throw new RlistError("EINVAL", "a bio chain must be an array of bios");
    if (bios.length === 0) throw new RlistError("EINVAL", "a bio chain needs at least one bio");
    // every link checked before the first is set: a chain is made whole or not at all, and a
    // bio listed twice would make a loop that bio walks never leave
    for (const b of bios) checkInstance("bio", b, Bio);
    if (new Set(bios).size !== bios.length) throw new RlistError("EINVAL", "a bio chain lists one bio twice");
    for (let i = 0; i + 1 < bios.length; i++) bios[i]!.next = bios[i + 1]!;
    bios[bios.length - 1]!.next = null;
    return bios[0]!;
  }

  /** `bi_iter.bi_size`. */
  get size(): number {
    return this.iter.size;
  }

  /** `bi_iter.bi_sector`. */
  get sector(): number {
    return this.iter.sector;
  }

  /** `bio_sectors()`: size in 512-byte sectors. */
  get sectors(): number {
    return this.iter.size >>> SECTOR_SHIFT;
  }

  /** `bi_vcnt`. */
  get vcnt(): number {
    return this.vecs.count;
  }

  /** The bios of this chain, this one first. */
  *bios(): IterableIterator<Bio> {
    for (let b: Bio | null = this; b !== null; b = b.next) yield b;
  }

  /** Total bytes of this bio and every bio after it. */
  chainSize(): number {
    let n = 0;
    for (let b: Bio | null = this; b !== null; b = b.next) n += b.iter.size;
    return n;
  }

  /**
   * Like `bio_add_page()`: appends `len` bytes at `offset` into page `page`, merging into the
   * last bvec when the bytes follow it physically (`bvec_try_merge_page`).
   * With `limits` (a `QueueLimits` will do; only these two fields are read), merging also follows the hardware rules of `bvec_try_merge_hw_page`: the result
   * must stay within one segment-boundary window (`biovec_phys_mergeable`) and `maxSegmentSize`.
   *
   * Refusals (the kernel returns 0; nothing changes here either):
   * - `P2pMixError` (`EINVAL`) when the page's pgmap differs from the last bvec's (2025 rule);
   * - `ENOSPC` when the table is full or `bi_size` would pass UINT_MAX;
   * - `EINVAL` on a clone or a zero length; `EFAULT` for a frame without struct page.
   */
  addPage(
    page: number,
    len: number,
    offset: number,
    limits?: Pick<QueueLimits, "segBoundaryMask" | "maxSegmentSize">,
  ): AddPageResult {
    // The two limits the merge reads, each read once and checked before anything changes.
    let segBoundaryMask = 0;
    let maxSegmentSize = 0;
    if (limits !== undefined) {
      checkObject("queue limits", limits);
      segBoundaryMask = limits.segBoundaryMask;
      maxSegmentSize = limits.maxSegmentSize;
      checkMask("segBoundaryMask", segBoundaryMask);
      checkPositive("maxSegmentSize", maxSegmentSize, U32_MAX);
    }
    if (this.cloned) throw new RlistError("EINVAL", "cannot add pages to a cloned bio (BIO_CLONED)");
    checkBioVec(page, len, offset);
    if (len === 0) throw new RlistError("EINVAL", "bio_add_page with a zero length");
    if (this.iter.size > U32_MAX - len) {
      throw new RlistError("ENOSPC", `bi_size ${this.iter.size} + ${len} would pass UINT_MAX`);
    }
    const want = this.pgmaps.pgmapIdOf(page);
    if (want < 0) throw new RlistError("EFAULT", `page ${page} has no struct page`);
    const v = this.vecs;
    const n = v.count;
    if (n > 0) {
      const last = n - 1;
      const lastPage = v.page(last);
      const have = this.pgmaps.pgmapIdOf(lastPage);
      if (have !== want) throw new P2pMixError(have, want, page);
      const lastPhys = lastPage * PAGE_SIZE + v.offset(last);
      const lastLen = v.len(last);
      const phys = page * PAGE_SIZE + offset;
      const mergeable =
        limits === undefined
          ? lastPhys + lastLen === phys
          : physMergeable(segBoundaryMask, lastPhys, lastLen, phys, len) && lastLen + len <= maxSegmentSize;
      if (mergeable) {
        v.setLen(last, lastLen + len);
        this.iter.size += len;
        return "merged";
      }
    }
    if (n >= v.capacity) throw new RlistError("ENOSPC", `bio full (${v.capacity} bvecs)`);
    v.pushUnchecked(page, len, offset);
    this.iter.size += len;
    return "added";
  }

  /**
   * Like `bio_advance()` / `bio_advance_iter()`: `bi_sector += bytes >> 9`, then the bvec
   * iterator moves (for no-data ops only `bi_size` shrinks). Returns false when `bytes` ran past
   * the end; the iterator is then clamped to the end (see `bvecIterAdvance`).
   */
  advance(bytes: number): boolean {
    checkU32("bytes", bytes);
    const it = this.iter;
    if (!opHasData(this.op)) {
      const fits = bytes <= it.size;
      const step = fits ? bytes : it.size;
      it.addSectors(step >>> SECTOR_SHIFT);
      it.size -= step;
      return fits;
    }
    const before = it.size;
    const fits = bvecIterAdvance(this.vecs, it, bytes);
    it.addSectors((fits ? bytes : before) >>> SECTOR_SHIFT);
    return fits;
  }

  /** Like `bio_alloc_clone()`: same op and iterator, the bvec table shared, not owned. */
  clone(): Bio {
    const c = new Bio(
      { op: this.op, pgmaps: this.pgmaps, atomic: this.atomic, nowait: this.nowait },
      this.vecs,
      true,
    );
    c.iter.copyFrom(this.iter);
    return c;
  }

  /**
   * Like `bio_split_to_limits()`: returns the largest front part meeting `limits` (a new bio
   * sharing the bvec table, sector-exact, never ending inside a logical block) and leaves the rest
   * in this bio, or returns null when this bio already fits. See `splitBio`.
   */
  split(limits: QueueLimitsInit | QueueLimits = {}): Bio | null {
    return splitBio(this, queueLimits(limits));
  }

  /** Splits until every part fits: the parts in order, this bio (the rest) last. */
  splitAll(limits: QueueLimitsInit | QueueLimits = {}): Bio[] {
    return splitToLimits(this, queueLimits(limits));
  }
}

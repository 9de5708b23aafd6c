/**
 * `struct bio_vec` and the bvec table a bio points at (`bi_io_vec`), stored compactly.
 */
import { formatValue, RlistError } from "@rlist/encoding";
import { checkObject, checkPositive, checkU32 } from "./checks.js";
import { BIO_MAX_VECS, MAX_PFN, MAX_PHYS, PAGE_SIZE, U32_SPAN } from "./constants.js";

/**
 * Like `struct bio_vec`: `len` bytes of physically contiguous memory starting `offset` bytes into
 * the page frame `page`. `offset` may exceed PAGE_SIZE (multi-page bvec): the data then starts in
 * page `page + (offset >> PAGE_SHIFT)`.
 */
export interface BioVec {
  /** The page frame number (the kernel stores a `struct page *`; pages are `pfn` here). */
  page: number;
  /** `bv_len`, u32. */
  len: number;
  /** `bv_offset`, u32. */
  offset: number;
}

/** Words per stored bvec: page lo, page hi, len, offset = 16 bytes, the size of a `bio_vec`. */
export const BVEC_WORDS = 4;
/** Bytes one stored bvec takes (same as the kernel's 16-byte `bio_vec` on 64-bit). */
export const BVEC_BYTES = BVEC_WORDS * 4;

/** Physical address of a bvec's first byte: `bvec_phys()`. */
export function bvecPhys(v: BioVec): number {
  checkObject("bvec", v);
  checkBioVec(v.page, v.len, v.offset);
  return v.page * PAGE_SIZE + v.offset;
}

/** Validates one bvec for the `number` API: u32 fields and a physical end within 2^53 - 1. */
export function checkBioVec(page: number, len: number, offset: number): void {
  if (!Number.isInteger(page) || page < 0 || page > MAX_PFN) {
    throw new RlistError("ERANGE", `page ${String(page)} is not a PFN in 0..2^52-1`);
  }
  checkU32("bv_len", len);
  checkU32("bv_offset", offset);
  if (page * PAGE_SIZE + offset + len > MAX_PHYS) {
    throw new RlistError(
      "ERANGE",
      `bvec (page ${page}, offset ${offset}, len ${len}) ends above 2^53-1: physical addresses must stay exact`,
    );
  }
}

/**
 * A bvec table (`bi_io_vec` + `bi_vcnt` + `bi_max_vecs`) in one `Uint32Array`: 16 bytes per bvec,
 * no object per entry. A table is shared by a bio and its clones (see `Bio.split`), exactly like
 * the kernel shares `bi_io_vec`; only its owner appends.
 */
export class BvecArray {
  /** `[pageLo, pageHi, len, offset]` per bvec. */
  readonly words: Uint32Array;
  /** `bi_max_vecs`. */
  readonly capacity: number;
  /** `bi_vcnt`: bvecs in use. */
  count = 0;

  constructor(capacity: number = BIO_MAX_VECS) {
    checkPositive("capacity", capacity, 1 << 24);
    this.capacity = capacity;
    this.words = new Uint32Array(capacity * BVEC_WORDS);
  }

  /** A table holding `vecs` (capacity at least `vecs.length`). Validates every bvec. */
  static from(vecs: readonly BioVec[], capacity?: number): BvecArray {
    if (!Array.isArray(vecs))
      throw new RlistError("EINVAL", `bvecs must be an array, got ${formatValue(vecs)}`);
    capacity ??= Math.max(vecs.length, 1);
    checkPositive("capacity", capacity, 1 << 24);
    for (const v of vecs as readonly BioVec[]) {
      checkObject("bvec", v as unknown);
      checkBioVec(v.page, v.len, v.offset);
    }
    if (capacity < vecs.length) {
      throw new RlistError("EINVAL", `capacity ${capacity} is below the ${vecs.length} bvecs given`);
    }
    const a = new BvecArray(capacity);
    for (const v of vecs) a.pushUnchecked(v.page, v.len, v.offset);
    return a;
  }

  /**
   * PFN of bvec `i`. Like the raw accessors below (`pageBig`, `len`, `offset`, `phys`) it does not
   * check `i` (the walks' hot path, `bvec_iter_page()` and friends): `i` must be below `count`;
   * {@link get} is the checked read.
   */
  page(i: number): number {
    const w = i * BVEC_WORDS;
    return this.words[w + 1]! * U32_SPAN + this.words[w]!;
  }

  /** PFN of bvec `i` as a bigint (unchecked, see {@link page}). */
  pageBig(i: number): bigint {
    const w = i * BVEC_WORDS;
    return (BigInt(this.words[w + 1]!) << 32n) | BigInt(this.words[w]!);
  }

  /** `bv_len` of bvec `i` (unchecked, see {@link page}). */
  len(i: number): number {
    return this.words[i * BVEC_WORDS + 2]!;
  }

  /** `bv_offset` of bvec `i` (unchecked, see {@link page}). */
  offset(i: number): number {
    return this.words[i * BVEC_WORDS + 3]!;
  }

  /** Physical address of bvec `i`'s first byte (unchecked, see {@link page}). */
  phys(i: number): number {
    const w = i * BVEC_WORDS;
    return (this.words[w + 1]! * U32_SPAN + this.words[w]!) * PAGE_SIZE + this.words[w + 3]!;
  }

  /** Bvec `i` as an object (allocates; for tests and the kernel-model API). */
  get(i: number): BioVec {
    this.checkIndex(i);
    return { page: this.page(i), len: this.len(i), offset: this.offset(i) };
  }

  /** All bvecs in use as objects (allocates). */
  toArray(): BioVec[] {
    const out: BioVec[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.get(i));
    return out;
  }

  /** Appends a bvec; `ENOSPC` when the table is full. Validates first, changes nothing on error. */
  push(page: number, len: number, offset: number): void {
    checkBioVec(page, len, offset);
    if (this.count >= this.capacity) {
      throw new RlistError("ENOSPC", `bvec table full (${this.capacity} bvecs)`);
    }
    this.pushUnchecked(page, len, offset);
  }

  /** Appends a bvec already validated by the caller and known to fit (unchecked: {@link push} checks). */
  pushUnchecked(page: number, len: number, offset: number): void {
    const w = this.count * BVEC_WORDS;
    const lo = page >>> 0; // exact page mod 2^32 (no `%`: fmod in V8 above 2^31)
    this.words[w] = lo;
    this.words[w + 1] = (page - lo) / U32_SPAN;
    this.words[w + 2] = len;
    this.words[w + 3] = offset;
    this.count++;
  }

  /** Sets `bv_len` of bvec `i` (used by the merge in `Bio.addPage`; unchecked: the caller validated both). */
  setLen(i: number, len: number): void {
    this.words[i * BVEC_WORDS + 2] = len;
  }

  /**
   * Drops bvecs from the tail down to `count` (used to roll back a partial fill); a `count` at or
   * above the bvecs in use changes nothing. `EINVAL`/`ERANGE` unless `count` is a u32.
   */
  truncate(count: number): void {
    checkU32("count", count);
    if (count < this.count) this.count = count;
  }

  private checkIndex(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.count) {
      throw new RlistError("EFAULT", `bvec index ${String(i)} outside 0..${this.count - 1}`);
    }
  }
}

/** A bvec table from objects, or the table itself. */
export function toBvecArray(vecs: BvecArray | readonly BioVec[]): BvecArray {
  return vecs instanceof BvecArray ? vecs : BvecArray.from(vecs);
}

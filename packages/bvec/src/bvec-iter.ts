/**
 * `struct bvec_iter` and the helpers over it in include/linux/bvec.h (docs/block.md#advancing-an-iterator).
 * Free functions take the bvec table first, like the kernel macros take `bi_io_vec`.
 */
import { RlistError } from "@rlist/encoding";
import { BvecArray } from "./bio-vec.js";
import { checkInstance, checkObject, checkSafe, checkU32 } from "./checks.js";
import { MAX_PHYS, PAGE_SHIFT, PAGE_SIZE, U32_SPAN } from "./constants.js";

/** Initial fields of a {@link BvecIter}; all default to 0. */
export interface BvecIterInit {
  sector?: number;
  size?: number;
  idx?: number;
  bvecDone?: number;
}

/**
 * Like `struct bvec_iter`: a position in a bvec table. `sector` is u64 (stored as two u32 words,
 * exact over the full range through `sectorBig`); `size`, `idx` and `bvecDone` are u32.
 */
export class BvecIter {
  /** `bi_size`: bytes left to iterate. */
  size = 0;
  /** `bi_idx`: index of the current bvec. */
  idx = 0;
  /** `bi_bvec_done`: bytes of the current bvec already consumed. */
  bvecDone = 0;
  private sectorLo = 0;
  private sectorHi = 0;

  constructor(init: BvecIterInit = {}) {
    checkObject("bvec_iter init", init);
    const { sector = 0, size = 0, idx = 0, bvecDone = 0 } = init;
    checkSafe("bi_sector", sector);
    checkU32("bi_size", size);
    checkU32("bi_idx", idx);
    checkU32("bi_bvec_done", bvecDone);
    this.setSector(sector);
    this.size = size;
    this.idx = idx;
    this.bvecDone = bvecDone;
  }

  /** `bi_sector` (512-byte units); `ERANGE` if it no longer fits a `number` exactly. */
  get sector(): number {
    const v = this.sectorHi * U32_SPAN + this.sectorLo;
    if (v > MAX_PHYS) throw new RlistError("ERANGE", "bi_sector is above 2^53-1: read sectorBig");
    return v;
  }

  set sector(v: number) {
    checkSafe("bi_sector", v);
    this.setSector(v);
  }

  /** `bi_sector` over the full u64 range. */
  get sectorBig(): bigint {
    return (BigInt(this.sectorHi) << 32n) | BigInt(this.sectorLo);
  }

  set sectorBig(v: bigint) {
    if (typeof v !== "bigint" || v < 0n || v >= 1n << 64n) {
      throw new RlistError("ERANGE", `bi_sector ${String(v)} does not fit 64 unsigned bits`);
    }
    this.sectorHi = Number(v >> 32n);
    this.sectorLo = Number(v & 0xffff_ffffn);
  }

  /** `bi_sector += n` for a u32 `n`, wrapping at 2^64 like the kernel's u64. */
  addSectors(n: number): void {
    checkU32("sectors", n);
    const lo = this.sectorLo + n;
    if (lo < U32_SPAN) {
      this.sectorLo = lo;
      return;
    }
    // lo < 2^33: the carry is one bit; `>>> 0` is the exact mod 2^32, no `%` (fmod in V8).
    this.sectorLo = lo >>> 0;
    this.sectorHi = (this.sectorHi + 1) >>> 0;
  }

  /** A copy (the kernel copies `bvec_iter` by value). */
  clone(): BvecIter {
    const c = new BvecIter();
    c.copyFrom(this);
    return c;
  }

  /** `*this = *o` without allocating. */
  copyFrom(o: BvecIter): this {
    checkInstance("bvec_iter", o, BvecIter);
    this.size = o.size;
    this.idx = o.idx;
    this.bvecDone = o.bvecDone;
    this.sectorLo = o.sectorLo;
    this.sectorHi = o.sectorHi;
    return this;
  }

  private setSector(v: number): void {
    const lo = v >>> 0;
    this.sectorLo = lo;
    this.sectorHi = (v - lo) / U32_SPAN;
  }
}

/**
 * `vecs` is a bvec table and `it` an iterator whose fields are integers (they are public, so a
 * caller can corrupt them; a NaN size would make an advance loop forever). `EINVAL` otherwise.
 */
function checkIter(vecs: BvecArray, it: BvecIter): void {
  checkInstance("bvec table", vecs, BvecArray);
  checkInstance("bvec_iter", it, BvecIter);
  if (!Number.isInteger(it.size) || !Number.isInteger(it.idx) || !Number.isInteger(it.bvecDone)) {
    throw new RlistError("EINVAL", "the bvec_iter's size, idx or bvecDone is not an integer");
  }
  if (it.size < 0 || it.idx < 0 || it.bvecDone < 0) {
    throw new RlistError("EINVAL", "the bvec_iter's size, idx or bvecDone is negative");
  }
}

function checkCurrent(vecs: BvecArray, it: BvecIter): void {
  checkIter(vecs, it);
  if (it.idx >= vecs.count) {
    throw new RlistError("EFAULT", `bi_idx ${it.idx} is past the ${vecs.count} bvecs of the table`);
  }
}

/** `mp_bvec_iter_page()`: the page the current multi-page bvec starts in (its `bv_page`). */
export function mpBvecIterPage(vecs: BvecArray, it: BvecIter): number {
  checkCurrent(vecs, it);
  return vecs.page(it.idx);
}

/** `mp_bvec_iter_offset()`: `bv_offset + bi_bvec_done`, which may exceed PAGE_SIZE. */
export function mpBvecIterOffset(vecs: BvecArray, it: BvecIter): number {
  checkCurrent(vecs, it);
  return vecs.offset(it.idx) + it.bvecDone;
}

/** `mp_bvec_iter_len()`: the rest of the current multi-page bvec, capped by `bi_size`. */
export function mpBvecIterLen(vecs: BvecArray, it: BvecIter): number {
  checkCurrent(vecs, it);
  return Math.min(it.size, vecs.len(it.idx) - it.bvecDone);
}

/** `bvec_iter_offset()`: the in-page offset of the current position. */
export function bvecIterOffset(vecs: BvecArray, it: BvecIter): number {
  return (mpBvecIterOffset(vecs, it) >>> 0) & (PAGE_SIZE - 1);
}

/** `bvec_iter_len()`: the current single-page segment, clipped at the page end. */
export function bvecIterLen(vecs: BvecArray, it: BvecIter): number {
  return Math.min(mpBvecIterLen(vecs, it), PAGE_SIZE - bvecIterOffset(vecs, it));
}

/** `bvec_iter_page()`: `bv_page + mp_offset / PAGE_SIZE`, the page the position is in. */
export function bvecIterPage(vecs: BvecArray, it: BvecIter): number {
  return mpBvecIterPage(vecs, it) + Math.floor(mpBvecIterOffset(vecs, it) / 2 ** PAGE_SHIFT);
}

/**
 * Like `bvec_iter_advance()`: moves `bytes` forward. Landing exactly on a bvec end moves to the
 * next bvec with `bvecDone = 0`; zero-length bvecs are stepped over only while bytes remain.
 *
 * Past the end (`bytes > size`) the kernel warns once, sets `bi_size = 0` and returns false. We
 * return false too (the flag the caller sees), and clamp by advancing exactly `size` bytes, so
 * `idx`/`bvecDone` describe the end instead of the stale position the kernel leaves behind.
 * Throws `EFAULT` (iterator unchanged) if `size` claims more bytes than the table holds.
 */
export function bvecIterAdvance(vecs: BvecArray, it: BvecIter, bytes: number): boolean {
  checkIter(vecs, it);
  checkU32("bytes", bytes);
  const fits = bytes <= it.size;
  const step = fits ? bytes : it.size;
  let idx = it.idx;
  let b = step + it.bvecDone;
  while (b !== 0) {
    if (idx >= vecs.count) {
      throw new RlistError("EFAULT", `bi_size runs past the ${vecs.count} bvecs of the table`);
    }
    const len = vecs.len(idx);
    if (b < len) break;
    b -= len;
    idx++;
  }
  it.size -= step;
  it.idx = idx;
  it.bvecDone = b;
  return fits;
}

/**
 * Like `bvecIterAdvance` but strict: `ERANGE` and the iterator unchanged when `bytes > size`.
 */
export function bvecIterAdvanceExact(vecs: BvecArray, it: BvecIter, bytes: number): void {
  checkIter(vecs, it);
  checkU32("bytes", bytes);
  if (bytes > it.size) {
    throw new RlistError("ERANGE", `cannot advance ${bytes} bytes: only ${it.size} left`);
  }
  bvecIterAdvance(vecs, it, bytes);
}

/**
 * Like `bvec_iter_advance_single()`: the fast step within the current bvec. `bytes` must not
 * exceed `mpBvecIterLen` (`ERANGE`, iterator unchanged, where the kernel would corrupt it).
 */
export function bvecIterAdvanceSingle(vecs: BvecArray, it: BvecIter, bytes: number): void {
  const room = mpBvecIterLen(vecs, it);
  if (!Number.isInteger(bytes) || bytes < 0 || bytes > room) {
    throw new RlistError(
      "ERANGE",
      `advance_single by ${String(bytes)} but the current bvec has ${room} left`,
    );
  }
  const done = it.bvecDone + bytes;
  if (done === vecs.len(it.idx)) {
    it.bvecDone = 0;
    it.idx++;
  } else {
    it.bvecDone = done;
  }
  it.size -= bytes;
}

/**
 * Splitting a bio to queue limits: `bio_split_rw_at()`, `get_max_io_size()` and `bio_split()`
 * (block/blk-merge.c and block/bio.c, v6.12-6.14 semantics, with `chunk_sectors` and REQ_NOWAIT;
 * docs/block.md#splitting-a-bio).
 */
import { lowBits, RlistError } from "@rlist/encoding";
import { Bio } from "./bio.js";
import { BvecIter, bvecIterAdvanceSingle } from "./bvec-iter.js";
import { checkInstance, checkPositive, checkSafe, checkU32 } from "./checks.js";
import { PAGE_SIZE, SECTOR_SHIFT, SECTOR_SIZE, U32_MAX } from "./constants.js";
import { gapToPrev, type QueueLimits, queueLimits, SPLIT_FAST_PATH_SIZE, segmentBytes } from "./limits.js";
import { opHasData } from "./ops.js";

/** What `bio_split_rw_at()` found. */
export interface SplitPoint {
  /** Sectors of the front part to split off; 0 when the whole bio fits the limits. */
  sectors: number;
  /** Physical segments counted up to the split point (or in the whole bio). */
  segments: number;
}

/** `sector mod n` for n in 1..2^32, exact over the whole u64 sector range (bigint form). */
function sectorRemainder(sector: number | bigint, n: number): number {
  if (typeof sector === "bigint") {
    if (sector < 0n || sector > 0xffff_ffff_ffff_ffffn) {
      throw new RlistError("ERANGE", `sector ${String(sector)} does not fit 64 unsigned bits`);
    }
    return Number(sector % BigInt(n));
  }
  checkSafe("sector", sector);
  // A power of two (every physical block size, most chunk sizes) takes the integer path; any
  // other chunk size divides, as the kernel does then.
  return (n & (n - 1)) === 0 ? lowBits(sector, n) : sector % n;
}

/**
 * Like `blk_boundary_sectors_left()` (formerly `blk_chunk_sectors_left()`): sectors from `sector`
 * to the next multiple of `chunkSectors`, which need not be a power of two (the kernel divides then).
 */
export function chunkSectorsLeft(sector: number | bigint, chunkSectors: number): number {
  checkPositive("chunkSectors", chunkSectors, U32_MAX);
  return chunkSectors - sectorRemainder(sector, chunkSectors);
}

/**
 * Like `get_max_io_size()` for READ/WRITE: the most sectors a bio starting at `sector` may carry:
 * `maxSectors`, cut at the next `chunkSectors` boundary, then trimmed so the next bio starts on a
 * physical-block boundary when that is possible (else whole logical blocks). `sector` may be a
 * bigint for the full u64 range.
 */
export function getMaxIoSize(sector: number | bigint, lim: QueueLimits): number {
  return maxIoSectors(sector, queueLimits(lim));
}

function maxIoSectors(sector: number | bigint, lim: QueueLimits): number {
  const pbs = lim.physicalBlockSize >>> SECTOR_SHIFT;
  const lbs = lim.logicalBlockSize >>> SECTOR_SHIFT;
  let maxSectors = lim.maxSectors;
  if (lim.chunkSectors !== 0) maxSectors = Math.min(maxSectors, chunkSectorsLeft(sector, lim.chunkSectors));
  const start = sectorRemainder(sector, pbs);
  const end = start + maxSectors - lowBits(start + maxSectors, pbs);
  if (end > start) return end - start;
  return maxSectors - lowBits(maxSectors, lbs);
}

/**
 * Like `bvec_split_segs()`: counts the segments of `len` bytes at (phys, offset) within the
 * caps, returning the bytes taken; `state.segments` is updated.
 */
function splitSegs(
  lim: QueueLimits,
  phys: number,
  offset: number,
  bvLen: number,
  state: { segments: number; bytes: number; split: boolean },
  maxBytes: number,
): void {
  const maxLen = Math.min(maxBytes, U32_MAX) - state.bytes;
  let len = Math.min(bvLen, maxLen);
  let total = 0;
  while (len > 0 && state.segments < lim.maxSegments) {
    const seg = segmentBytes(lim, phys + total, len);
    state.segments++;
    total += seg;
    len -= seg;
    if (lim.virtBoundaryMask !== 0 && lowBits(offset + total, lim.virtBoundaryMask + 1) !== 0) break;
  }
  state.bytes += total;
  state.split = len > 0 || bvLen > maxLen;
}

/**
 * Like `bio_split_rw_at()`: walks the bio's multi-page bvecs from its iterator and returns where
 * it must be split to respect `lim` and `maxBytes`: at a virt-boundary gap, when `maxSegments` or
 * `maxBytes` runs out, or inside a bvec that needs more segments than are left. The split point
 * is aligned down to the logical block size. When a split is needed: `EINVAL` for an atomic bio
 * (REQ_ATOMIC), `EAGAIN` for a REQ_NOWAIT bio (the submitter retries without it), `EINVAL` when
 * the aligned split point is 0 (the limits cannot be met without splitting a block).
 */
export function bioSplitRwAt(bio: Bio, lim: QueueLimits, maxBytes: number): SplitPoint {
  checkInstance("bio", bio, Bio);
  checkU32("maxBytes", maxBytes);
  return splitPoint(bio, queueLimits(lim), maxBytes);
}

function splitPoint(bio: Bio, lim: QueueLimits, maxBytes: number): SplitPoint {
  const v = bio.vecs;
  const it = new BvecIter().copyFrom(bio.iter);
  const state = { segments: 0, bytes: 0, split: false };
  let havePrev = false;
  let prevOffset = 0;
  let prevLen = 0;
  let split = false;
  while (it.size > 0) {
    const i = it.idx;
    if (i >= v.count) throw new RlistError("EFAULT", `bi_size runs past the ${v.count} bvecs of the table`);
    const offset = v.offset(i) + it.bvecDone;
    const len = Math.min(it.size, v.len(i) - it.bvecDone);
    if (havePrev && gapToPrev(lim.virtBoundaryMask, prevOffset, prevLen, offset)) {
      split = true;
      break;
    }
    if (
      state.segments < lim.maxSegments &&
      state.bytes + len <= maxBytes &&
      offset + len <= SPLIT_FAST_PATH_SIZE
    ) {
      state.segments++;
      state.bytes += len;
    } else {
      splitSegs(lim, v.page(i) * PAGE_SIZE + offset, offset, len, state, maxBytes);
      if (state.split) {
        split = true;
        break;
      }
    }
    havePrev = true;
    prevOffset = offset;
    prevLen = len;
    bvecIterAdvanceSingle(v, it, len);
  }
  if (!split) return { sectors: 0, segments: state.segments };
  if (bio.atomic) throw new RlistError("EINVAL", "an atomic bio (REQ_ATOMIC) exceeds the queue limits");
  if (bio.nowait) throw new RlistError("EAGAIN", "a REQ_NOWAIT bio would have to be split");
  const bytes = state.bytes - lowBits(state.bytes, lim.logicalBlockSize);
  if (bytes === 0) {
    throw new RlistError(
      "EINVAL",
      `the first ${state.bytes} bytes meeting the limits hold no whole ${lim.logicalBlockSize}-byte block`,
    );
  }
  return { sectors: bytes >>> SECTOR_SHIFT, segments: state.segments };
}

/**
 * Like `bio_split()`: detaches the first `sectors` sectors as a new bio sharing the bvec table,
 * advancing `bio` past them. `EINVAL` unless 0 < sectors < bio_sectors, or for an atomic bio.
 */
export function bioSplit(bio: Bio, sectors: number): Bio {
  checkInstance("bio", bio, Bio);
  if (!Number.isInteger(sectors) || sectors <= 0 || sectors >= bio.sectors) {
    throw new RlistError("EINVAL", `cannot split ${String(sectors)} sectors off a ${bio.sectors}-sector bio`);
  }
  if (bio.atomic) throw new RlistError("EINVAL", "an atomic bio (REQ_ATOMIC) cannot be split");
  const front = bio.clone();
  front.iter.size = sectors * SECTOR_SIZE;
  bio.advance(sectors * SECTOR_SIZE);
  return front;
}

/**
 * Like `bio_split_to_limits()` for READ/WRITE: if `bio` breaks `lim`, splits off and returns the
 * largest front part that meets them (sector-exact, logical-block aligned, sharing the bvec
 * table) and leaves the rest in `bio`; returns null when `bio` already fits.
 * `EOPNOTSUPP` for no-data ops (the kernel splits those by other rules).
 */
export function splitBio(bio: Bio, lim: QueueLimits): Bio | null {
  checkInstance("bio", bio, Bio);
  return splitOnce(bio, queueLimits(lim));
}

function splitOnce(bio: Bio, lim: QueueLimits): Bio | null {
  if (!opHasData(bio.op)) throw new RlistError("EOPNOTSUPP", `splitting ${bio.op} bios is not modelled`);
  const maxBytes = maxIoSectors(bio.iter.sectorBig, lim) * SECTOR_SIZE;
  const { sectors } = splitPoint(bio, lim, Math.min(maxBytes, U32_MAX));
  if (sectors === 0) return null;
  return bioSplit(bio, sectors);
}

/**
 * Splits `bio` until every part meets `lim`: returns the parts in order, `bio` (the rest) last.
 * All or nothing: if a later split fails, `bio` is restored and the error rethrown.
 */
export function splitToLimits(bio: Bio, lim: QueueLimits): Bio[] {
  checkInstance("bio", bio, Bio);
  const limits = queueLimits(lim);
  const saved = new BvecIter().copyFrom(bio.iter);
  const parts: Bio[] = [];
  try {
    for (let front = splitOnce(bio, limits); front !== null; front = splitOnce(bio, limits))
      parts.push(front);
  } catch (e) {
    bio.iter.copyFrom(saved);
    throw e;
  }
  parts.push(bio);
  return parts;
}

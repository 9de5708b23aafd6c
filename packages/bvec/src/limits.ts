/**
 * Block queue limits (`struct queue_limits`, the fields splitting uses) and the merge predicates
 * of block/blk.h and block/blk-merge.c that read them (defaults and checks of block/blk-settings.c;
 * docs/block.md#merge-rules, #queue-limits).
 */
import { isPowerOfTwo, lowBits, RlistError } from "@rlist/encoding";
import { checkMask, checkObject, checkPositive, checkSafe, checkU32, windowEnd } from "./checks.js";
import {
  BLK_MAX_SEGMENT_SIZE,
  BLK_MAX_SEGMENTS,
  BLK_MIN_SEGMENT_SIZE,
  BLK_SAFE_MAX_SECTORS,
  BLK_SEG_BOUNDARY_MASK,
  PAGE_SIZE,
  SECTOR_SIZE,
  U32_MAX,
} from "./constants.js";

/** The queue limits that shape bios. Masks are 2^k - 1; sizes in bytes unless named sectors. */
export interface QueueLimits {
  /** `max_segments`: physical segments per request. */
  readonly maxSegments: number;
  /** `max_segment_size`: bytes per segment (UINT_MAX when a virt boundary is set). */
  readonly maxSegmentSize: number;
  /** `seg_boundary_mask`: no segment may cross a (mask + 1) boundary. */
  readonly segBoundaryMask: number;
  /** `virt_boundary_mask`: 0, or gaps between bvecs must sit on (mask + 1) boundaries (NVMe PRP). */
  readonly virtBoundaryMask: number;
  /** `logical_block_size`: splits never land inside one. */
  readonly logicalBlockSize: number;
  /** `physical_block_size`: `get_max_io_size()` aligns split points to it. */
  readonly physicalBlockSize: number;
  /** `max_sectors`: the largest I/O in 512-byte sectors. */
  readonly maxSectors: number;
  /**
   * `chunk_sectors`: 0, or no I/O may cross a multiple of this many sectors (RAID stripe, zone,
   * NVMe NOIOB); any u32, a power of two or not, as `blk_boundary_sectors_left()` allows.
   */
  readonly chunkSectors: number;
}

/** Limits as a caller gives them: anything left out takes the kernel default. */
export type QueueLimitsInit = Partial<QueueLimits>;

/**
 * Fills defaults and validates like `blk_validate_limits()`:
 * - defaults: BLK_MAX_SEGMENTS, BLK_MAX_SEGMENT_SIZE, BLK_SEG_BOUNDARY_MASK, no virt boundary,
 *   512-byte blocks, physical = logical block size, BLK_SAFE_MAX_SECTORS;
 * - a virt boundary forces `maxSegmentSize` to UINT_MAX (any other explicit value is `EINVAL`);
 * - `maxSegmentSize` >= BLK_MIN_SEGMENT_SIZE, `segBoundaryMask` >= BLK_MIN_SEGMENT_SIZE - 1;
 * - block sizes are powers of two, 512 <= logical <= physical, and `maxSectors` holds one block;
 * - `chunkSectors` is a u32 (0: no chunk boundary).
 */
export function queueLimits(init: QueueLimitsInit = {}): QueueLimits {
  checkObject("queue limits", init);
  const virtBoundaryMask = init.virtBoundaryMask ?? 0;
  checkMask("virtBoundaryMask", virtBoundaryMask);
  if (virtBoundaryMask !== 0 && init.maxSegmentSize !== undefined && init.maxSegmentSize !== U32_MAX) {
    throw new RlistError(
      "EINVAL",
      "a virt boundary requires maxSegmentSize UINT_MAX (as blk_validate_limits)",
    );
  }
  const maxSegmentSize = virtBoundaryMask !== 0 ? U32_MAX : (init.maxSegmentSize ?? BLK_MAX_SEGMENT_SIZE);
  checkPositive("maxSegmentSize", maxSegmentSize, U32_MAX);
  if (maxSegmentSize < BLK_MIN_SEGMENT_SIZE) {
    throw new RlistError("EINVAL", `maxSegmentSize ${maxSegmentSize} is below BLK_MIN_SEGMENT_SIZE`);
  }
  const segBoundaryMask = init.segBoundaryMask ?? BLK_SEG_BOUNDARY_MASK;
  checkMask("segBoundaryMask", segBoundaryMask);
  if (segBoundaryMask < BLK_MIN_SEGMENT_SIZE - 1) {
    throw new RlistError("EINVAL", `segBoundaryMask ${segBoundaryMask} is below BLK_MIN_SEGMENT_SIZE - 1`);
  }
  const maxSegments = init.maxSegments ?? BLK_MAX_SEGMENTS;
  checkPositive("maxSegments", maxSegments, 0xffff);
  const logicalBlockSize = init.logicalBlockSize ?? SECTOR_SIZE;
  const physicalBlockSize = init.physicalBlockSize ?? logicalBlockSize;
  for (const [name, v] of [
    ["logicalBlockSize", logicalBlockSize],
    ["physicalBlockSize", physicalBlockSize],
  ] as const) {
    if (!isPowerOfTwo(v) || v < SECTOR_SIZE || v > 1 << 30) {
      throw new RlistError("EINVAL", `${name} ${String(v)} is not a power of two in 512..2^30`);
    }
  }
  if (physicalBlockSize < logicalBlockSize) {
    throw new RlistError("EINVAL", "physicalBlockSize is below logicalBlockSize");
  }
  const maxSectors = init.maxSectors ?? BLK_SAFE_MAX_SECTORS;
  checkPositive("maxSectors", maxSectors, U32_MAX >>> 9);
  if (maxSectors * SECTOR_SIZE < logicalBlockSize) {
    throw new RlistError("EINVAL", `maxSectors ${maxSectors} holds no logical block`);
  }
  const chunkSectors = init.chunkSectors ?? 0;
  if (!Number.isInteger(chunkSectors) || chunkSectors < 0 || chunkSectors > U32_MAX) {
    throw new RlistError("EINVAL", `chunkSectors ${String(chunkSectors)} is not an integer in 0..${U32_MAX}`);
  }
  return {
    maxSegments,
    maxSegmentSize,
    segBoundaryMask,
    virtBoundaryMask,
    logicalBlockSize,
    physicalBlockSize,
    maxSectors,
    chunkSectors,
  };
}

/**
 * Like `get_max_segment_size()`: how many of `len` bytes at `paddr` fit one segment, i.e. up to the
 * segment boundary and at most `maxSegmentSize`.
 */
export function getMaxSegmentSize(lim: QueueLimits, paddr: number, len: number): number {
  const l = queueLimits(lim);
  checkSafe("paddr", paddr);
  checkU32("len", len);
  return segmentBytes(l, paddr, len);
}

/** @internal {@link getMaxSegmentSize} for limits `queueLimits()` made and checked numbers. */
export function segmentBytes(lim: QueueLimits, paddr: number, len: number): number {
  const toBoundary = lim.segBoundaryMask - lowBits(paddr, lim.segBoundaryMask + 1);
  return Math.min(len, Math.min(toBoundary, lim.maxSegmentSize - 1) + 1);
}

/**
 * Like `biovec_phys_mergeable()`: the range at `phys1` (`len1` bytes) is followed directly by the
 * one at `phys2` and both lie in one segment-boundary window.
 */
export function biovecPhysMergeable(
  lim: Pick<QueueLimits, "segBoundaryMask">,
  phys1: number,
  len1: number,
  phys2: number,
  len2: number,
): boolean {
  checkObject("queue limits", lim);
  checkMask("segBoundaryMask", lim.segBoundaryMask);
  checkSafe("phys1", phys1);
  checkU32("len1", len1);
  checkSafe("phys2", phys2);
  checkU32("len2", len2);
  return physMergeable(lim.segBoundaryMask, phys1, len1, phys2, len2);
}

/** @internal {@link biovecPhysMergeable} for a checked mask and numbers (the add-page hot path). */
export function physMergeable(
  mask: number,
  phys1: number,
  len1: number,
  phys2: number,
  len2: number,
): boolean {
  if (phys1 + len1 !== phys2) return false;
  return windowEnd(phys1, mask) === windowEnd(phys2 + len2 - 1, mask);
}

/**
 * Like `bvec_gap_to_prev()`: with a virt boundary, a bvec starting at in-page offset `nextOffset`
 * cannot follow one ending at `prevOffset + prevLen` unless both sit on the boundary.
 */
export function bvecGapToPrev(
  lim: Pick<QueueLimits, "virtBoundaryMask">,
  prevOffset: number,
  prevLen: number,
  nextOffset: number,
): boolean {
  checkObject("queue limits", lim);
  checkMask("virtBoundaryMask", lim.virtBoundaryMask);
  checkU32("prevOffset", prevOffset);
  checkU32("prevLen", prevLen);
  checkU32("nextOffset", nextOffset);
  return gapToPrev(lim.virtBoundaryMask, prevOffset, prevLen, nextOffset);
}

/** @internal {@link bvecGapToPrev} for a checked mask and numbers. */
export function gapToPrev(vbm: number, prevOffset: number, prevLen: number, nextOffset: number): boolean {
  if (vbm === 0) return false;
  return lowBits(nextOffset, vbm + 1) !== 0 || lowBits(prevOffset + prevLen, vbm + 1) !== 0;
}

/** PAGE_SIZE as the split fast path uses it (newer kernels: BLK_MIN_SEGMENT_SIZE, same value). */
export const SPLIT_FAST_PATH_SIZE = PAGE_SIZE;

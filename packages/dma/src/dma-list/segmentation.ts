/**
 * DMA segmentation limits and the pure algorithms on them: the per-segment split rule, segment
 * counting and the `segmentation_ok` test of the 2023 prototype (docs/prototype.md#segmentation),
 * INTENDED versions.
 *
 * Differences from the kernel: masks and sizes are `number`s, so the kernel's ULONG_MAX ("no
 * boundary", "no size limit") is spelled {@link NO_SEGMENT_BOUNDARY} / {@link NO_MAX_SEGMENT_SIZE}
 * (2^53 - 1). They are special-cased, never used arithmetically, so there is no divide-by-zero
 * (prototype bug 16, docs/prototype.md#bugs-we-fixed) and they also hold for addresses above 2^53.
 */
import { alignDown, checkU53, lowBits, MAX_SAFE, RlistError } from "@rlist/encoding";
import { checkObject } from "../args.js";
import { isLowMask } from "../util/bits.js";

/** Like `struct rlist_dma_segmentation` / `device_dma_parameters`. */
export interface Segmentation {
  /** Like dma_set_min_align_mask(): `phys & mask` must equal `dma & mask`. */
  readonly minAlignMask: number;
  /** Like dma_set_seg_boundary(): a segment never crosses a multiple of `mask + 1`. */
  readonly segmentBoundaryMask: number;
  /** Like dma_set_max_seg_size(). */
  readonly maxSegmentSize: number;
  /**
   * Bitmap of hardware block ("page list") sizes, e.g. `SZ_4K | SZ_2M`. Non-zero selects a block
   * list instead of scatter/gather (then the fields above do not apply to block iteration).
   */
  readonly blockSizes?: number;
  /** The hardware VA that must pass through into the DMA address modulo the block size. */
  readonly blockHwva?: number;
}

/** The kernel's ULONG_MAX segment boundary: no boundary at all. */
export const NO_SEGMENT_BOUNDARY = MAX_SAFE;
/** The kernel's ULONG_MAX / UINT_MAX max segment size: no size limit. */
export const NO_MAX_SEGMENT_SIZE = MAX_SAFE;

/** Like `rlist_no_segmentation`: no alignment, no boundary, no size limit. */
export const noSegmentation: Segmentation = Object.freeze({
  minAlignMask: 0,
  segmentBoundaryMask: NO_SEGMENT_BOUNDARY,
  maxSegmentSize: NO_MAX_SEGMENT_SIZE,
});

/** PCI defaults of `dma_get_seg_boundary()` / `dma_get_max_seg_size()`: 4 GiB boundary, 64 KiB. */
export const pciDefaultSegmentation: Segmentation = Object.freeze({
  minAlignMask: 0,
  segmentBoundaryMask: 0xffff_ffff,
  maxSegmentSize: 0x1_0000,
});

/** Throws `ERANGE` / `EINVAL` unless `seg` is well-formed. */
export function validateSegmentation(seg: Segmentation): void {
  checkObject("segmentation", seg);
  checkU53("minAlignMask", seg.minAlignMask);
  checkU53("segmentBoundaryMask", seg.segmentBoundaryMask);
  checkU53("maxSegmentSize", seg.maxSegmentSize);
  if (!isLowMask(seg.minAlignMask)) {
    throw new RlistError("EINVAL", `minAlignMask ${seg.minAlignMask} is not 2^k - 1`);
  }
  if (seg.segmentBoundaryMask === 0 || !isLowMask(seg.segmentBoundaryMask)) {
    throw new RlistError("EINVAL", `segmentBoundaryMask ${seg.segmentBoundaryMask} is not 2^k - 1 (k >= 1)`);
  }
  if (seg.maxSegmentSize < 1) throw new RlistError("EINVAL", "maxSegmentSize must be >= 1");
  if (seg.blockSizes !== undefined) {
    checkU53("blockSizes", seg.blockSizes);
  }
  if (seg.blockHwva !== undefined) checkU53("blockHwva", seg.blockHwva);
}

/**
 * Like get_max_segment_size(): bytes of the segment starting at `addr`, at most `remaining`,
 * cut at the next `mask + 1` boundary and at `maxSeg`. Arguments are checked (`ERANGE` / `EINVAL`).
 */
export function segmentLength(addr: number, remaining: number, mask: number, maxSeg: number): number {
  checkU53("addr", addr);
  checkU53("remaining", remaining);
  checkLimits(mask, maxSeg);
  return cutSegment(addr, remaining, mask, maxSeg);
}

/** @internal {@link segmentLength} without the checks (the segment cursor's per-segment step). */
export function cutSegment(addr: number, remaining: number, mask: number, maxSeg: number): number {
  let len = Math.min(remaining, maxSeg);
  if (mask !== NO_SEGMENT_BOUNDARY) {
    const toBoundary = mask + 1 - lowBits(addr, mask + 1);
    if (toBoundary < len) len = toBoundary;
  }
  return len;
}

function ceilDiv(a: number, b: number): number {
  return Math.ceil(a / b);
}

/**
 * Like rlist_dma_num_segments(), INTENDED: split [start, start + length) at every multiple of
 * `mask + 1` and sum ceil(piece / maxSeg). Length 0 gives 0 segments. Arguments are checked.
 */
export function numSegmentsRange(start: number, length: number, mask: number, maxSeg: number): number {
  checkU53("start", start);
  checkU53("length", length);
  checkLimits(mask, maxSeg);
  return segmentsInRange(start, length, mask, maxSeg);
}

function segmentsInRange(start: number, length: number, mask: number, maxSeg: number): number {
  if (length === 0) return 0;
  if (mask === NO_SEGMENT_BOUNDARY) return maxSeg === NO_MAX_SEGMENT_SIZE ? 1 : ceilDiv(length, maxSeg);
  const window = mask + 1;
  const first = window - lowBits(start, window);
  if (length <= first) return ceilDiv(length, maxSeg);
  const rest = length - first;
  const fullWindows = Math.floor(rest / window);
  const last = rest - fullWindows * window;
  return (
    ceilDiv(first, maxSeg) + fullWindows * ceilDiv(window, maxSeg) + (last === 0 ? 0 : ceilDiv(last, maxSeg))
  );
}

/** Segments of one range under `seg` (boundary mask and max size). Arguments are checked. */
export function numSegmentsFor(seg: Segmentation, start: number, length: number): number {
  validateSegmentation(seg);
  checkU53("start", start);
  checkU53("length", length);
  return segmentsFor(seg, start, length);
}

/** @internal {@link numSegmentsFor} for a validated `seg` and numbers (the layout's hot path). */
export function segmentsFor(seg: Segmentation, start: number, length: number): number {
  return segmentsInRange(start, length, seg.segmentBoundaryMask, seg.maxSegmentSize);
}

/** True when [start, start + length) lies inside one `mask + 1` window. Arguments are checked. */
export function withinBoundary(start: number, length: number, mask: number): boolean {
  checkU53("start", start);
  checkU53("length", length);
  checkLimits(mask, 1);
  return inOneWindow(start, length, mask);
}

function inOneWindow(start: number, length: number, mask: number): boolean {
  if (mask === NO_SEGMENT_BOUNDARY || length === 0) return true;
  const window = mask + 1;
  return alignDown(start, window) === alignDown(start + length - 1, window);
}

/**
 * Like rlist_segmentation_ok(), INTENDED: the DMA address keeps the `minAlignMask` bits of the
 * physical address, and mapping did not add segments (CPU segments >= DMA segments).
 */
export function segmentationOk(seg: Segmentation, phys: number, dma: number, length: number): boolean {
  validateSegmentation(seg);
  checkU53("phys", phys);
  checkU53("dma", dma);
  checkU53("length", length);
  if (seg.minAlignMask !== 0) {
    const a = seg.minAlignMask + 1;
    if (lowBits(phys, a) !== lowBits(dma, a)) return false;
  }
  if (inOneWindow(dma, length, seg.segmentBoundaryMask)) return true;
  return segmentsFor(seg, phys, length) >= segmentsFor(seg, dma, length);
}

/** A boundary mask `2^k - 1` (k >= 1) and a max segment size >= 1, or `EINVAL` / `ERANGE`. */
function checkLimits(mask: number, maxSeg: number): void {
  checkU53("segment boundary mask", mask);
  checkU53("max segment size", maxSeg);
  if (mask === 0 || !isLowMask(mask)) {
    throw new RlistError("EINVAL", `segment boundary mask ${mask} is not 2^k - 1 (k >= 1)`);
  }
  if (maxSeg < 1) throw new RlistError("EINVAL", "max segment size must be >= 1");
}

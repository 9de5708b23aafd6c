/**
 * IOVA layout of a CPU list inside one IOVA window: the prototype's `rsiova_*` helpers
 * (docs/prototype.md#iova-layout-rsiova), INTENDED versions. A layout is computed before the IOVA exists; every
 * position here is relative to the window start, which the IOVA allocator aligns to at least
 * {@link rsiovaAlignment}.
 *
 * Per entry (`place`): keep the entry's offset inside its granule (IOMMUs map whole granules, so
 * `iova ≡ phys (mod granule)`), and if that makes the entry need more segments than its CPU range
 * does (it now crosses a `segmentBoundaryMask + 1` boundary), move it to the next boundary. Each
 * entry then takes whole granules, so `cur` stays granule aligned (the prototype's fill_iova_map
 * drift, bug 17 in docs/prototype.md#bugs-we-fixed, is gone).
 */
import {
  alignDown,
  alignUp,
  checkU53,
  formatValue,
  isPowerOfTwo,
  lowBits,
  RlistError,
} from "@rlist/encoding";
import { checkObject, checkWritableFields } from "../args.js";
import {
  NO_SEGMENT_BOUNDARY,
  type Segmentation,
  segmentsFor,
  validateSegmentation,
} from "../dma-list/segmentation.js";
import { isLowMask, roundupPow2 } from "../util/bits.js";

/** `EINVAL` unless `granule` is a power of two (an IOVA granule). */
function checkGranule(granule: number): void {
  if (!isPowerOfTwo(granule)) {
    throw new RlistError("EINVAL", `the IOVA granule must be a power of two, got ${formatValue(granule)}`);
  }
}

/** One IOMMU mapping: granule-aligned IOVA, phys and length. */
export interface IovaMapStep {
  iova: number;
  phys: number;
  length: number;
}

/**
 * Like rsiova_alignment(): the alignment the IOVA window needs so that boundary reasoning on
 * window-relative positions holds: the granule without a boundary mask, else
 * min(max(granule, roundup_pow_of_two(length)), mask + 1).
 */
export function rsiovaAlignment(granule: number, boundaryMask: number, length: number): number {
  checkGranule(granule);
  if (boundaryMask !== NO_SEGMENT_BOUNDARY && !isLowMask(boundaryMask)) {
    throw new RlistError("EINVAL", `boundary mask ${formatValue(boundaryMask)} is not 2^n - 1`);
  }
  checkU53("length", length);
  if (boundaryMask === NO_SEGMENT_BOUNDARY) return granule;
  return Math.min(Math.max(granule, length === 0 ? 1 : roundupPow2(length)), boundaryMask + 1);
}

/**
 * Like the rsiova_init() check: IOMMUs keep `iova ≡ phys (mod granule)`, which implies the
 * min_align_mask rule only when `minAlignMask < granule`. `EINVAL` otherwise.
 */
export function checkMinAlignForIommu(granule: number, minAlignMask: number): void {
  checkGranule(granule);
  checkU53("minAlignMask", minAlignMask);
  if (minAlignMask >= granule) {
    throw new RlistError(
      "EINVAL",
      `min_align_mask 0x${minAlignMask.toString(16)} needs more than the IOMMU granule ${granule} guarantees`,
    );
  }
}

/**
 * Like fill_iova_map(), INTENDED: the granule-aligned mapping for an entry placed at `start`
 * (already carrying the phys in-granule offset). Writes it to `out` and returns the next
 * granule-aligned position (`out.iova + out.length`).
 */
export function fillIovaMap(
  start: number,
  phys: number,
  length: number,
  granule: number,
  out: IovaMapStep,
): number {
  checkU53("start", start);
  checkU53("phys", phys);
  checkU53("length", length);
  checkGranule(granule);
  checkObject("fill_iova_map output", out);
  checkWritableFields("fill_iova_map output", out, MAP_STEP_FIELDS);
  const off = lowBits(phys, granule);
  const iova = start - off;
  const mapLength = alignUp(length + off, granule);
  out.iova = iova;
  out.phys = phys - off;
  out.length = mapLength;
  return iova + mapLength;
}

const MAP_STEP_FIELDS: readonly string[] = ["iova", "phys", "length"];

/** Accumulates the layout of one window, entry by entry (`pad_iova` + `fill_iova_map`). */
export class IovaLayout {
  /** Next free granule-aligned position in the window. */
  cur = 0;
  /** Entries moved to a boundary by the padding rule. */
  padded = 0;
  private readonly window: number;

  constructor(
    private readonly seg: Segmentation,
    readonly granule: number,
  ) {
    validateSegmentation(seg);
    checkGranule(granule);
    this.window = seg.segmentBoundaryMask === NO_SEGMENT_BOUNDARY ? 0 : seg.segmentBoundaryMask + 1;
  }

  /**
   * Places an entry of `length` bytes at CPU `phys`; returns its window-relative DMA position.
   * `ERANGE` for a `phys` or `length` that is not a safe non-negative integer or a window that would
   * grow past 2^53 - 1, `EINVAL` for a non-number; the layout is unchanged then.
   */
  place(phys: number, length: number): number {
    checkU53("phys", phys);
    checkU53("length", length);
    const g = this.granule;
    const off = lowBits(phys, g);
    let start = this.cur + off;
    let padded = false;
    const B = this.window;
    if (B > g && length !== 0) {
      const cpuSegs = segmentsFor(this.seg, phys, length);
      if (segmentsFor(this.seg, start, length) > cpuSegs) {
        // The prototype's rule: restart at the next boundary with the same in-granule offset.
        start = alignUp(this.cur, B) + off;
        // Still worse (a max segment size that the new offset splits differently): mirror the
        // CPU range's offset inside the boundary window, which gives the very same segments.
        if (segmentsFor(this.seg, start, length) > cpuSegs) start = alignUp(this.cur, B) + lowBits(phys, B);
        padded = true;
      }
    }
    const next = alignDown(start, g) + alignUp(length + off, g);
    checkU53("IOVA window end", next);
    this.cur = next;
    if (padded) this.padded++;
    return start;
  }

  /** Total IOVA bytes the window needs (like rsiova_length()). */
  get length(): number {
    return this.cur;
  }
}

/**
 * Whole-list walks of a DMA list as WebAssembly kernels (assembly/dma.ts): segment counting
 * (`DmaRangeList#numSegments`, like rlist_dma_num_segments() summed over the list) and the block
 * size search (`DmaRangeList#findBestBlockSize`, like rlist_dma_find_best_blocksz() /
 * ib_umem_find_best_pgsz()), in the `number` API and exactly over the full 64-bit range in the
 * `bigint` one (`numSegmentsBig`, `findBestBlockSizeBig`).
 *
 * The kernels walk the list's chunk words: a stored list's own chunks, or, for an identity view
 * of a `CpuRangeList` (dma-direct), the CPU list's chunks and pending last entry (address = phys +
 * direct offset). Lists below {@link kernelMinEntries} and views of other sources
 * walk a cursor instead: the plain TypeScript references below (cursor-based for `number`, like
 * before; bigint walks of the RangeList cursor for the bigint API), which the property tests
 * prove equal to the kernels.
 */
import { checkU53, lo32, MAX_SAFE, RlistError } from "@rlist/encoding";
import { RangeList } from "@rlist/list";
import { CpuRangeList } from "../cpu/cpu-range-list.js";
import {
  allowedSizeBig,
  findBestBlockSize,
  findBestBlockSizeU64,
  keepFromBit,
  keepUpToBit,
  vaSpanBits,
  vaSpanBitsBig,
} from "../dma-list/blocks.js";
import type { DmaRangeList } from "../dma-list/dma-range-list.js";
import {
  NO_MAX_SEGMENT_SIZE,
  NO_SEGMENT_BOUNDARY,
  type Segmentation,
  validateSegmentation,
} from "../dma-list/segmentation.js";
import { numSegments } from "../dma-list/segments.js";
import { ctz53, floorPow2 } from "../util/bits.js";
import { kernelMinEntries } from "./thresholds.js";
import {
  type ChunkWalk,
  chunkWalk,
  type DmaKernels,
  dmaKernels,
  F_TOTAL_WRAP,
  F_UNSAFE_ADDR,
  F_UNSAFE_LEN,
  hi32u,
  R_A,
  R_B,
  R_C,
  R_ENTRIES,
  R_FIRST,
  R_FLAGS,
  R_TOTAL,
  setSlot,
  slotBig,
  slotNumber,
} from "./wasm.js";

const U64 = 1n << 64n;

/** What a kernel walks for a DMA list. */
interface WalkSource {
  store: RangeList;
  /** 0: a stored DMA list (IOVA entries relative to `offset`); 1: a CPU list, phys + `offset`. */
  mode: 0 | 1;
  /** The list base (mode 0) or the direct-map offset (mode 1). */
  offset: number;
  pageShift: number;
  /** The CPU list whose pending last entry follows the stored ones (mode 1). */
  pending: CpuRangeList | null;
}

function walkSourceOf(list: DmaRangeList, minEntries: number): WalkSource | null {
  const stored = list.storage;
  if (stored !== null) {
    return stored.count >= minEntries
      ? { store: stored, mode: 0, offset: list.base, pageShift: 0, pending: null }
      : null;
  }
  const src = list.source;
  if (!(src instanceof CpuRangeList) || !(src.store instanceof RangeList)) return null;
  if (src.count < minEntries) return null;
  return {
    store: src.store,
    mode: 1,
    offset: list.directOffset,
    pageShift: 31 - Math.clz32(src.pageSize),
    pending: src,
  };
}

/** The chunks a kernel walks for `src`: the store's, then the identity source's pending entry. */
function walkOf(src: WalkSource) {
  const d = dmaKernels(src.store.pool);
  return { d, w: chunkWalk(d, src.store, src.pending?._pendingStored() ?? null) };
}

function unsafe(what: string): RlistError {
  return new RlistError("ERANGE", `a DMA ${what} is not a safe integer: use the bigint API`);
}

/** Segmentation limits as u64 words for the kernel (the "no limit" values stay 2^53 - 1). */
function limitWords(v: number): [number, number] {
  return [lo32(v), hi32u(v)];
}

// ---- segments -------------------------------------------------------------------------------

/** `list.numSegments(seg)`: the kernel, or the cursor walk for small lists and other sources. */
export function listNumSegments(list: DmaRangeList, seg: Segmentation): number {
  validateSegmentation(seg);
  const src = walkSourceOf(list, kernelMinEntries.segments);
  if (src === null) return numSegments(list.cursor(), seg);
  const { d, w } = walkOf(src);
  if (w.chunks === 0) return 0;
  const flags = runNumSegments(d, w, src, seg);
  if ((flags & F_UNSAFE_LEN) !== 0) throw unsafe("length");
  if ((flags & F_UNSAFE_ADDR) !== 0) throw unsafe("address");
  return slotNumber(d, R_TOTAL);
}

/** `list.numSegmentsBig(seg)`: segments of every entry, exact over 64-bit addresses and lengths (sum mod 2^64). */
export function listNumSegmentsBig(list: DmaRangeList, seg: Segmentation): bigint {
  validateSegmentation(seg);
  const src = walkSourceOf(list, kernelMinEntries.segments);
  if (src === null) return numSegmentsBigReference(list, seg);
  const { d, w } = walkOf(src);
  if (w.chunks === 0) return 0n;
  runNumSegments(d, w, src, seg);
  return slotBig(d, R_TOTAL);
}

function runNumSegments(d: DmaKernels, w: ChunkWalk, src: WalkSource, seg: Segmentation): number {
  const [maskLo, maskHi] = limitWords(seg.segmentBoundaryMask);
  const [maxLo, maxHi] = limitWords(seg.maxSegmentSize);
  d.k.dmaNumSegments(
    w.first,
    w.chunks,
    d.chunkShift,
    src.mode,
    src.pageShift,
    lo32(src.offset),
    hi32u(src.offset),
    maskLo,
    maskHi,
    maxLo,
    maxHi,
  );
  return d.u32[R_FLAGS >>> 2] as number;
}

/** ceil(a / b), with the "no limit" size meaning one piece. */
function piecesBig(a: bigint, b: number): bigint {
  if (a === 0n) return 0n;
  if (b === NO_MAX_SEGMENT_SIZE) return 1n;
  const bb = BigInt(b);
  return (a + bb - 1n) / bb;
}

/** numSegmentsRange() over exact u64 values (the bigint reference). */
export function segmentsOfBig(start: bigint, length: bigint, seg: Segmentation): bigint {
  if (length === 0n) return 0n;
  const maxSeg = seg.maxSegmentSize;
  if (seg.segmentBoundaryMask === NO_SEGMENT_BOUNDARY) return piecesBig(length, maxSeg);
  const window = BigInt(seg.segmentBoundaryMask) + 1n;
  const first = window - (start & (window - 1n));
  if (length <= first) return piecesBig(length, maxSeg);
  const rest = length - first;
  const full = rest / window;
  return (
    piecesBig(first, maxSeg) + full * piecesBig(window, maxSeg) + piecesBig(rest - full * window, maxSeg)
  );
}

/** Each entry of `list` as exact [address mod 2^64, length], in order (the bigint references' walk). */
function* entriesBig(list: DmaRangeList): Generator<[bigint, bigint]> {
  const stored = list.storage;
  if (stored !== null) {
    const base = BigInt(list.base);
    const c = stored.cursor();
    for (let ok = c.reset(); ok; ok = c.next()) {
      const b = c.baseBig;
      yield [c.type === 0 ? (b + base) % U64 : b, c.lengthBig]; // type 0: DmaKind.IOVA
    }
    return;
  }
  const off = BigInt(list.directOffset);
  const c = list.source!.cursor();
  for (let ok = c.reset(); ok; ok = c.next())
    yield [BigInt.asUintN(64, BigInt(c.phys) + off), BigInt(c.length)];
}

/** The bigint reference of {@link listNumSegmentsBig}. */
export function numSegmentsBigReference(list: DmaRangeList, seg: Segmentation): bigint {
  validateSegmentation(seg);
  let n = 0n;
  for (const [a, len] of entriesBig(list)) n += segmentsOfBig(a, len, seg);
  return BigInt.asUintN(64, n);
}

// ---- block size -------------------------------------------------------------------------------

/** `list.findBestBlockSize(...)`: the kernel, or the cursor walk for small lists and other sources. */
export function listFindBestBlockSize(list: DmaRangeList, blockSizes: number, hwva?: number): number {
  checkU53("blockSizes", blockSizes);
  if (blockSizes === 0) return 0;
  const src = walkSourceOf(list, kernelMinEntries.blocks);
  if (src === null) return findBestBlockSize(list.cursor(), blockSizes, hwva);
  const { d, w } = walkOf(src);
  let total = 0;
  let firstAddr = 0;
  if (w.chunks !== 0) {
    runBlockWalk(d, w, src, false);
    const flags = d.u32[R_FLAGS >>> 2] as number;
    if ((flags & F_UNSAFE_LEN) !== 0) throw unsafe("length");
    if ((d.u32[R_ENTRIES >>> 2] as number) !== 0) {
      // The reference reads only the first non-empty entry's address here, and only without hwva.
      if (hwva === undefined && (flags & F_UNSAFE_ADDR) !== 0) throw unsafe("address");
      firstAddr = slotNumber(d, R_FIRST);
    }
    total = (flags & F_TOTAL_WRAP) !== 0 ? Number.POSITIVE_INFINITY : slotNumber(d, R_TOTAL);
  }
  const va = hwva ?? firstAddr;
  checkU53("hwva", va);
  // Past 2^53 - 1: the exact u64 walk, as findBestBlockSize() over the list's cursor does.
  if (va + total > MAX_SAFE) return findBestBlockSizeU64(list.cursor(), blockSizes, BigInt(va));
  let mask = keepFromBit(blockSizes, vaSpanBits(va, total));
  if (w.chunks !== 0) {
    setSlot(d, R_A, mask);
    setSlot(d, R_B, va);
    setSlot(d, R_C, 1);
    runBlockWalk(d, w, src, true);
    if (((d.u32[R_FLAGS >>> 2] as number) & F_UNSAFE_ADDR) !== 0) throw unsafe("address");
    mask = slotNumber(d, R_A);
  }
  const allowed = mask === 0 ? blockSizes : keepUpToBit(blockSizes, ctz53(mask));
  return allowed === 0 ? 0 : floorPow2(allowed);
}

/**
 * `list.findBestBlockSizeBig(...)`: {@link listFindBestBlockSize} over exact 64-bit addresses
 * and lengths, with u64 wrapping arithmetic like ib_umem_find_best_pgsz() (no `ERANGE` for
 * addresses or totals past 2^53). `hwva` defaults to the first non-empty entry's address.
 */
export function listFindBestBlockSizeBig(list: DmaRangeList, blockSizes: number, hwva?: bigint): number {
  checkU53("blockSizes", blockSizes);
  checkHwvaBig(hwva);
  if (blockSizes === 0) return 0;
  const src = walkSourceOf(list, kernelMinEntries.blocks);
  if (src === null) return findBestBlockSizeBigReference(list, blockSizes, hwva);
  const { d, w } = walkOf(src);
  if (w.chunks === 0)
    return allowedSizeBig(blockSizes, BigInt(keepFromBit(blockSizes, vaSpanBitsBig(hwva ?? 0n, 0n))));
  runBlockWalk(d, w, src, false);
  const total = slotBig(d, R_TOTAL);
  const va = hwva ?? ((d.u32[R_ENTRIES >>> 2] as number) !== 0 ? slotBig(d, R_FIRST) : 0n);
  const mask = BigInt(keepFromBit(blockSizes, vaSpanBitsBig(va, total)));
  d.u32[R_A >>> 2] = Number(mask & 0xffff_ffffn);
  d.u32[(R_A >>> 2) + 1] = Number(mask >> 32n);
  d.u32[R_B >>> 2] = Number(va & 0xffff_ffffn);
  d.u32[(R_B >>> 2) + 1] = Number(va >> 32n);
  setSlot(d, R_C, 1);
  runBlockWalk(d, w, src, true);
  return allowedSizeBig(blockSizes, slotBig(d, R_A));
}

/** dmaTotals (`fold` false) or dmaBlockMask (`fold` true) over the walk. */
function runBlockWalk(d: DmaKernels, w: ChunkWalk, src: WalkSource, fold: boolean): void {
  const f = fold ? d.k.dmaBlockMask : d.k.dmaTotals;
  f(w.first, w.chunks, d.chunkShift, src.mode, src.pageShift, lo32(src.offset), hi32u(src.offset));
}

function checkHwvaBig(hwva: bigint | undefined): void {
  if (hwva === undefined) return;
  if (typeof hwva !== "bigint") throw new RlistError("EINVAL", "hwva must be a bigint");
  if (hwva < 0n || hwva >= U64) throw new RlistError("ERANGE", "hwva does not fit in 64 bits");
}

/** The bigint reference of {@link listFindBestBlockSizeBig}. */
export function findBestBlockSizeBigReference(list: DmaRangeList, blockSizes: number, hwva?: bigint): number {
  checkU53("blockSizes", blockSizes);
  checkHwvaBig(hwva);
  if (blockSizes === 0) return 0;
  let total = 0n;
  let firstAddr: bigint | null = null;
  for (const [a, len] of entriesBig(list)) {
    total = BigInt.asUintN(64, total + len);
    if (firstAddr === null && len !== 0n) firstAddr = a;
  }
  let va = hwva ?? firstAddr ?? 0n;
  let mask = BigInt(keepFromBit(blockSizes, vaSpanBitsBig(va, total)));
  let fresh = true;
  for (const [a, len] of entriesBig(list)) {
    if (len === 0n) continue;
    if (!fresh) mask |= va;
    mask |= a ^ va;
    va = BigInt.asUintN(64, va + len);
    fresh = false;
  }
  return allowedSizeBig(blockSizes, mask);
}

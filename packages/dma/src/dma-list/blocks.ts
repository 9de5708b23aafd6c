/**
 * Block ("page list") helpers for hardware that takes a list of equal-sized blocks rather than
 * scatter/gather segments (RDMA MRs, NVMe PRPs): rlist_dma_find_best_blocksz(),
 * rlist_dma_block_offset(), rlist_dma_num_blocks() and rlist_dma_for_each_block() of the 2023
 * prototype (docs/prototype.md#block-lists), INTENDED versions.
 *
 * Zero-length entries hold no bytes, so every helper here skips them (the prototype's block
 * counter wraps on them, bug 19 in docs/prototype.md#bugs-we-fixed).
 */
import { checkU53, formatValue, isPowerOfTwo, lowBits, MAX_SAFE, RlistError } from "@rlist/encoding";
import { checkCursor } from "../args.js";
import { bitsPer, ctz53, floorPow2, or53, xor53 } from "../util/bits.js";
import type { DmaEntryCursor } from "./dma-entries.js";

/** @internal `bitmap` with every bit below bit `n` cleared (bits >= n kept). */
export function keepFromBit(bitmap: number, n: number): number {
  return n >= 53 ? 0 : bitmap - lowBits(bitmap, 2 ** n);
}

/** @internal `bitmap` with every bit above bit `n` cleared (bits 0..n kept). */
export function keepUpToBit(bitmap: number, n: number): number {
  return n >= 52 ? bitmap : lowBits(bitmap, 2 ** (n + 1));
}

function totalLength(entries: DmaEntryCursor): number {
  let total = 0;
  for (let ok = entries.reset(); ok; ok = entries.next()) total += entries.length;
  return total;
}

/**
 * bits_per((length - 1 + va) ^ va) in 64-bit arithmetic, as ib_umem_find_best_pgsz() computes it:
 * sizes of this many bits or more hold the whole VA span in one block. An empty list wraps
 * `length - 1` to all ones, so the span reads as `[va - 1, va]`: one bit above va's lowest set bit
 * (every size covering both va - 1 and va), or all 64 bits for va 0 (no size, so no constraint).
 * @internal
 */
export function vaSpanBits(va: number, total: number): number {
  if (total !== 0) return bitsPer(xor53(va + total - 1, va));
  return va === 0 ? 64 : ctz53(va) + 1;
}

function checkBlockSize(bs: number): void {
  if (!isPowerOfTwo(bs))
    throw new RlistError("EINVAL", `block size ${formatValue(bs)} is not a power of two`);
}

/**
 * Like rlist_dma_find_best_blocksz() / ib_umem_find_best_pgsz(): the smallest size in
 * `blockSizes` that gives the fewest blocks, such that every block boundary inside the list
 * falls on an entry boundary and `hwva mod size == dma mod size`. 0 when none works (including
 * `blockSizes == 0`, where the kernel WARNs). `hwva` defaults to the first entry's DMA address.
 */
export function findBestBlockSize(entries: DmaEntryCursor, blockSizes: number, hwva?: number): number {
  checkCursor("entries", entries);
  checkU53("blockSizes", blockSizes);
  if (hwva !== undefined) checkU53("hwva", hwva);
  if (blockSizes === 0) return 0;
  const total = totalLength(entries);
  let va = hwva;
  if (va === undefined) {
    va = 0;
    for (let ok = entries.reset(); ok; ok = entries.next()) {
      if (entries.length !== 0) {
        va = entries.dmaAddress;
        break;
      }
    }
  }
  checkU53("hwva", va);
  // Past 2^53 the float walk below would round: redo it in exact u64 arithmetic (rare, and the
  // answer is a block size, which always fits). Never a refusal here: the cursor has been walked.
  if (va + total > MAX_SAFE) return findBestBlockSizeU64(entries, blockSizes, BigInt(va));
  // Sizes that already cover the whole VA span need no further alignment proof.
  let mask = keepFromBit(blockSizes, vaSpanBits(va, total));
  let first = true;
  for (let ok = entries.reset(); ok; ok = entries.next()) {
    if (entries.length === 0) continue;
    // Every entry but the first must start on a block boundary of the VA.
    if (!first) mask = or53(mask, va);
    mask = or53(mask, xor53(entries.dmaAddress, va));
    va += entries.length;
    first = false;
  }
  const allowed = mask === 0 ? blockSizes : keepUpToBit(blockSizes, ctz53(mask));
  return allowed === 0 ? 0 : floorPow2(allowed);
}

/**
 * @internal {@link findBestBlockSize} in the u64 wrapping arithmetic of ib_umem_find_best_pgsz()
 * (what `findBestBlockSizeBig` computes): for a VA span that passes 2^53 - 1.
 */
export function findBestBlockSizeU64(entries: DmaEntryCursor, blockSizes: number, hwva: bigint): number {
  let total = 0n;
  for (let ok = entries.reset(); ok; ok = entries.next())
    total = BigInt.asUintN(64, total + BigInt(entries.length));
  let va = hwva;
  let mask = BigInt(keepFromBit(blockSizes, vaSpanBitsBig(va, total)));
  let first = true;
  for (let ok = entries.reset(); ok; ok = entries.next()) {
    const len = entries.length;
    if (len === 0) continue;
    if (!first) mask |= va;
    mask |= BigInt(entries.dmaAddress) ^ va;
    va = BigInt.asUintN(64, va + BigInt(len));
    first = false;
  }
  return allowedSizeBig(blockSizes, mask);
}

/** @internal {@link vaSpanBits} in u64 arithmetic: bits_per((va + total - 1) ^ va), wrapping as the kernel's C does. */
export function vaSpanBitsBig(va: bigint, total: bigint): number {
  if (total === 0n) return va === 0n ? 64 : ctz64(va) + 1;
  const x = BigInt.asUintN(64, va + total - 1n) ^ va;
  return x < 2n ? 1 : x.toString(2).length;
}

function ctz64(v: bigint): number {
  if (v === 0n) return 64;
  let n = 0;
  while ((v & 1n) === 0n) {
    v >>= 1n;
    n++;
  }
  return n;
}

/** @internal The sizes of `blockSizes` no bit of `mask` rules out, the largest of them (0: none). */
export function allowedSizeBig(blockSizes: number, mask: bigint): number {
  const allowed = mask === 0n ? blockSizes : keepUpToBit(blockSizes, ctz64(mask));
  return allowed === 0 ? 0 : floorPow2(allowed);
}

/** Like rlist_dma_block_offset() / ib_umem_dma_offset(): first DMA address mod `bs`; 0 if empty. */
export function blockOffset(entries: DmaEntryCursor, bs: number): number {
  checkCursor("entries", entries);
  checkBlockSize(bs);
  for (let ok = entries.reset(); ok; ok = entries.next()) {
    if (entries.length !== 0) return lowBits(entries.dmaAddress, bs);
  }
  return 0;
}

/**
 * Like rlist_dma_num_blocks() / ib_umem_num_dma_blocks(): ceil((total + blockOffset) / bs).
 * Meaningful for a list that {@link findBestBlockSize} accepted for `bs`.
 */
export function numBlocks(entries: DmaEntryCursor, bs: number): number {
  const offset = blockOffset(entries, bs);
  const total = totalLength(entries);
  return total === 0 ? 0 : Math.ceil((total + offset) / bs);
}

/**
 * Like rlist_dma_for_each_block() / rdma_umem_for_each_dma_block(): yields the DMA address of
 * every `bs`-sized block, in order. On a list accepted by {@link findBestBlockSize} it yields
 * exactly {@link numBlocks} addresses. Allocation-free after construction.
 */
export class BlockCursor {
  /** DMA address of the current block (aligned to the block size). */
  dmaAddress = 0;
  /** Bytes of the current entry left after the current block. */
  private left = 0;

  constructor(
    private readonly entries: DmaEntryCursor,
    readonly blockSize: number,
  ) {
    checkCursor("entries", entries);
    checkBlockSize(blockSize);
  }

  reset(): boolean {
    return this.load(this.entries.reset());
  }

  next(): boolean {
    if (this.left !== 0) {
      this.dmaAddress += this.blockSize;
      this.left -= this.blockSize;
      return true;
    }
    return this.load(this.entries.next());
  }

  private load(ok: boolean): boolean {
    const e = this.entries;
    while (ok && e.length === 0) ok = e.next();
    if (!ok) {
      this.dmaAddress = 0;
      this.left = 0;
      return false;
    }
    const bs = this.blockSize;
    const gap = lowBits(e.dmaAddress, bs);
    this.dmaAddress = e.dmaAddress - gap;
    this.left = Math.ceil((e.length + gap) / bs) * bs - bs;
    return true;
  }
}

/**
 * RangeList#checksum(): entry count, sum of lengths and sum of bases, both mod 2^64 — exactly
 * the `chk=` figures of the C yardstick (bench/c/rlist_ref.c, rl_sum()), so two lists or two
 * implementations compare in one call.
 *
 * Non-empty lists run the WebAssembly kernel (assembly/list.ts: checksumVariable /
 * checksumFixed16) over the pool's memory; the TypeScript reference below answers empty lists and
 * proves the kernel in the property tests.
 */
import {
  fixed16BaseHiAt,
  fixed16BaseLoAt,
  fixed16LengthHiAt,
  lengthLowAt,
  TWO28,
  TWO32,
  variableBaseHiAt,
  variableBaseLoAt,
  variableLengthHiAt,
  variableUnitsAt,
} from "@rlist/encoding";
import { HDR_USED, HEADER_UNITS } from "../constants.js";
import { OUT_BASE_SUM, OUT_LENGTH_SUM } from "../memory-layout.js";
import type { RangeList } from "../range-list.js";

export interface ListChecksum {
  /** Number of entries. */
  count: number;
  /** Sum of the lengths, mod 2^64. */
  lengthSum: bigint;
  /** Sum of the bases, mod 2^64. */
  baseSum: bigint;
}

/**
 * Lists of this many chunks or more use the kernels. Measured (bench/checksum-threshold.ts,
 * node 20, loaded 2-core machine): the kernel call costs 35-45 ns on a one-chunk list against
 * 430-590 ns for the TypeScript loop, and stays 4-15x faster up to 64 chunks, so every non-empty
 * list uses it; an empty list is answered without touching WebAssembly. The first kernel call on
 * a pool also instantiates the module over its memory, about 7 us once per pool.
 */
export const KERNEL_MIN_CHUNKS = 1;

/** u64 from two u32 halves, mod 2^64 (`lo` and `hi` may be any non-negative safe integers). */
function u64(hi: number, lo: number): bigint {
  return BigInt.asUintN(64, (BigInt(hi) << 32n) + BigInt(lo));
}

/**
 * The TypeScript reference: walks the chunks through the side index, sums each chunk's words in
 * doubles (at most 511 entries of u32 pieces: far below 2^53) and folds them into 64-bit hi/lo
 * words once per chunk.
 */
export function checksumReference(list: RangeList): ListChecksum {
  const ix = list._ix;
  const pool = list.pool;
  const fixed = list._fixed;
  let count = 0;
  let lenHi = 0;
  let lenLo = 0;
  let baseHi = 0;
  let baseLo = 0;
  for (let k = 0; k < ix.length; k++) {
    const id = ix.ids[k] as number;
    const w = pool.words(id);
    const hdr = pool.wordBase(id);
    const end = hdr + HEADER_UNITS + (w[hdr + HDR_USED] as number);
    // Chunk sums: the low words of length (bits 0..31) and base, the high words (bits 32..63).
    let cLenLo = 0;
    let cLenHi = 0;
    let cBaseLo = 0;
    let cBaseHi = 0;
    for (let at = hdr + HEADER_UNITS; at < end; ) {
      // length = lengthHi * 2^28 + lengthLow: lengthHi's low 4 bits land in bits 28..31.
      const hi28 = fixed ? fixed16LengthHiAt(w, at) : variableLengthHiAt(w, at);
      cLenLo += lengthLowAt(w, at) + (hi28 & 15) * TWO28;
      cLenHi += hi28 >>> 4;
      cBaseLo += fixed ? fixed16BaseLoAt(w, at) : variableBaseLoAt(w, at);
      cBaseHi += fixed ? fixed16BaseHiAt(w, at) : variableBaseHiAt(w, at);
      at += fixed ? 4 : variableUnitsAt(w, at);
      count++;
    }
    lenLo += cLenLo;
    const lenCarry = Math.floor(lenLo / TWO32);
    lenLo -= lenCarry * TWO32;
    lenHi = (lenHi + cLenHi + lenCarry) >>> 0;
    baseLo += cBaseLo;
    const baseCarry = Math.floor(baseLo / TWO32);
    baseLo -= baseCarry * TWO32;
    baseHi = (baseHi + cBaseHi + baseCarry) >>> 0;
  }
  return { count, lengthSum: u64(lenHi, lenLo), baseSum: u64(baseHi, baseLo) };
}

/** The kernel: one call walks every chunk through the chunk links. */
export function checksumKernel(list: RangeList): ListChecksum {
  const ix = list._ix;
  const pool = list.pool;
  const n = ix.length;
  const k = pool.kernels();
  const first = n === 0 ? 0 : (ix.ids[0] as number);
  const shift = pool.chunkShift + 2;
  const count = list._fixed ? k.checksumFixed16(first, n, shift) : k.checksumVariable(first, n, shift);
  const s = pool._scratch64;
  return {
    count: count >>> 0,
    lengthSum: s[OUT_LENGTH_SUM / 8] as bigint,
    baseSum: s[OUT_BASE_SUM / 8] as bigint,
  };
}

export function listChecksum(list: RangeList): ListChecksum {
  return list._ix.length >= KERNEL_MIN_CHUNKS ? checksumKernel(list) : checksumReference(list);
}

/**
 * The memory the walk kernels read: every representation the lab lays out itself (bio_vec,
 * scatterlist, page array) keeps its entries in a `WebAssembly.Memory` of its own, and both of its
 * walks read those bytes: the JavaScript iterator through a typed-array view, the kernel
 * (assembly/walks.ts) directly. The rlist and fixed16 already live in their pool's memory and
 * walk with `RangeList#checksum()`.
 *
 * A memory is sized once for the data and never grown, so no view of it is ever detached. A
 * released representation hands its memory back for the next build of the same size or smaller
 * (the timed builds of one representation reuse one memory, as the rlist's reuse pool chunks).
 */
import { RlistError } from "@rlist/encoding";
import { instantiateKernel, type WasmMemory } from "@rlist/list";
import { checkInteger } from "../args.js";
import * as walksWasm from "../generated/walks.wasm.js";

/** What one walk read: entries, and the sums of their lengths and addresses, both mod 2^64. */
export interface WalkSums {
  count: number;
  lengthSum: bigint;
  baseSum: bigint;
}

/** The exports of assembly/walks.ts. */
export interface WalkKernels {
  walkBvecs(at: number, n: number): number;
  walkSgTable(sg: number): number;
  walkPageArray(desc: number): number;
}

/** First byte of a representation's data; bytes [0, 16) hold a kernel's two u64 results. */
export const DATA_BASE = 64;
/** Bytes kept after the data: the scatterlist kernel loads the entry after a plain one. */
const SLACK = 64;
const WASM_PAGE = 65536;
/** A wasm32 memory holds at most 65,536 pages of 64 KiB. */
const MAX_PAGES = 65536;
/** Memories kept for reuse after release. */
const MAX_CACHED = 4;

/** `struct page *` in the model: vmemmap (at 0) + pfn * sizeof(struct page). */
export const STRUCT_PAGE_BYTES = 64;
/** Pointer words of a pfn: hi = pfn / 2^26 (exact, a power of two), lo = the rest * 64. */
const PFN_PER_HI = 0x400_0000;

const wasm = (
  globalThis as unknown as {
    WebAssembly: { Memory: new (d: { initial: number }) => WasmMemory };
  }
).WebAssembly;

export class KernelMemory {
  readonly memory: WasmMemory;
  /** Capacity in bytes. */
  readonly bytes: number;
  /** The whole memory as u32 words (data from word DATA_BASE / 4). */
  readonly words: Uint32Array;
  readonly kernels: WalkKernels;
  /** [length sum, address sum] of the last kernel call. */
  readonly #out: BigUint64Array;

  constructor(pages: number) {
    checkInteger("pages", pages, 1, MAX_PAGES);
    this.memory = new wasm.Memory({ initial: pages });
    this.bytes = pages * WASM_PAGE;
    this.words = new Uint32Array(this.memory.buffer, 0, this.bytes / 4);
    this.#out = new BigUint64Array(this.memory.buffer, 0, 2);
    this.kernels = instantiateKernel<WalkKernels>(walksWasm, this.memory, false);
  }

  /** Sums of the last kernel call, which returned `count`. */
  sums(count: number): WalkSums {
    checkInteger("count", count);
    return { count, lengthSum: this.#out[0]!, baseSum: this.#out[1]! };
  }
}

const cache: KernelMemory[] = [];

/**
 * A memory with room for `dataBytes` from {@link DATA_BASE}: a released one if one is big enough
 * (the smallest such), else a new one. Its old contents are not cleared: the caller writes every
 * byte it will read. RangeError past the 4 GiB of a wasm32 memory.
 */
export function takeMemory(dataBytes: number): KernelMemory {
  const need = DATA_BASE + dataBytes + SLACK;
  const pages = Math.ceil(need / WASM_PAGE);
  if (pages > MAX_PAGES)
    throw new RlistError("ENOMEM", `${dataBytes} bytes do not fit in a WebAssembly memory (4 GiB at most)`);
  let best = -1;
  for (let i = 0; i < cache.length; i++) {
    const m = cache[i]!;
    if (m.bytes >= need && (best < 0 || m.bytes < cache[best]!.bytes)) best = i;
  }
  if (best >= 0) return cache.splice(best, 1)[0]!;
  return new KernelMemory(pages);
}

/** Hands a memory back for reuse; whoever used it must not read it any more. */
export function releaseMemory(m: KernelMemory): void {
  if (cache.includes(m)) return;
  cache.push(m);
  // Keep the most recent few: the next builds are most likely of the same representations.
  if (cache.length > MAX_CACHED) cache.shift();
}

/** Writes the `struct page *` of `pfn` as two u32 words at word `at` (low word first). */
export function putPagePointer(words: Uint32Array, at: number, pfn: number): void {
  const hi = Math.floor(pfn / PFN_PER_HI);
  words[at] = (pfn - hi * PFN_PER_HI) * STRUCT_PAGE_BYTES;
  words[at + 1] = hi;
}

/** Sums of several lists, mod 2^64. */
export function addSums(into: WalkSums, s: WalkSums): void {
  into.count += s.count;
  into.lengthSum += s.lengthSum;
  into.baseSum += s.baseSum;
}

export function emptySums(): WalkSums {
  return { count: 0, lengthSum: 0n, baseSum: 0n };
}

/** The sums reduced mod 2^64 (what the kernels and C's chk= print). */
export function u64Sums(s: WalkSums): WalkSums {
  return {
    count: s.count,
    lengthSum: BigInt.asUintN(64, s.lengthSum),
    baseSum: BigInt.asUintN(64, s.baseSum),
  };
}

/** A u64 from two u32 words at `at` (low word first), as a bigint (for the references). */
export function u64At(words: Uint32Array, at: number): bigint {
  return (BigInt(words[at + 1]!) << 32n) | BigInt(words[at]!);
}

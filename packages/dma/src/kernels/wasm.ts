/**
 * The WebAssembly kernels of @rlist/dma (assembly/dma.ts, compiled into src/generated/dma.wasm.ts
 * by scripts/build-kernels.ts), instantiated once per `ChunkPool` over the pool's memory: the
 * memory the chunks of every CPU and DMA list of that pool live in, so a kernel walks a list's
 * chunk words in place, exactly where its cursors read them.
 *
 * Scratch: the pool's first 64 KiB page is kernel scratch (see @rlist/list's memory layout). Its
 * bytes [0, 1024) belong to @rlist/list's kernels; [ARGS, ARGS + 512) hold these kernels'
 * arguments, resumable walk state and results, [PENDING, PENDING + 32) a chunk holding a CPU
 * list's pending last entry (the kernels reach it through the NIL link that ends the list's
 * chunks), [STAGE, 65536) their batch output (staged PTEs, layouts).
 * The views below cover only that page, which exists for the pool's whole life and never moves:
 * a shared memory keeps old views valid when it grows, a reserved one never grows.
 */
import {
  hi32,
  join32,
  lengthHiOf,
  lengthLowOf,
  lo32,
  type RangeEntry,
  writeVariable24,
} from "@rlist/encoding";
import { type ChunkPool, instantiateKernel, type RangeList } from "@rlist/list";
import * as dmaKernelBytes from "../generated/dma.wasm.js";

/** Byte offset of the argument/result slots. Must equal ARGS in assembly/dma.ts. */
export const ARGS = 1024;
/** Byte offset of the one-entry pending chunk. Must equal PENDING in assembly/dma.ts. */
export const PENDING = 1536;
/** Byte offset of the batch output. Must equal STAGE in assembly/dma.ts. */
export const STAGE = 32768;
/** 4 KiB PTEs one staging batch holds (two u32 words each). */
export const STAGE_PTES = (65536 - STAGE) / 8;
/** Entries one layout batch holds (start and length as two f64 each). */
export const STAGE_ENTRIES = (65536 - STAGE) / 16;
/** The link that ends a list's chunks (and leads a walk to the pending chunk). */
const NIL = 0xffff_ffff;

// Slot offsets (bytes from ARGS): must match assembly/dma.ts.
export const S_ID = 0;
export const S_AT = 4;
export const S_LEFT = 8;
export const S_SUB = 12;
export const R_TOTAL = 16;
export const R_FIRST = 24;
export const R_MIN = 32;
export const R_MAX = 40;
export const R_FLAGS = 48;
export const R_ENTRIES = 52;
export const R_A = 56;
export const R_B = 64;
export const R_C = 72;
export const R_D = 80;
export const R_CUR = 88;
export const R_NEXT = 96;
export const R_RUN = 104;
export const R_SLOW_IOVA = 112;
/** u32 words of the slots above (the walk state and results a caller may save and restore). */
export const SLOT_WORDS = 30;

export const F_PAGELIST = 1;
export const F_PREV_END_ALIGNED = 2;
export const F_PROVIDER = 4;
export const F_UNSAFE_LEN = 8;
export const F_UNSAFE_ADDR = 16;
export const F_TOTAL_WRAP = 32;

export const ST_FULL = 0;
export const ST_END = 1;
export const ST_SLOW = 2;
export const ST_NOT_PAGELIST = 3;
export const ST_UNSAFE = 4;

interface DmaExports {
  argsBase(): number;
  pendingBase(): number;
  fillPerEntry(
    chunkShift: number,
    pageShift: number,
    maskLo: number,
    maskHi: number,
    maxLo: number,
    maxHi: number,
    tail: number,
    used: number,
    cap: number,
  ): number;
  layoutPerEntry(
    chunkShift: number,
    pageShift: number,
    maskLo: number,
    maskHi: number,
    maxLo: number,
    maxHi: number,
    max: number,
  ): number;
  stagePerEntry(
    chunkShift: number,
    pageShift: number,
    pteFlags: number,
    max: number,
    baseLo: number,
    baseHi: number,
    maskLo: number,
    maskHi: number,
    maxLo: number,
    maxHi: number,
    big2M: number,
  ): number;
  cpuSummary(first: number, n: number, chunkShift: number, pageShift: number, alignMask: number): number;
  cpuIsPageList(first: number, n: number, chunkShift: number, pageShift: number, alignMask: number): number;
  dmaNumSegments(
    first: number,
    n: number,
    chunkShift: number,
    mode: number,
    pageShift: number,
    offsetLo: number,
    offsetHi: number,
    maskLo: number,
    maskHi: number,
    maxLo: number,
    maxHi: number,
  ): number;
  dmaTotals(
    first: number,
    n: number,
    chunkShift: number,
    mode: number,
    pageShift: number,
    offsetLo: number,
    offsetHi: number,
  ): number;
  dmaBlockMask(
    first: number,
    n: number,
    chunkShift: number,
    mode: number,
    pageShift: number,
    offsetLo: number,
    offsetHi: number,
  ): number;
  stageLinear(
    chunkShift: number,
    pageShift: number,
    pteFlags: number,
    max: number,
    iovaLo: number,
    big2M: number,
  ): number;
}

/** The kernels over one pool's memory, with views of their scratch. */
export interface DmaKernels {
  readonly k: DmaExports;
  /** The argument/result slots as u32 words (index = byte offset / 4, from ARGS). */
  readonly u32: Uint32Array;
  /** The same slots as f64 (index = byte offset / 8, from ARGS). */
  readonly f64: Float64Array;
  /** The staging area as u32 words. */
  readonly stage: Uint32Array;
  /** The staging area as f64 (layouts). */
  readonly stageF64: Float64Array;
  /** The pending chunk (header and one 24-byte entry). */
  readonly pending: Uint32Array;
  /** Byte shift of one chunk (`chunk id << chunkShift` is its offset from the chunks' base). */
  readonly chunkShift: number;
}

const perPool = new WeakMap<ChunkPool, DmaKernels>();

/** The dma kernels over `pool`'s memory, instantiated on first use (a few microseconds, once). */
export function dmaKernels(pool: ChunkPool): DmaKernels {
  let d = perPool.get(pool);
  if (d === undefined) {
    const k = instantiateKernel<DmaExports>(dmaKernelBytes, pool.memory, pool.sharedMemory);
    if (k.argsBase() !== ARGS || k.pendingBase() !== PENDING) {
      throw new Error("dma kernels: scratch layout mismatch");
    }
    const buf = pool.memory.buffer;
    d = {
      k,
      u32: new Uint32Array(buf, ARGS, 256),
      f64: new Float64Array(buf, ARGS, 128),
      stage: new Uint32Array(buf, STAGE, 2 * STAGE_PTES),
      stageF64: new Float64Array(buf, STAGE, 2 * STAGE_ENTRIES),
      pending: new Uint32Array(buf, PENDING, 8),
      chunkShift: pool.chunkShift + 2,
    };
    perPool.set(pool, d);
  }
  return d;
}

/** The u64 slot at byte `slot` (from ARGS) as a number: exact below 2^53, rounded above. */
export function slotNumber(d: DmaKernels, slot: number): number {
  return join32(d.u32[(slot >>> 2) + 1] as number, d.u32[slot >>> 2] as number);
}

/** The u64 slot at byte `slot` as a bigint (exact). */
export function slotBig(d: DmaKernels, slot: number): bigint {
  return (BigInt(d.u32[(slot >>> 2) + 1] as number) << 32n) | BigInt(d.u32[slot >>> 2] as number);
}

/** Writes a safe integer into the u64 slot at byte `slot` (a negative one as two's complement). */
export function setSlot(d: DmaKernels, slot: number, v: number): void {
  d.u32[slot >>> 2] = lo32(v);
  d.u32[(slot >>> 2) + 1] = hi32u(v);
}

/** High u32 word of a safe integer's u64 two's complement (negative values wrap). */
export function hi32u(v: number): number {
  return hi32(v) >>> 0;
}

/** The first chunk's pool index of a non-empty RangeList (its chunks link from there). */
export function firstChunk(store: RangeList): number {
  return store._ix.ids[0] as number;
}

/** Where a kernel walk starts and how many chunks it takes. */
export interface ChunkWalk {
  first: number;
  chunks: number;
}

/**
 * The walk over `store`'s chunks followed by `pending` (a CPU list's pending last entry in its
 * stored form, or null): the entry goes into the pending chunk, which the walk reaches through
 * the NIL link of the last stored chunk (or starts at, for a list with no chunk yet).
 */
export function chunkWalk(d: DmaKernels, store: RangeList, pending: RangeEntry | null): ChunkWalk {
  let chunks = store.chunkCount;
  const first = chunks === 0 ? NIL : firstChunk(store);
  if (pending !== null) {
    writeEntry24(d.pending, 2, pending);
    d.pending[0] = NIL;
    d.pending[1] = 6;
    chunks++;
  }
  return { first, chunks };
}

/** `e` in the 24-byte variable form at word `at` of `w` (any field that fits the codec). */
function writeEntry24(w: Uint32Array, at: number, e: RangeEntry): void {
  const { type, length, base, offset, extra } = e;
  writeVariable24(
    w,
    at,
    type,
    lengthLowOf(length),
    lengthHiOf(length),
    lo32(base),
    hi32(base),
    offset,
    extra,
  );
}

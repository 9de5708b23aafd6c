/**
 * ChunkPool: the chunk allocator behind every RangeList, the userspace stand-in for the
 * prototype's dedicated kmem_cache of 512-byte chunks.
 *
 * Every chunk of a pool lives in one `WebAssembly.Memory` the pool owns, so the WebAssembly
 * kernels (assembly/list.ts) read the very words the TypeScript cursors read. The memory grows
 * slab by slab (one slab: `slabBytes` of chunks; the memory grows in whole 64 KiB pages) and never
 * shrinks; chunks are named by an integer index, never by an object (chunk `id` starts at byte
 * CHUNK_BASE + id * chunkBytes). Freed chunks go on a free list threaded through their first
 * header word (like a slab freelist) and are reused before fresh slab space. Several lists may
 * share one pool.
 *
 * Growth never leaves a reader on a detached buffer. The memory is created `shared`: growing a
 * shared memory keeps every existing view valid for the bytes it covered (a view taken after chunk
 * `id` was carved covers that chunk for the pool's lifetime), so cursors and lists keep their view
 * and take the pool's current one ({@link ChunkPool.words}) at chunk steps only. An engine without
 * shared memories gets a plain memory reserved up front at its full size (`maxBytes`), which then
 * never grows (so never detaches).
 *
 * A bitmap with one bit per chunk id says which chunks are handed out, so `free` refuses a
 * double free or an id the pool never gave (what SLUB's debug checks catch) in O(1), before it
 * touches the free list.
 */
import { formatValue, RlistError } from "@rlist/encoding";
import { type ChunkBytes, HDR_NEXT, isChunkBytes, NIL } from "./constants.js";
import * as listKernelBytes from "./generated/list.wasm.js";
import { CHUNK_BASE, WASM_MAX_PAGES, WASM_PAGE_BYTES } from "./memory-layout.js";
import { type WasmMemory, wasmApi } from "./wasm/api.js";
import { instantiateKernel } from "./wasm/kernel.js";

export interface ChunkPoolOptions {
  /** Chunk size in bytes: 128, 512 (default) or 4096. */
  chunkBytes?: ChunkBytes;
  /** Slab size in bytes: a power of two from `chunkBytes` to 2^30. Default 1 MiB. */
  slabBytes?: number;
  /** Most chunks that may be in use at once; allocation beyond fails with ENOMEM. */
  limit?: number;
  /**
   * Most bytes the pool's WebAssembly.Memory may grow to: a multiple of 64 KiB from 128 KiB to
   * 4 GiB (the wasm32 ceiling, default). Carving past it fails with ENOMEM. On an engine without
   * shared memories the memory is reserved at this size up front (default there: 256 MiB).
   */
  maxBytes?: number;
  /** @internal tests: "reserved" forces the plain, reserved-up-front memory. */
  memoryKind?: "shared" | "reserved";
}

export interface ChunkPoolStats {
  chunkBytes: number;
  /** Slabs carved from the memory so far. */
  slabs: number;
  /** Bytes of chunk space carved (slabs * slab size, the last slab short at the memory's end). */
  slabBytes: number;
  chunksInUse: number;
  /** Chunks ready to hand out without a new slab: recycled ones plus untouched slab space. */
  chunksFree: number;
  /** Size of the pool's WebAssembly.Memory (the kernels' 64 KiB scratch page included). */
  memoryBytes: number;
  /** Bytes of the memory past the carved slabs: grown (whole pages) or reserved, not yet carved. */
  memoryTailBytes: number;
}

/**
 * Called before every allocation with its attempt number (0, 1, 2, ...); returning true makes
 * that allocation fail with ENOMEM. For fault-injection tests.
 */
export type FaultHook = (attempt: number) => boolean;

const DEFAULT_SLAB_BYTES = 1 << 20;
const MAX_SLAB_BYTES = 1 << 30;
/** Default `maxBytes` of a memory reserved up front (engines without shared memories). */
const DEFAULT_RESERVED_BYTES = 256 * 1024 * 1024;

/** The list kernels' exports (assembly/list.ts). */
export interface ListKernels {
  checksumVariable(first: number, n: number, chunkShift: number): number;
  checksumFixed16(first: number, n: number, chunkShift: number): number;
  formsVariable(first: number, n: number, chunkShift: number): number;
  chunkBase(): number;
}

/** A shared memory when the engine has them (it is what keeps views valid across growth). */
function createMemory(
  maxPages: number,
  kind: "shared" | "reserved" | undefined,
  reservePages: number,
): { memory: WasmMemory; shared: boolean } {
  if (kind !== "reserved") {
    try {
      return { memory: new wasmApi.Memory({ initial: 1, maximum: maxPages, shared: true }), shared: true };
    } catch (err) {
      if (kind === "shared") throw err;
    }
  }
  return { memory: new wasmApi.Memory({ initial: reservePages, maximum: reservePages }), shared: false };
}

function log2(n: number): number {
  return 31 - Math.clz32(n);
}

export class ChunkPool {
  readonly chunkBytes: ChunkBytes;
  /** Bytes per slab. */
  readonly slabBytes: number;
  /** 32-bit units per chunk (header included). */
  readonly chunkWords: number;
  /** log2 of {@link chunkWords}: chunk `id` starts at unit {@link wordBase}(id). */
  readonly chunkShift: number;
  /** The memory every chunk lives in (owned by the pool; never shrinks). */
  readonly memory: WasmMemory;
  /** True when {@link memory} is shared (grows in place); false: reserved up front, never grows. */
  readonly sharedMemory: boolean;
  /** Most bytes {@link memory} may hold (see {@link ChunkPoolOptions.maxBytes}). */
  readonly maxBytes: number;
  /** @internal the view over the whole memory as of its last growth (see {@link words}). */
  _u32: Uint32Array;
  /** @internal the scratch page's first 64 bytes as u64s (kernel results). */
  readonly _scratch64: BigUint64Array;
  /** @internal */ private _kernels: ListKernels | null = null;
  private readonly perSlab: number;
  private readonly maxChunks: number;
  private slabCount = 0;
  /** @internal */ private _limit: number;
  private faultHook: FaultHook | null = null;
  private attempts = 0;
  private freeHead = NIL;
  private freeCount = 0;
  private bump = 0;
  private bumpEnd = 0;
  private inUse = 0;
  /** Bit `id & 31` of word `id >>> 5` is set while chunk `id` is handed out (ids below `bumpEnd`). */
  private allocated = new Uint32Array(0);

  private static readonly sharedPools = new Map<ChunkBytes, ChunkPool>();

  /**
   * The process-wide pool for `chunkBytes`, used by lists created without a `pool` option
   * (the equivalent of the prototype's one slab cache).
   */
  static shared(chunkBytes: ChunkBytes = 512): ChunkPool {
    if (!isChunkBytes(chunkBytes)) {
      throw new RlistError("EINVAL", `chunkBytes must be 128, 512 or 4096, got ${formatValue(chunkBytes)}`);
    }
    let pool = ChunkPool.sharedPools.get(chunkBytes);
    if (pool === undefined) {
      pool = new ChunkPool({ chunkBytes });
      ChunkPool.sharedPools.set(chunkBytes, pool);
    }
    return pool;
  }

  constructor(options: ChunkPoolOptions = {}) {
    if (typeof options !== "object" || options === null) {
      throw new RlistError("EINVAL", `options must be an object, got ${formatValue(options)}`);
    }
    // `=== undefined`, not `??`: null is not "no value" here (a typed argument, not a default).
    const chunkBytes = options.chunkBytes === undefined ? 512 : options.chunkBytes;
    if (!isChunkBytes(chunkBytes)) {
      throw new RlistError("EINVAL", `chunkBytes must be 128, 512 or 4096, got ${formatValue(chunkBytes)}`);
    }
    const slabOption = options.slabBytes;
    const slabBytes = slabOption === undefined ? Math.max(DEFAULT_SLAB_BYTES, chunkBytes) : slabOption;
    if (
      typeof slabBytes !== "number" ||
      !Number.isInteger(slabBytes) ||
      slabBytes < chunkBytes ||
      slabBytes > MAX_SLAB_BYTES ||
      (slabBytes & (slabBytes - 1)) !== 0
    ) {
      throw new RlistError(
        "EINVAL",
        `slabBytes must be a power of two from ${chunkBytes} to 2^30, got ${formatValue(slabBytes)}`,
      );
    }
    const limitOption = options.limit;
    const limit = checkLimit(limitOption === undefined ? Number.POSITIVE_INFINITY : limitOption);
    const kind = options.memoryKind;
    if (kind !== undefined && kind !== "shared" && kind !== "reserved") {
      throw new RlistError("EINVAL", `memoryKind must be "shared" or "reserved", got ${formatValue(kind)}`);
    }
    const maxBytes = options.maxBytes;
    if (
      maxBytes !== undefined &&
      !(
        typeof maxBytes === "number" &&
        Number.isInteger(maxBytes) &&
        maxBytes % WASM_PAGE_BYTES === 0 &&
        maxBytes >= CHUNK_BASE + WASM_PAGE_BYTES &&
        maxBytes <= WASM_MAX_PAGES * WASM_PAGE_BYTES
      )
    ) {
      throw new RlistError(
        "EINVAL",
        `maxBytes must be a multiple of 64 KiB from 128 KiB to 4 GiB, got ${formatValue(maxBytes)}`,
      );
    }
    this.chunkBytes = chunkBytes;
    this.slabBytes = slabBytes;
    this.chunkWords = chunkBytes / 4;
    this.chunkShift = log2(this.chunkWords);
    this.perSlab = slabBytes / chunkBytes;
    this._limit = limit;
    const maxPages = (maxBytes ?? WASM_MAX_PAGES * WASM_PAGE_BYTES) / WASM_PAGE_BYTES;
    const reservePages = (maxBytes ?? DEFAULT_RESERVED_BYTES) / WASM_PAGE_BYTES;
    let made: { memory: WasmMemory; shared: boolean };
    try {
      made = createMemory(maxPages, kind, reservePages);
    } catch (cause) {
      throw new RlistError("ENOMEM", "cannot create the pool's WebAssembly.Memory", { cause });
    }
    this.memory = made.memory;
    this.sharedMemory = made.shared;
    this.maxBytes = (made.shared ? maxPages : reservePages) * WASM_PAGE_BYTES;
    this.maxChunks = Math.min((this.maxBytes - CHUNK_BASE) / chunkBytes, NIL);
    this._u32 = fixedView(this.memory.buffer);
    this._scratch64 = new BigUint64Array(this.memory.buffer, 0, 8);
  }

  /** Most chunks that may be in use at once (settable; `Infinity` = no limit). */
  get limit(): number {
    return this._limit;
  }

  set limit(value: number) {
    this._limit = checkLimit(value);
  }

  /**
   * A view over the memory that holds chunk `id` (the whole memory as of its last growth: the
   * same view for every chunk carved so far). It stays valid for chunk `id` for the pool's
   * lifetime, whatever the pool carves later; take it again to reach chunks carved later.
   */
  words(_id: number): Uint32Array {
    return this._u32;
  }

  /** Unit index of chunk `id`'s first header word inside {@link words}(id). */
  wordBase(id: number): number {
    // CHUNK_BASE / 4 = 16384; at most 2^30 units (4 GiB), so this stays a small integer.
    return 16384 + (id << this.chunkShift);
  }

  /** @internal the list kernels instantiated over this pool's memory (on first use). */
  kernels(): ListKernels {
    let k = this._kernels;
    if (k === null) {
      k = instantiateKernel<ListKernels>(listKernelBytes, this.memory, this.sharedMemory);
      this._kernels = k;
    }
    return k;
  }

  /** Installs (or with `null` removes) a fault-injection hook; resets the attempt counter. */
  setFaultHook(hook: FaultHook | null): void {
    if (hook !== null && typeof hook !== "function") {
      throw new RlistError("EINVAL", `the fault hook must be a function or null, got ${formatValue(hook)}`);
    }
    this.faultHook = hook;
    this.attempts = 0;
  }

  /**
   * Chunks the pool can still hand out: up to {@link limit} and to what its WebAssembly.Memory
   * can hold, whichever is lower (an unlimited pool still ends at its memory's ceiling, so a
   * `reserve()` larger than that is refused up front rather than allocated until it fails).
   */
  get available(): number {
    return Math.min(this._limit, this.maxChunks) - this.inUse;
  }

  /**
   * Hands out one chunk. Its contents are whatever the last user left; the caller initialises
   * the header. Throws ENOMEM (and changes nothing) when the limit, the fault hook or the
   * JS heap refuses.
   */
  alloc(): number {
    const attempt = this.attempts++;
    if (this.inUse >= this._limit) {
      throw new RlistError("ENOMEM", `chunk pool limit of ${this._limit} chunks reached`);
    }
    if (this.faultHook?.(attempt)) {
      throw new RlistError("ENOMEM", `chunk allocation ${attempt} refused by the fault hook`);
    }
    let id = this.freeHead;
    if (id !== NIL) {
      this.freeHead = this.words(id)[this.wordBase(id) + HDR_NEXT] as number;
      this.freeCount--;
    } else {
      if (this.bump === this.bumpEnd) this.grow();
      id = this.bump++;
    }
    const bits = this.allocated;
    bits[id >>> 5] = (bits[id >>> 5] as number) | (1 << (id & 31));
    this.inUse++;
    return id;
  }

  /**
   * Returns chunk `id` to the pool. EINVAL, and nothing changes, unless `id` is a chunk this
   * pool handed out and has not taken back (a double free, or an id it never gave).
   */
  free(id: number): void {
    // `id >>> 0 === id`: an integer in 0..2^32-1 (not NaN, -1, 1.5, 2^32); `typeof` first,
    // since `>>>` throws on a bigint or a symbol.
    if (!(typeof id === "number" && id >>> 0 === id && id < this.bumpEnd)) throw this.badFree(id);
    const bits = this.allocated;
    const word = bits[id >>> 5] as number;
    const bit = 1 << (id & 31);
    if ((word & bit) === 0) throw this.badFree(id);
    bits[id >>> 5] = word & ~bit;
    this.words(id)[this.wordBase(id) + HDR_NEXT] = this.freeHead;
    this.freeHead = id;
    this.freeCount++;
    this.inUse--;
  }

  stats(): ChunkPoolStats {
    const memoryBytes = this.memory.buffer.byteLength;
    return {
      chunkBytes: this.chunkBytes,
      slabs: this.slabCount,
      slabBytes: this.bumpEnd * this.chunkBytes,
      chunksInUse: this.inUse,
      chunksFree: this.freeCount + (this.bumpEnd - this.bump),
      memoryBytes,
      memoryTailBytes: memoryBytes - CHUNK_BASE - this.bumpEnd * this.chunkBytes,
    };
  }

  private badFree(id: unknown): RlistError {
    if (typeof id !== "number" || !Number.isInteger(id) || id < 0 || id >= this.bumpEnd) {
      return new RlistError(
        "EINVAL",
        `free: ${formatValue(id)} is not a chunk id of this pool (0..${this.bumpEnd - 1})`,
      );
    }
    return new RlistError("EINVAL", `free: chunk ${id} is not allocated (double free, or never handed out)`);
  }

  /** Carves the next slab (the last one may be cut short by {@link maxBytes}), growing the memory. */
  private grow(): void {
    const bumpEnd = Math.min(this.bumpEnd + this.perSlab, this.maxChunks);
    if (bumpEnd === this.bumpEnd) {
      throw new RlistError(
        "ENOMEM",
        `the pool's WebAssembly.Memory is full: ${this.maxChunks} chunks of ${this.chunkBytes} bytes fit ` +
          `its ${this.maxBytes} bytes (a wasm32 memory holds at most 4 GiB)`,
      );
    }
    const need = CHUNK_BASE + bumpEnd * this.chunkBytes;
    const have = this.memory.buffer.byteLength;
    let bits = this.allocated;
    if (bits.length * 32 < bumpEnd) {
      // Doubling keeps the copies O(total) over the pool's life.
      try {
        bits = new Uint32Array(Math.max(Math.ceil(bumpEnd / 32), bits.length * 2));
      } catch (cause) {
        throw new RlistError("ENOMEM", "cannot grow the chunk bitmap", { cause });
      }
      bits.set(this.allocated);
    }
    if (need > have) {
      try {
        this.memory.grow(Math.ceil((need - have) / WASM_PAGE_BYTES));
      } catch (cause) {
        throw new RlistError("ENOMEM", `cannot grow the pool's WebAssembly.Memory to ${need} bytes`, {
          cause,
        });
      }
      // A shared memory's old views stay valid for what they covered: readers holding one keep it.
      this._u32 = fixedView(this.memory.buffer);
    }
    this.allocated = bits;
    this.bump = this.bumpEnd;
    this.bumpEnd = bumpEnd;
    this.slabCount++;
  }
}

/**
 * A fixed-length u32 view of the whole buffer. A shared memory's buffer is a growable
 * SharedArrayBuffer, on which `new Uint32Array(buffer)` makes a length-tracking view; V8 re-reads
 * such a view's length on every access (measured: cursor walks and appends 2-3x slower).
 */
function fixedView(buffer: ArrayBufferLike): Uint32Array {
  return new Uint32Array(buffer, 0, buffer.byteLength >>> 2);
}

function checkLimit(limit: unknown): number {
  if (
    !(
      typeof limit === "number" &&
      limit >= 0 &&
      (Number.isSafeInteger(limit) || limit === Number.POSITIVE_INFINITY)
    )
  ) {
    throw new RlistError(
      "EINVAL",
      `limit must be a safe integer >= 0 or Infinity, got ${formatValue(limit)}`,
    );
  }
  return limit;
}

/**
 * ChunkPool: the chunk allocator behind every RangeList, the userspace stand-in for the
 * prototype's dedicated kmem_cache of 512-byte chunks.
 *
 * Chunks are carved out of large `ArrayBuffer` slabs (one JS object per chunk would cost more
 * than the data) and named by an integer index, never by an object. Freed chunks go on a free
 * list threaded through their first header word (like a slab freelist) and are reused before
 * fresh slab space. Several lists may share one pool. Slabs are kept for the pool's lifetime.
 *
 * A bitmap with one bit per chunk id says which chunks are handed out, so `free` refuses a
 * double free or an id the pool never gave (what SLUB's debug checks catch) in O(1), before it
 * touches the free list.
 */
import { formatValue, RlistError } from "@rlist/encoding";
import { type ChunkBytes, HDR_NEXT, isChunkBytes, NIL } from "./constants.js";

export interface ChunkPoolOptions {
  /** Chunk size in bytes: 128, 512 (default) or 4096. */
  chunkBytes?: ChunkBytes;
  /** Slab size in bytes: a power of two from `chunkBytes` to 2^30. Default 1 MiB. */
  slabBytes?: number;
  /** Most chunks that may be in use at once; allocation beyond fails with ENOMEM. */
  limit?: number;
}

export interface ChunkPoolStats {
  chunkBytes: number;
  /** Slabs reserved. */
  slabs: number;
  /** Bytes reserved in slabs (slabs * slab size): what the pool holds from the JS heap. */
  slabBytes: number;
  chunksInUse: number;
  /** Chunks ready to hand out without a new slab: recycled ones plus untouched slab space. */
  chunksFree: number;
}

/**
 * Called before every allocation with its attempt number (0, 1, 2, ...); returning true makes
 * that allocation fail with ENOMEM. For fault-injection tests.
 */
export type FaultHook = (attempt: number) => boolean;

const DEFAULT_SLAB_BYTES = 1 << 20;
const MAX_SLAB_BYTES = 1 << 30;

function log2(n: number): number {
  return 31 - Math.clz32(n);
}

export class ChunkPool {
  readonly chunkBytes: ChunkBytes;
  /** Bytes per slab. */
  readonly slabBytes: number;
  /** 32-bit units per chunk (header included). */
  readonly chunkWords: number;
  /**
   * Low-level: one `Uint32Array` per slab. Chunk `id` lives in `slabs[id >>> slabShift]`
   * starting at unit `(id & slabMask) << chunkShift`. Use {@link words} / {@link wordBase}.
   */
  readonly slabs: Uint32Array[] = [];
  readonly slabShift: number;
  readonly slabMask: number;
  readonly chunkShift: number;
  private _limit: number;
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
    const chunkBytes = options.chunkBytes ?? 512;
    if (!isChunkBytes(chunkBytes)) {
      throw new RlistError("EINVAL", `chunkBytes must be 128, 512 or 4096, got ${formatValue(chunkBytes)}`);
    }
    const slabBytes = options.slabBytes ?? Math.max(DEFAULT_SLAB_BYTES, chunkBytes);
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
    const limit = checkLimit(options.limit ?? Number.POSITIVE_INFINITY);
    this.chunkBytes = chunkBytes;
    this.slabBytes = slabBytes;
    this.chunkWords = chunkBytes / 4;
    this.chunkShift = log2(this.chunkWords);
    this.slabShift = log2(slabBytes / chunkBytes);
    this.slabMask = (1 << this.slabShift) - 1;
    this._limit = limit;
  }

  /** Most chunks that may be in use at once (settable; `Infinity` = no limit). */
  get limit(): number {
    return this._limit;
  }

  set limit(value: number) {
    this._limit = checkLimit(value);
  }

  /** The slab holding chunk `id`. */
  words(id: number): Uint32Array {
    return this.slabs[id >>> this.slabShift] as Uint32Array;
  }

  /** Unit index of chunk `id`'s first header word inside {@link words}(id). */
  wordBase(id: number): number {
    return (id & this.slabMask) << this.chunkShift;
  }

  /** Installs (or with `null` removes) a fault-injection hook; resets the attempt counter. */
  setFaultHook(hook: FaultHook | null): void {
    if (hook !== null && typeof hook !== "function") {
      throw new RlistError("EINVAL", `the fault hook must be a function or null, got ${formatValue(hook)}`);
    }
    this.faultHook = hook;
    this.attempts = 0;
  }

  /** Chunks that one more allocation may take before hitting {@link limit}. */
  get available(): number {
    return this._limit - this.inUse;
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
    return {
      chunkBytes: this.chunkBytes,
      slabs: this.slabs.length,
      slabBytes: this.slabs.length * this.slabBytes,
      chunksInUse: this.inUse,
      chunksFree: this.freeCount + (this.bumpEnd - this.bump),
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

  private grow(): void {
    const perSlab = 1 << this.slabShift;
    if ((this.slabs.length + 1) * perSlab >= NIL) {
      throw new RlistError("ENOMEM", "chunk pool index space (2^32 chunks) exhausted");
    }
    let slab: Uint32Array;
    try {
      slab = new Uint32Array(this.slabBytes / 4);
    } catch (cause) {
      throw new RlistError("ENOMEM", `cannot reserve a ${this.slabBytes}-byte slab`, { cause });
    }
    const bumpEnd = (this.slabs.length + 1) * perSlab;
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
    this.allocated = bits;
    this.bump = this.slabs.length * perSlab;
    this.bumpEnd = bumpEnd;
    this.slabs.push(slab);
  }
}

function checkLimit(limit: unknown): number {
  if (
    !(
      typeof limit === "number" &&
      limit >= 0 &&
      (Number.isInteger(limit) || limit === Number.POSITIVE_INFINITY)
    )
  ) {
    throw new RlistError(
      "EINVAL",
      `limit must be a non-negative integer or Infinity, got ${formatValue(limit)}`,
    );
  }
  return limit;
}

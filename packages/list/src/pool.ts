/**
 * ChunkPool: the chunk allocator behind every RangeList, the userspace stand-in for the
 * prototype's dedicated kmem_cache of 512-byte chunks.
 *
 * Chunks are carved out of large `ArrayBuffer` slabs (one JS object per chunk would cost more
 * than the data) and named by an integer index, never by an object. Freed chunks go on a free
 * list threaded through their first header word (like a slab freelist) and are reused before
 * fresh slab space. Several lists may share one pool. Slabs are kept for the pool's lifetime.
 */
import { RlistError } from "@rlist/encoding";
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
  /** Most chunks that may be in use at once (settable; `Infinity` = no limit). */
  limit: number;

  private faultHook: FaultHook | null = null;
  private attempts = 0;
  private freeHead = NIL;
  private freeCount = 0;
  private bump = 0;
  private bumpEnd = 0;
  private inUse = 0;

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
    const chunkBytes = options.chunkBytes ?? 512;
    if (!isChunkBytes(chunkBytes)) {
      throw new RlistError("EINVAL", `chunkBytes must be 128, 512 or 4096, got ${String(chunkBytes)}`);
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
        `slabBytes must be a power of two from ${chunkBytes} to 2^30, got ${String(slabBytes)}`,
      );
    }
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    if (!(typeof limit === "number" && limit >= 0 && (Number.isInteger(limit) || limit === Infinity))) {
      throw new RlistError(
        "EINVAL",
        `limit must be a non-negative integer or Infinity, got ${String(limit)}`,
      );
    }
    this.chunkBytes = chunkBytes;
    this.slabBytes = slabBytes;
    this.chunkWords = chunkBytes / 4;
    this.chunkShift = log2(this.chunkWords);
    this.slabShift = log2(slabBytes / chunkBytes);
    this.slabMask = (1 << this.slabShift) - 1;
    this.limit = limit;
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
    this.faultHook = hook;
    this.attempts = 0;
  }

  /** Chunks that one more allocation may take before hitting {@link limit}. */
  get available(): number {
    return this.limit - this.inUse;
  }

  /**
   * Hands out one chunk. Its contents are whatever the last user left; the caller initialises
   * the header. Throws ENOMEM (and changes nothing) when the limit, the fault hook or the
   * JS heap refuses.
   */
  alloc(): number {
    const attempt = this.attempts++;
    if (this.inUse >= this.limit) {
      throw new RlistError("ENOMEM", `chunk pool limit of ${this.limit} chunks reached`);
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
    this.inUse++;
    return id;
  }

  /** Returns chunk `id` to the pool. The caller must own it (no double free). */
  free(id: number): void {
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
    this.bump = this.slabs.length * perSlab;
    this.bumpEnd = this.bump + perSlab;
    this.slabs.push(slab);
  }
}

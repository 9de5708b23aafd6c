/**
 * RangeList: the prototype's `struct rlist`, a singly linked list of fixed-size chunks packed
 * with 8/16/24-byte (or fixed 16-byte) entries, append-only with optional merging.
 *
 * Storage: chunks come from a {@link ChunkPool}; each holds a 2-unit header (next chunk index,
 * used units) and an entry area. Entries never straddle chunks; when the next entry does not
 * fit, an END marker (the word 3) closes the chunk and a new one is linked (no back-filling).
 * The tail also carries an END marker whenever room is left, so every chunk is self-describing.
 *
 * A side {@link ChunkIndex} (pool index, start position, first entry index per chunk) gives
 * O(log chunks) seek and truncate, the prototype's FIXME about O(N) seek.
 */
import {
  type Codec,
  checkSafe,
  fixed16Codec,
  fixed16LengthAt,
  formatValue,
  LAYOUT_WRITERS,
  type LayoutWriters,
  type RangeEntry,
  type RangeEntryBig,
  RlistError,
  variableCodec,
  variableLengthAt,
} from "@rlist/encoding";
import { ChunkIndex } from "./chunk-index.js";
import {
  type ChunkBytes,
  entryUnits,
  HDR_NEXT,
  HDR_USED,
  HEADER_UNITS,
  isChunkBytes,
  MAX_SAFE,
  MAX_TOTAL_BIG,
  NIL,
} from "./constants.js";
import { createCursor, type RangeCursor } from "./cursor.js";
import { type ListChecksum, listChecksum } from "./kernels/checksum.js";
import { readImage } from "./kernels/image.js";
import { tryMerge } from "./merge.js";
import { ChunkPool } from "./pool.js";
import {
  newRaw,
  type Raw,
  rawFromBigFields,
  rawFromFields,
  rawLength,
  rawLengthBig,
  readFixed16,
  readVariable,
  variableUnits,
  writeFixed16,
  writeVariable,
} from "./raw.js";
import { type ListImage, listToBytes } from "./serialize.js";
import { sliceInto, type TrimFront } from "./slice.js";
import { listStats } from "./stats.js";
import { truncateList } from "./truncate.js";
import { type ChunkSpan, chunkSpanOf } from "./view.js";

export type CodecName = "variable" | "fixed16";

export interface SliceOptions {
  /**
   * How the bytes cut off the front of the first entry are recorded: `"offset"` (default)
   * adds them to `offset` (rlist_cpu style: base is a folio / pfn, offset the byte bias),
   * `"base"` adds them to `base` (byte addresses, e.g. DMA lists; needed for fixed16).
   */
  trimFront?: TrimFront;
}

/**
 * Decides whether `next` continues `prev` (then `prev` is extended by `next.length` in place).
 * The entry objects are reused scratch records: copy them if you keep them.
 */
export type MergeHook = (prev: Readonly<RangeEntry>, next: Readonly<RangeEntry>) => boolean;

export interface RangeListOptions {
  /** `variableCodec` / `"variable"` (default) or `fixed16Codec` / `"fixed16"`. */
  codec?: Codec | CodecName;
  /** 128, 512 (default) or 4096; must match `pool.chunkBytes` when both are given. */
  chunkBytes?: ChunkBytes;
  /** Pool to take chunks from; default: the shared pool for `chunkBytes` ({@link ChunkPool.shared}). */
  pool?: ChunkPool;
  /** Extend the last entry instead of appending when the next one continues it. Default false. */
  merge?: boolean;
  /**
   * Replaces the default merge rule (same type and extra, both offsets 0,
   * prev.base + prev.length === next.base). Called only for entries whose fields are safe numbers.
   */
  canMerge?: MergeHook;
  /** When false, an append that needs a chunk beyond the reserve fails with ENOSPC. Default true. */
  allocate?: boolean;
}

/** Memory accounting, counted honestly in whole chunks (headers and pads included). */
export interface RangeListStats {
  entries: number;
  chunks: number;
  /** Size of one chunk. */
  chunkBytes: number;
  /** chunks * chunkBytes. */
  bytesInUse: number;
  /** bytesInUse / entries (0 for an empty list). */
  bytesPerEntry: number;
  /** Encoded entry bytes / bytesInUse (0 for an empty list). */
  efficiency: number;
  /** Entries stored in each form (fixed16 entries all count as 16). */
  byForm: { 8: number; 16: number; 24: number };
  /** Chunks held by {@link RangeList.reserve} and not yet used. */
  reservedChunks: number;
  /** Bytes of the per-chunk side index (JS heap, outside the pool). */
  indexBytes: number;
  /**
   * Bytes of the pool's WebAssembly.Memory past its carved slabs (grown or reserved, not yet
   * carved into chunks); pool-wide, shared by every list of the pool.
   */
  memoryTailBytes: number;
}

/** Word written after the last entry of a chunk when room is left (encoding field = 3). */
export const END_MARKER = 3;

const EMPTY_WORDS = new Uint32Array(8);

function resolveCodec(c: unknown): Codec {
  if (c === undefined || c === "variable" || c === variableCodec) return variableCodec;
  if (c === "fixed16" || c === fixed16Codec) return fixed16Codec;
  throw new RlistError(
    "EINVAL",
    `codec must be variableCodec, fixed16Codec, 'variable' or 'fixed16', got ${formatValue(c)}`,
  );
}

/** {@link RangeListOptions} read once each and checked. */
interface Settings {
  codec: Codec;
  /** False when the options named no codec (`codec` is then the default). */
  codecGiven: boolean;
  chunkBytes: ChunkBytes | undefined;
  pool: ChunkPool | undefined;
  merge: boolean;
  canMerge: MergeHook | null;
  allocate: boolean;
}

function readOptions(options: unknown): Settings {
  if (typeof options !== "object" || options === null) {
    throw new RlistError("EINVAL", `options must be an object, got ${formatValue(options)}`);
  }
  const o = options as RangeListOptions;
  const codecOption: unknown = o.codec;
  const codec = resolveCodec(codecOption);
  const chunkBytes: unknown = o.chunkBytes;
  const pool: unknown = o.pool;
  const merge: unknown = o.merge;
  const canMerge: unknown = o.canMerge;
  const allocate: unknown = o.allocate;
  if (chunkBytes !== undefined && !isChunkBytes(chunkBytes)) {
    throw new RlistError("EINVAL", `chunkBytes must be 128, 512 or 4096, got ${formatValue(chunkBytes)}`);
  }
  if (pool !== undefined && !(pool instanceof ChunkPool)) {
    throw new RlistError("EINVAL", `pool must be a ChunkPool, got ${formatValue(pool)}`);
  }
  if (canMerge !== undefined && typeof canMerge !== "function") {
    throw new RlistError("EINVAL", `canMerge must be a function, got ${formatValue(canMerge)}`);
  }
  return {
    codec,
    codecGiven: codecOption !== undefined,
    chunkBytes,
    pool,
    merge: merge === undefined ? false : checkFlag("merge", merge),
    canMerge: (canMerge as MergeHook | undefined) ?? null,
    allocate: allocate === undefined ? true : checkFlag("allocate", allocate),
  };
}

function checkFlag(name: string, v: unknown): boolean {
  if (typeof v !== "boolean")
    throw new RlistError("EINVAL", `${name} must be a boolean, got ${formatValue(v)}`);
  return v;
}

function busyError(): RlistError {
  return new RlistError("EBUSY", "the list was changed from inside its canMerge hook");
}

function newEntry(): RangeEntry {
  return { type: 0, length: 0, base: 0, offset: 0, extra: 0 };
}

export class RangeList implements Iterable<RangeEntry> {
  readonly codec: Codec;
  readonly pool: ChunkPool;
  readonly chunkBytes: ChunkBytes;
  /** Entry units per chunk: 30, 126 or 1022. */
  readonly unitsPerChunk: number;
  /** The user merge rule, or null for the default one. */
  readonly canMerge: MergeHook | null;

  // ---- internals, shared with cursors, slice and serialisation (not API) ----
  /** @internal */ readonly _fixed: boolean;
  /** @internal */ _ix = new ChunkIndex();
  /** @internal slab words holding the tail chunk */ _tw: Uint32Array = EMPTY_WORDS;
  /** @internal unit index of the tail chunk's header in `_tw` */ _tBase = 0;
  /** @internal entry units used in the tail (unitsPerChunk when there is no tail) */ _tUsed: number;
  /** @internal unit index (in the entry area) of the last entry, -1 if none */ _lastAt = -1;
  /** @internal */ _count = 0;
  /** @internal total length as a double: exact while <= 2^53-1 */ _total = 0;
  /** @internal exact total, meaningful only while `_total` > 2^53-1 */ _totalBig = 0n;
  /** @internal bumped by truncate/clear: cursors taken before are stale */ _epoch = 0;
  /** @internal chunks held by reserve() */ _preload: number[] = [];

  /** @internal */ private _merge = false;
  /** @internal */ private _allocate = true;
  /** @internal */ private _fast8 = false;
  /** @internal */ private _fast16 = false;
  /** @internal set while a canMerge hook runs (re-entrant appends: EBUSY) */ _busy = false;
  /** @internal scratch records (no per-append allocation) */ readonly _prev: Raw = newRaw();
  /** @internal */ private readonly _next: Raw = newRaw();
  /**
   * @internal The fields {@link append} read, handed to its out-of-line part (doubles from the
   * start).
   */
  private readonly _in: RangeEntry = { type: 0.5, length: 0.5, base: 0.5, offset: 0.5, extra: 0.5 };
  /** @internal */ readonly _hookPrev: RangeEntry = newEntry();
  /** @internal */ readonly _hookNext: RangeEntry = newEntry();
  // @rlist/encoding's layout writers, on the prototype (LAYOUT_WRITERS, assigned below): called
  // through `this` so that optimised code calls them with no check of the target.
  /** @internal */ declare private readonly variableWideUnitsFor: LayoutWriters["variableWideUnitsFor"];
  /** @internal */ declare private readonly writeVariable8: LayoutWriters["writeVariable8"];
  /** @internal */ declare private readonly writeVariableWide: LayoutWriters["writeVariableWide"];
  /** @internal */ declare private readonly writeFixed16Fields: LayoutWriters["writeFixed16Fields"];

  constructor(options: RangeListOptions = {}) {
    const o = readOptions(options);
    const pool = o.pool;
    const chunkBytes = o.chunkBytes ?? pool?.chunkBytes ?? 512;
    if (pool !== undefined && pool.chunkBytes !== chunkBytes) {
      throw new RlistError("EINVAL", `chunkBytes ${chunkBytes} does not match the pool's ${pool.chunkBytes}`);
    }
    this.codec = o.codec;
    this.pool = pool ?? ChunkPool.shared(chunkBytes);
    this.chunkBytes = chunkBytes;
    this.unitsPerChunk = entryUnits(chunkBytes);
    this._tUsed = this.unitsPerChunk;
    this._fixed = this.codec.name === "fixed16";
    this.canMerge = o.canMerge;
    this._allocate = o.allocate;
    this.merge = o.merge;
    // Pin `_total` to V8's double field representation from the start: a field that starts
    // as a small integer and later grows past 2^31 changes the map of every RangeList and
    // deoptimises all code that touched one (measured: halves iterate/append throughput).
    this._total = 0.5;
    this._total = 0;
  }

  /** Build a list from entries (number form; an iterable object, e.g. an array); on failure nothing stays allocated. */
  static from(entries: Iterable<RangeEntry>, options?: RangeListOptions): RangeList {
    if (
      typeof entries !== "object" ||
      entries === null ||
      typeof (entries as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== "function"
    ) {
      throw new RlistError("EINVAL", `entries must be iterable, got ${formatValue(entries)}`);
    }
    const list = new RangeList(options);
    try {
      for (const e of entries) list.append(e);
    } catch (err) {
      list.clear();
      throw err;
    }
    return list;
  }

  /**
   * Loads a list saved by {@link toBytes} into chunks of `options.pool` (or the shared pool).
   * The codec and chunk size come from the bytes (options that disagree: EINVAL). Corrupt
   * input: EINVAL, with nothing allocated; ENOMEM leaves nothing allocated either.
   */
  static fromBytes(bytes: Uint8Array, options: RangeListOptions = {}): RangeList {
    const o = readOptions(options);
    const img = readImage(bytes);
    if (o.codecGiven && o.codec.name !== img.codec) {
      throw new RlistError("EINVAL", `fromBytes: the bytes hold a ${img.codec} list`);
    }
    if (o.chunkBytes !== undefined && o.chunkBytes !== img.chunkBytes) {
      throw new RlistError("EINVAL", `fromBytes: the bytes hold ${img.chunkBytes}-byte chunks`);
    }
    const list = new RangeList({
      codec: img.codec,
      chunkBytes: img.chunkBytes,
      merge: o.merge,
      allocate: o.allocate,
      ...(o.pool === undefined ? {} : { pool: o.pool }),
      ...(o.canMerge === null ? {} : { canMerge: o.canMerge }),
    });
    list._load(img);
    return list;
  }

  /** Merge-on-append (settable). */
  get merge(): boolean {
    return this._merge;
  }

  set merge(on: boolean) {
    checkFlag("merge", on);
    if (this._busy) throw busyError();
    this._merge = on;
    this._fast8 = !this._merge && !this._fixed;
    this._fast16 = !this._merge && this._fixed;
  }

  /** When false, appends that need a chunk beyond the reserve fail with ENOSPC (settable). */
  get allocate(): boolean {
    return this._allocate;
  }

  set allocate(on: boolean) {
    this._allocate = checkFlag("allocate", on);
  }

  /** Number of entries. */
  get count(): number {
    return this._count;
  }

  /** True when the list holds no entries (the INTENDED `rlist_empty`). */
  get isEmpty(): boolean {
    return this._count === 0;
  }

  /** Sum of all lengths. Throws ERANGE above 2^53-1: use {@link totalLengthBig}. */
  get totalLength(): number {
    if (this._total > MAX_SAFE) {
      throw new RlistError("ERANGE", "total length is above 2^53-1: read totalLengthBig");
    }
    return this._total;
  }

  /** Sum of all lengths, exact (u64). */
  get totalLengthBig(): bigint {
    return this._totalExact();
  }

  /** Chunks held by {@link reserve} and not yet used. */
  get reservedChunks(): number {
    return this._preload.length;
  }

  /** Number of chunks in the list. */
  get chunkCount(): number {
    return this._ix.length;
  }

  /**
   * Low-level read view: fills `out` with the raw words of chunk `k` (see view.ts for the
   * layout decoders); false when there is no chunk `k` (`k < 0` or `k >= chunkCount`). For hot
   * loops in upper layers. A `k` that is not an integer is EINVAL / ERANGE, an `out` that is no
   * writable object EINVAL.
   */
  chunkSpan(k: number, out: ChunkSpan): boolean {
    if (!(typeof k === "number" && Number.isInteger(k) && typeof out === "object" && out !== null)) {
      if (typeof out !== "object" || out === null) {
        throw new RlistError("EINVAL", `out must be a ChunkSpan, got ${formatValue(out)}`);
      }
      if (typeof k !== "number") throw new RlistError("EINVAL", `k must be a number, got ${formatValue(k)}`);
      throw new RlistError("ERANGE", `k ${formatValue(k)} is not an integer`);
    }
    try {
      return chunkSpanOf(this, k, out);
    } catch (cause) {
      throw new RlistError("EINVAL", "out is not a writable ChunkSpan", { cause });
    }
  }

  /** An allocation-free cursor, positioned before the first entry (its `next()` acts as `reset()`). */
  cursor(): RangeCursor {
    return createCursor(this);
  }

  /**
   * Appends `e` (number form). Like rls_append(): the smallest encoding that fits is chosen;
   * a new chunk is linked when it does not fit the tail. With `merge` on, an entry that
   * continues the last one extends it instead. Throws (list unchanged): ERANGE/EINVAL for a
   * bad entry, ERANGE if the total would pass 2^64-1, ENOSPC (allocate off, reserve used up),
   * ENOMEM (pool refused).
   */
  append(e: RangeEntry): void {
    // Kept small so V8 can inline it into the caller's loop: only an 8-byte entry that fits
    // the tail is handled here (literals: see _appendFields). Everything else goes out of line.
    // Each field is read exactly once, here; every check and write after uses these reads, so
    // a getter cannot get one value past the checks and another into the chunk.
    if (typeof e !== "object" || e === null) this._refuse(e);
    const type = e.type;
    const length = e.length;
    const base = e.base;
    const offset = e.offset;
    const extra = e.extra;
    if (
      typeof type !== "number" ||
      typeof length !== "number" ||
      typeof base !== "number" ||
      typeof offset !== "number" ||
      typeof extra !== "number"
    ) {
      this._refuse({ type, length, base, offset, extra });
    }
    if (this._fast8 === true) {
      if (
        (type & 3) === type &&
        length >>> 0 === length &&
        length < 0x1000_0000 &&
        base >>> 0 === base &&
        offset === 0 &&
        extra === 0
      ) {
        const total = this._total + length;
        const used = this._tUsed;
        const nu = used + 2;
        if (total <= 9007199254740991 && nu <= this.unitsPerChunk) {
          const w = this._tw;
          const hdr = this._tBase;
          const at = hdr + 2 + used;
          this.writeVariable8(w, at, type, length, base);
          w[hdr + 1] = nu;
          if (nu < this.unitsPerChunk) w[at + 2] = 3;
          this._tUsed = nu;
          this._lastAt = used;
          this._count++;
          this._total = total;
          return;
        }
      }
    }
    // Handed over in a record, not as arguments: a call that is not inlined would box every
    // double argument (offsets and extras above 2^31 are doubles; measured 1.5x on 24-byte entries).
    const f = this._in;
    f.type = type;
    f.length = length;
    f.base = base;
    f.offset = offset;
    f.extra = extra;
    this._appendIn();
  }

  /**
   * @internal The rest of {@link append}, over the fields it read (in `_in`, all numbers): chunk
   * changes, 16/24-byte and fixed16 entries, merges, errors.
   */
  private _appendIn(): void {
    if (this._busy) throw busyError();
    const { type, length, base, offset, extra } = this._in;
    // Hot path: number literals rather than the named constants (an imported or module
    // `const` is re-read from its cell with a TDZ check on every use in optimised code).
    // 0x1000_0000 = 2^28; 9007199254740991 = 2^53-1; 2 = HEADER_UNITS; hdr + 1 = HDR_USED;
    // 3 = END_MARKER.
    if (this._fast8 === true) {
      // 8-byte form: length < 2^28, base < 2^32, no offset, no extra.
      if (
        (type & 3) === type &&
        length >>> 0 === length &&
        length < 0x1000_0000 &&
        base >>> 0 === base &&
        offset === 0 &&
        extra === 0
      ) {
        const total = this._total + length;
        if (total <= 9007199254740991) {
          let used = this._tUsed;
          if (used + 2 > this.unitsPerChunk) {
            this._openChunk();
            used = 0;
          }
          const w = this._tw;
          const hdr = this._tBase;
          const at = hdr + 2 + used;
          this.writeVariable8(w, at, type, length, base);
          const nu = used + 2;
          w[hdr + 1] = nu;
          if (nu < this.unitsPerChunk) w[at + 2] = 3;
          this._tUsed = nu;
          this._lastAt = used;
          this._count++;
          this._total = total;
          return;
        }
      } else if (
        (type & 3) === type &&
        Number.isSafeInteger(length) &&
        length >= 0 &&
        Number.isSafeInteger(base) &&
        base >= 0 &&
        typeof offset === "number" &&
        offset >>> 0 === offset &&
        typeof extra === "number" &&
        extra >>> 0 === extra
      ) {
        // Any other valid entry: the 16- or 24-byte form (the 8-byte one was ruled out above).
        const total = this._total + length;
        if (total <= 9007199254740991) {
          const units = this.variableWideUnitsFor(length, offset, extra); // not 8 bytes (ruled out above)
          let used = this._tUsed;
          if (used + units > this.unitsPerChunk) {
            this._openChunk();
            used = 0;
          }
          const w = this._tw;
          const hdr = this._tBase;
          const at = hdr + 2 + used;
          this.writeVariableWide(w, at, units, type, length, base, offset, extra);
          const nu = used + units;
          w[hdr + 1] = nu;
          if (nu < this.unitsPerChunk) w[at + units] = 3;
          this._tUsed = nu;
          this._lastAt = used;
          this._count++;
          this._total = total;
          return;
        }
      }
    } else if (this._fast16 === true) {
      if (
        (type & 3) === type &&
        Number.isSafeInteger(length) &&
        length >= 0 &&
        Number.isSafeInteger(base) &&
        base >= 0 &&
        offset === 0 &&
        extra === 0
      ) {
        const total = this._total + length;
        if (total <= 9007199254740991) {
          let used = this._tUsed;
          if (used + 4 > this.unitsPerChunk) {
            this._openChunk();
            used = 0;
          }
          const w = this._tw;
          const hdr = this._tBase;
          const at = hdr + 2 + used;
          this.writeFixed16Fields(w, at, type, length, base);
          const nu = used + 4;
          w[hdr + 1] = nu;
          if (nu < this.unitsPerChunk) w[at + 4] = 3;
          this._tUsed = nu;
          this._lastAt = used;
          this._count++;
          this._total = total;
          return;
        }
      }
    }
    // Merges, totals past 2^53-1, and errors: the general path over a checked raw entry.
    const r = this._next;
    if (
      !rawFromFields(type, length, base, offset, extra, r) ||
      (this._fixed && (offset !== 0 || extra !== 0))
    ) {
      this._refuse({ type, length, base, offset, extra });
    }
    this._appendRaw(r, this._fixed ? 4 : variableUnits(r));
  }

  /**
   * Appends `e` (bigint form: length up to 2^60-1, base up to 2^64-1). Same rules as
   * {@link append}, and each field is read exactly once as well.
   */
  appendBig(e: RangeEntryBig): void {
    if (this._busy) throw busyError();
    if (typeof e !== "object" || e === null) this._refuse(e, true);
    const type = e.type;
    const length = e.length;
    const base = e.base;
    const offset = e.offset;
    const extra = e.extra;
    const r = this._next;
    if (
      !rawFromBigFields(type, length, base, offset, extra, r) ||
      (this._fixed && (offset !== 0 || extra !== 0))
    ) {
      this._refuse({ type, length, base, offset, extra }, true);
    }
    this._appendRaw(r, this._fixed ? 4 : variableUnits(r));
  }

  /**
   * @internal Throws the codec's error for an entry it refuses. `e` is the argument itself when it
   * is not an object, else a fresh record of the values already read (never the caller's object
   * again).
   */
  private _refuse(e: unknown, big = false): never {
    if (big) this.codec.unitsForBig(e as RangeEntryBig);
    else this.codec.unitsFor(e as RangeEntry);
    throw new RlistError("EINVAL", "entry rejected");
  }

  /**
   * Truncates the list to its first `count` entries (like building it from those entries
   * alone) and returns the freed chunks to the pool. The reserve is kept. Cursors taken
   * before become stale. ERANGE unless 0 <= count <= this.count.
   */
  truncate(count: number): void {
    if (this._busy) throw busyError();
    truncateList(this, count);
  }

  /** Removes every entry and returns all chunks, the reserve included, to the pool. */
  clear(): void {
    if (this._busy) throw busyError();
    this._freeChunks();
    for (const id of this._preload) this.pool.free(id);
    this._preload = [];
    this._ix = new ChunkIndex();
    this._resetTail();
    this._epoch++;
  }

  /**
   * The prototype's preload (rls_preload, INTENDED): takes from the pool, now, every chunk
   * that up to `nEntries` later appends (merge-appends included) could need, so that they
   * never allocate; pair it with `allocate = false` for a no-allocation phase.
   * `worstCaseBytes` is the largest stored size of those entries (8, 16 or 24; default the
   * codec's largest form). All or nothing: on ENOMEM nothing is kept.
   */
  reserve(nEntries: number, worstCaseBytes: number = this.codec.maxUnits * 4): void {
    if (this._busy) throw busyError();
    checkSafe("nEntries", nEntries);
    if (!(worstCaseBytes === 8 || worstCaseBytes === 16 || worstCaseBytes === 24)) {
      throw new RlistError(
        "EINVAL",
        `worstCaseBytes must be 8, 16 or 24, got ${formatValue(worstCaseBytes)}`,
      );
    }
    const units = this._fixed ? 4 : worstCaseBytes / 4;
    if (nEntries === 0) return;
    const cap = this.unitsPerChunk;
    const perChunk = Math.floor(cap / units);
    // Worst case, each append or merge takes <= `units` more units of the current chunk, and a
    // chunk is left only when fewer than `units` are free (a merge moves the last entry only
    // then too). So the tail absorbs floor(free / units) appends, and every new chunk at least
    // floor(cap / units) before the next one is opened.
    const credit = Math.floor((cap - this._tUsed) / units);
    const need = Math.ceil(Math.max(0, nEntries - credit) / perChunk);
    const missing = need - this._preload.length;
    if (missing <= 0) return;
    // Refused before anything is taken: more chunks than the pool may hand out or can name.
    if (missing > this.pool.available || missing >= NIL) {
      throw new RlistError(
        "ENOMEM",
        `reserve(${nEntries}) needs ${missing} more chunks; the pool can hand out ${this.pool.available}`,
      );
    }
    this._ix.reserve(this._ix.length + need);
    const got: number[] = [];
    try {
      for (let i = 0; i < missing; i++) got.push(this.pool.alloc());
    } catch (err) {
      for (const id of got) this.pool.free(id);
      throw err;
    }
    for (const id of got) this._preload.push(id);
  }

  /** Returns the unused reserve to the pool. */
  releaseReserve(): void {
    if (this._busy) throw busyError();
    for (const id of this._preload) this.pool.free(id);
    this._preload = [];
  }

  /**
   * A new list (same codec and pool) covering positions [fromPosition, toPosition): entries
   * that intersect the range, the first and last trimmed to it. Zero-length entries are kept
   * when fromPosition <= pos < toPosition. ERANGE unless 0 <= from <= to <= totalLength, or
   * when a trimmed field does not fit; the source is never changed.
   */
  slice(fromPosition: number, toPosition: number, options: SliceOptions = {}): RangeList {
    checkSafe("fromPosition", fromPosition);
    checkSafe("toPosition", toPosition);
    if (!(fromPosition <= toPosition && toPosition <= this._total)) {
      throw new RlistError(
        "ERANGE",
        `slice [${fromPosition}, ${toPosition}) is not inside [0, ${this._total}]`,
      );
    }
    if (typeof options !== "object" || options === null) {
      throw new RlistError("EINVAL", `options must be an object, got ${formatValue(options)}`);
    }
    const trimFront = options.trimFront;
    const how = trimFront === undefined ? "offset" : trimFront;
    if (how !== "offset" && how !== "base") {
      throw new RlistError("EINVAL", `trimFront must be 'offset' or 'base', got ${formatValue(how)}`);
    }
    const out = new RangeList({ codec: this.codec, pool: this.pool, allocate: true });
    try {
      sliceInto(this, out, fromPosition, toPosition, how);
    } catch (err) {
      out.clear();
      throw err;
    }
    out.merge = this._merge;
    out.allocate = this.allocate;
    if (this.canMerge !== null) (out as { canMerge: MergeHook | null }).canMerge = this.canMerge;
    return out;
  }

  /** The list's chunks behind a small header (see serialize.ts); reload with {@link fromBytes}. */
  toBytes(): Uint8Array {
    return listToBytes(this);
  }

  /** Entries in order as fresh objects (number form; ERANGE on an entry above 2^53-1). */
  *[Symbol.iterator](): IterableIterator<RangeEntry> {
    const c = this.cursor();
    while (c.next()) yield c.read(newEntry());
  }

  /** Entries in order as fresh bigint-form objects (always exact). */
  *entriesBig(): IterableIterator<RangeEntryBig> {
    const c = this.cursor();
    while (c.next()) yield c.readBig({ type: 0, length: 0n, base: 0n, offset: 0, extra: 0 });
  }

  toArray(): RangeEntry[] {
    const out: RangeEntry[] = [];
    const c = this.cursor();
    while (c.next()) out.push(c.read(newEntry()));
    return out;
  }

  toArrayBig(): RangeEntryBig[] {
    return [...this.entriesBig()];
  }

  /** Memory accounting (O(n): it counts the forms, in a WebAssembly kernel for long lists). */
  stats(): RangeListStats {
    return listStats(this);
  }

  /**
   * Entry count, sum of lengths and sum of bases (both mod 2^64): the C yardstick's `chk=`
   * figures. O(n), in a WebAssembly kernel over the chunk memory for lists of more than a chunk.
   */
  checksum(): ListChecksum {
    return listChecksum(this);
  }

  // ------------------------------------------------------------------ internals

  /** @internal exact total length */
  _totalExact(): bigint {
    return this._total > MAX_SAFE ? this._totalBig : BigInt(this._total);
  }

  /** @internal reads the entry at absolute unit `at` of `w` into `out`; returns its units. */
  _read(w: Uint32Array, at: number, out: Raw): number {
    return this._fixed ? readFixed16(w, at, out) : readVariable(w, at, out);
  }

  /** @internal length (double) of the entry at absolute unit `at`. */
  _lengthAt(w: Uint32Array, at: number): number {
    return this._fixed ? fixed16LengthAt(w, at) : variableLengthAt(w, at);
  }

  /**
   * @internal appends a validated raw entry (merging if enabled); `units` is its size in the
   * codec. All checks and the only allocation come before the first write.
   */
  _appendRaw(r: Raw, units: number): void {
    if (this._busy) throw new RlistError("EBUSY", "append called from inside a canMerge hook");
    const len = rawLength(r);
    let total = this._total + len;
    let totalBig = 0n;
    if (total > MAX_SAFE) {
      totalBig = this._totalExact() + rawLengthBig(r);
      if (totalBig > MAX_TOTAL_BIG) {
        throw new RlistError("ERANGE", "total length would pass 2^64-1 (positions are u64)");
      }
      total = Number(totalBig);
      this._ix.setExact(true);
    }
    if (!(this._merge && this._count > 0 && tryMerge(this, r))) {
      if (this._tUsed + units > this.unitsPerChunk) this._openChunk();
      this._put(r, units);
      this._count++;
    }
    this._total = total;
    this._totalBig = totalBig;
  }

  /** @internal fills an empty list from a validated image (all chunks or none). */
  _load(img: ListImage): void {
    const n = img.nChunks;
    if (n === 0) return;
    this._ix.reserve(n);
    const ids: number[] = [];
    try {
      for (let k = 0; k < n; k++) ids.push(this.pool.alloc());
    } catch (err) {
      for (const id of ids) this.pool.free(id);
      throw err;
    }
    const cw = this.chunkBytes / 4;
    if (img.posBig !== null) this._ix.setExact(true);
    for (let k = 0; k < n; k++) {
      const id = ids[k] as number;
      const w = this.pool.words(id);
      const hdr = this.pool.wordBase(id);
      w.set(img.words.subarray(k * cw, (k + 1) * cw), hdr);
      w[hdr + HDR_NEXT] = k + 1 < n ? (ids[k + 1] as number) : NIL;
      this._ix.push(id, img.pos[k] as number, img.first[k] as number, img.posBig?.[k] ?? 0n);
      this._tw = w;
      this._tBase = hdr;
    }
    this._tUsed = img.tailUsed;
    this._lastAt = img.lastAt;
    this._count = img.count;
    this._total = img.total;
    this._totalBig = img.totalBig;
  }

  /** @internal Links a new tail chunk for the next entry (position = current total). */
  private _openChunk(): void {
    const id = this._acquire();
    this._link(id, this._total, this._ix.posBig !== null ? this._totalExact() : 0n, this._count);
  }

  /**
   * @internal takes a chunk from the reserve or the pool; throws ENOSPC / ENOMEM, changing nothing.
   */
  _acquire(): number {
    this._ix.reserve(this._ix.length + 1);
    const id = this._preload.pop();
    if (id !== undefined) return id;
    if (!this.allocate) {
      throw new RlistError(
        "ENOSPC",
        "the list needs a new chunk but allocate is off and the reserve is empty",
      );
    }
    return this.pool.alloc();
  }

  /**
   * @internal makes chunk `id` the new tail, its first entry at position `pos` with index `first`.
   */
  _link(id: number, pos: number, posBig: bigint, first: number): void {
    const w = this.pool.words(id);
    const hdr = this.pool.wordBase(id);
    w[hdr + HDR_NEXT] = NIL;
    w[hdr + HDR_USED] = 0;
    w[hdr + HEADER_UNITS] = END_MARKER;
    if (this._ix.length > 0) this._tw[this._tBase + HDR_NEXT] = id;
    this._ix.push(id, pos, first, posBig);
    this._tw = w;
    this._tBase = hdr;
    this._tUsed = 0;
    this._lastAt = -1;
  }

  /** @internal writes `r` at the tail's free unit (room checked) and the END marker after it. */
  _put(r: Raw, units: number): void {
    const w = this._tw;
    const at = this._tUsed;
    const area = this._tBase + HEADER_UNITS;
    if (this._fixed) writeFixed16(w, area + at, r);
    else writeVariable(w, area + at, r);
    const used = at + units;
    w[this._tBase + HDR_USED] = used;
    if (used < this.unitsPerChunk) w[area + used] = END_MARKER;
    this._tUsed = used;
    this._lastAt = at;
  }

  /** @internal returns every chunk of the list (not the reserve) to the pool. */
  _freeChunks(): void {
    const ix = this._ix;
    for (let k = 0; k < ix.length; k++) this.pool.free(ix.ids[k] as number);
    ix.clear();
  }

  /** @internal the state of an empty list. */
  _resetTail(): void {
    this._tw = EMPTY_WORDS;
    this._tBase = 0;
    this._tUsed = this.unitsPerChunk;
    this._lastAt = -1;
    this._count = 0;
    this._total = 0;
    this._totalBig = 0n;
  }
}

Object.assign(RangeList.prototype, LAYOUT_WRITERS);

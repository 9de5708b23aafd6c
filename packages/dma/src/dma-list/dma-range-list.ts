/**
 * `DmaRangeList`: the prototype's `struct rlist_dma` on a {@link RangeList}. Each entry is
 * `(dmaAddress, length, kind)`:
 *
 * | kind | stored in the 2-bit type | DMA address | prototype |
 * |---|---|---|---|
 * | `IOVA` | 0 | stored base + `list.base` (relative) | RLIST_DMA_RELATIVE |
 * | `DIRECT` | 1 | stored base (phys + direct-map offset) | dma-direct priv PAGE / RESOURCE |
 * | `BUS_ADDR` | 2 | stored base (PCI bus address, P2P) | ABSOLUTE + RSIOVA_PRIV_P2P |
 * | `BOUNCE` | 3 | stored base (swiotlb slot + direct-map offset) | swiotlb "tracking via priv" FIXME |
 *
 * Putting the kind in the type bits (not in the 32-bit priv/extra word as the prototype did) keeps
 * every entry eligible for the 8-byte form. IOVA entries are stored relative to `base`, so a list
 * can be laid out before the IOVA is allocated and relocated by {@link DmaRangeList.setBase}.
 *
 * Identity mode (`DmaRangeList.identity(cpuList, offset)`) stores nothing: the cursor walks the
 * CPU list and reports `phys + offset`, which is how dma-direct reuses the CPU list with no copy.
 * Unlike the prototype, identity is an explicit flag and every mode knows its source list and its
 * total length (prototype bug 15, docs/prototype.md#bugs-we-fixed).
 *
 * A list a live `DmaMapping` handed out is frozen: its mutators throw `EBUSY` until the mapping
 * is unmapped.
 */
import { checkU53, formatValue, MAX_SAFE, RlistError, TWO32 } from "@rlist/encoding";
import { type ChunkBytes, ChunkPool, entryUnits, type RangeCursor, RangeList } from "@rlist/list";
import { checkBoolean, checkInstance, checkObject } from "../args.js";
import { checkFactory, FACTORY } from "../factory.js";
import {
  listFindBestBlockSize,
  listFindBestBlockSizeBig,
  listNumSegments,
  listNumSegmentsBig,
} from "../kernels/dma-walks.js";
import { BlockCursor, blockOffset, numBlocks } from "./blocks.js";
import type { DmaEntryCursor } from "./dma-entries.js";
import { type Segmentation, validateSegmentation } from "./segmentation.js";
import { DmaSegmentCursor } from "./segments.js";

/** What a DMA entry's address is. */
export const DmaKind = {
  /** An IOVA inside the mapping's IOVA window, stored relative to the list base. */
  IOVA: 0,
  /** A direct-mapped address: CPU physical + the device's direct-map offset. */
  DIRECT: 1,
  /** A PCI bus address for peer-to-peer DMA (`PCI_P2PDMA_MAP_BUS_ADDR`); no IOVA, no unmap. */
  BUS_ADDR: 2,
  /** A swiotlb bounce-buffer address. */
  BOUNCE: 3,
} as const;
export type DmaKind = (typeof DmaKind)[keyof typeof DmaKind];

const KIND_NAMES = ["IOVA", "DIRECT", "BUS_ADDR", "BOUNCE"] as const;

/** Name of a kind, for messages and reports. */
export function dmaKindName(kind: DmaKind): (typeof KIND_NAMES)[number] {
  const name = Number.isInteger(kind) ? KIND_NAMES[kind] : undefined;
  if (name === undefined) throw new RlistError("EINVAL", `${formatValue(kind)} is not a DmaKind`);
  return name;
}

/** The CPU-list cursor identity mode reads (the `CpuRangeList` entry cursor has these fields). */
export interface PhysEntryCursor {
  reset(): boolean;
  next(): boolean;
  readonly phys: number;
  readonly length: number;
}

/** A CPU list identity mode can view (`CpuRangeList` is one). */
export interface PhysEntrySource {
  cursor(): PhysEntryCursor;
}

export interface DmaRangeListOptions {
  chunkBytes?: ChunkBytes;
  pool?: ChunkPool;
  /** Merge an entry into the previous one when it continues it (same kind, not BOUNCE). Default false. */
  merge?: boolean;
}

/** One decoded DMA entry (convenience form; cursors are allocation-free). */
export interface DmaEntry {
  dmaAddress: number;
  length: number;
  kind: DmaKind;
}

/** Memory the DMA list itself takes. */
export interface DmaListStats {
  entries: number;
  /** Chunk bytes in use (0 in identity mode: the CPU list is reused). */
  bytes: number;
  bytesPerEntry: number;
  identity: boolean;
}

const canMergeDma = (
  prev: { type: number; base: number; length: number; offset: number; extra: number },
  next: { type: number; base: number; length: number; offset: number; extra: number },
): boolean =>
  prev.type === next.type &&
  prev.type !== DmaKind.BOUNCE &&
  prev.offset === 0 &&
  next.offset === 0 &&
  prev.extra === next.extra &&
  prev.base + prev.length === next.base;

/**
 * The entry every append fills and hands to `RangeList.append()`, which reads each field once and
 * keeps nothing: one for all lists, so a list (an identity view above all) costs no extra object.
 */
const SCRATCH = { type: 0, length: 0, base: 0, offset: 0, extra: 0 };
/** The options of an identity view (it stores nothing); the constructor takes them as identityList()'s mark. */
const NO_OPTIONS: DmaRangeListOptions = Object.freeze({});

/**
 * @internal {@link DmaRangeList.identity} for a source and offset the caller checked (the
 * mapper's dma-direct fast path).
 */
export function identityList(source: PhysEntrySource, directOffset: number): DmaRangeList {
  return new DmaRangeList(NO_OPTIONS, { source, directOffset });
}

/** @internal `new DmaRangeList()` without the options checks (a mapping's own list, once per map). */
export function defaultList(): DmaRangeList {
  return new DmaRangeList(NO_OPTIONS);
}

/** Set by the class below: the mapper's hold on a list it handed out (no public setter exists). */
let setFrozen: (list: DmaRangeList, frozen: boolean) => void;

/**
 * @internal Freezes (or thaws) `list`: while a mapping owns it, every mutator throws `EBUSY`
 * (like dma-debug reporting a driver that changes a mapped scatterlist). Used by `DmaMapping`.
 */
export function freezeDmaList(list: DmaRangeList, frozen: boolean): void {
  setFrozen(list, frozen);
}

/**
 * The checks of the public constructor, each field read once: the options like {@link RangeList}'s
 * (`EINVAL` for a `chunkBytes` other than 128, 512 or 4096, a `pool` that is not a `ChunkPool`, a
 * `merge` that is not a boolean) and, when given, the identity view (as
 * {@link DmaRangeList.identity}). Returns what it checked, for the constructor to use (a getter
 * read again could hand it something else).
 */
function readListArgs(options: DmaRangeListOptions, identity: IdentityView | undefined): ListArgs {
  checkObject("DMA list options", options);
  const { chunkBytes, pool, merge } = options;
  if (chunkBytes !== undefined) entryUnits(chunkBytes);
  if (pool !== undefined) checkInstance("pool", pool, ChunkPool);
  checkBoolean("merge", merge, true);
  if (identity === undefined) return { chunkBytes, pool, merge, identity };
  checkObject("identity view", identity);
  const { source, directOffset } = identity;
  checkIdentity(source, directOffset);
  return { chunkBytes, pool, merge, identity: { source, directOffset } };
}

interface ListArgs {
  chunkBytes?: ChunkBytes | undefined;
  pool?: ChunkPool | undefined;
  merge?: boolean | undefined;
  identity: IdentityView | undefined;
}

interface IdentityView {
  source: PhysEntrySource;
  directOffset: number;
}

/** The checks of an identity view's source and offset (see {@link DmaRangeList.identity}). */
function checkIdentity(source: PhysEntrySource, directOffset: number): void {
  if (typeof (source as Partial<PhysEntrySource> | null)?.cursor !== "function") {
    throw new RlistError("EINVAL", `${formatValue(source)} is not a CPU list`);
  }
  if (typeof directOffset !== "number") {
    throw new RlistError("EINVAL", `directOffset must be a number, got ${formatValue(directOffset)}`);
  }
  if (!Number.isSafeInteger(directOffset))
    throw new RlistError("ERANGE", "directOffset must be a safe integer");
}

export class DmaRangeList {
  static {
    setFrozen = (list, frozen) => {
      list.#frozen = frozen;
    };
  }

  #frozen = false;
  /** @internal */ private _base = 0;
  /** @internal */ private _identityCount = -1;
  /** @internal */ private _identityLength = -1;
  /** @internal The stored entries; null in identity mode. */
  private readonly _list: RangeList | null;
  /** @internal */ private readonly _source: PhysEntrySource | null;
  /** @internal */ private readonly _directOffset: number;

  /**
   * An empty list. Options are checked like {@link RangeList}'s (`EINVAL` for a `chunkBytes` other
   * than 128, 512 or 4096, a `pool` that is not a `ChunkPool`, a `merge` that is not a boolean),
   * `identity` is how {@link DmaRangeList.identity} builds its view (checked the
   * same way); the options are checked but unused then.
   */
  constructor(
    options: DmaRangeListOptions = {},
    identity?: { source: PhysEntrySource; directOffset: number },
  ) {
    // identityList() and defaultList() (once per map) pass NO_OPTIONS: nothing to check. The checks
    // stay out of line so the constructor stays small enough to inline there.
    const args = options === NO_OPTIONS ? { identity } : readListArgs(options, identity);
    const view = args.identity;
    if (view !== undefined) {
      this._list = null;
      this._source = view.source;
      this._directOffset = view.directOffset;
      return;
    }
    this._list = new RangeList({
      ...(args.chunkBytes === undefined ? {} : { chunkBytes: args.chunkBytes }),
      ...(args.pool === undefined ? {} : { pool: args.pool }),
      merge: args.merge ?? false,
      canMerge: canMergeDma,
    });
    this._source = null;
    this._directOffset = 0;
  }

  /**
   * Like rlist_dma_init_identity_cpu(): a view of `source` where each entry's DMA address is its
   * physical address + `directOffset`, kind `DIRECT`. Nothing is copied or allocated. `EINVAL` for
   * a source that is not a CPU list or an offset that is not a number, `ERANGE` for an unsafe offset.
   */
  static identity(source: PhysEntrySource, directOffset = 0): DmaRangeList {
    checkIdentity(source, directOffset);
    return identityList(source, directOffset);
  }

  /** The underlying RangeList (null in identity mode), e.g. for `stats().byForm`. */
  get storage(): RangeList | null {
    return this._list;
  }

  /** True for an identity view of a CPU list. */
  get isIdentity(): boolean {
    return this._list === null;
  }

  /** The CPU list an identity view reads (like rdma_get_source_rcpu()), or null. */
  get source(): PhysEntrySource | null {
    return this._source;
  }

  /** The direct-map offset an identity view adds. */
  get directOffset(): number {
    return this._directOffset;
  }

  /** The IOVA that relative (IOVA-kind) entries are added to. */
  get base(): number {
    return this._base;
  }

  /**
   * Like rsiova_set_iova(): relocates every IOVA entry to the window at `iova`. The list can be
   * laid out with base 0 before the IOVA allocation exists.
   */
  setBase(iova: number): void {
    this.#checkMutable();
    checkU53("iova", iova);
    this._base = iova;
  }

  /** Entries (for identity mode: the CPU list's entries). */
  get count(): number {
    if (this._list !== null) return this._list.count;
    this.scanIdentity();
    return this._identityCount;
  }

  /** Sum of the lengths (like rlist_dma_length()). */
  get totalLength(): number {
    if (this._list !== null) return this._list.totalLength;
    this.scanIdentity();
    return this._identityLength;
  }

  get isEmpty(): boolean {
    return this.count === 0;
  }

  /**
   * Appends an entry at DMA address `dmaAddress` (like rlsdma_append() for IOVA, which stores
   * `dmaAddress - base`, and rlsdma_append_no_base() for the absolute kinds). `EINVAL` in identity
   * mode or for an IOVA below the base.
   */
  append(kind: DmaKind, dmaAddress: number, length: number): void {
    const list = this.#mutable();
    checkU53("dmaAddress", dmaAddress);
    checkU53("length", length);
    if (kind !== 0 && kind !== 1 && kind !== 2 && kind !== 3)
      throw new RlistError("EINVAL", `bad DMA kind ${formatValue(kind)}`);
    const e = SCRATCH;
    e.type = kind;
    e.length = length;
    e.offset = 0;
    e.extra = 0;
    if (kind === DmaKind.IOVA) {
      if (dmaAddress < this._base) throw new RlistError("EINVAL", "IOVA entry below the list base");
      e.base = dmaAddress - this._base;
    } else e.base = dmaAddress;
    list.append(e);
  }

  /** Appends an IOVA entry at `offset` bytes into the (possibly not yet allocated) window. */
  appendRelative(offset: number, length: number): void {
    const list = this.#mutable();
    checkU53("offset", offset);
    checkU53("length", length);
    const e = SCRATCH;
    e.type = DmaKind.IOVA;
    e.length = length;
    e.base = offset;
    e.offset = 0;
    e.extra = 0;
    list.append(e);
  }

  /**
   * @internal {@link appendRelative} of `n` entries staged as (offset, length) f64 pairs in `src`
   * (the per-entry mapping kernel's layout), with the same checks and errors, without a call each.
   */
  appendRelativeBatch(src: Float64Array, n: number): void {
    const list = this.#mutable();
    const e = SCRATCH;
    e.type = DmaKind.IOVA;
    e.offset = 0;
    e.extra = 0;
    for (let i = 0; i < n; i++) {
      const offset = src[2 * i]!;
      const length = src[2 * i + 1]!;
      // The kernel stages non-negative integers; past 2^53 - 1 they fail as appendRelative() does.
      if (offset > MAX_SAFE || length > MAX_SAFE) {
        checkU53("offset", offset);
        checkU53("length", length);
      }
      e.base = offset;
      e.length = length;
      list.append(e);
    }
  }

  /** {@link append} with exact 64-bit values (e.g. a P2P bus address above 2^53). */
  appendBig(kind: DmaKind, dmaAddress: bigint, length: bigint): void {
    const list = this.#mutable();
    if (typeof dmaAddress !== "bigint" || typeof length !== "bigint") {
      throw new RlistError(
        "EINVAL",
        `appendBig takes bigint address and length, got ${formatValue(dmaAddress)} and ${formatValue(length)}`,
      );
    }
    if (kind === DmaKind.IOVA) {
      list.appendBig({ type: kind, length, base: dmaAddress - BigInt(this._base), offset: 0, extra: 0 });
    } else list.appendBig({ type: kind, length, base: dmaAddress, offset: 0, extra: 0 });
  }

  /** Drops every entry (chunks go back to the pool); identity views are left as they are. */
  clear(): void {
    this.#checkMutable();
    this._list?.clear();
    this._base = 0;
  }

  /** Removes entries from the end until `count` are left (rollback of a failed map). */
  truncate(count: number): void {
    this.#mutable().truncate(count);
  }

  /** An allocation-free cursor over the entries. */
  cursor(): DmaCursor {
    return new DmaCursor(FACTORY, this, this._list, this._source, this._directOffset);
  }

  /** All entries, decoded (allocates: for tests and small lists). */
  toArray(): DmaEntry[] {
    const out: DmaEntry[] = [];
    const c = this.cursor();
    for (let ok = c.reset(); ok; ok = c.next())
      out.push({ dmaAddress: c.dmaAddress, length: c.length, kind: c.kind });
    return out;
  }

  /** Scatter/gather segments of the list under `seg` (cut at boundaries and max size). */
  segments(seg: Segmentation): DmaSegmentCursor {
    return new DmaSegmentCursor(this.cursor(), seg);
  }

  /**
   * Segments {@link segments} yields (rlist_dma_num_segments() over the list). A WebAssembly
   * kernel walks the chunk words of lists of a few dozen entries or more; `ERANGE` when an
   * address or length is not a safe integer (see {@link numSegmentsBig}).
   */
  numSegments(seg: Segmentation): number {
    return listNumSegments(this, seg);
  }

  /** {@link numSegments} exact over 64-bit addresses and lengths (the sum mod 2^64). */
  numSegmentsBig(seg: Segmentation): bigint {
    return listNumSegmentsBig(this, seg);
  }

  /**
   * Like rlist_dma_find_best_blocksz(): the block size for `seg.blockSizes` (and `seg.blockHwva`,
   * default the first DMA address); 0 when no size works or no block sizes are given. A kernel
   * walks lists of a few dozen entries or more (see {@link numSegments}).
   */
  findBestBlockSize(seg: Segmentation): number {
    validateSegmentation(seg);
    return listFindBestBlockSize(this, seg.blockSizes ?? 0, seg.blockHwva);
  }

  /**
   * {@link findBestBlockSize} exact over 64-bit DMA addresses and lengths, in u64 wrapping
   * arithmetic like ib_umem_find_best_pgsz(); `hwva` (default the first DMA address) is a u64.
   */
  findBestBlockSizeBig(blockSizes: number, hwva?: bigint): number {
    return listFindBestBlockSizeBig(this, blockSizes, hwva);
  }

  /** Like rlist_dma_block_offset(). */
  blockOffset(blockSize: number): number {
    return blockOffset(this.cursor(), blockSize);
  }

  /** Like rlist_dma_num_blocks(). */
  numBlocks(blockSize: number): number {
    return numBlocks(this.cursor(), blockSize);
  }

  /** Like rlist_dma_for_each_block(): a cursor over the block addresses. */
  blocks(blockSize: number): BlockCursor {
    return new BlockCursor(this.cursor(), blockSize);
  }

  /** Memory of the list itself, counted in whole chunks. */
  stats(): DmaListStats {
    if (this._list === null) return { entries: this.count, bytes: 0, bytesPerEntry: 0, identity: true };
    const s = this._list.stats();
    return { entries: s.entries, bytes: s.bytesInUse, bytesPerEntry: s.bytesPerEntry, identity: false };
  }

  /** True while a live mapping owns the list (its mutators throw `EBUSY`). */
  get frozen(): boolean {
    return this.#frozen;
  }

  #checkMutable(): void {
    if (this.#frozen) {
      throw new RlistError("EBUSY", "the DMA list belongs to a live mapping: unmap it before changing it");
    }
  }

  #mutable(): RangeList {
    this.#checkMutable();
    return this.stored();
  }

  private stored(): RangeList {
    if (this._list === null) throw new RlistError("EINVAL", "an identity DMA list stores no entries");
    return this._list;
  }

  private scanIdentity(): void {
    // The source may have grown since the last look: recount every time (identity lists are views).
    let n = 0;
    let len = 0;
    const c = this._source!.cursor();
    for (let ok = c.reset(); ok; ok = c.next()) {
      n++;
      len += c.length;
    }
    this._identityCount = n;
    this._identityLength = len;
  }
}

/**
 * Cursor over a {@link DmaRangeList} (like rlsdma_for_each): `dmaAddress`, `length`, `kind`,
 * `position`. Implements {@link DmaEntryCursor}, so segments and blocks can walk it.
 */
export class DmaCursor implements DmaEntryCursor {
  /** Byte offset of the current entry in the list. */
  position = 0;
  /** Index of the current entry. */
  index = -1;
  private readonly rc: RangeCursor | null;
  private readonly pc: PhysEntryCursor | null;
  private curLength = 0;

  /** @internal use {@link DmaRangeList.cursor} (`new DmaCursor(...)` is `EINVAL`). */
  constructor(
    factory: symbol,
    private readonly owner: DmaRangeList,
    list: RangeList | null,
    source: PhysEntrySource | null,
    private readonly directOffset: number,
  ) {
    checkFactory(factory, "DmaCursor", "DmaRangeList.cursor()");
    this.rc = list === null ? null : list.cursor();
    this.pc = source === null ? null : source.cursor();
  }

  reset(): boolean {
    this.position = 0;
    this.index = -1;
    this.curLength = 0;
    return this.step(this.rc !== null ? this.rc.reset() : this.pc!.reset());
  }

  next(): boolean {
    this.position += this.curLength;
    return this.step(this.rc !== null ? this.rc.next() : this.pc!.next());
  }

  private step(ok: boolean): boolean {
    if (!ok) {
      this.curLength = 0;
      return false;
    }
    this.index++;
    this.curLength = this.rc !== null ? this.rc.length : this.pc!.length;
    return true;
  }

  /** Length of the current entry. */
  get length(): number {
    return this.curLength;
  }

  /** Kind of the current entry (identity views report `DIRECT`). */
  get kind(): DmaKind {
    return this.rc !== null ? (this.rc.type as DmaKind) : DmaKind.DIRECT;
  }

  /** DMA address of the current entry; `ERANGE` above 2^53 - 1 (read {@link dmaAddressBig}). */
  get dmaAddress(): number {
    let a: number;
    if (this.rc === null) a = this.pc!.phys + this.directOffset;
    else if (this.rc.type === DmaKind.IOVA) a = this.rc.base + this.owner.base;
    else a = this.rc.base;
    if (a > MAX_SAFE || a < 0)
      throw new RlistError("ERANGE", "DMA address is not a safe integer; read dmaAddressBig");
    return a;
  }

  /** Exact DMA address (mod 2^64). */
  get dmaAddressBig(): bigint {
    if (this.rc === null) return BigInt(this.pc!.phys) + BigInt(this.directOffset);
    const b = this.rc.baseBig;
    return this.rc.type === DmaKind.IOVA
      ? (b + BigInt(this.owner.base)) % (BigInt(TWO32) * BigInt(TWO32))
      : b;
  }

  /** For IOVA entries: the stored offset into the IOVA window; else the absolute address. */
  get storedBase(): number {
    return this.rc !== null ? this.rc.base : this.pc!.phys + this.directOffset;
  }
}

import { checkU53, formatValue, type RangeEntry, RlistError, variableUnitsForFields } from "@rlist/encoding";
import { type ChunkBytes, type ChunkPool, newChunkSpan, RangeList, type RangeListStats } from "@rlist/list";
import { checkBytes, checkFunction, checkInstance, checkObject } from "../args.js";
import { FACTORY } from "../factory.js";
import type { Folio } from "../memory/folio.js";
import { checkFolio, PhysicalMemory } from "../memory/physical-memory.js";
import { P2pProvider } from "../pci/p2p-provider.js";
import {
  PENDING_FOLIO,
  PENDING_NONE,
  PENDING_PHYSICAL,
  STORED_FOLIO_BYTES,
  STORED_FOLIO_PAGES,
  STORED_PHYSICAL,
} from "./constants.js";
import { copyBetween } from "./copy.js";
import { CpuEntryCursor } from "./entry-cursor.js";
import type { EntryStore } from "./entry-store.js";
import { CpuListMark, MarkHistory } from "./mark.js";
import { CpuFolioCursor, CpuPageCursor } from "./piece-cursors.js";
import { CHECKPOINT_EVERY, PositionIndex } from "./position-index.js";

/** Caller-visible entry types (`RLIST_CPU_MEM_FOLIO`, `RLIST_CPU_MEM_PHYSICAL`). */
export const CpuEntryType = { FOLIO: 0, PHYSICAL: 1 } as const;
export type CpuEntryType = (typeof CpuEntryType)[keyof typeof CpuEntryType];

export interface CpuRangeListOptions {
  /** Chunk size of the default `RangeList` store: 128, 512 (default) or 4096 bytes. */
  readonly chunkBytes?: ChunkBytes;
  /** Pool of the default store's chunks (default: the shared pool of that size). */
  readonly pool?: ChunkPool;
  /** false: appends that need a chunk beyond {@link CpuRangeList.reserve} fail with ENOSPC. */
  readonly allocate?: boolean;
  /**
   * An empty store to use instead (e.g. a `RangeList` on a counting pool). It must use the variable
   * codec and must not merge on its own: stored lengths mix pages and bytes.
   */
  readonly store?: EntryStore;
  /**
   * Merge a PHYSICAL append into the last entry when it continues it byte for byte and has the same
   * provider (or both have none). Off by default: the prototype's `rlscpu_append_physical()` never
   * merges. A deliberate extension: a dma-buf of VRAM blocks that sit back to back in a BAR then
   * costs one entry per run instead of one per block (what `sg_alloc_table_from_pages()` does for
   * P2P pages of one pgmap).
   */
  readonly mergePhysical?: boolean;
}

/**
 * A list of CPU memory ranges (the prototype's `rlist_cpu`, INTENDED semantics): FOLIO entries
 * `(folio, offset, length)` over struct-page memory and PHYSICAL entries `(phys, length, provider)`
 * over pageless memory such as P2P BARs, kept maximally merged in a compact range list.
 *
 * Appends merge into the last entry when the new range continues it physically and has the same
 * pgmap (byte adjacency inside a page or folio; page-aligned joins across folios). The last entry is
 * held outside the storage until the next non-merging append or {@link seal}, so every append
 * stores at most one entry and a failing append changes nothing. Summary flags follow the
 * INTENDED definitions of docs/prototype.md#summary-flags: {@link isPageList}, {@link hasP2P},
 * {@link length} in bytes.
 */
export class CpuRangeList {
  readonly memory: PhysicalMemory;
  /** See {@link CpuRangeListOptions.mergePhysical}. */
  readonly mergePhysical: boolean;
  /** @internal encoded entries (all but the pending one). */
  readonly store: EntryStore;
  /** @internal the last entry, not yet stored. */
  _curKind = PENDING_NONE;
  /** @internal */
  _curPhys = 0;
  /** @internal */
  _curLength = 0;
  /** @internal pgmap id (folio) or provider id (physical). */
  _curTag = 0;
  /** @internal bumped by {@link clear}: cursors positioned before it are stale. */
  _epoch = 0;
  #length = 0;
  /** Physical end of the last entry once it is sealed (the pending entry's end otherwise). */
  #sealedEnd = 0;
  #notPageList = false;
  #hasP2P = false;
  readonly #providers: P2pProvider[] = [];
  /** The store when it is a RangeList (read through its chunk view), else null. */
  readonly #rl: RangeList | null;
  /**
   * @internal byte position of each RangeList chunk's first entry, or (another store) of every
   * CHECKPOINT_EVERY-th stored entry: what cursors seek and cross chunks with.
   */
  readonly _positions = new PositionIndex();
  readonly #marks = new MarkHistory();
  readonly #scratch: RangeEntry = { type: 0, length: 0, base: 0, offset: 0, extra: 0 };
  /** Page size and its inverse: `x * #invPs` is exact (a power of two), `%` on doubles is a slow fmod call. */
  readonly #ps: number = 0;
  readonly #invPs: number = 0;

  constructor(memory: PhysicalMemory, options: CpuRangeListOptions = {}) {
    checkInstance("memory", memory, PhysicalMemory);
    checkObject("CPU range list options", options);
    const mergePhysical = options.mergePhysical;
    if (mergePhysical !== undefined && typeof mergePhysical !== "boolean") {
      throw new RlistError("EINVAL", `mergePhysical must be a boolean, got ${formatValue(mergePhysical)}`);
    }
    this.memory = memory;
    this.mergePhysical = mergePhysical === true;
    this.#ps = memory.pageSize;
    this.#invPs = 1 / memory.pageSize;
    if (options.store === null)
      throw new RlistError("EINVAL", "store must not be null (leave it out for a new list)");
    const store =
      options.store ??
      new RangeList({
        codec: "variable",
        ...(options.chunkBytes !== undefined && { chunkBytes: options.chunkBytes }),
        ...(options.pool !== undefined && { pool: options.pool }),
        ...(options.allocate !== undefined && { allocate: options.allocate }),
      });
    const shape = store as { merge?: unknown; codec?: { name?: unknown } };
    if (store.count !== 0) throw new RlistError("EINVAL", "the store must start empty");
    if (shape.merge === true) throw new RlistError("EINVAL", "the store must not merge entries itself");
    if (shape.codec?.name === "fixed16") {
      throw new RlistError(
        "EINVAL",
        "the store must use the variable codec (fixed16 has no offset or extra)",
      );
    }
    this.store = store;
    this.#rl = store instanceof RangeList ? store : null;
    // Start the byte fields in V8's double representation: a field that starts as a small integer
    // and later passes 2^31 changes the map of every CpuRangeList and deoptimises the code that
    // touched one (measured: the cursor and append loops at half speed).
    this._curPhys = 0.5;
    this._curPhys = 0;
    this._curLength = 0.5;
    this._curLength = 0;
    this.#length = 0.5;
    this.#length = 0;
    this.#sealedEnd = 0.5;
    this.#sealedEnd = 0;
  }

  /**
   * The list for a pinned page array (the GUP case, like the prototype's pages backing): one
   * whole page per pfn, physically contiguous pages merged. Nothing is left allocated on error.
   */
  static fromPfns(
    memory: PhysicalMemory,
    pfns: ArrayLike<number>,
    options?: CpuRangeListOptions,
  ): CpuRangeList {
    const list = new CpuRangeList(memory, options);
    if (typeof pfns !== "object" || pfns === null || !Number.isSafeInteger(pfns.length)) {
      throw new RlistError("EINVAL", `pfns must be an array of page frame numbers, got ${formatValue(pfns)}`);
    }
    try {
      for (let i = 0; i < pfns.length; i++) list.appendPage(pfns[i]!, 0, memory.pageSize);
    } catch (err) {
      list.clear();
      throw err;
    }
    return list;
  }

  // ---- summary -----------------------------------------------------------------------------

  /**
   * Total bytes (`rlist_cpu_length()`, INTENDED: bytes, not stored units). Always exact: an append
   * that would take it past 2^53 - 1 is refused with `ERANGE`.
   */
  get length(): number {
    return this.#length;
  }

  /** Entries after merging, the pending one included. */
  get count(): number {
    return this.store.count + (this._curKind === PENDING_NONE ? 0 : 1);
  }

  get isEmpty(): boolean {
    return this.#length === 0;
  }

  /**
   * True when every entry but the first starts on a page boundary and every entry but the last
   * ends on one (the INTENDED `!NOT_PAGELIST`): the list can be mapped into one IOVA range.
   */
  get isPageList(): boolean {
    return !this.#notPageList;
  }

  /** True when some entry is P2P memory: a P2P folio (ZONE_DEVICE page) or a physical range with a provider. */
  get hasP2P(): boolean {
    return this.#hasP2P;
  }

  /** Distinct P2P providers of the entries, in first-use order. */
  get providers(): readonly P2pProvider[] {
    return this.#providers;
  }

  get pageSize(): number {
    return this.#ps;
  }

  // ---- appending ---------------------------------------------------------------------------

  /**
   * Appends `length` bytes of `folio` from byte `offset` (`rlscpu_append_folio()`). The range may run
   * on into the following folios if they are the same kind of memory (one pgmap). `EINVAL` for a
   * folio this memory does not have (another head, order or pgmap, or an `nrPages` that is not
   * 2^order), a zero length or a range crossing pgmaps; `EFAULT` when a page of the range has no
   * struct page; `ERANGE` for unsafe numbers.
   */
  appendFolio(folio: Folio, offset: number, length: number): void {
    // Like folio_nr_pages(): the size is 2^order pages, so a folio whose nrPages says otherwise, or
    // whose pgmap is not its page's, is not this memory's folio.
    checkFolio(folio);
    if (
      this.memory.folioHead(folio.pfn) !== folio.pfn ||
      this.memory.folioOrder(folio.pfn) !== folio.order ||
      this.memory.pgmapOf(folio.pfn) !== folio.pgmap
    ) {
      throw new RlistError(
        "EINVAL",
        `pfn ${formatValue(folio.pfn)} does not head an order-${formatValue(folio.order)} folio in this memory`,
      );
    }
    checkU53("offset", offset);
    // the folio's size from its (checked) order, not from a caller's nrPages field
    if (offset >= 2 ** this.memory.folioOrder(folio.pfn) * this.pageSize) {
      throw new RlistError(
        "EINVAL",
        `offset ${formatValue(offset)} is outside the folio at pfn ${formatValue(folio.pfn)}`,
      );
    }
    this.#appendFolioRange(folio.pfn * this.pageSize + offset, length);
  }

  /**
   * Appends `length` bytes starting `offset` bytes into page `pfn` (a bio_vec `{page, offset, len}`;
   * `offset` may exceed the page size and the range may span pages and folios of one pgmap).
   * Errors as {@link appendFolio}.
   */
  appendPage(pfn: number, offset: number, length: number): void {
    checkU53("pfn", pfn);
    checkU53("offset", offset);
    const ps = this.#ps;
    checkU53("phys", pfn * ps);
    this.#appendFolioRange(pfn * ps + offset, length);
  }

  /**
   * Appends a pageless range (`rlscpu_append_physical()`), e.g. part of a P2P BAR. Never merged,
   * unless the list was made with `mergePhysical` and the range continues the last entry with the
   * same provider. With a provider the range must lie inside its BAR (`EINVAL`); the provider is
   * registered in the memory's provider table. `provider` null means ordinary pageless memory (no P2P).
   */
  appendPhysical(phys: number, length: number, provider: P2pProvider | null = null): void {
    checkU53("phys", phys);
    checkLength(length);
    checkU53("phys end", phys + length);
    this.#checkTotal(length);
    let id = 0;
    if (provider !== null) {
      if (!(provider instanceof P2pProvider))
        throw new RlistError("EINVAL", "provider must be a P2pProvider");
      const bar = provider.bar;
      if (BigInt(phys) < bar.cpuAddressBig || BigInt(phys + length) > bar.cpuAddressBig + bar.sizeBig) {
        throw new RlistError(
          "EINVAL",
          `[0x${phys.toString(16)}, +0x${length.toString(16)}) is outside ${provider.name}`,
        );
      }
      id = this.memory.registerProvider(provider);
    }
    if (
      this.mergePhysical &&
      this._curKind === PENDING_PHYSICAL &&
      this._curTag === id &&
      this._curPhys + this._curLength === phys
    ) {
      // The join is no entry boundary any more, so isPageList cannot change.
      this._curLength += length;
      this.#length += length;
      return;
    }
    this.#startEntry(PENDING_PHYSICAL, phys, length, id);
    if (provider !== null) this.#noteProvider(provider);
  }

  /**
   * Stores the pending last entry (`rlscpu_append_end()`): later appends still work but no longer
   * merge into it. Storage statistics then count every entry.
   */
  seal(): void {
    if (this._curKind === PENDING_NONE) return;
    this.#pushPending();
    this.#sealedEnd = this._curPhys + this._curLength;
    this._curKind = PENDING_NONE;
    this._curLength = 0;
  }

  /**
   * Takes now every chunk the next `entries` appends can need, so they never allocate (the
   * prototype's `rls_preload()`, e.g. before pinning pages in atomic context). Default store only.
   */
  reserve(entries: number): void {
    checkU53("entries", entries);
    this.#rangeList("reserve").reserve(entries + 1, 24);
  }

  /** Chunk statistics of the default store (the pending last entry is not in it until {@link seal}). */
  stats(): RangeListStats {
    return this.#rangeList("stats").stats();
  }

  /**
   * Chunk bytes the list holds with every entry stored: the store's chunks now, plus the chunk the
   * pending last entry opens when {@link seal} stores it and it does not fit the tail. Changes
   * nothing (a report can call it). Default store only.
   */
  storageBytes(): number {
    const rl = this.#rangeList("storageBytes");
    let chunks = rl.chunkCount;
    if (this._curKind !== PENDING_NONE) {
      const e = this.#encodePending();
      const units = variableUnitsForFields(e.length, e.base, e.offset, e.extra);
      const span = newChunkSpan();
      if (!rl.chunkSpan(chunks - 1, span) || span.end - span.start + units > rl.unitsPerChunk) chunks++;
    }
    return chunks * rl.chunkBytes;
  }

  #rangeList(what: string): RangeList {
    if (!(this.store instanceof RangeList))
      throw new RlistError("EOPNOTSUPP", `${what} needs a RangeList store`);
    return this.store;
  }

  /** Removes every entry and resets the summary (chunks go back to the pool). */
  clear(): void {
    this.store.clear();
    this._epoch++;
    this.#marks.cleared();
    this._curKind = PENDING_NONE;
    this._curPhys = 0;
    this._curLength = 0;
    this._curTag = 0;
    this.#length = 0;
    this.#sealedEnd = 0;
    this.#notPageList = false;
    this.#hasP2P = false;
    this.#providers.length = 0;
    this._positions.truncate(0);
  }

  /**
   * The list as it is now (entries, the pending last entry, the summary), to return to with
   * {@link rollback}: an adapter appending to a caller's list takes one first, so that a failure
   * half way leaves the list exactly as it was. O(1).
   */
  mark(): CpuListMark {
    return new CpuListMark(FACTORY, this, this.#marks.take(), this.#marks.clears, {
      stored: this.store.count,
      curKind: this._curKind,
      curPhys: this._curPhys,
      curLength: this._curLength,
      curTag: this._curTag,
      length: this.#length,
      sealedEnd: this.#sealedEnd,
      notPageList: this.#notPageList,
      hasP2P: this.#hasP2P,
      providers: this.#providers.length,
      positions: this._positions.count,
    });
  }

  /**
   * Returns the list to `mark`: the entries appended since go (`RangeList.truncate()`, O(log chunks),
   * freed chunks back to the pool), the pending last entry is restored (later appends merge into it
   * as they would have), and so are `length`, `isPageList`, `hasP2P` and `providers`. Cursors become
   * stale; marks taken after `mark` can no longer be rolled back to, `mark` itself can. Providers the
   * memory registered meanwhile stay registered. `EINVAL` for a mark of another list, or one the list
   * was cleared or rolled back past since; `EOPNOTSUPP` for a store without `truncate()`.
   */
  rollback(mark: CpuListMark): void {
    if (!(mark instanceof CpuListMark) || mark.owner !== this) {
      throw new RlistError("EINVAL", "the mark belongs to another list");
    }
    if (!this.#marks.isLive(mark.serial, mark.clears)) {
      throw new RlistError("EINVAL", "the list was cleared or rolled back past this mark since it was taken");
    }
    const m = mark.state;
    const store = this.store;
    if (typeof store.truncate !== "function") {
      throw new RlistError("EOPNOTSUPP", "rollback needs a store with truncate()");
    }
    if (store.count < m.stored)
      throw new RlistError("EINVAL", "the store lost entries behind the list's back");
    store.truncate(m.stored);
    this._epoch++;
    this._curKind = m.curKind;
    this._curPhys = m.curPhys;
    this._curLength = m.curLength;
    this._curTag = m.curTag;
    this.#length = m.length;
    this.#sealedEnd = m.sealedEnd;
    this.#notPageList = m.notPageList;
    this.#hasP2P = m.hasP2P;
    this.#providers.length = m.providers;
    this._positions.truncate(m.positions);
    this.#marks.rolledBackTo(mark.serial);
  }

  #appendFolioRange(start: number, length: number): void {
    checkLength(length);
    checkU53("end", start + length);
    this.#checkTotal(length);
    const inv = this.#invPs;
    const firstPfn = Math.floor(start * inv);
    const lastPfn = Math.floor((start + length - 1) * inv);
    // Unchecked lookups: checkLength and the end check above make both pfns safe integers.
    const pgmap = this.memory.rangePgmapIdAt(firstPfn, lastPfn - firstPfn + 1);
    if (pgmap < 0) {
      if (this.memory.pgmapIdAt(firstPfn) < 0 || this.memory.pgmapIdAt(lastPfn) < 0) {
        throw new RlistError(
          "EFAULT",
          `page ${this.memory.pgmapIdAt(firstPfn) < 0 ? firstPfn : lastPfn} has no struct page`,
        );
      }
      throw new RlistError("EINVAL", `pages ${firstPfn}..${lastPfn} are not one kind of struct-page memory`);
    }
    if (
      this._curKind === PENDING_FOLIO &&
      this._curPhys + this._curLength === start &&
      this._curTag === pgmap
    ) {
      // Contiguous, same pgmap: byte adjacency inside a page, or a page-aligned join (is_contiguous()).
      this._curLength += length;
      this.#length += length;
      return;
    }
    this.#startEntry(PENDING_FOLIO, start, length, pgmap);
    if (pgmap > 0) this.#noteProvider(this.memory.pgmapById(pgmap)!.provider);
  }

  /** Stores the pending entry, then makes `(kind, phys, length, tag)` the pending one. */
  #startEntry(kind: number, phys: number, length: number, tag: number): void {
    const hadEntry = this._curKind !== PENDING_NONE || this.store.count > 0;
    const prevEnd = this._curKind !== PENDING_NONE ? this._curPhys + this._curLength : this.#sealedEnd;
    const prevEndUnaligned = hadEntry && !this.#pageAligned(prevEnd);
    this.#pushPending(); // may throw: nothing has changed yet
    if (hadEntry && (prevEndUnaligned || !this.#pageAligned(phys))) this.#notPageList = true;
    this._curKind = kind;
    this._curPhys = phys;
    this._curLength = length;
    this._curTag = tag;
    this.#length += length;
  }

  /**
   * `ERANGE` when `length` more bytes would take {@link length} past 2^53 - 1: the total is a
   * `number` and stays exact, so the append that would overflow it is refused before anything
   * changes.
   */
  #checkTotal(length: number): void {
    if (this.#length + length > Number.MAX_SAFE_INTEGER) {
      throw new RlistError(
        "ERANGE",
        `${length} more bytes would take the list's total past 2^53 - 1 (it holds ${this.#length})`,
      );
    }
  }

  /** `x % pageSize === 0` without a floating-point remainder. */
  #pageAligned(x: number): boolean {
    return Math.floor(x * this.#invPs) * this.#ps === x;
  }

  #noteProvider(p: P2pProvider): void {
    this.#hasP2P = true;
    if (!this.#providers.includes(p)) this.#providers.push(p);
  }

  /** Encodes the pending entry into the store (compact forms) and records its position if it is a landmark. */
  #pushPending(): void {
    if (this._curKind === PENDING_NONE) return;
    const e = this.#encodePending();
    const positions = this._positions;
    const startPos = this.#length - this._curLength;
    positions.reserve(positions.count + 1); // the only allocation: before the store changes
    const rl = this.#rl;
    if (rl !== null) {
      rl.append(e);
      if (rl.chunkCount > positions.count) positions.push(startPos); // it opened a chunk
    } else {
      const index = this.store.count;
      this.store.append(e);
      if (index % CHECKPOINT_EVERY === 0) positions.push(startPos);
    }
  }

  /**
   * @internal The pending last entry in its stored form (the scratch record: read it before the
   * next call), or null without one: what the kernels walk after the stored entries.
   */
  _pendingStored(): RangeEntry | null {
    return this._curKind === PENDING_NONE ? null : this.#encodePending();
  }

  /** The pending entry in its stored form (the scratch record: use it before the next call). */
  #encodePending(): RangeEntry {
    const e = this.#scratch;
    if (this._curKind === PENDING_FOLIO) {
      const pfn = Math.floor(this._curPhys * this.#invPs);
      const off = this._curPhys - pfn * this.#ps;
      e.base = pfn;
      e.extra = 0;
      if (off === 0 && this.#pageAligned(this._curLength)) {
        e.type = STORED_FOLIO_PAGES;
        e.length = this._curLength * this.#invPs;
        e.offset = 0;
      } else {
        e.type = STORED_FOLIO_BYTES;
        e.length = this._curLength;
        e.offset = off;
      }
    } else {
      e.type = STORED_PHYSICAL;
      e.base = this._curPhys;
      e.length = this._curLength;
      e.offset = 0;
      e.extra = this._curTag;
    }
    return e;
  }

  // ---- reading -----------------------------------------------------------------------------

  /** A new allocation-free cursor over the entries (`for_each_entry`), before the first entry. */
  cursor(): CpuEntryCursor {
    return new CpuEntryCursor(this);
  }

  /** A new cursor that splits entries at folio boundaries (`for_each_folio`). */
  folioCursor(): CpuFolioCursor {
    return new CpuFolioCursor(this);
  }

  /** A new cursor that splits entries at page boundaries (`for_each_page`). */
  pageCursor(): CpuPageCursor {
    return new CpuPageCursor(this);
  }

  /** An entry cursor positioned on the entry holding byte `position`, or null past the end. */
  seek(position: number): CpuEntryCursor | null {
    const c = new CpuEntryCursor(this);
    return c.seek(position) ? c : null;
  }

  /** Calls `fn` with one cursor per entry (the same object each time); `false` from `fn` stops. */
  forEachEntry(fn: (entry: CpuEntryCursor) => boolean | undefined): void {
    checkFunction("fn", fn);
    const c = this.cursor();
    for (let ok = c.reset(); ok; ok = c.next()) if (fn(c) === false) return;
  }

  /** Calls `fn` per folio piece (`rlscpu_for_each_folio`); physical entries come whole. */
  forEachFolio(fn: (piece: CpuFolioCursor) => boolean | undefined): void {
    checkFunction("fn", fn);
    const c = this.folioCursor();
    for (let ok = c.reset(); ok; ok = c.next()) if (fn(c) === false) return;
  }

  /** Calls `fn` per page piece (`rlscpu_for_each_page`); physical entries are split at page frames too. */
  forEachPage(fn: (piece: CpuPageCursor) => boolean | undefined): void {
    checkFunction("fn", fn);
    const c = this.pageCursor();
    for (let ok = c.reset(); ok; ok = c.next()) if (fn(c) === false) return;
  }

  /**
   * Copies the list's bytes `[position, position + buffer.length)` into `buffer`, through the
   * physical memory (`rlist_cpu_copy_from()`, INTENDED; like `sg_copy_to_buffer()`). `EFAULT` when the
   * range passes the list's end or touches a byte that is not memory; then nothing is copied.
   */
  copyTo(buffer: Uint8Array, position: number): void {
    checkBytes("buffer", buffer);
    copyBetween(this, buffer, position, true);
  }

  /** Copies `buffer` into the list's bytes from `position` (`sg_copy_from_buffer()`); errors as {@link copyTo}. */
  copyFrom(buffer: Uint8Array, position: number): void {
    checkBytes("buffer", buffer);
    copyBetween(this, buffer, position, false);
  }

  /** Entries as plain objects (debugging and tests; allocates). */
  toArray(): CpuEntryView[] {
    const out: CpuEntryView[] = [];
    this.forEachEntry((c) => {
      out.push(
        c.isPhysical
          ? {
              type: CpuEntryType.PHYSICAL,
              phys: c.phys,
              length: c.length,
              position: c.position,
              provider: c.provider,
            }
          : {
              type: CpuEntryType.FOLIO,
              phys: c.phys,
              length: c.length,
              position: c.position,
              pfn: c.pfn,
              order: c.order,
              offset: c.offset,
              provider: c.provider,
            },
      );
      return true;
    });
    return out;
  }
}

/** One entry as a plain object ({@link CpuRangeList.toArray}). */
export type CpuEntryView =
  | {
      type: 0;
      phys: number;
      length: number;
      position: number;
      pfn: number;
      order: number;
      offset: number;
      provider: P2pProvider | null;
    }
  | { type: 1; phys: number; length: number; position: number; provider: P2pProvider | null };

function checkLength(length: number): void {
  checkU53("length", length);
  if (length === 0) throw new RlistError("EINVAL", "length must be > 0");
}

import {
  checkU53,
  hi32,
  LAYOUT_READERS,
  type LayoutReaders,
  lengthHiOf,
  lengthLowOf,
  lo32,
  RlistError,
  typeAt,
  variableExtraAt,
  variableLengthAt,
  variableUnitsAt,
  writeVariable24,
} from "@rlist/encoding";
import { type ChunkSpan, newChunkSpan, RangeList } from "@rlist/list";
import { checkInstance } from "../args.js";
import type { P2pProvider } from "../pci/p2p-provider.js";
import { PENDING_NONE, PENDING_PHYSICAL, STORED_FOLIO_BYTES, STORED_PHYSICAL } from "./constants.js";
import { CpuRangeList } from "./cpu-range-list.js";
import type { EntryStoreCursor } from "./entry-store.js";
import { CHECKPOINT_EVERY } from "./position-index.js";

const FRESH = 0;
const ACTIVE = 1;
const DONE = 2;
/** Read by a fresh or finished cursor: every field decodes to 0. */
const ZERO_WORDS = new Uint32Array(8);
/** `_own` until a cursor first needs it (most never do: a sealed RangeList has no pending entry). */
const NO_OWN = new Uint32Array(0);

function stale(): RlistError {
  return new RlistError(
    "EINVAL",
    "cursor is stale: the list was cleared or rolled back since it was positioned",
  );
}

function corrupt(what: string): RlistError {
  return new RlistError("EINVAL", `corrupt CPU range list: ${what}`);
}

/**
 * Allocation-free cursor over a {@link CpuRangeList}'s entries (the prototype's `rlist_cpu_state`
 * with `rlscpu_reset/next/seek`): step it with {@link reset} / {@link next} / {@link seek} and read
 * the current entry from its fields. Positions are in bytes. After appending to the list, call
 * {@link reset} or {@link seek} again: the last entry may have grown.
 *
 * Fields for every entry: {@link phys}, {@link length}, {@link position}, {@link index},
 * {@link isPhysical}, {@link provider}, {@link pagePfn} / {@link pageOffset}. Folio entries also have
 * {@link pfn}, {@link order} and {@link offset} (folio head, order, byte offset in the folio); on
 * physical entries, and off the list, those read -1.
 *
 * Cost model (the same design as `@rlist/list`'s cursor): {@link next} only moves to the next
 * stored entry's word in the `RangeList` chunk; the fields are decoded from the chunk words when
 * read. `position` and `index` are lazy: the cursor knows the position of one entry of the chunk
 * (the chunk's first, from the list's chunk positions, or the last one computed) and sums byte
 * lengths from there on demand. Folio head and order and the pgmap's provider are looked up in the
 * memory model when first read, once per entry. A walk that reads `phys` and `length` touches
 * neither the memory model nor any per-entry state.
 *
 * The pending last entry (and every entry of a store that is not a `RangeList`) is copied into a
 * small word buffer of the cursor in the 24-byte form, so the fields read the same way. Entry
 * words are checked (type, end marker: `EINVAL`) wherever the cursor lands outside the in-chunk
 * step: chunk starts, seeks, the pending entry, every entry of another store.
 */
export class CpuEntryCursor {
  readonly list: CpuRangeList;
  /**
   * @internal The default store, read through its chunk view; null for another {@link EntryStore}.
   */
  private readonly _rl: RangeList | null;
  /** @internal Cursor of another EntryStore (null for a RangeList store). */
  private readonly _sc: EntryStoreCursor | null;
  /** @internal */ private readonly _span: ChunkSpan;
  /**
   * @internal Fields get initialisers so V8 keeps them as small integers (a field first set to
   * undefined is generic).
   */
  private readonly _ps: number = 0;
  /**
   * @internal 24-byte copy of an entry that is not in a RangeList chunk (pending, or another
   * store's).
   */
  private _own: Uint32Array = NO_OWN;
  /** @internal Words holding the current entry: a chunk's slab, `_own`, or ZERO_WORDS. */
  private _w: Uint32Array = ZERO_WORDS;
  /**
   * @internal Unit of the current entry in `_w`, of the entry after it, and the chunk's end (as
   * last read).
   */
  private _at = 0;
  /** @internal */ private _nxt = 0;
  /** @internal */ private _end = 0;
  /**
   * @internal Chunk ordinal of `_w` (-1: not in a chunk); for another store, the index its cursor
   * is on.
   */
  private _k = -1;
  /** @internal */ private _state = FRESH;
  /** @internal */ private _epoch = 0;
  /**
   * @internal Lazy position: the entry at unit `_pAt` (<= `_at`, same words) has position `_pVal`,
   * index `_pIdx`.
   */
  private _pAt = 0;
  /** @internal */ private _pVal = 0;
  /** @internal */ private _pIdx = 0;
  /**
   * @internal Lazy lookups, valid while `_providerAt` / `_headAt` is `_at` (-1: none; reset when
   * `_w` changes).
   */
  private _providerAt = -1;
  /** @internal */ private _provider: P2pProvider | null = null;
  /** @internal */ private _headAt = -1;
  /** @internal */ private _head = -1;
  // @rlist/encoding's layout readers, on the prototype (LAYOUT_READERS, assigned below): called
  // through `this`, V8 inlines them with no per-call check of the target.
  declare private readonly typeAt: LayoutReaders["typeAt"];
  declare private readonly variableUnitsAt: LayoutReaders["variableUnitsAt"];
  declare private readonly variableLengthAt: LayoutReaders["variableLengthAt"];
  declare private readonly variableBaseAt: LayoutReaders["variableBaseAt"];
  declare private readonly variableOffsetAt: LayoutReaders["variableOffsetAt"];

  constructor(list: CpuRangeList) {
    checkInstance("list", list, CpuRangeList);
    this.list = list;
    const store = list.store;
    this._rl = store instanceof RangeList ? store : null;
    this._sc = this._rl === null ? store.cursor() : null;
    this._span = newChunkSpan();
    this._ps = list.pageSize;
    this._epoch = list._epoch;
    // Keep `_pVal` in V8's double representation from the start (positions pass 2^31).
    this._pVal = 0.5;
    this._pVal = 0;
  }

  /** True while positioned on an entry. */
  get valid(): boolean {
    return this._state === ACTIVE;
  }

  /** Entry number, 0-based (the count once past the end). */
  get index(): number {
    if (this._pAt !== this._at) this._sync();
    return this._pIdx;
  }

  /** Byte position of the entry's first byte in the list (the list's length once past the end). */
  get position(): number {
    if (this._pAt !== this._at) this._sync();
    return this._pVal;
  }

  /** Bytes in the entry. */
  get length(): number {
    return this._lengthAt(this._w, this._at);
  }

  /** CPU physical address of the entry's first byte (`rlist_cpu_entry_phys()`). */
  get phys(): number {
    const w = this._w;
    const at = this._at;
    // Type 1 (physical) stores the address; the folio types store the pfn and the offset in it.
    const base = this.variableBaseAt(w, at);
    if (this.typeAt(w, at) === 1) return base; // STORED_PHYSICAL (a literal in hot getters: see cursor.ts of @rlist/list)
    return base * this._ps + this.variableOffsetAt(w, at);
  }

  /** True for a PHYSICAL (pageless) entry, false for a FOLIO entry. */
  get isPhysical(): boolean {
    return this.typeAt(this._w, this._at) === 1; // STORED_PHYSICAL
  }

  /** 0 for FOLIO, 1 for PHYSICAL. */
  get type(): 0 | 1 {
    return this.isPhysical ? 1 : 0;
  }

  /** Page frame holding the first byte (also for physical entries, which have no struct page). */
  get pagePfn(): number {
    return Math.floor(this.phys / this._ps);
  }

  /** Offset of the first byte in that page. */
  get pageOffset(): number {
    const phys = this.phys;
    return phys - Math.floor(phys / this._ps) * this._ps;
  }

  /** The P2P provider: a physical entry's, or the pgmap's for ZONE_DEVICE folios; null for RAM. */
  get provider(): P2pProvider | null {
    if (this._state !== ACTIVE) return null;
    if (this._providerAt !== this._at) {
      const list = this.list;
      const memory = list.memory;
      const w = this._w;
      const at = this._at;
      if (this.isPhysical) {
        // Only the 24-byte form carries a provider id (extra).
        const id = variableExtraAt(w, at);
        this._provider = id === 0 ? null : memory.providerById(id);
      } else {
        this._provider = list.hasP2P ? (memory.pgmapOf(this.pagePfn)?.provider ?? null) : null;
      }
      this._providerAt = at;
    }
    return this._provider;
  }

  /** Head pfn of the folio holding the first byte (`folio_pfn(page_folio())`); -1 for physical entries. */
  get pfn(): number {
    if (this._state !== ACTIVE || this.isPhysical) return -1;
    if (this._headAt !== this._at) {
      this._head = this.list.memory.folioHead(this.pagePfn);
      this._headAt = this._at;
    }
    return this._head;
  }

  /** Order of that folio; -1 for physical entries. */
  get order(): number {
    const head = this.pfn;
    return head < 0 ? -1 : this.list.memory.folioOrder(head);
  }

  /** Byte offset of the first byte in that folio (`folio_offset`); -1 for physical entries. */
  get offset(): number {
    const head = this.pfn;
    return head < 0 ? -1 : this.phys - head * this._ps;
  }

  /** Positions on the first entry; false for an empty list. */
  reset(): boolean {
    this._state = FRESH;
    return this._slowNext() === true; // a known boolean for the caller's loop test
  }

  /**
   * Steps to the next entry (the first one on a fresh cursor); false past the last. `EINVAL` if
   * the list was cleared or rolled back since the cursor was positioned (reset or seek it again).
   */
  next(): boolean {
    const at = this._nxt;
    if (at < this._end && this._epoch === this.list._epoch) {
      // The common case, kept small enough to inline: the next entry is in the same chunk. One
      // branch per form, no check of the type: the list is the only writer of its RangeList and
      // never stores type 2 (the slow path checks every entry it lands on).
      // variableUnitsAt branches once per form (no arithmetic on the encoding): the step is predicted.
      const units = this.variableUnitsAt(this._w, at);
      if (units !== 0) {
        this._at = at;
        this._nxt = at + units;
        return true;
      }
    }
    return this._slowNext() === true;
  }

  /**
   * Lands on the entry with `position <= target < position + length` (INTENDED `rls_seek`): a
   * binary search of the list's chunk positions (O(log chunks)), then a scan of one chunk's
   * entries; false when `target >= list.length`.
   */
  seek(target: number): boolean {
    checkU53("position", target);
    this._resync();
    const list = this.list;
    if (target >= list.length) return this._finish();
    const storedBytes = list.length - list._curLength;
    if (target >= storedBytes) return this._load(list.store.count, storedBytes);
    const positions = list._positions;
    const k = positions.floor(target);
    const rl = this._rl;
    if (rl === null) {
      // Another store: from the checkpoint before `target`, step by step.
      this._load(k * CHECKPOINT_EVERY, positions.at(k));
      while (target >= this.position + this.length) this.next();
      return true;
    }
    this._enterChunk(rl, k);
    const w = this._w;
    const end = this._end;
    let at = this._span.start;
    let pos = this._pVal;
    let idx = this._pIdx;
    while (at < end) {
      const len = this._lengthAt(w, at);
      if (target < pos + len) {
        this._land(at);
        this._pAt = at;
        this._pVal = pos;
        this._pIdx = idx;
        return true;
      }
      pos += len;
      idx++;
      at += variableUnitsAt(w, at);
    }
    throw corrupt("chunk entries do not add up to the chunk positions");
  }

  /**
   * @internal Byte length of the stored entry at unit `at` of `w` (type 3, a page run, stores
   * pages).
   */
  private _lengthAt(w: Uint32Array, at: number): number {
    const len = this.variableLengthAt(w, at);
    return this.typeAt(w, at) === 3 ? len * this._ps : len; // 3 = STORED_FOLIO_PAGES
  }

  /** @internal Brings the lazy position and index forward to the current entry (same words). */
  private _sync(): void {
    const w = this._w;
    let a = this._pAt;
    let p = this._pVal;
    let i = this._pIdx;
    const target = this._at;
    while (a < target) {
      p += this._lengthAt(w, a);
      a += variableUnitsAt(w, a);
      i++;
    }
    this._pAt = a;
    this._pVal = p;
    this._pIdx = i;
  }

  /** @internal */ private _resync(): void {
    this._epoch = this.list._epoch;
    this._state = ACTIVE; // every caller lands or finishes next; only FRESH matters to next()
    this._k = -1;
  }

  /**
   * @internal Out of line: a fresh or finished cursor, staleness, the end of a chunk (appends may
   * have grown it), the next chunk, the pending entry, another store's entries, corrupt words.
   *
   * Deliberately one self-contained function for the RangeList case, like `@rlist/list`'s cursor:
   * V8 inlines by a bytecode budget (a function above 460 bytecodes is never inlined) and ranks
   * getter calls last, so a small slow path with helpers would be inlined into the caller's loop
   * and crowd `phys` / `length` out of it (measured: 2.5x slower walks).
   */
  private _slowNext(): boolean {
    const list = this.list;
    const rl = this._rl;
    const span = this._span;
    let at: number;
    if (this._state === FRESH) {
      // reset(): chunk 0's first entry, or the pending entry / another store's first entry.
      this._epoch = list._epoch;
      this._k = -1;
      this._state = ACTIVE;
      if (rl === null || list.store.count === 0) return this._load(0, 0);
      rl.chunkSpan(0, span);
      this._k = 0;
      this._w = span.words;
      this._end = span.end;
      this._pAt = span.start;
      this._pVal = 0;
      this._pIdx = 0;
      at = span.start;
    } else {
      if (this._epoch !== list._epoch) throw stale();
      if (this._state !== ACTIVE) return false;
      if (rl === null || this._k < 0) return this._load(this.index + 1, this.position + this.length);
      at = this._nxt;
      rl.chunkSpan(this._k, span); // appends may have grown the chunk since `_end` was read
      this._end = span.end;
      if (at >= span.end) {
        if (!rl.chunkSpan(this._k + 1, span)) {
          // Past the stored entries: the pending entry, if any, follows the last one.
          if (list._curKind === PENDING_NONE) return this._finish();
          const w = this._w;
          let a = this._pAt;
          let p = this._pVal;
          let i = this._pIdx;
          while (a < at) {
            const len = variableLengthAt(w, a);
            p += typeAt(w, a) === 3 ? len * this._ps : len;
            a += variableUnitsAt(w, a);
            i++;
          }
          return this._load(i, p);
        }
        this._k++;
        this._w = span.words;
        this._end = span.end;
        this._pAt = span.start;
        this._pVal = list._positions.at(this._k);
        this._pIdx = span.firstIndex;
        at = span.start;
      }
    }
    const units = variableUnitsAt(this._w, at);
    if (units === 0) throw corrupt("an end marker inside a chunk's entries");
    if (typeAt(this._w, at) === 2) throw corrupt("stored type 2");
    this._at = at;
    this._nxt = at + units;
    this._providerAt = -1;
    this._headAt = -1;
    return true;
  }

  /** @internal Makes RangeList chunk `k` current, its first entry the lazy position's anchor. */
  private _enterChunk(rl: RangeList, k: number): void {
    const span = this._span;
    rl.chunkSpan(k, span);
    this._w = span.words;
    this._end = span.end;
    this._k = k;
    this._pAt = span.start;
    this._pVal = this.list._positions.at(k);
    this._pIdx = span.firstIndex;
  }

  /**
   * @internal Lands on stored entry `index` (at byte `position`) of a RangeList: its chunk by
   * binary search.
   */
  private _landIndex(rl: RangeList, index: number, position: number): void {
    const span = this._span;
    let lo = 0;
    let hi = rl.chunkCount - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      rl.chunkSpan(mid, span);
      if (span.firstIndex <= index) lo = mid;
      else hi = mid - 1;
    }
    this._enterChunk(rl, lo);
    const w = this._w;
    let at = this._span.start;
    for (let i = this._pIdx; i < index; i++) at += variableUnitsAt(w, at);
    this._land(at);
    this._pAt = at;
    this._pVal = position;
    this._pIdx = index;
  }

  /** @internal Positions on the stored entry at unit `at` of the current chunk (checked). */
  private _land(at: number): void {
    const units = variableUnitsAt(this._w, at);
    if (units === 0) throw corrupt("an end marker inside a chunk's entries");
    if (typeAt(this._w, at) === 2) throw corrupt("stored type 2");
    this._at = at;
    this._nxt = at + units;
    this._state = ACTIVE;
    this._providerAt = -1;
    this._headAt = -1;
  }

  /**
   * @internal Positions on entry `index` at byte `position` when it is not read from a RangeList
   * chunk: the pending entry, or an entry of another store; false (finished) past the end.
   */
  private _load(index: number, position: number): boolean {
    const list = this.list;
    const stored = list.store.count;
    if (this._own.length === 0) this._own = new Uint32Array(6);
    const o = this._own;
    if (index < stored && this._rl !== null) {
      // A RangeList entry reached from outside its chunk: the cursor was on the pending entry
      // and appends stored it and more since.
      this._landIndex(this._rl, index, position);
      return true;
    }
    if (index < stored && this._sc !== null) {
      const sc = this._sc;
      if (index === 0) sc.reset();
      else if (this._k === index - 1) sc.next();
      else sc.seekIndex(index);
      this._k = index;
      const type = sc.type;
      if (type !== STORED_FOLIO_BYTES && type !== STORED_PHYSICAL && type !== 3) {
        throw corrupt(`stored type ${type}`);
      }
      putOwn(o, type, sc.base, sc.length, sc.offset, sc.extra);
    } else if (index === stored && list._curKind !== PENDING_NONE) {
      const phys = list._curPhys;
      if (list._curKind === PENDING_PHYSICAL)
        putOwn(o, STORED_PHYSICAL, phys, list._curLength, 0, list._curTag);
      else {
        const pfn = Math.floor(phys / this._ps);
        putOwn(o, STORED_FOLIO_BYTES, pfn, list._curLength, phys - pfn * this._ps, 0);
      }
      this._k = -1;
    } else {
      return this._finish();
    }
    this._w = o;
    this._end = 0; // next() always takes the slow path from here
    this._land(0);
    this._pAt = 0;
    this._pVal = position;
    this._pIdx = index;
    return true;
  }

  /** @internal */ private _finish(): false {
    this._state = DONE;
    this._w = ZERO_WORDS;
    this._k = -1;
    this._at = 0;
    this._nxt = 0;
    this._end = 0;
    this._pAt = 0;
    this._pVal = this.list.length;
    this._pIdx = this.list.count;
    return false;
  }
}

Object.assign(CpuEntryCursor.prototype, LAYOUT_READERS);

/** Writes an entry in the 24-byte variable form (enc 2) at the start of `o`. */
function putOwn(
  o: Uint32Array,
  type: number,
  base: number,
  length: number,
  offset: number,
  extra: number,
): void {
  writeVariable24(o, 0, type, lengthLowOf(length), lengthHiOf(length), lo32(base), hi32(base), offset, extra);
}

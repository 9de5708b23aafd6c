import { RlistError } from "@rlist/encoding";
import { checkAddress } from "../memory/numbers.js";
import type { P2pProvider } from "../pci/p2p-provider.js";
import {
  CHECKPOINT_EVERY,
  PENDING_FOLIO,
  PENDING_NONE,
  PENDING_PHYSICAL,
  STORED_FOLIO_BYTES,
  STORED_FOLIO_PAGES,
  STORED_PHYSICAL,
} from "./constants.js";
import type { CpuRangeList } from "./cpu-range-list.js";
import type { EntryStoreCursor } from "./entry-store.js";

const UNKNOWN = -2;

/**
 * Allocation-free cursor over a {@link CpuRangeList}'s entries (the prototype's `rlist_cpu_state`
 * with `rlscpu_reset/next/seek`): step it with {@link reset} / {@link next} / {@link seek} and read
 * the current entry from its fields. Positions are in bytes. After appending to the list, call
 * {@link reset} or {@link seek} again: the last entry may have grown.
 *
 * Fields for every entry: {@link phys}, {@link length}, {@link position}, {@link index},
 * {@link isPhysical}, {@link provider}, {@link pagePfn} / {@link pageOffset}. Folio entries also have
 * {@link pfn}, {@link order} and {@link offset} (folio head, order, byte offset in the folio;
 * looked up on first read); on physical entries those read -1.
 */
export class CpuEntryCursor {
  readonly list: CpuRangeList;
  readonly #sc: EntryStoreCursor;
  /** Stored index the store cursor is on, or -1. */
  #scIndex = -1;
  #valid = false;
  #started = false;
  #index = 0;
  #position = 0;
  #phys = 0;
  #length = 0;
  #physical = false;
  #pagePfn = 0;
  #pageOffset = 0;
  #providerId = 0;
  #provider: P2pProvider | null | undefined = undefined;
  #head = UNKNOWN;
  #epoch: number;

  constructor(list: CpuRangeList) {
    this.list = list;
    this.#sc = list.store.cursor();
    this.#epoch = list._epoch;
  }

  /** True while positioned on an entry. */
  get valid(): boolean {
    return this.#valid;
  }
  /** Entry number, 0-based (the count once past the end). */
  get index(): number {
    return this.#index;
  }
  /** Byte position of the entry's first byte in the list (the list's length once past the end). */
  get position(): number {
    return this.#position;
  }
  /** Bytes in the entry. */
  get length(): number {
    return this.#length;
  }
  /** CPU physical address of the entry's first byte (`rlist_cpu_entry_phys()`). */
  get phys(): number {
    return this.#phys;
  }
  /** True for a PHYSICAL (pageless) entry, false for a FOLIO entry. */
  get isPhysical(): boolean {
    return this.#physical;
  }
  /** 0 for FOLIO, 1 for PHYSICAL. */
  get type(): 0 | 1 {
    return this.#physical ? 1 : 0;
  }
  /** Page frame holding the first byte (also for physical entries, which have no struct page). */
  get pagePfn(): number {
    return this.#pagePfn;
  }
  /** Offset of the first byte in that page. */
  get pageOffset(): number {
    return this.#pageOffset;
  }

  /** The P2P provider: a physical entry's, or the pgmap's for ZONE_DEVICE folios; null for RAM. */
  get provider(): P2pProvider | null {
    if (this.#provider === undefined) {
      const memory = this.list.memory;
      if (this.#physical)
        this.#provider = this.#providerId === 0 ? null : memory.providerById(this.#providerId);
      else this.#provider = this.list.hasP2P ? (memory.pgmapOf(this.#pagePfn)?.provider ?? null) : null;
    }
    return this.#provider;
  }

  /** Head pfn of the folio holding the first byte; -1 for physical entries. */
  get pfn(): number {
    if (this.#physical) return -1;
    if (this.#head === UNKNOWN) this.#head = this.list.memory.folioHead(this.#pagePfn);
    return this.#head;
  }

  /** Order of that folio; -1 for physical entries. */
  get order(): number {
    return this.#physical ? -1 : this.list.memory.folioOrder(this.pfn);
  }

  /** Byte offset of the first byte in that folio (`folio_offset`); -1 for physical entries. */
  get offset(): number {
    return this.#physical ? -1 : this.#phys - this.pfn * this.list.pageSize;
  }

  /** Positions on the first entry; false for an empty list. */
  reset(): boolean {
    this.#resync();
    return this.#load(0, 0);
  }

  /**
   * Steps to the next entry (the first one on a fresh cursor); false past the last.
   * `EINVAL` if the list was cleared since the cursor was positioned (reset or seek it again).
   */
  next(): boolean {
    if (!this.#started) return this.reset();
    if (this.#epoch !== this.list._epoch) {
      throw new RlistError("EINVAL", "cursor is stale: the list was cleared since it was positioned");
    }
    if (!this.#valid) return false;
    return this.#load(this.#index + 1, this.#position + this.#length);
  }

  /**
   * Lands on the entry with `position <= target < position + length` (INTENDED `rls_seek`), in
   * O(log n) through per-32-entry checkpoints; false when `target >= list.length`.
   */
  seek(target: number): boolean {
    checkAddress("position", target);
    this.#resync();
    const list = this.list;
    if (target >= list.length) return this.#finish();
    const storedBytes = list.length - list._curLength;
    if (target >= storedBytes) return this.#load(list.store.count, storedBytes);
    const k = list._checkpointBefore(target);
    this.#load(k * CHECKPOINT_EVERY, list._checkpointPosition(k));
    while (target >= this.#position + this.#length)
      this.#load(this.#index + 1, this.#position + this.#length);
    return true;
  }

  #resync(): void {
    this.#started = true;
    if (this.#epoch !== this.list._epoch) {
      this.#epoch = this.list._epoch;
      this.#scIndex = -1;
    }
  }

  #load(index: number, position: number): boolean {
    const list = this.list;
    const stored = list.store.count;
    this.#provider = undefined;
    this.#head = UNKNOWN;
    const ps = list.pageSize;
    if (index < stored) {
      const sc = this.#sc;
      if (index === 0) sc.reset();
      else if (this.#scIndex === index - 1) sc.next();
      else sc.seekIndex(index);
      this.#scIndex = index;
      const type = sc.type;
      if (type === STORED_FOLIO_PAGES) {
        this.#setFolio(sc.base * ps, sc.length * ps, sc.base, 0);
      } else if (type === STORED_FOLIO_BYTES) {
        this.#setFolio(sc.base * ps + sc.offset, sc.length, sc.base, sc.offset);
      } else if (type === STORED_PHYSICAL) {
        this.#setPhysical(sc.base, sc.length, sc.extra, ps);
      } else {
        throw new RlistError("EINVAL", `corrupt CPU range list: stored type ${type}`);
      }
    } else if (index === stored && list._curKind !== PENDING_NONE) {
      const phys = list._curPhys;
      if (list._curKind === PENDING_FOLIO) {
        const pfn = Math.floor(phys / ps);
        this.#setFolio(phys, list._curLength, pfn, phys - pfn * ps);
      } else if (list._curKind === PENDING_PHYSICAL) {
        this.#setPhysical(phys, list._curLength, list._curTag, ps);
      }
    } else {
      return this.#finish();
    }
    this.#index = index;
    this.#position = position;
    this.#valid = true;
    return true;
  }

  #setFolio(phys: number, length: number, pagePfn: number, pageOffset: number): void {
    this.#phys = phys;
    this.#length = length;
    this.#physical = false;
    this.#pagePfn = pagePfn;
    this.#pageOffset = pageOffset;
    this.#providerId = 0;
  }

  #setPhysical(phys: number, length: number, providerId: number, ps: number): void {
    this.#phys = phys;
    this.#length = length;
    this.#physical = true;
    this.#pagePfn = Math.floor(phys / ps);
    this.#pageOffset = phys - this.#pagePfn * ps;
    this.#providerId = providerId;
  }

  #finish(): false {
    this.#valid = false;
    this.#index = this.list.count;
    this.#position = this.list.length;
    this.#phys = 0;
    this.#length = 0;
    this.#physical = false;
    this.#pagePfn = 0;
    this.#pageOffset = 0;
    this.#providerId = 0;
    this.#provider = null;
    this.#head = -1;
    return false;
  }
}

/**
 * Shared machinery of the folio and page cursors: an entry cursor plus the current sub-range
 * `[phys, phys + length)` of the entry and what is left of the entry after it.
 */
abstract class SplitCursor {
  readonly list: CpuRangeList;
  protected readonly entry: CpuEntryCursor;
  protected _position = 0;
  protected _phys = 0;
  protected _length = 0;
  protected _remaining = 0;
  #epoch: number;

  constructor(list: CpuRangeList) {
    this.list = list;
    this.entry = new CpuEntryCursor(list);
    this.#epoch = list._epoch;
  }

  get valid(): boolean {
    return this.entry.valid;
  }
  /** Index of the entry this piece belongs to. */
  get index(): number {
    return this.entry.index;
  }
  /** Byte position of the piece in the list. */
  get position(): number {
    return this._position;
  }
  get length(): number {
    return this._length;
  }
  /** CPU physical address of the piece's first byte. */
  get phys(): number {
    return this._phys;
  }
  get isPhysical(): boolean {
    return this.entry.isPhysical;
  }
  get provider(): P2pProvider | null {
    return this.entry.provider;
  }

  reset(): boolean {
    this.#epoch = this.list._epoch;
    return this.entry.reset() ? this.#enter(this.entry.phys) : this.#end();
  }

  /** Next piece; `EINVAL` if the list was cleared since the cursor was positioned. */
  next(): boolean {
    if (this.#epoch !== this.list._epoch) {
      throw new RlistError("EINVAL", "cursor is stale: the list was cleared since it was positioned");
    }
    if (this.entry.valid && this._remaining > 0) {
      this._position += this._length;
      this._phys += this._length;
      this.step();
      return true;
    }
    return this.entry.next() ? this.#enter(this.entry.phys) : this.#end();
  }

  /** Lands on the piece holding byte `target`; false past the end. O(log n), not O(pieces). */
  seek(target: number): boolean {
    this.#epoch = this.list._epoch;
    if (!this.entry.seek(target)) return this.#end();
    return this.#enter(this.entry.phys + (target - this.entry.position));
  }

  /** Starts the piece of the current entry that holds physical address `at`. */
  #enter(at: number): true {
    const e = this.entry;
    const start = this.pieceStart(at);
    this._phys = start;
    this._position = e.position + (start - e.phys);
    const entryEnd = e.phys + e.length;
    this._length = Math.min(entryEnd, this.pieceEnd(start)) - start;
    this._remaining = entryEnd - start - this._length;
    return true;
  }

  #end(): false {
    this._position = this.list.length;
    this._phys = 0;
    this._length = 0;
    this._remaining = 0;
    this.finish();
    return false;
  }

  /** Moves to the next piece of the same entry: `_phys` already points at it. */
  protected step(): void {
    const start = this._phys;
    this.enterPiece(start);
    const len = Math.min(this._remaining, this.pieceEnd(start) - start);
    this._length = len;
    this._remaining -= len;
  }

  /** First byte of the piece holding `at` (not before the entry's start). */
  protected abstract pieceStart(at: number): number;
  /** End of the unit (folio or page) that starts the piece at `start`. */
  protected abstract pieceEnd(start: number): number;
  /** Updates unit fields for a piece starting at a unit boundary `start`. */
  protected abstract enterPiece(start: number): void;
  protected abstract finish(): void;
}

/**
 * Splits entries at folio boundaries (`rlscpu_for_each_folio`, INTENDED): each piece lies in one folio,
 * with {@link pfn} (folio head), {@link order} and {@link offset} (byte offset in the folio).
 * Physical entries have no folio: they come whole with `isPhysical` true and -1 folio fields.
 */
export class CpuFolioCursor extends SplitCursor {
  #pfn = 0;
  #order = 0;

  /** Head pfn of the piece's folio; -1 for a physical entry. */
  get pfn(): number {
    return this.#pfn;
  }
  get order(): number {
    return this.#order;
  }
  /** Byte offset of the piece in its folio; -1 for a physical entry. */
  get offset(): number {
    return this.#pfn < 0 ? -1 : this._phys - this.#pfn * this.list.pageSize;
  }

  protected pieceStart(at: number): number {
    const e = this.entry;
    if (e.isPhysical) {
      this.#pfn = -1;
      this.#order = -1;
      return e.phys;
    }
    const ps = this.list.pageSize;
    const memory = this.list.memory;
    this.#pfn = memory.folioHead(Math.floor(at / ps));
    this.#order = memory.folioOrder(this.#pfn);
    return Math.max(e.phys, this.#pfn * ps);
  }

  protected pieceEnd(start: number): number {
    if (this.#pfn < 0) return start + this.entry.length;
    return (this.#pfn + 2 ** this.#order) * this.list.pageSize;
  }

  protected enterPiece(start: number): void {
    const memory = this.list.memory;
    this.#pfn = start / this.list.pageSize;
    this.#order = memory.folioOrder(this.#pfn);
  }

  protected finish(): void {
    this.#pfn = -1;
    this.#order = -1;
  }
}

/**
 * Splits entries at page boundaries (`rlscpu_for_each_page`): each piece lies in one page frame,
 * with {@link pfn} and {@link offset} (offset in the page). Physical entries are split by page frame
 * too (those frames have no struct page; `isPhysical` tells).
 */
export class CpuPageCursor extends SplitCursor {
  #pfn = 0;

  /** Page frame of the piece. */
  get pfn(): number {
    return this.#pfn;
  }
  /** Offset of the piece in its page. */
  get offset(): number {
    return this._phys - this.#pfn * this.list.pageSize;
  }

  protected pieceStart(at: number): number {
    const ps = this.list.pageSize;
    this.#pfn = Math.floor(at / ps);
    return Math.max(this.entry.phys, this.#pfn * ps);
  }

  protected pieceEnd(start: number): number {
    return (Math.floor(start / this.list.pageSize) + 1) * this.list.pageSize;
  }

  protected enterPiece(start: number): void {
    this.#pfn = start / this.list.pageSize;
  }

  protected finish(): void {
    this.#pfn = -1;
  }
}

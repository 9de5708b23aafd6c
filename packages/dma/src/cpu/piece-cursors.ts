import { RlistError } from "@rlist/encoding";
import type { P2pProvider } from "../pci/p2p-provider.js";
import type { CpuRangeList } from "./cpu-range-list.js";
import { CpuEntryCursor } from "./entry-cursor.js";

/**
 * Shared machinery of the folio and page cursors: an entry cursor plus the current piece
 * `[phys, phys + length)` of the entry and how many bytes of the entry follow it.
 *
 * A subclass says where a piece starts ({@link SplitCursor.enter}: the piece holding a byte of
 * the entry) and how the next piece of the same entry follows ({@link SplitCursor.step}); both
 * are small so that {@link next} stays small enough to inline into the caller's loop.
 */
abstract class SplitCursor {
  readonly list: CpuRangeList;
  protected readonly entry: CpuEntryCursor;
  /** @internal */ protected readonly _ps: number = 0;
  /**
   * @internal 1 / page size: exact for a power of two, so `Math.floor(x * _invPs)` is the page
   * frame of x.
   */
  protected readonly _invPs: number = 0;
  /** @internal */ protected _position = 0;
  /** @internal */ protected _phys = 0;
  /** @internal */ protected _length = 0;
  /** @internal */ protected _remaining = 0;
  /** @internal Page frame (folio cursor: folio head) of the piece; the subclass keeps it. */
  protected _pfn = 0;
  #epoch = 0;

  constructor(list: CpuRangeList) {
    this.list = list;
    this.entry = new CpuEntryCursor(list);
    this.#epoch = list._epoch;
    this._ps = list.pageSize;
    this._invPs = 1 / list.pageSize;
    // Byte fields start as doubles (they pass 2^31): no map change, no deopt, when they do.
    this._position = 0.5;
    this._position = 0;
    this._phys = 0.5;
    this._phys = 0;
    this._length = 0.5;
    this._length = 0;
    this._remaining = 0.5;
    this._remaining = 0;
    this._pfn = 0.5; // pfns pass 2^31 too
    this._pfn = 0;
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
    const e = this.entry;
    return e.reset() ? this.#start(e.phys, 0) : this.#end();
  }

  /** Next piece; `EINVAL` if the list was cleared since the cursor was positioned. */
  next(): boolean {
    if (this.#epoch !== this.list._epoch) {
      throw new RlistError(
        "EINVAL",
        "cursor is stale: the list was cleared or rolled back since it was positioned",
      );
    }
    if (this._remaining > 0) {
      this._position += this._length;
      this._phys += this._length;
      this.step();
      return true;
    }
    return this.#nextEntry();
  }

  /** Lands on the piece holding byte `target`; false past the end. O(log n), not O(pieces). */
  seek(target: number): boolean {
    this.#epoch = this.list._epoch;
    const e = this.entry;
    if (!e.seek(target)) return this.#end();
    return this.#start(e.phys + (target - e.position), e.position);
  }

  #nextEntry(): boolean {
    // Pieces tile the list, so the next entry starts where this piece ends.
    const position = this._position + this._length;
    const e = this.entry;
    return e.next() ? this.#start(e.phys, position) : this.#end();
  }

  /** Starts the piece holding physical address `at` of the current entry, which begins at list byte `position`. */
  #start(at: number, position: number): true {
    const e = this.entry;
    const phys = e.phys;
    const entryEnd = phys + e.length;
    const start = this.enter(at, phys, entryEnd);
    this._phys = start;
    this._position = position + (start - phys);
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

  /**
   * Sets the unit fields and `_length` for the piece holding `at` of the entry
   * `[entryPhys, entryEnd)`; returns the piece's first byte (not before `entryPhys`).
   */
  protected abstract enter(at: number, entryPhys: number, entryEnd: number): number;
  /** Moves to the next piece of the same entry (`_phys` points at it; `_remaining` > 0). */
  protected abstract step(): void;
  protected abstract finish(): void;
}

/**
 * Splits entries at folio boundaries (`rlscpu_for_each_folio`, INTENDED): each piece lies in one folio,
 * with {@link pfn} (folio head), {@link order} and {@link offset} (byte offset in the folio).
 * Physical entries have no folio: they come whole with `isPhysical` true and -1 folio fields.
 */
export class CpuFolioCursor extends SplitCursor {
  #order = 0;

  /** Head pfn of the piece's folio; -1 for a physical entry. */
  get pfn(): number {
    return this._pfn;
  }
  get order(): number {
    return this.#order;
  }
  /** Byte offset of the piece in its folio; -1 for a physical entry. */
  get offset(): number {
    return this._pfn < 0 ? -1 : this._phys - this._pfn * this._ps;
  }

  protected enter(at: number, entryPhys: number, entryEnd: number): number {
    if (this.entry.isPhysical) {
      this._pfn = -1;
      this.#order = -1;
      this._length = entryEnd - entryPhys;
      return entryPhys;
    }
    const ps = this._ps;
    const memory = this.list.memory;
    const head = memory.folioHead(Math.floor(at * this._invPs));
    this._pfn = head;
    this.#order = memory.folioOrder(head);
    const start = Math.max(entryPhys, head * ps);
    this._length = Math.min(entryEnd, (head + 2 ** this.#order) * ps) - start;
    return start;
  }

  protected step(): void {
    // The previous piece ended at a folio boundary: the next folio starts here.
    const head = this._phys * this._invPs;
    const order = this.list.memory.folioOrder(head);
    this._pfn = head;
    this.#order = order;
    const len = Math.min(this._remaining, 2 ** order * this._ps);
    this._length = len;
    this._remaining -= len;
  }

  protected finish(): void {
    this._pfn = -1;
    this.#order = -1;
  }
}

/**
 * Splits entries at page boundaries (`rlscpu_for_each_page`): each piece lies in one page frame,
 * with {@link pfn} and {@link offset} (offset in the page). Physical entries are split by page frame
 * too (those frames have no struct page; `isPhysical` tells).
 */
export class CpuPageCursor extends SplitCursor {
  /** Page frame of the piece. */
  get pfn(): number {
    return this._pfn;
  }
  /** Offset of the piece in its page. */
  get offset(): number {
    return this._phys - this._pfn * this._ps;
  }

  protected enter(at: number, entryPhys: number, entryEnd: number): number {
    const ps = this._ps;
    const pfn = Math.floor(at * this._invPs);
    this._pfn = pfn;
    const start = Math.max(entryPhys, pfn * ps);
    this._length = Math.min(entryEnd, (pfn + 1) * ps) - start;
    return start;
  }

  protected step(): void {
    // The previous piece ended at a page boundary: the next page follows.
    this._pfn++;
    const ps = this._ps;
    const rem = this._remaining;
    const len = Math.min(rem, ps);
    this._length = len;
    this._remaining = rem - len;
  }

  protected finish(): void {
    this._pfn = -1;
  }
}

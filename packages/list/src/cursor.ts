/**
 * Allocation-free cursors over a RangeList, in the style of the xarray's `xa_state`: one
 * object you step with `reset()` / `next()` / `seek()` and read fields from. Like the
 * prototype's `rlist_state` with rls_reset() / rls_next() / rls_seek() (INTENDED seek).
 *
 * Each codec has its own class with a specialised decode loop; both implement
 * {@link RangeCursor}. Fields describe the current entry; after a call returned false they
 * read 0, except `position` (= total length) and `index` (= count).
 *
 * Performance design (measured, see bench/): next() stores only two small integers (the
 * current and the next entry's unit index) and branches on the encoding, so the CPU can
 * predict the step instead of waiting for the decode. Fields are decoded from the chunk
 * words when read. `position` and `index` are lazy: the cursor remembers one entry with a
 * known position (the chunk start from the side index, or the last one read) and sums the
 * lengths from there on demand, so loops that never read them pay nothing and loops that
 * read them every step pay one decode per step.
 *
 * Mutation rules: appends and merge-appends while a cursor is live are seen by it (a merge
 * that grows or moves the last entry included). truncate() and clear() make earlier cursors
 * stale: they throw EINVAL at their next chunk step, reset() or seek() re-arms them, and
 * what they read before that (at most the rest of one chunk) is unspecified.
 */
import type { RangeEntry, RangeEntryBig } from "@rlist/encoding";
import {
  checkBig,
  checkSafe,
  encodingAt,
  formatValue,
  LAYOUT_READERS,
  type LayoutReaders,
  RlistError,
  unsafeFieldError,
  variableUnitsAt,
} from "@rlist/encoding";
import { HDR_USED, HEADER_UNITS, MAX_SAFE, MAX_TOTAL_BIG } from "./constants.js";
import type { RangeList } from "./range-list.js";
import { newRaw, rawBaseBig, rawLength, rawLengthBig } from "./raw.js";

export interface RangeCursor {
  /** Positions on the first entry; false for an empty list (like rls_reset()). */
  reset(): boolean;
  /**
   * Steps to the next entry; false past the last one (like rls_next()). On a fresh cursor it
   * acts as {@link reset}. Entries appended (or merged) after the cursor was made are seen.
   */
  next(): boolean;
  /**
   * Lands on the entry with `pos <= position < pos + length`, O(log chunks) plus a decode of
   * one chunk; false when `position >= totalLength`. Zero-length entries are never landed on.
   * ERANGE unless `position` is a safe non-negative integer.
   */
  seek(position: number): boolean;
  /** {@link seek} with an exact u64 position. */
  seekBig(position: bigint): boolean;
  /** Lands on entry number `index`; false when `index >= count`. */
  seekIndex(index: number): boolean;
  /** True while positioned on an entry. */
  readonly valid: boolean;
  /** 2-bit type. */
  readonly type: number;
  /** Length; ERANGE above 2^53-1 (read {@link lengthBig}). */
  readonly length: number;
  /** Base; ERANGE above 2^53-1 (read {@link baseBig}). */
  readonly base: number;
  readonly offset: number;
  readonly extra: number;
  /** Sum of the lengths of the entries before this one; ERANGE above 2^53-1. */
  readonly position: number;
  /** Index of the current entry (0-based). */
  readonly index: number;
  readonly lengthBig: bigint;
  readonly baseBig: bigint;
  /** Exact position (for positions above 2^53-1 it decodes the current chunk). */
  readonly positionBig: bigint;
  /** Copies the current entry into `out` (ERANGE if a field is above 2^53-1). */
  read(out: RangeEntry): RangeEntry;
  /** Copies the current entry into `out`, exactly. */
  readBig(out: RangeEntryBig): RangeEntryBig;
}

const FRESH = 0;
const ACTIVE = 1;
const DONE = 2;

/** Read by a finished or fresh cursor: every field decodes to 0. */
const ZERO_WORDS = new Uint32Array(8);

function stale(): RlistError {
  return new RlistError(
    "EINVAL",
    "cursor is stale: the list was truncated or cleared since it was positioned",
  );
}

function checkOut(out: unknown): void {
  if (typeof out !== "object" || out === null) {
    throw new RlistError("EINVAL", `out must be an entry object, got ${formatValue(out)}`);
  }
}

function notWritable(cause: unknown): RlistError {
  return new RlistError("EINVAL", "out is not a writable entry object", { cause });
}

function corrupt(): RlistError {
  return new RlistError("EINVAL", "chunk entries do not cover its used area (corrupt list)");
}

abstract class CursorBase implements RangeCursor {
  readonly list: RangeList;
  /** @internal Slab words of the current chunk. */
  protected _w: Uint32Array = ZERO_WORDS;
  /** @internal Unit index of the current entry in `_w`. */
  protected _at = 0;
  /** @internal Unit index of the entry after it (may be `_end`). */
  protected _nxt = 0;
  /**
   * @internal Unit index just past the current chunk's used area (as last read from its header).
   */
  protected _end = 0;
  /** @internal Unit index of the current chunk's header in `_w`. */
  protected _cb = 0;
  /** @internal Ordinal of the current chunk in the list. */
  protected _k = -1;
  /** @internal */ protected _state = FRESH;
  /** @internal */ protected _epoch: number;
  /**
   * @internal Lazy position: the entry at unit `_pAt` (<= `_at`, same chunk) has position `_pVal`,
   * index `_pIdx`.
   */
  protected _pAt = 0;
  /** @internal */ protected _pVal = 0;
  /** @internal */ protected _pIdx = 0;
  /** @internal */ private readonly _raw = newRaw();
  // @rlist/encoding's layout readers, on the prototype (LAYOUT_READERS, assigned below): called
  // through `this`, V8 inlines them with no per-call check of the target.
  declare protected readonly encodingAt: LayoutReaders["encodingAt"];
  declare protected readonly typeAt: LayoutReaders["typeAt"];
  declare protected readonly variableUnitsAt: LayoutReaders["variableUnitsAt"];
  declare protected readonly variableOffsetAt: LayoutReaders["variableOffsetAt"];
  declare protected readonly variableExtraAt: LayoutReaders["variableExtraAt"];
  declare protected readonly fixed16LengthAt: LayoutReaders["fixed16LengthAt"];
  declare protected readonly fixed16LengthExactAt: LayoutReaders["fixed16LengthExactAt"];
  declare protected readonly fixed16BaseExactAt: LayoutReaders["fixed16BaseExactAt"];
  declare protected readonly variableLengthExactAt: LayoutReaders["variableLengthExactAt"];
  declare protected readonly variableBaseExactAt: LayoutReaders["variableBaseExactAt"];

  constructor(list: RangeList) {
    this.list = list;
    this._epoch = list._epoch;
    // Keep `_pVal` in V8's double representation from the start (see RangeList's constructor).
    this._pVal = 0.5;
    this._pVal = 0;
  }

  abstract next(): boolean;
  /** @internal Units of the entry at `at` of the current chunk (throws on an END marker). */
  protected abstract _unitsAt(at: number): number;
  /**
   * @internal Linear search of the current chunk for `target`, from (`pos`, `idx`) at its start.
   */
  protected abstract _scan(target: number, pos: number, idx: number): boolean;
  abstract get length(): number;
  abstract get base(): number;
  abstract get offset(): number;
  abstract get extra(): number;

  get valid(): boolean {
    return this._state === 1; // ACTIVE
  }

  get type(): number {
    return this.typeAt(this._w, this._at);
  }

  get position(): number {
    if (this._pAt !== this._at) this._sync();
    const p = this._pVal;
    if (p > 9007199254740991) throw unsafeFieldError("position"); // MAX_SAFE, as a literal (see below)
    return p;
  }

  get index(): number {
    if (this._pAt !== this._at) this._sync();
    return this._pIdx;
  }

  get lengthBig(): bigint {
    if (this._state !== ACTIVE) return 0n;
    this.list._read(this._w, this._at, this._raw);
    return rawLengthBig(this._raw);
  }

  get baseBig(): bigint {
    if (this._state !== ACTIVE) return 0n;
    const r = this._raw;
    this.list._read(this._w, this._at, r);
    return rawBaseBig(r);
  }

  get positionBig(): bigint {
    if (this._pAt !== this._at) this._sync();
    if (this._pVal <= MAX_SAFE) return BigInt(this._pVal);
    if (this._state !== ACTIVE) return this.list._totalExact();
    // Exact: the chunk's start position plus the entries before this one in the chunk.
    const r = this._raw;
    let p = this.list._ix.posExact(this._k);
    for (let at = this._cb + HEADER_UNITS; at < this._at; ) {
      at += this.list._read(this._w, at, r);
      p += rawLengthBig(r);
    }
    return p;
  }

  read(out: RangeEntry): RangeEntry {
    checkOut(out);
    // Every field first (length/base may throw ERANGE), so `out` is written whole or not at all.
    const type = this.type;
    const length = this.length;
    const base = this.base;
    const offset = this.offset;
    const extra = this.extra;
    try {
      out.type = type;
      out.length = length;
      out.base = base;
      out.offset = offset;
      out.extra = extra;
    } catch (cause) {
      throw notWritable(cause);
    }
    return out;
  }

  readBig(out: RangeEntryBig): RangeEntryBig {
    checkOut(out);
    const r = this._raw;
    if (this._state === ACTIVE) this.list._read(this._w, this._at, r);
    else {
      r.type = r.lenLo = r.lenHi = r.baseLo = r.baseHi = r.offset = r.extra = 0;
    }
    try {
      out.type = r.type;
      out.length = rawLengthBig(r);
      out.base = rawBaseBig(r);
      out.offset = r.offset;
      out.extra = r.extra;
    } catch (cause) {
      throw notWritable(cause);
    }
    return out;
  }

  reset(): boolean {
    this._state = FRESH;
    return this._slowNext() === true; // a known boolean for the caller's loop test
  }

  seek(position: number): boolean {
    if (!(typeof position === "number" && position >= 0 && position <= MAX_SAFE && position % 1 === 0)) {
      checkSafe("position", position);
    }
    const list = this.list;
    this._epoch = list._epoch;
    if (!(position < list._total)) {
      this._finish();
      return false;
    }
    this._enter(list._ix.findByPositionNear(position, list._total));
    return this._scan(position, this._pVal, this._pIdx);
  }

  seekBig(position: bigint): boolean {
    checkBig("position", position, MAX_TOTAL_BIG);
    if (position <= BigInt(MAX_SAFE)) return this.seek(Number(position));
    const list = this.list;
    this._epoch = list._epoch;
    if (!(position < list._totalExact())) {
      this._finish();
      return false;
    }
    const ix = list._ix;
    const k = ix.findByPositionBig(position);
    this._enter(k);
    const r = this._raw;
    let pos = ix.posExact(k);
    let idx = this._pIdx;
    for (let at = this._cb + HEADER_UNITS; at < this._end; ) {
      const units = list._read(this._w, at, r);
      const len = rawLengthBig(r);
      if (position < pos + len) {
        this._land(at);
        this._pAt = at;
        this._pVal = Number(pos);
        this._pIdx = idx;
        return true;
      }
      pos += len;
      idx++;
      at += units;
    }
    throw corrupt();
  }

  seekIndex(index: number): boolean {
    checkSafe("index", index);
    const list = this.list;
    this._epoch = list._epoch;
    if (index >= list._count) {
      this._finish();
      return false;
    }
    const k = list._ix.findByIndex(index);
    this._enter(k);
    let at = this._cb + HEADER_UNITS;
    for (let i = this._pIdx; i < index; i++) at += this._unitsAt(at);
    this._land(at);
    return true;
  }

  /** @internal Makes chunk ordinal `k` current, with its start as the known position. */
  protected _enter(k: number): void {
    const list = this.list;
    const ix = list._ix;
    const id = ix.ids[k] as number;
    const w = list.pool.words(id);
    const cb = list.pool.wordBase(id);
    this._w = w;
    this._cb = cb;
    this._end = cb + HEADER_UNITS + (w[cb + HDR_USED] as number);
    this._k = k;
    this._pAt = cb + HEADER_UNITS;
    this._pVal = ix.pos[k] as number;
    this._pIdx = ix.first[k] as number;
  }

  /** @internal Positions on the entry at unit `at` of the current chunk. */
  protected _land(at: number): void {
    this._at = at;
    this._nxt = at + this._unitsAt(at);
    this._state = ACTIVE;
  }

  /** @internal Brings the lazy position forward to the current entry. */
  private _sync(): void {
    const r = this._raw;
    const list = this.list;
    let a = this._pAt;
    let p = this._pVal;
    let i = this._pIdx;
    const target = this._at;
    while (a < target) {
      a += list._read(this._w, a, r);
      p += rawLength(r);
      i++;
    }
    this._pAt = a;
    this._pVal = p;
    this._pIdx = i;
  }

  /** @internal Past the end: fields read 0, position = total, index = count. */
  protected _finish(): void {
    const list = this.list;
    this._state = DONE;
    this._w = ZERO_WORDS;
    this._cb = 0;
    this._at = 0;
    this._nxt = 0;
    this._end = 0;
    this._k = -1;
    this._pAt = 0;
    this._pVal = list._total;
    this._pIdx = list._count;
  }

  /**
   * @internal The out-of-line part of next(): a fresh or finished cursor, chunk changes, and
   * entries changed behind the cursor by appends (the tail grew) or merges (the last entry grew in
   * place, or moved to the start of a new chunk, leaving an END marker where it was).
   *
   * Deliberately one self-contained function: V8 inlines by a bytecode budget and ranks
   * getter calls last, so helper calls here would crowd `length`/`base` out of the caller's
   * loop. Measured: 5x on the iterate benchmark.
   */
  protected _slowNext(): boolean {
    const list = this.list;
    const ix = list._ix;
    const fixed = list._fixed;
    let k: number;
    if (this._state === ACTIVE) {
      if (this._epoch !== list._epoch) throw stale();
      k = this._k;
      const w = this._w;
      const cb = this._cb;
      const end = cb + HEADER_UNITS + (w[cb + HDR_USED] as number);
      let at = this._at;
      if (at >= end) {
        // The current entry was the last one and a merge moved it to the next chunk's start.
        if (++k >= ix.length) throw stale();
        this._enter(k);
        at = this._cb + HEADER_UNITS;
      } else {
        this._end = end;
      }
      // Step over the current entry, re-reading its size (a merge may have grown it).
      const units = entryUnitsAt(this._w, at, fixed);
      if (units === 0) throw corrupt();
      at += units;
      if (at < this._end) {
        const units2 = entryUnitsAt(this._w, at, fixed);
        if (units2 === 0) throw corrupt();
        this._at = at;
        this._nxt = at + units2;
        return true;
      }
      k++;
    } else if (this._state === FRESH) {
      this._epoch = list._epoch;
      k = 0;
    } else {
      return false;
    }
    if (k >= ix.length) {
      this._finish();
      return false;
    }
    const id = ix.ids[k] as number;
    const w = list.pool.words(id);
    const cb = list.pool.wordBase(id);
    const first = cb + HEADER_UNITS;
    const units = entryUnitsAt(w, first, fixed);
    if (units === 0) throw corrupt();
    this._w = w;
    this._cb = cb;
    this._end = first + (w[cb + HDR_USED] as number);
    this._k = k;
    this._pAt = first;
    this._pVal = ix.pos[k] as number;
    this._pIdx = ix.first[k] as number;
    this._at = first;
    this._nxt = first + units;
    this._state = ACTIVE;
    return true;
  }
}

// The hot methods below read the words with @rlist/encoding's layout accessors (small and
// monomorphic: V8 inlines them; reached through `this`, see LAYOUT_READERS), and use number literals, not the named constants: an imported
// `const` is read from its module cell with a TDZ check on every use, even in optimised code.
// 2 = HEADER_UNITS.

/** Cursor over the variable (8/16/24-byte) codec. */
class VariableCursor extends CursorBase {
  next(): boolean {
    const at = this._nxt;
    if (at < this._end) {
      // One branch per form, each with its constant step in units (2, 4, 6: variableUnitsAt's
      // sizes, as literals for the reason above): no test of a computed size, so the walk's step is
      // predicted. Measured against `units = variableUnitsAt(); if (units !== 0)`: walks about 5 %
      // faster (bench/layout.ts in @rlist/dma).
      const enc = this.encodingAt(this._w, at);
      if (enc === 0) {
        this._at = at;
        this._nxt = at + 2;
        return true;
      }
      if (enc === 1) {
        this._at = at;
        this._nxt = at + 4;
        return true;
      }
      if (enc === 2) {
        this._at = at;
        this._nxt = at + 6;
        return true;
      }
    }
    return this._slowNext() === true; // a known boolean for the caller's loop test
  }

  /** @internal */ protected _unitsAt(at: number): number {
    const units = variableUnitsAt(this._w, at);
    if (units === 0) throw corrupt();
    return units;
  }

  /** @internal */ protected _scan(target: number, pos: number, idx: number): boolean {
    const w = this._w;
    const end = this._end;
    let at = this._cb + 2;
    while (at < end) {
      // Besides the AssemblyScript kernels, the one place outside @rlist/encoding that reads the
      // bits itself (as its variableLengthAt / variableUnitsAt do, literals as above): one dispatch
      // per entry gives both the length and the size in the seek's inner loop. Measured in
      // bench/layout.ts of @rlist/dma: the two readers made seeks 1.34x slower, and a shared scan
      // function in @rlist/encoding 1.18x.
      const h = w[at] as number;
      const enc = h & 3;
      let len: number;
      let units: number;
      if (enc === 0) {
        len = h >>> 4;
        units = 2;
      } else if (enc === 1) {
        len = ((w[at + 1] as number) & 0xff) * 0x1000_0000 + (h >>> 4);
        units = 4;
      } else {
        len = (w[at + 4] as number) * 0x1000_0000 + (h >>> 4);
        units = enc === 2 ? 6 : end; // an END marker here is corrupt: end the scan
      }
      if (target < pos + len) {
        this._at = at;
        this._nxt = at + units;
        this._state = ACTIVE;
        this._pAt = at;
        this._pVal = pos;
        this._pIdx = idx;
        return true;
      }
      pos += len;
      idx++;
      at += units;
    }
    throw corrupt();
  }

  get length(): number {
    return this.variableLengthExactAt(this._w, this._at);
  }

  get base(): number {
    return this.variableBaseExactAt(this._w, this._at);
  }

  get offset(): number {
    return this.variableOffsetAt(this._w, this._at);
  }

  get extra(): number {
    return this.variableExtraAt(this._w, this._at);
  }
}

/** Cursor over the fixed 16-byte codec: every entry is 4 units. */
class Fixed16Cursor extends CursorBase {
  next(): boolean {
    const at = this._nxt;
    if (at < this._end && this.encodingAt(this._w, at) === 0) {
      this._at = at;
      this._nxt = at + 4;
      return true;
    }
    return this._slowNext() === true; // a known boolean for the caller's loop test
  }

  /** @internal */ protected _unitsAt(at: number): number {
    if (encodingAt(this._w, at) !== 0) throw corrupt();
    return 4;
  }

  /** @internal */ protected _scan(target: number, pos: number, idx: number): boolean {
    const w = this._w;
    const end = this._end;
    for (let at = this._cb + 2; at < end; at += 4) {
      const len = this.fixed16LengthAt(w, at);
      if (target < pos + len) {
        this._at = at;
        this._nxt = at + 4;
        this._state = ACTIVE;
        this._pAt = at;
        this._pVal = pos;
        this._pIdx = idx;
        return true;
      }
      pos += len;
      idx++;
    }
    throw corrupt();
  }

  get length(): number {
    return this.fixed16LengthExactAt(this._w, this._at);
  }

  get base(): number {
    return this.fixed16BaseExactAt(this._w, this._at);
  }

  get offset(): number {
    return 0;
  }

  get extra(): number {
    return 0;
  }
}

/** Units of the entry at `at` in either codec; 0 for an END marker or a word that starts no entry. */
function entryUnitsAt(w: Uint32Array, at: number, fixed: boolean): number {
  return fixed ? (encodingAt(w, at) === 0 ? 4 : 0) : variableUnitsAt(w, at);
}

Object.assign(CursorBase.prototype, LAYOUT_READERS);

/** @internal the cursor class matching the list's codec. */
export function createCursor(list: RangeList): RangeCursor {
  return list._fixed ? new Fixed16Cursor(list) : new VariableCursor(list);
}

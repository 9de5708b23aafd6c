/**
 * Marks of a CPU range list ({@link CpuRangeList.mark} / {@link CpuRangeList.rollback}): a saved
 * state to return to, and the bookkeeping that says which marks can still be returned to.
 */
import { checkFactory } from "../factory.js";

/** What a mark saves: where the stored entries end, the pending last entry and the summary. */
export interface MarkState {
  readonly stored: number;
  readonly curKind: number;
  readonly curPhys: number;
  readonly curLength: number;
  readonly curTag: number;
  readonly length: number;
  readonly sealedEnd: number;
  readonly notPageList: boolean;
  readonly hasP2P: boolean;
  readonly providers: number;
  readonly positions: number;
}

/** A saved state of one {@link CpuRangeList}, from {@link CpuRangeList.mark}. Opaque. */
export class CpuListMark {
  /** @internal */
  readonly owner: object;
  /** @internal */
  readonly serial: number;
  /** @internal */
  readonly clears: number;
  /** @internal */
  readonly state: MarkState;

  /** @internal use {@link CpuRangeList.mark} (`new CpuListMark(...)` is `EINVAL`). */
  constructor(factory: symbol, owner: object, serial: number, clears: number, state: MarkState) {
    checkFactory(factory, "CpuListMark", "CpuRangeList.mark()");
    this.owner = owner;
    this.serial = serial;
    this.clears = clears;
    this.state = Object.freeze(state);
    Object.freeze(this);
  }
}

/**
 * Which marks of a list are still valid. Marks are numbered in the order they are taken; a
 * rollback to mark `m` invalidates the marks taken after `m` and before the rollback (their states
 * are gone), which leaves disjoint intervals `(m, last]` of dead numbers; `clear()` kills them all.
 * Only rollbacks past a later mark record an interval, so the usual mark / append / rollback-on-error
 * use keeps nothing.
 */
export class MarkHistory {
  #serial = 0;
  #clears = 0;
  /** Dead intervals as (lo, hi] pairs, flat, sorted by lo, disjoint. */
  readonly #dead: number[] = [];

  get clears(): number {
    return this.#clears;
  }

  /** The number of a new mark. */
  take(): number {
    return ++this.#serial;
  }

  isLive(serial: number, clears: number): boolean {
    if (clears !== this.#clears || serial > this.#serial) return false;
    const dead = this.#dead;
    // Last interval with lo < serial (binary search over the pairs).
    let lo = 0;
    let hi = dead.length / 2;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (dead[2 * mid]! < serial) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 || serial > dead[2 * (lo - 1) + 1]!;
  }

  /** After a rollback to mark `serial` (live): the marks taken since are dead. */
  rolledBackTo(serial: number): void {
    if (serial === this.#serial) return;
    const dead = this.#dead;
    // Intervals starting at or after `serial` lie inside the new one.
    while (dead.length > 0 && dead[dead.length - 2]! >= serial) dead.length -= 2;
    dead.push(serial, this.#serial);
  }

  cleared(): void {
    this.#clears++;
    this.#dead.length = 0;
  }
}

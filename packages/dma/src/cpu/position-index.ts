/**
 * Byte positions of landmarks in a CPU range list, ascending: where each `RangeList` chunk starts
 * (so cursors cross chunks and seek without summing lengths, which are stored in pages or bytes),
 * or, for another `EntryStore`, where every {@link CHECKPOINT_EVERY}-th stored entry starts.
 */
export class PositionIndex {
  #pos = new Float64Array(16);
  #count = 0;

  get count(): number {
    return this.#count;
  }

  /** Byte position of landmark `k` (< count). */
  at(k: number): number {
    return this.#pos[k]!;
  }

  /** Makes room for `n` landmarks now, so a later {@link push} cannot fail. */
  reserve(n: number): void {
    if (n <= this.#pos.length) return;
    const grown = new Float64Array(Math.max(n, this.#pos.length * 2));
    grown.set(this.#pos.subarray(0, this.#count));
    this.#pos = grown;
  }

  push(position: number): void {
    this.reserve(this.#count + 1);
    this.#pos[this.#count++] = position;
  }

  /** Index of the last landmark at or before `position` (-1 when there is none). */
  floor(position: number): number {
    const pos = this.#pos;
    let lo = 0;
    let hi = this.#count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (pos[mid]! <= position) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  /** Keeps the first `count` landmarks. */
  truncate(count: number): void {
    if (count < this.#count) this.#count = count;
  }

  /** Bytes of the backing array (JS heap). */
  get bytes(): number {
    return this.#pos.byteLength;
  }
}

/** For stores other than `RangeList`: a landmark every this many stored entries. */
export const CHECKPOINT_EVERY = 32;

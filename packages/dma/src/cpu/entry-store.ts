import type { RangeEntry } from "@rlist/encoding";

/**
 * The part of `@rlist/list`'s `RangeList` that {@link CpuRangeList} stores its encoded entries in:
 * append-only, typed errors with the store unchanged, and an allocation-free cursor.
 */
export interface EntryStore {
  readonly count: number;
  /** Appends one entry; throws (store unchanged) on ENOSPC / ENOMEM / bad fields. */
  append(e: RangeEntry): void;
  clear(): void;
  cursor(): EntryStoreCursor;
}

export interface EntryStoreCursor {
  reset(): boolean;
  next(): boolean;
  seekIndex(index: number): boolean;
  readonly type: number;
  readonly length: number;
  readonly base: number;
  readonly offset: number;
  readonly extra: number;
}

/**
 * A plain typed-array store used until `@rlist/list` is available here.
 * @internal
 */
export class ArrayEntryStore implements EntryStore {
  #n = 0;
  #type = new Uint8Array(64);
  #len = new Float64Array(64);
  #base = new Float64Array(64);
  #off = new Uint32Array(64);
  #extra = new Uint32Array(64);

  get count(): number {
    return this.#n;
  }

  append(e: RangeEntry): void {
    if (this.#n === this.#type.length) this.#grow();
    const i = this.#n++;
    this.#type[i] = e.type;
    this.#len[i] = e.length;
    this.#base[i] = e.base;
    this.#off[i] = e.offset;
    this.#extra[i] = e.extra;
  }

  clear(): void {
    this.#n = 0;
  }

  cursor(): EntryStoreCursor {
    let i = -1;
    const self = this;
    return {
      reset: () => {
        i = 0;
        return i < self.#n;
      },
      next: () => {
        i++;
        return i < self.#n;
      },
      seekIndex: (index: number) => {
        i = index;
        return i < self.#n;
      },
      get type() {
        return self.#type[i] ?? 0;
      },
      get length() {
        return self.#len[i] ?? 0;
      },
      get base() {
        return self.#base[i] ?? 0;
      },
      get offset() {
        return self.#off[i] ?? 0;
      },
      get extra() {
        return self.#extra[i] ?? 0;
      },
    };
  }

  #grow(): void {
    const n = this.#type.length * 2;
    const grow = <T extends Uint8Array | Float64Array | Uint32Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a as never);
      return b;
    };
    this.#type = grow(this.#type, (k) => new Uint8Array(k));
    this.#len = grow(this.#len, (k) => new Float64Array(k));
    this.#base = grow(this.#base, (k) => new Float64Array(k));
    this.#off = grow(this.#off, (k) => new Uint32Array(k));
    this.#extra = grow(this.#extra, (k) => new Uint32Array(k));
  }
}

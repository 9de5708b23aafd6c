/**
 * The neutral input of the study: CPU ranges grouped into the lists the kernel would build
 * (one RDMA MR, one bio, one dma-buf attachment). Every representation is built from the
 * same `RangeSet`, so their figures are comparable. Columnar typed arrays: a workload of a
 * million pages must not cost a million JS objects before the study even starts.
 */
export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;

/** `provider` value of a range backed by ordinary RAM folios (not a P2P/MMIO provider). */
export const NO_PROVIDER = -1;
/** `folioPfn` value of a PHYSICAL (pageless) range, like rlscpu_append_physical input. */
export const NO_FOLIO = -1;

export interface RangeSet {
  /** Number of ranges over all groups. */
  readonly count: number;
  /** Number of groups (separate lists). */
  readonly groups: number;
  /** CPU physical byte address of each range. */
  readonly phys: Float64Array;
  /** Byte length of each range (> 0). */
  readonly length: Float64Array;
  /** PFN of the folio that holds the range, or {@link NO_FOLIO} for PHYSICAL ranges. */
  readonly folioPfn: Float64Array;
  /** Folio order (0 = 4 KiB page, 9 = 2 MiB THP). */
  readonly folioOrder: Uint8Array;
  /** P2P provider index for PHYSICAL ranges, {@link NO_PROVIDER} for RAM. */
  readonly provider: Int16Array;
  /** Ranges of group g are `[groupStart[g], groupStart[g + 1])`; length `groups + 1`. */
  readonly groupStart: Uint32Array;
}

/** Appends ranges group by group into growing typed arrays. */
export class RangeSetBuilder {
  #count = 0;
  #groups = 0;
  #phys = new Float64Array(1024);
  #length = new Float64Array(1024);
  #folioPfn = new Float64Array(1024);
  #folioOrder = new Uint8Array(1024);
  #provider = new Int16Array(1024);
  #groupStart: number[] = [];

  get count(): number {
    return this.#count;
  }

  /** Starts a new list; following ranges belong to it. */
  beginGroup(): void {
    this.#groupStart.push(this.#count);
    this.#groups++;
  }

  /** A byte range inside the folio at `folioPfn` of `order` (checked). */
  addFolioRange(folioPfn: number, order: number, phys: number, length: number): void {
    const start = folioPfn * PAGE_SIZE;
    const end = start + PAGE_SIZE * 2 ** order;
    if (!(phys >= start && phys + length <= end && length > 0)) {
      throw new RangeError(`range ${phys}+${length} is not inside folio pfn ${folioPfn} order ${order}`);
    }
    this.#push(phys, length, folioPfn, order, NO_PROVIDER);
  }

  /** A pageless range of MMIO owned by P2P provider `provider` (like rlscpu_append_physical). */
  addPhysical(phys: number, length: number, provider: number): void {
    if (!(length > 0 && provider >= 0)) throw new RangeError("physical range needs a length and a provider");
    this.#push(phys, length, NO_FOLIO, 0, provider);
  }

  #push(phys: number, length: number, folioPfn: number, order: number, provider: number): void {
    if (this.#groups === 0) this.beginGroup();
    if (this.#count === this.#phys.length) this.#grow();
    const i = this.#count++;
    this.#phys[i] = phys;
    this.#length[i] = length;
    this.#folioPfn[i] = folioPfn;
    this.#folioOrder[i] = order;
    this.#provider[i] = provider;
  }

  #grow(): void {
    const n = this.#phys.length * 2;
    const grow = <T extends Float64Array | Uint8Array | Int16Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.#phys = grow(this.#phys, (k) => new Float64Array(k));
    this.#length = grow(this.#length, (k) => new Float64Array(k));
    this.#folioPfn = grow(this.#folioPfn, (k) => new Float64Array(k));
    this.#folioOrder = grow(this.#folioOrder, (k) => new Uint8Array(k));
    this.#provider = grow(this.#provider, (k) => new Int16Array(k));
  }

  /** Freezes the set; empty trailing groups are kept (a list may legitimately be empty). */
  finish(): RangeSet {
    const n = this.#count;
    const groupStart = new Uint32Array(this.#groups + 1);
    groupStart.set(this.#groupStart);
    groupStart[this.#groups] = n;
    return {
      count: n,
      groups: this.#groups,
      phys: this.#phys.slice(0, n),
      length: this.#length.slice(0, n),
      folioPfn: this.#folioPfn.slice(0, n),
      folioOrder: this.#folioOrder.slice(0, n),
      provider: this.#provider.slice(0, n),
      groupStart,
    };
  }
}

/** Total bytes described by `set`. */
export function totalBytes(set: RangeSet): number {
  let sum = 0;
  for (let i = 0; i < set.count; i++) sum += set.length[i]!;
  return sum;
}

/** Number of 4 KiB pages the ranges touch (what a struct page array or per-page bio_vec holds). */
export function pagesTouched(set: RangeSet): number {
  let pages = 0;
  for (let i = 0; i < set.count; i++) {
    const phys = set.phys[i]!;
    const first = Math.floor(phys / PAGE_SIZE);
    const last = Math.floor((phys + set.length[i]! - 1) / PAGE_SIZE);
    pages += last - first + 1;
  }
  return pages;
}

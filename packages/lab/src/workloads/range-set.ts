import { formatValue, RlistError } from "@rlist/encoding";
import { checkInteger, checkObject } from "../args.js";

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

/** Largest folio order of a range (2^30 pages). */
const MAX_ORDER = 30;
/** Largest P2P provider index (the column is an Int16Array). */
export const MAX_PROVIDER_INDEX = 0x7fff;

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
    checkInteger("folio pfn", folioPfn, 0, Number.MAX_SAFE_INTEGER / PAGE_SIZE);
    checkInteger("folio order", order, 0, MAX_ORDER);
    checkInteger("phys", phys);
    checkInteger("length", length);
    const start = folioPfn * PAGE_SIZE;
    const end = start + PAGE_SIZE * 2 ** order;
    if (!(phys >= start && phys + length <= end && length > 0)) {
      throw new RlistError(
        "EINVAL",
        `range ${phys}+${length} is not inside folio pfn ${folioPfn} order ${order}`,
      );
    }
    this.#push(phys, length, folioPfn, order, NO_PROVIDER);
  }

  /** A pageless range of MMIO owned by P2P provider `provider` (like rlscpu_append_physical). */
  addPhysical(phys: number, length: number, provider: number): void {
    checkInteger("phys", phys);
    checkInteger("length", length, 1);
    checkInteger("provider", provider, 0, MAX_PROVIDER_INDEX);
    if (phys + length > Number.MAX_SAFE_INTEGER)
      throw new RlistError("ERANGE", `range ${phys}+${length} ends above 2^53 - 1`);
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
    const set: RangeSet = {
      count: n,
      groups: this.#groups,
      phys: this.#phys.slice(0, n),
      length: this.#length.slice(0, n),
      folioPfn: this.#folioPfn.slice(0, n),
      folioOrder: this.#folioOrder.slice(0, n),
      provider: this.#provider.slice(0, n),
      groupStart,
    };
    checked.add(set); // well formed by construction: every range was checked as it was added
    return set;
  }
}

/**
 * Sets already checked (or made by {@link RangeSetBuilder.finish}): a set is checked once, on
 * first use, so a representation built in a timing loop pays nothing for it. The library never
 * writes into a set's arrays; a caller that does after its first use is not re-checked.
 */
const checked = new WeakSet<object>();

const COLUMNS = [
  ["phys", Float64Array],
  ["length", Float64Array],
  ["folioPfn", Float64Array],
  ["folioOrder", Uint8Array],
  ["provider", Int16Array],
] as const;

/**
 * `EINVAL` unless `set` is a well-formed range set (what {@link RangeSetBuilder.finish} makes):
 * columns of the right typed arrays and length, group starts from 0 to `count` in order, and
 * every range a safe, non-empty byte range inside its folio (or a PHYSICAL range of a
 * provider). One pass over the columns, before any representation reads them.
 */
export function checkRangeSet(what: string, set: unknown): asserts set is RangeSet {
  if (checked.has(set as object)) return;
  checkObject(what, set);
  const s = set as Partial<Record<keyof RangeSet, unknown>>;
  const count = s.count;
  const groups = s.groups;
  checkInteger(`${what}.count`, count, 0, 0xffff_ffff);
  checkInteger(`${what}.groups`, groups, 0, 0xffff_fffe);
  for (const [key, ctor] of COLUMNS) {
    const column = s[key];
    if (!(column instanceof ctor) || column.length !== count) {
      throw new RlistError(
        "EINVAL",
        `${what}.${key} must be a ${ctor.name} of ${count}, got ${formatValue(column)}`,
      );
    }
  }
  const gs = s.groupStart;
  if (!(gs instanceof Uint32Array) || gs.length !== groups + 1 || gs[0] !== 0 || gs[groups] !== count) {
    throw new RlistError(
      "EINVAL",
      `${what}.groupStart must be a Uint32Array from 0 to ${count} of ${groups + 1}`,
    );
  }
  for (let g = 0; g < groups; g++) {
    if (gs[g + 1]! < gs[g]!)
      throw new RlistError("EINVAL", `${what}.groupStart is not in order at group ${g}`);
  }
  const r = set as RangeSet;
  for (let i = 0; i < count; i++) {
    const phys = r.phys[i]!;
    const length = r.length[i]!;
    const pfn = r.folioPfn[i]!;
    const order = r.folioOrder[i]!;
    const provider = r.provider[i]!;
    const end = phys + length;
    let ok = Number.isSafeInteger(phys) && phys >= 0 && Number.isSafeInteger(length) && length > 0;
    ok &&= Number.isSafeInteger(end);
    if (pfn === NO_FOLIO) ok &&= provider >= 0;
    else {
      const start = pfn * PAGE_SIZE;
      ok &&= provider === NO_PROVIDER && order <= MAX_ORDER && Number.isSafeInteger(pfn) && pfn >= 0;
      ok &&= phys >= start && end <= start + PAGE_SIZE * 2 ** order;
    }
    if (!ok)
      throw new RlistError("EINVAL", `${what}: range ${i} (${phys}+${length}, folio ${pfn}) is malformed`);
  }
  checked.add(set);
}

/** Total bytes described by `set`. */
export function totalBytes(set: RangeSet): number {
  checkRangeSet("range set", set);
  let sum = 0;
  for (let i = 0; i < set.count; i++) sum += set.length[i]!;
  return sum;
}

/** Number of 4 KiB pages the ranges touch (what a struct page array or per-page bio_vec holds). */
export function pagesTouched(set: RangeSet): number {
  checkRangeSet("range set", set);
  let pages = 0;
  for (let i = 0; i < set.count; i++) {
    const phys = set.phys[i]!;
    const first = Math.floor(phys / PAGE_SIZE);
    const last = Math.floor((phys + set.length[i]! - 1) / PAGE_SIZE);
    pages += last - first + 1;
  }
  return pages;
}

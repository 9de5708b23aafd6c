import { PAGE_SIZE, type RangeSet } from "../workloads/range-set.js";
import { hasPhysical } from "./merge.js";
import { ADDRESS_SINK, type Built, type Representation } from "./types.js";

/** sizeof(struct page *). */
export const PAGE_POINTER_BYTES = 8;

/**
 * Why `set` cannot be a page array plus one (offset, size) per group, as
 * pin_user_pages() + sg_alloc_table_from_pages() take it; null when it can.
 */
export function pageArrayObstacle(set: RangeSet): string | null {
  if (hasPhysical(set)) return "pageless PHYSICAL ranges: a page array needs a struct page";
  for (let g = 0; g < set.groups; g++) {
    const from = set.groupStart[g]!;
    const to = set.groupStart[g + 1]!;
    for (let i = from; i < to; i++) {
      const startsMid = set.phys[i]! % PAGE_SIZE !== 0;
      const endsMid = (set.phys[i]! + set.length[i]!) % PAGE_SIZE !== 0;
      if ((startsMid && i !== from) || (endsMid && i !== to - 1)) {
        return "a range inside a list starts or ends mid-page: one (offset, size) per list cannot describe it";
      }
    }
  }
  return null;
}

/** One PFN per page (a Float64Array: 8 bytes per entry, like struct page *) plus per-group offset/size. */
class PageArrays implements Built {
  readonly entries: number;
  readonly bytes: number;
  readonly payloadBytes: number;
  readonly #pfns: Float64Array;
  /** Per group: first page index, page count, offset in first page, byte size. */
  readonly #groups: Float64Array;

  constructor(set: RangeSet) {
    let n = 0;
    for (let i = 0; i < set.count; i++) {
      const p = set.phys[i]!;
      n += Math.floor((p + set.length[i]! - 1) / PAGE_SIZE) - Math.floor(p / PAGE_SIZE) + 1;
    }
    const pfns = new Float64Array(n);
    const groups = new Float64Array(set.groups * 4);
    let at = 0;
    for (let g = 0; g < set.groups; g++) {
      const from = set.groupStart[g]!;
      const to = set.groupStart[g + 1]!;
      groups[g * 4] = at;
      let size = 0;
      for (let i = from; i < to; i++) {
        const p = set.phys[i]!;
        const len = set.length[i]!;
        const last = Math.floor((p + len - 1) / PAGE_SIZE);
        for (let pfn = Math.floor(p / PAGE_SIZE); pfn <= last; pfn++) pfns[at++] = pfn;
        size += len;
      }
      groups[g * 4 + 1] = at - groups[g * 4]!;
      groups[g * 4 + 2] = from < to ? set.phys[from]! % PAGE_SIZE : 0;
      groups[g * 4 + 3] = size;
    }
    this.#pfns = pfns;
    this.#groups = groups;
    this.entries = n;
    this.bytes = n * PAGE_POINTER_BYTES;
    this.payloadBytes = this.bytes;
  }

  /** Walks pages as a driver walks a pinned page array: first page from `offset`, clamp to `size`. */
  iterate(): number {
    const pfns = this.#pfns;
    const groups = this.#groups;
    let total = 0;
    let addr = 0;
    for (let g = 0; g < groups.length; g += 4) {
      const first = groups[g]!;
      const end = first + groups[g + 1]!;
      let left = groups[g + 3]!;
      let off = groups[g + 2]!;
      for (let i = first; i < end && left > 0; i++) {
        addr += pfns[i]! * PAGE_SIZE + off;
        const len = Math.min(PAGE_SIZE - off, left);
        total += len;
        left -= len;
        off = 0;
      }
    }
    ADDRESS_SINK[0]! += addr;
    return total;
  }
}

export const pageArray: Representation = {
  id: "page-array",
  key: "page-array",
  family: "page-array",
  merge: null,
  label: "page array (8 B per page)",
  accounting:
    "one 8-byte struct page pointer per 4 KiB page touched, plus one (offset, size) per list that is not counted.",
  unsupported: pageArrayObstacle,
  build: (set) => new PageArrays(set),
};

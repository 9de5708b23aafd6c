import { PAGE_SIZE, type RangeSet } from "../workloads/range-set.js";
import { bvecMergeRule, forEachMerged, hasPhysical, NEVER_MERGE } from "./merge.js";
import { ADDRESS_SINK, type Built, type Representation } from "./types.js";

/** sizeof(struct bio_vec): page pointer, bv_len, bv_offset. */
export const BVEC_BYTES = 16;

/**
 * bio_vec arrays, one per group, as 4 u32 words per entry: page (PFN lo/hi), bv_len,
 * bv_offset. `perPage` splits every range at page boundaries (the single-page view that
 * bio_for_each_segment() yields); otherwise physically contiguous ranges share one
 * multi-page bvec the way bio_add_page() merges them since 5.1.
 */
class BvecArrays implements Built {
  readonly entries: number;
  readonly bytes: number;
  readonly payloadBytes: number;
  readonly #words: Uint32Array;

  constructor(set: RangeSet, perPage: boolean) {
    let n = 0;
    const count = (_f: number, phys: number, length: number) => {
      n += perPage ? Math.ceil(((phys % PAGE_SIZE) + length) / PAGE_SIZE) : 1;
    };
    const rule = perPage ? NEVER_MERGE : bvecMergeRule;
    for (let g = 0; g < set.groups; g++) forEachMerged(set, g, rule, 0xffff_ffff, count);
    const words = new Uint32Array(n * 4);
    let at = 0;
    const put = (pfn: number, offset: number, length: number) => {
      words[at] = pfn % 0x1_0000_0000;
      words[at + 1] = Math.floor(pfn / 0x1_0000_0000);
      words[at + 2] = length;
      words[at + 3] = offset;
      at += 4;
    };
    const fill = (_f: number, phys: number, length: number) => {
      if (!perPage) {
        put(Math.floor(phys / PAGE_SIZE), phys % PAGE_SIZE, length);
        return;
      }
      for (let p = phys, end = phys + length; p < end; ) {
        const off = p % PAGE_SIZE;
        const len = Math.min(PAGE_SIZE - off, end - p);
        put(Math.floor(p / PAGE_SIZE), off, len);
        p += len;
      }
    };
    for (let g = 0; g < set.groups; g++) forEachMerged(set, g, rule, 0xffff_ffff, fill);
    this.#words = words;
    this.entries = n;
    this.bytes = n * BVEC_BYTES;
    this.payloadBytes = this.bytes;
  }

  iterate(): number {
    const w = this.#words;
    let total = 0;
    let addr = 0;
    for (let at = 0; at < w.length; at += 4) {
      // bvec_phys(): page_to_phys(bv_page) + bv_offset.
      addr += (w[at + 1]! * 0x1_0000_0000 + w[at]!) * PAGE_SIZE + w[at + 3]!;
      total += w[at + 2]!;
    }
    ADDRESS_SINK[0]! += addr;
    return total;
  }
}

const needsPages = (set: RangeSet) =>
  hasPhysical(set) ? "pageless PHYSICAL ranges: a bio_vec needs a struct page" : null;

export const bioVec: Representation = {
  id: "bio_vec",
  key: "bio_vec",
  family: "bio_vec",
  merge: true,
  label: "bio_vec (16 B, multi-page)",
  accounting:
    "16-byte bio_vec per physically contiguous run (bio_add_page() merging, multi-page bvecs). struct bio and bvec pool rounding are not counted.",
  unsupported: needsPages,
  build: (set) => new BvecArrays(set, false),
};

export const bioVecPage: Representation = {
  id: "bio_vec-page",
  key: "bio_vec-page",
  family: "bio_vec",
  merge: null,
  label: "bio_vec (16 B, per page)",
  accounting: "16-byte bio_vec per 4 KiB page piece: the single-page view bio_for_each_segment() walks.",
  unsupported: needsPages,
  build: (set) => new BvecArrays(set, true),
};

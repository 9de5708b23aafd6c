import { BVEC_BYTES } from "@rlist/bvec";
import { TWO32 } from "@rlist/encoding";
import { checkInstance, checkInteger, optionalBoolean } from "../args.js";
import {
  addSums,
  DATA_BASE,
  emptySums,
  type KernelMemory,
  putPagePointer,
  releaseMemory,
  STRUCT_PAGE_BYTES,
  takeMemory,
  u64At,
  u64Sums,
  type WalkSums,
} from "../kernels/memory.js";
import { checkRangeSet, PAGE_SIZE, type RangeSet } from "../workloads/range-set.js";
import { bvecMergeRule, forEachMerged, hasPhysical, NEVER_MERGE } from "./merge.js";
import { ADDRESS_SINK, type Built, type Representation } from "./types.js";

// sizeof(struct bio_vec) (page pointer, bv_len, bv_offset) is @rlist/bvec's; re-exported for the lab's API.
export { BVEC_BYTES } from "@rlist/bvec";

/**
 * bio_vec arrays, one per list, back to back in a WebAssembly memory: 16 bytes per entry, as
 * `struct bio_vec` on 64-bit: u64 bv_page (a modelled `struct page *`), u32 bv_len, u32 bv_offset.
 * `perPage` splits every range at page boundaries (the single-page view that
 * bio_for_each_segment() yields); otherwise physically contiguous ranges share one multi-page
 * bvec the way bio_add_page() merges them since 5.1.
 */
class BvecArrays implements Built {
  readonly entries: number;
  readonly bytes: number;
  readonly payloadBytes: number;
  readonly #mem: KernelMemory;
  /** Entry index of each list's first bvec; `first[groups]` is the entry count. */
  readonly #first: Uint32Array;

  constructor(set: RangeSet, perPage: boolean) {
    let n = 0;
    const first = new Uint32Array(set.groups + 1);
    const count = (_f: number, phys: number, length: number) => {
      n += perPage ? Math.floor((phys - pageStart(phys) + length + PAGE_SIZE - 1) / PAGE_SIZE) : 1;
    };
    const rule = perPage ? NEVER_MERGE : bvecMergeRule;
    for (let g = 0; g < set.groups; g++) {
      first[g] = n;
      forEachMerged(set, g, rule, 0xffff_ffff, count);
    }
    first[set.groups] = n;
    const mem = takeMemory(n * BVEC_BYTES);
    const words = mem.words;
    let at = DATA_BASE / 4;
    const put = (pfn: number, offset: number, length: number) => {
      putPagePointer(words, at, pfn);
      words[at + 2] = length;
      words[at + 3] = offset;
      at += 4;
    };
    const fill = (_f: number, phys: number, length: number) => {
      if (!perPage) {
        const start = pageStart(phys);
        put(start / PAGE_SIZE, phys - start, length);
        return;
      }
      for (let p = phys, end = phys + length; p < end; ) {
        const start = pageStart(p);
        const len = Math.min(start + PAGE_SIZE - p, end - p);
        put(start / PAGE_SIZE, p - start, len);
        p += len;
      }
    };
    for (let g = 0; g < set.groups; g++) forEachMerged(set, g, rule, 0xffff_ffff, fill);
    this.#mem = mem;
    this.#first = first;
    this.entries = n;
    this.bytes = n * BVEC_BYTES;
    this.payloadBytes = this.bytes;
  }

  /** bio_for_each_bvec() over every list, in JavaScript over the same words. */
  iterate(): number {
    const w = this.#mem.words;
    const first = this.#first;
    let total = 0;
    let addr = 0;
    for (let g = 0; g + 1 < first.length; g++) {
      const end = (DATA_BASE >> 2) + first[g + 1]! * 4;
      for (let at = (DATA_BASE >> 2) + first[g]! * 4; at < end; at += 4) {
        // bvec_phys(): page_to_phys(bv_page) + bv_offset.
        addr += (w[at + 1]! * TWO32 + w[at]!) * STRUCT_PAGE_BYTES + w[at + 3]!;
        total += w[at + 2]!;
      }
    }
    ADDRESS_SINK[0]! += addr;
    return total;
  }

  kernelWalk(): WalkSums {
    const m = this.#mem;
    const k = m.kernels;
    const first = this.#first;
    const sums = emptySums();
    for (let g = 0; g + 1 < first.length; g++) {
      const n = first[g + 1]! - first[g]!;
      addSums(sums, m.sums(k.walkBvecs(DATA_BASE + first[g]! * BVEC_BYTES, n)));
    }
    return u64Sums(sums);
  }

  referenceWalk(): WalkSums {
    return bvecWalkReference(this.#mem.words, this.#first);
  }

  release(): void {
    releaseMemory(this.#mem);
  }
}

/** Start of the 4 KiB page holding `phys` (integer math: `%` on a double is a call to fmod). */
function pageStart(phys: number): number {
  return Math.floor(phys / PAGE_SIZE) * PAGE_SIZE;
}

/**
 * The reference of the walkBvecs kernel: every list's bvecs (entries `first[g]` to
 * `first[g + 1]` from DATA_BASE), bv_len and bvec_phys() summed mod 2^64, in bigint.
 */
export function bvecWalkReference(words: Uint32Array, first: Uint32Array): WalkSums {
  checkInstance("words", words, Uint32Array);
  checkInstance("first", first, Uint32Array);
  const n = first.length === 0 ? 0 : first[first.length - 1]!;
  checkInteger("bvecs", n, 0, (words.length - DATA_BASE / 4) / 4);
  const s = emptySums();
  for (let i = 0; i < n; i++) {
    const at = DATA_BASE / 4 + i * 4;
    s.count++;
    s.lengthSum += BigInt(words[at + 2]!);
    s.baseSum += u64At(words, at) * BigInt(STRUCT_PAGE_BYTES) + BigInt(words[at + 3]!);
  }
  return u64Sums(s);
}

const needsPages = (set: RangeSet) => {
  checkRangeSet("range set", set);
  return hasPhysical(set) ? "pageless PHYSICAL ranges: a bio_vec needs a struct page" : null;
};

function checkBuild(set: unknown, forTiming: unknown): asserts set is RangeSet {
  checkRangeSet("range set", set);
  optionalBoolean("forTiming", forTiming, false);
}

export const bioVec: Representation = {
  id: "bio_vec",
  key: "bio_vec",
  family: "bio_vec",
  merge: true,
  label: "bio_vec (16 B, multi-page)",
  accounting:
    "16-byte bio_vec per physically contiguous run (bio_add_page() merging, multi-page bvecs). struct bio and bvec pool rounding are not counted.",
  unsupported: needsPages,
  build: (set, forTiming) => {
    checkBuild(set, forTiming);
    return new BvecArrays(set, false);
  },
};

export const bioVecPage: Representation = {
  id: "bio_vec-page",
  key: "bio_vec-page",
  family: "bio_vec",
  merge: null,
  label: "bio_vec (16 B, per page)",
  accounting: "16-byte bio_vec per 4 KiB page piece: the single-page view bio_for_each_segment() walks.",
  unsupported: needsPages,
  build: (set, forTiming) => {
    checkBuild(set, forTiming);
    return new BvecArrays(set, true);
  },
};

import { RlistError, TWO32 } from "@rlist/encoding";
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
import { hasPhysical } from "./merge.js";
import { ADDRESS_SINK, type Built, type Representation } from "./types.js";

/** sizeof(struct page *). */
export const PAGE_POINTER_BYTES = 8;

/**
 * Why `set` cannot be a page array plus one (offset, size) per group, as
 * pin_user_pages() + sg_alloc_table_from_pages() take it; null when it can.
 */
export function pageArrayObstacle(set: RangeSet): string | null {
  checkRangeSet("range set", set);
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

/** Bytes of a list's descriptor: u32 address of its pages, u32 count, u32 offset, u32 0, u64 size. */
const DESC_BYTES = 24;

/**
 * One `struct page *` (8 bytes, a modelled pointer) per page, all lists' pages back to back in a
 * WebAssembly memory, followed by one descriptor per list (pages, count, offset in the first
 * page, byte size: what pin_user_pages() + sg_alloc_table_from_pages() take). The descriptors
 * are not counted in `bytes`.
 */
class PageArrays implements Built {
  readonly entries: number;
  readonly bytes: number;
  readonly payloadBytes: number;
  readonly #mem: KernelMemory;
  /** Byte address of the first list's descriptor; list g's is DESC_BYTES further per list. */
  readonly #desc: number;
  readonly #lists: number;

  constructor(set: RangeSet) {
    let n = 0;
    for (let i = 0; i < set.count; i++) {
      const p = set.phys[i]!;
      n += Math.floor((p + set.length[i]! - 1) / PAGE_SIZE) - Math.floor(p / PAGE_SIZE) + 1;
    }
    const mem = takeMemory(n * PAGE_POINTER_BYTES + set.groups * DESC_BYTES);
    const w = mem.words;
    const desc = DATA_BASE + n * PAGE_POINTER_BYTES;
    let at = DATA_BASE / 4;
    for (let g = 0; g < set.groups; g++) {
      const from = set.groupStart[g]!;
      const to = set.groupStart[g + 1]!;
      const d = desc / 4 + g * (DESC_BYTES / 4);
      w[d] = at * 4;
      let size = 0;
      for (let i = from; i < to; i++) {
        const p = set.phys[i]!;
        const len = set.length[i]!;
        const last = Math.floor((p + len - 1) / PAGE_SIZE);
        for (let pfn = Math.floor(p / PAGE_SIZE); pfn <= last; pfn++) {
          putPagePointer(w, at, pfn);
          at += 2;
        }
        size += len;
      }
      w[d + 1] = (at * 4 - w[d]!) / PAGE_POINTER_BYTES;
      w[d + 2] = from < to ? set.phys[from]! - Math.floor(set.phys[from]! / PAGE_SIZE) * PAGE_SIZE : 0;
      w[d + 3] = 0;
      w[d + 4] = size - Math.floor(size / TWO32) * TWO32;
      w[d + 5] = Math.floor(size / TWO32);
    }
    this.#mem = mem;
    this.#desc = desc;
    this.#lists = set.groups;
    this.entries = n;
    this.bytes = n * PAGE_POINTER_BYTES;
    this.payloadBytes = this.bytes;
  }

  /** Walks pages as a driver walks a pinned page array: first page from `offset`, clamp to `size`. */
  iterate(): number {
    const w = this.#mem.words;
    let total = 0;
    let addr = 0;
    for (let d = this.#desc >>> 2, end = d + this.#lists * 6; d < end; d += 6) {
      const last = (w[d]! >>> 2) + w[d + 1]! * 2;
      let left = w[d + 5]! * TWO32 + w[d + 4]!;
      let off = w[d + 2]!;
      for (let at = w[d]! >>> 2; at < last && left > 0; at += 2) {
        addr += (w[at + 1]! * TWO32 + w[at]!) * STRUCT_PAGE_BYTES + off;
        const len = Math.min(PAGE_SIZE - off, left);
        total += len;
        left -= len;
        off = 0;
      }
    }
    ADDRESS_SINK[0]! += addr;
    return total;
  }

  kernelWalk(): WalkSums {
    const m = this.#mem;
    const k = m.kernels;
    const sums = emptySums();
    for (let g = 0; g < this.#lists; g++) addSums(sums, m.sums(k.walkPageArray(this.#desc + g * DESC_BYTES)));
    return u64Sums(sums);
  }

  referenceWalk(): WalkSums {
    return pageArrayWalkReference(this.#mem.words, this.#desc, this.#lists);
  }

  release(): void {
    releaseMemory(this.#mem);
  }
}

/**
 * The reference of the walkPageArray kernel: each list's pages from its descriptor (at byte
 * `desc` + g * 24), the first from its offset, each piece clamped to what is left, in bigint.
 */
export function pageArrayWalkReference(words: Uint32Array, desc: number, lists: number): WalkSums {
  checkInstance("words", words, Uint32Array);
  checkInteger("descriptor address", desc, 0, words.length * 4);
  checkInteger("lists", lists, 0, (words.length * 4 - desc) / DESC_BYTES);
  if (desc % 8 !== 0) throw new RlistError("EINVAL", `descriptor address ${desc} is not 8-byte aligned`);
  const s = emptySums();
  for (let g = 0; g < lists; g++) {
    const d = desc / 4 + g * (DESC_BYTES / 4);
    let left = u64At(words, d + 4);
    let off = BigInt(words[d + 2]!);
    const pages = words[d]!;
    if (pages % 8 !== 0 || pages / 4 + words[d + 1]! * 2 > words.length || off >= 4096n) {
      throw new RlistError("EFAULT", `list ${g}'s descriptor points outside the memory`);
    }
    for (let i = 0; i < words[d + 1]! && left > 0n; i++) {
      const at = pages / 4 + i * 2;
      const len = left < 4096n - off ? left : 4096n - off;
      s.count++;
      s.lengthSum += len;
      s.baseSum += u64At(words, at) * BigInt(STRUCT_PAGE_BYTES) + off;
      left -= len;
      off = 0n;
    }
  }
  return u64Sums(s);
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
  build: (set, forTiming) => {
    checkRangeSet("range set", set);
    optionalBoolean("forTiming", forTiming, false);
    return new PageArrays(set);
  },
};

import { SG_ENTRY_BYTES, SG_MAX_SINGLE_ALLOC, sgAllocatedEntries } from "@rlist/dma";
import { RlistError, TWO32 } from "@rlist/encoding";
import { checkBoolean, checkInstance, checkInteger, optionalBoolean } from "../args.js";
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
import { forEachMerged, type MergeRule, NEVER_MERGE, SG_MAX_SEGMENT, sgMergeRule } from "./merge.js";
import { ADDRESS_SINK, type Built, type Representation } from "./types.js";

// sizeof(struct scatterlist), SG_MAX_SINGLE_ALLOC and __sg_alloc_table()'s count are @rlist/dma's
// memory model (rdma/memory-model.ts); re-exported here for the lab's API.
export { SG_ENTRY_BYTES, SG_MAX_SINGLE_ALLOC, sgAllocatedEntries } from "@rlist/dma";

const WORDS = SG_ENTRY_BYTES / 4;
const SG_CHAIN = 0x1;
const SG_END = 0x2;

/** Most entries {@link sgChunkSizes} describes (2^28: an array of about two million chunk sizes). */
export const SG_CHUNK_SIZES_MAX_NENTS = 2 ** 28;

/** The chunk sizes (in entries) of that allocation, in chain order. */
export function sgChunkSizes(nents: number): number[] {
  checkInteger("nents", nents, 0, SG_CHUNK_SIZES_MAX_NENTS);
  const sizes: number[] = [];
  let left = nents;
  while (left > SG_MAX_SINGLE_ALLOC) {
    sizes.push(SG_MAX_SINGLE_ALLOC);
    left -= SG_MAX_SINGLE_ALLOC - 1;
  }
  if (left > 0) sizes.push(left);
  return sizes;
}

/**
 * A chained sg_table per list, in a WebAssembly memory, each entry a 32-byte `struct
 * scatterlist` as 8 u32 words: page_link (lo, hi: a modelled `struct page *` with the CHAIN /
 * END tag bits, or for a chain link the byte address of the next array), offset, length,
 * dma_address (lo, hi), dma_length, dma_flags. The arrays of one table lie back to back, each
 * {@link sgChunkSizes} entries long. Walks follow sg_next(): step, jump through a chain link,
 * stop after the entry marked END.
 */
class SgTables implements Built {
  readonly entries: number;
  readonly bytes: number;
  readonly payloadBytes: number;
  readonly #mem: KernelMemory;
  /** Byte address of each list's first entry; 0 for an empty list. */
  readonly #heads: Uint32Array;

  constructor(set: RangeSet, rule: MergeRule) {
    // Pass 1: count merged entries per list (sg_alloc_table_from_pages() counts chunks first too).
    const nents = new Uint32Array(set.groups);
    let entries = 0;
    let allocated = 0;
    for (let g = 0; g < set.groups; g++) {
      nents[g] = forEachMerged(set, g, rule, SG_MAX_SEGMENT, noop);
      entries += nents[g]!;
      allocated += sgAllocatedEntries(nents[g]!);
    }
    this.#mem = takeMemory(allocated * SG_ENTRY_BYTES);
    this.#heads = new Uint32Array(set.groups);
    let at = DATA_BASE;
    for (let g = 0; g < set.groups; g++) {
      if (nents[g] === 0) continue;
      this.#heads[g] = at;
      at = this.#fill(set, g, nents[g]!, rule, at);
    }
    this.entries = entries;
    this.bytes = allocated * SG_ENTRY_BYTES;
    this.payloadBytes = entries * SG_ENTRY_BYTES;
  }

  /** Writes list `g`'s table from byte `base`; returns the byte after it. */
  #fill(set: RangeSet, g: number, nents: number, rule: MergeRule, base: number): number {
    const words = this.#mem.words;
    const sizes = sgChunkSizes(nents);
    let chunk = 0;
    let chunkAt = base; // byte address of the current array
    let slot = 0;
    let written = 0;
    forEachMerged(set, g, rule, SG_MAX_SEGMENT, (first, phys, length) => {
      if (slot === sizes[chunk]! - 1 && chunk < sizes.length - 1) {
        // sg_chain(): the last slot links to the next array, which follows this one.
        const next = chunkAt + sizes[chunk]! * SG_ENTRY_BYTES;
        writeEntry(words, (chunkAt >>> 2) + slot * WORDS, next | SG_CHAIN, 0, 0, 0, 0);
        chunk++;
        chunkAt = next;
        slot = 0;
      }
      const at = (chunkAt >>> 2) + slot * WORDS;
      const end = ++written === nents ? SG_END : 0; // sg_mark_end() on the last one
      if (set.folioPfn[first]! < 0) {
        // dma-buf style pageless entries carry a NULL page and only the address.
        writeEntry(words, at, end, 0, 0, length, phys);
      } else {
        const pfn = Math.floor(phys / PAGE_SIZE);
        putPagePointer(words, at, pfn);
        writeEntry(words, at, words[at]! | end, words[at + 1]!, phys - pfn * PAGE_SIZE, length, 0);
      }
      slot++;
    });
    return chunkAt + sizes[chunk]! * SG_ENTRY_BYTES;
  }

  /** for_each_sg() over every table, in JavaScript over the same words. */
  iterate(): number {
    const w = this.#mem.words;
    const heads = this.#heads;
    let total = 0;
    let addr = 0;
    for (let g = 0; g < heads.length; g++) {
      if (heads[g] === 0) continue;
      let at = heads[g]! >>> 2;
      for (;;) {
        const lo = w[at]!;
        const tag = lo & 3;
        if (tag & SG_CHAIN) {
          at = (lo - tag) >>> 2; // sg_chain_ptr(): arrays lie below 4 GiB
          continue;
        }
        total += w[at + 3]!;
        // sg_phys() for a page entry, sg_dma_address() for a pageless dma-buf entry.
        addr +=
          (w[at + 1]! * TWO32 + (lo - tag)) * STRUCT_PAGE_BYTES +
          w[at + 2]! +
          w[at + 5]! * TWO32 +
          w[at + 4]!;
        if (tag & SG_END) break;
        at += WORDS;
      }
    }
    ADDRESS_SINK[0]! += addr;
    return total;
  }

  kernelWalk(): WalkSums {
    const m = this.#mem;
    const k = m.kernels;
    const heads = this.#heads;
    const sums = emptySums();
    for (let g = 0; g < heads.length; g++) {
      if (heads[g] !== 0) addSums(sums, m.sums(k.walkSgTable(heads[g]!)));
    }
    return u64Sums(sums);
  }

  referenceWalk(): WalkSums {
    return sgWalkReference(this.#mem.words, this.#heads);
  }

  release(): void {
    releaseMemory(this.#mem);
  }
}

/** One `struct scatterlist` at word `at`: page_link lo/hi, offset, length, dma_address; dma_length and dma_flags 0. */
function writeEntry(
  w: Uint32Array,
  at: number,
  linkLo: number,
  linkHi: number,
  offset: number,
  length: number,
  dmaAddress: number,
): void {
  const dmaHi = Math.floor(dmaAddress / TWO32);
  w[at] = linkLo;
  w[at + 1] = linkHi;
  w[at + 2] = offset;
  w[at + 3] = length;
  w[at + 4] = dmaAddress - dmaHi * TWO32;
  w[at + 5] = dmaHi;
  w[at + 6] = 0;
  w[at + 7] = 0;
}

/**
 * The reference of the walkSgTable kernel: each table from its head (byte address, 0 = empty),
 * following sg_next() in bigint: length, and page_to_phys(page) + offset + dma_address.
 */
export function sgWalkReference(words: Uint32Array, heads: Uint32Array): WalkSums {
  checkInstance("words", words, Uint32Array);
  checkInstance("heads", heads, Uint32Array);
  const s = emptySums();
  // a table visits each 32-byte slot at most once: more steps than slots is a cycle
  const slots = Math.floor(words.length / WORDS);
  const inside = (at: number) => Number.isInteger(at) && at >= 0 && at + WORDS <= words.length;
  for (const head of heads) {
    if (head === 0) continue;
    let at = head / 4;
    for (let steps = 0; ; steps++) {
      if (!inside(at))
        throw new RlistError("EFAULT", `a scatterlist entry at byte ${at * 4} is outside the memory`);
      if (steps > slots) throw new RlistError("EINVAL", `the table at byte ${head} chains in a cycle`);
      const link = u64At(words, at);
      if (link & 1n) {
        at = Number(link - 1n) / 4;
        continue;
      }
      s.count++;
      s.lengthSum += BigInt(words[at + 3]!);
      s.baseSum += (link & ~3n) * BigInt(STRUCT_PAGE_BYTES) + BigInt(words[at + 2]!) + u64At(words, at + 4);
      if (link & 2n) break;
      at += WORDS;
    }
  }
  return u64Sums(s);
}

function noop(): void {}

/** The scatterlist as sg_alloc_table_from_pages() builds it, or (`merge` false) one entry per input range. */
export function scatterlistRepresentation(merge = true): Representation {
  checkBoolean("merge", merge);
  return {
    id: "scatterlist",
    key: merge ? "scatterlist" : "scatterlist/no-merge",
    family: "scatterlist",
    merge,
    label: merge ? "scatterlist (32 B, chained 4 KiB)" : "scatterlist, no merge",
    accounting: merge
      ? "32-byte entries merged as sg_alloc_table_from_pages() does, in 4 KiB chunks of 128 where a full chunk gives its last slot to the chain link; the last chunk is allocated exactly. sg_table headers are not counted."
      : "the same table with one entry per input range (nothing merged), as a caller filling it with sg_set_page() per page or folio gets.",
    unsupported: (set) => {
      checkRangeSet("range set", set);
      return null;
    },
    build: (set, forTiming) => {
      checkRangeSet("range set", set);
      optionalBoolean("forTiming", forTiming, false);
      return new SgTables(set, merge ? sgMergeRule : NEVER_MERGE);
    },
  };
}

export const scatterlist: Representation = scatterlistRepresentation(true);

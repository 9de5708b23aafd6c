import { PAGE_SIZE, type RangeSet } from "../workloads/range-set.js";
import { forEachMerged, type MergeRule, NEVER_MERGE, SG_MAX_SEGMENT, sgMergeRule } from "./merge.js";
import { ADDRESS_SINK, type Built, type Representation } from "./types.js";

/** sizeof(struct scatterlist) on x86-64 with CONFIG_NEED_SG_DMA_LENGTH (and DMA_FLAGS). */
export const SG_ENTRY_BYTES = 32;
/** SG_MAX_SINGLE_ALLOC: entries per 4 KiB chunk; the last one becomes the chain link. */
export const SG_MAX_SINGLE_ALLOC = PAGE_SIZE / SG_ENTRY_BYTES;
const WORDS = SG_ENTRY_BYTES / 4;
const SG_CHAIN = 0x1;
const SG_END = 0x2;

/**
 * Entries __sg_alloc_table() allocates for `nents` usable entries: full chunks of
 * {@link SG_MAX_SINGLE_ALLOC} give up one slot to the chain link, the last chunk is exact.
 */
export function sgAllocatedEntries(nents: number): number {
  if (nents <= 0) return 0;
  const max = SG_MAX_SINGLE_ALLOC;
  let left = nents;
  let alloc = 0;
  while (left > max) {
    alloc += max;
    left -= max - 1;
  }
  return alloc + left;
}

/** The chunk sizes (in entries) of that allocation, in chain order. */
export function sgChunkSizes(nents: number): number[] {
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
 * A typed-array model of a chained sg_table per group. Each entry is 8 u32 words:
 * page_link tag bits (CHAIN/END), page_link target (PFN, or next chunk index for a chain
 * link), offset, length, dma_address lo/hi, dma_length, dma_flags. Iteration follows
 * sg_next(): step, and jump through a chain entry.
 */
class SgTables implements Built {
  readonly entries: number;
  readonly bytes: number;
  readonly payloadBytes: number;
  /** All chunks of all tables; `heads[g]` is the first chunk index of group g (-1 if empty). */
  readonly #chunks: Uint32Array[] = [];
  readonly #heads: Int32Array;

  readonly #rule: MergeRule;

  constructor(set: RangeSet, rule: MergeRule) {
    this.#rule = rule;
    this.#heads = new Int32Array(set.groups).fill(-1);
    let entries = 0;
    let allocated = 0;
    // Pass 1 per group: count merged entries (sg_alloc_table_from_pages counts chunks first too).
    for (let g = 0; g < set.groups; g++) {
      const nents = forEachMerged(set, g, rule, SG_MAX_SEGMENT, noop);
      if (nents === 0) continue;
      entries += nents;
      allocated += sgAllocatedEntries(nents);
      this.#fill(set, g, nents);
    }
    this.entries = entries;
    this.bytes = allocated * SG_ENTRY_BYTES;
    this.payloadBytes = entries * SG_ENTRY_BYTES;
  }

  #fill(set: RangeSet, g: number, nents: number): void {
    const sizes = sgChunkSizes(nents);
    const base = this.#chunks.length;
    for (const n of sizes) this.#chunks.push(new Uint32Array(n * WORDS));
    this.#heads[g] = base;
    let chunk = 0;
    let slot = 0;
    let written = 0;
    forEachMerged(set, g, this.#rule, SG_MAX_SEGMENT, (first, phys, length) => {
      let words = this.#chunks[base + chunk]!;
      if (slot === sizes[chunk]! - 1 && chunk < sizes.length - 1) {
        // sg_chain(): the last slot links to the next chunk.
        const at = slot * WORDS;
        words[at] = SG_CHAIN;
        words[at + 1] = base + chunk + 1;
        chunk++;
        slot = 0;
        words = this.#chunks[base + chunk]!;
      }
      const at = slot * WORDS;
      const pageless = set.folioPfn[first]! < 0;
      // dma-buf style pageless entries carry a NULL page and only the address.
      words[at + 1] = pageless ? 0 : Math.floor(phys / PAGE_SIZE);
      words[at + 2] = pageless ? 0 : phys % PAGE_SIZE;
      words[at + 3] = length;
      words[at + 4] = pageless ? phys % 0x1_0000_0000 : 0;
      words[at + 5] = pageless ? Math.floor(phys / 0x1_0000_0000) : 0;
      words[at] = ++written === nents ? SG_END : 0; // sg_mark_end() on the last one
      slot++;
    });
  }

  iterate(): number {
    let total = 0;
    let addr = 0;
    const chunks = this.#chunks;
    for (let g = 0; g < this.#heads.length; g++) {
      const c = this.#heads[g]!;
      if (c < 0) continue;
      let words = chunks[c]!;
      let at = 0;
      for (;;) {
        const tag = words[at]!;
        if (tag & SG_CHAIN) {
          words = chunks[words[at + 1]!]!;
          at = 0;
          continue;
        }
        total += words[at + 3]!;
        // sg_phys() for a page entry, sg_dma_address() for a pageless dma-buf entry.
        addr += words[at + 1]! * PAGE_SIZE + words[at + 2]! + words[at + 5]! * 0x1_0000_0000 + words[at + 4]!;
        if (tag & SG_END) break;
        at += WORDS;
        if (at === words.length) break; // defensive: a table without END
      }
    }
    ADDRESS_SINK[0]! += addr;
    return total;
  }
}

function noop(): void {}

/** The scatterlist as sg_alloc_table_from_pages() builds it, or (`merge` false) one entry per input range. */
export function scatterlistRepresentation(merge = true): Representation {
  return {
    id: "scatterlist",
    key: merge ? "scatterlist" : "scatterlist/no-merge",
    family: "scatterlist",
    merge,
    label: merge ? "scatterlist (32 B, chained 4 KiB)" : "scatterlist, no merge",
    accounting: merge
      ? "32-byte entries merged as sg_alloc_table_from_pages() does, in 4 KiB chunks of 128 where a full chunk gives its last slot to the chain link; the last chunk is allocated exactly. sg_table headers are not counted."
      : "the same table with one entry per input range (nothing merged), as a caller filling it with sg_set_page() per page or folio gets.",
    unsupported: () => null,
    build: (set) => new SgTables(set, merge ? sgMergeRule : NEVER_MERGE),
  };
}

export const scatterlist: Representation = scatterlistRepresentation(true);

import { CpuRangeList, P2pProvider, PhysicalMemory } from "@rlist/dma";
import { formatValue, RlistError } from "@rlist/encoding";
import { type ChunkBytes, ChunkPool, RangeList } from "@rlist/list";
import {
  checkArray,
  checkBoolean,
  checkFunction,
  checkInstance,
  checkInteger,
  checkObject,
  checkOneOf,
  optionalBoolean,
} from "../args.js";
import { addSums, emptySums, u64Sums, type WalkSums } from "../kernels/memory.js";
import { checkRangeSet, NO_FOLIO, PAGE_SIZE, type RangeSet } from "../workloads/range-set.js";
import { hasPhysical } from "./merge.js";
import { ADDRESS_SINK, type Built, type Representation, type RepresentationId } from "./types.js";

/** What an rlist_cpu needs besides the ranges: the memory the folios live in and the P2P providers. */
export interface RlistContext {
  readonly memory: PhysicalMemory;
  /** Provider by the range set's provider index. */
  readonly providers: readonly P2pProvider[];
  /**
   * Builds list `g` into `store` instead of one append per range: the NVMe workload goes through
   * the bio -> CpuRangeList adapter of @rlist/bvec this way. Must leave the list sealed.
   */
  readonly makeList?: (g: number, store: RangeList) => CpuRangeList;
}

const CHUNK_SIZES: readonly ChunkBytes[] = [128, 512, 4096];

/** `EINVAL` unless `ctx` is an {@link RlistContext}: a PhysicalMemory, P2P providers, an optional builder. */
export function checkRlistContext(ctx: unknown): asserts ctx is RlistContext {
  checkObject("rlist context", ctx);
  const { memory, providers, makeList } = ctx as Partial<RlistContext>;
  checkInstance("ctx.memory", memory, PhysicalMemory);
  checkArray("ctx.providers", providers, (at, p) => checkInstance(at, p, P2pProvider));
  if (makeList !== undefined) checkFunction("ctx.makeList", makeList);
}

/** `EINVAL` / `ERANGE` unless `g` names a group of `set`. */
function checkGroup(set: RangeSet, g: unknown): asserts g is number {
  checkInteger("group", g, 0, Math.max(0, set.groups - 1));
  if (set.groups === 0) throw new RlistError("ERANGE", "the range set has no group");
}

/**
 * Appends list `g` range by range, the way GUP or a dma-buf exporter would. With `merge` false
 * every range is stored as it came (sealed after each append, so the next one cannot extend it).
 * All or nothing: on an error (a provider the set names but `providers` lacks, a refused append)
 * the list is rolled back to where it was.
 */
export function appendRanges(
  set: RangeSet,
  g: number,
  list: CpuRangeList,
  providers: readonly P2pProvider[],
  merge = true,
): void {
  checkRangeSet("range set", set);
  checkGroup(set, g);
  checkInstance("list", list, CpuRangeList);
  checkArray("providers", providers, (at, p) => checkInstance(at, p, P2pProvider));
  checkBoolean("merge", merge);
  const from = set.groupStart[g]!;
  const to = set.groupStart[g + 1]!;
  for (let i = from; i < to; i++) {
    if (set.folioPfn[i] === NO_FOLIO && providers[set.provider[i]!] === undefined) {
      throw new RlistError("EINVAL", `range ${i} names provider ${set.provider[i]}, which is unknown`);
    }
  }
  const mark = list.mark();
  try {
    for (let i = from; i < to; i++) {
      const phys = set.phys[i]!;
      if (set.folioPfn[i] === NO_FOLIO) {
        list.appendPhysical(phys, set.length[i]!, providers[set.provider[i]!]!);
      } else {
        const pfn = Math.floor(phys / PAGE_SIZE);
        list.appendPage(pfn, phys - pfn * PAGE_SIZE, set.length[i]!);
      }
      if (!merge) list.seal();
    }
  } catch (err) {
    list.rollback(mark);
    throw err;
  }
  list.seal();
}

/**
 * List `g` of `set` as a sealed CpuRangeList over `store` (through the context's own builder, e.g.
 * the bio adapter, unless `merge` is false: then one entry per input range).
 */
export function makeList(
  set: RangeSet,
  g: number,
  ctx: RlistContext,
  store: RangeList,
  merge = true,
  mergePhysical = false,
): CpuRangeList {
  checkRangeSet("range set", set);
  checkGroup(set, g);
  checkRlistContext(ctx);
  checkInstance("store", store, RangeList);
  checkBoolean("merge", merge);
  checkBoolean("mergePhysical", mergePhysical);
  if (ctx.makeList && merge && !mergePhysical) {
    const made = ctx.makeList(g, store);
    if (!(made instanceof CpuRangeList))
      throw new RlistError("EINVAL", `ctx.makeList returned ${formatValue(made)}, not a CpuRangeList`);
    return made;
  }
  const list = new CpuRangeList(ctx.memory, { store, mergePhysical });
  appendRanges(set, g, list, ctx.providers, merge);
  return list;
}

interface Accounting {
  entries: number;
  bytes: number;
  payloadBytes: number;
  lists: { entries: Uint32Array; bytes: Float64Array };
}

/** Entries, bytes and payload summed over several range lists, and per list. */
function account(stores: readonly RangeList[]): Accounting {
  let entries = 0;
  let bytes = 0;
  let payloadBytes = 0;
  const lists = { entries: new Uint32Array(stores.length), bytes: new Float64Array(stores.length) };
  stores.forEach((s, g) => {
    const st = s.stats();
    entries += st.entries;
    bytes += st.bytesInUse;
    payloadBytes += st.byForm[8] * 8 + st.byForm[16] * 16 + st.byForm[24] * 24;
    lists.entries[g] = st.entries;
    lists.bytes[g] = st.bytesInUse;
  });
  return { entries, bytes, payloadBytes, lists };
}

/**
 * One RangeList per list of the set, from one pool; filled by `fill`. On any error every chunk
 * taken so far goes back to the pool before the error propagates.
 */
abstract class StoredLists implements Built {
  readonly entries: number;
  readonly bytes: number;
  readonly payloadBytes: number;
  readonly lists: { readonly entries: Uint32Array; readonly bytes: Float64Array };
  readonly stores: RangeList[] = [];

  constructor(set: RangeSet, newStore: () => RangeList, fill: (g: number, store: RangeList) => void) {
    try {
      for (let g = 0; g < set.groups; g++) {
        const store = newStore();
        this.stores.push(store);
        fill(g, store);
      }
    } catch (err) {
      this.release();
      throw err;
    }
    ({
      entries: this.entries,
      bytes: this.bytes,
      payloadBytes: this.payloadBytes,
      lists: this.lists,
    } = account(this.stores));
  }

  abstract iterate(): number;

  /** `RangeList#checksum()` of every list: its WebAssembly kernel over the pool's memory. */
  kernelWalk(): WalkSums {
    const sums = emptySums();
    for (const s of this.stores) addSums(sums, s.checksum());
    return u64Sums(sums);
  }

  /** The same sums from the entries as stored (bigint base and length), list by list. */
  referenceWalk(): WalkSums {
    const sums = emptySums();
    for (const s of this.stores) {
      for (const e of s.entriesBig()) {
        sums.count++;
        sums.lengthSum += e.length;
        sums.baseSum += e.base;
      }
    }
    return u64Sums(sums);
  }

  release(): void {
    for (const s of this.stores) s.clear();
  }
}

/** One CpuRangeList (rlist_cpu) per list of the set, stored in RangeLists of `chunkBytes` chunks. */
class CpuLists extends StoredLists {
  readonly #lists: CpuRangeList[];

  constructor(set: RangeSet, ctx: RlistContext, pool: ChunkPool, merge: boolean, mergePhysical: boolean) {
    const lists: CpuRangeList[] = [];
    super(
      set,
      () => new RangeList({ chunkBytes: pool.chunkBytes, pool }),
      (g, store) => lists.push(makeList(set, g, ctx, store, merge, mergePhysical)),
    );
    this.#lists = lists;
  }

  /** for_each_entry over every list with the allocation-free cursor. */
  iterate(): number {
    let total = 0;
    let addr = 0;
    for (const list of this.#lists) {
      const c = list.cursor();
      for (let ok = c.reset(); ok; ok = c.next()) {
        addr += c.phys;
        total += c.length;
      }
    }
    ADDRESS_SINK[0]! += addr;
    return total;
  }
}

/**
 * The variable-size rlist (8/16/24-byte entries) in chunks of `chunkBytes`; `merge` false keeps
 * one entry per input range instead of extending the last entry.
 */
export function rlistRepresentation(
  chunkBytes: ChunkBytes,
  ctx: RlistContext,
  merge = true,
  mergePhysical = false,
): Representation {
  checkOneOf("chunkBytes", chunkBytes, CHUNK_SIZES);
  checkRlistContext(ctx);
  checkBoolean("merge", merge);
  checkBoolean("mergePhysical", mergePhysical);
  const pool = new ChunkPool({ chunkBytes });
  const id = `rlist-${chunkBytes}` as RepresentationId;
  const variant = mergePhysical ? "P2P ranges merged" : merge ? "" : "no merge";
  return {
    id,
    key: mergePhysical ? `${id}/p2p-merge` : merge ? id : `${id}/no-merge`,
    family: "rlist",
    merge: merge || mergePhysical,
    label: `rlist variable, ${chunkBytes} B chunks${variant === "" ? "" : `, ${variant}`}`,
    accounting: `rlist_cpu (CpuRangeList) entries in the variable 8/16/24-byte encoding, counted as whole ${chunkBytes}-byte chunks (chunk header, end marker and unused tail included)${merge ? "" : "; every input range kept as its own entry"}${mergePhysical ? "; contiguous PHYSICAL ranges of one P2P provider merged (CpuRangeList mergePhysical, an extension of the prototype)" : ""}.`,
    unsupported: (set) => {
      checkRangeSet("range set", set);
      return null;
    },
    build: (set, forTiming) => {
      checkRangeSet("range set", set);
      optionalBoolean("forTiming", forTiming, false);
      return new CpuLists(set, ctx, pool, merge, mergePhysical);
    },
  };
}

/** Byte-address entries in the fixed 16-byte codec, merged when contiguous (a phyr-style list). */
class Fixed16Lists extends StoredLists {
  constructor(set: RangeSet, pool: ChunkPool, merge: boolean) {
    const e = { type: 0, base: 0, length: 0, offset: 0, extra: 0 };
    super(
      set,
      () => new RangeList({ codec: "fixed16", chunkBytes: pool.chunkBytes, pool, merge }),
      (g, store) => {
        for (let i = set.groupStart[g]!; i < set.groupStart[g + 1]!; i++) {
          e.base = set.phys[i]!;
          e.length = set.length[i]!;
          store.append(e);
        }
      },
    );
  }

  iterate(): number {
    let total = 0;
    let addr = 0;
    for (const s of this.stores) {
      const c = s.cursor();
      for (let ok = c.reset(); ok; ok = c.next()) {
        addr += c.base;
        total += c.length;
      }
    }
    ADDRESS_SINK[0]! += addr;
    return total;
  }
}

export const FIXED16_CHUNK_BYTES: ChunkBytes = 512;

export function fixed16Representation(merge = true): Representation {
  checkBoolean("merge", merge);
  const pool = new ChunkPool({ chunkBytes: FIXED16_CHUNK_BYTES });
  return {
    id: "fixed16",
    key: merge ? "fixed16" : "fixed16/no-merge",
    family: "fixed16",
    merge,
    label: `fixed 16 B entries, 512 B chunks${merge ? "" : ", no merge"}`,
    accounting: `the fixed16 codec (64-bit byte address, 60-bit length, 4 flag bits) in 512-byte chunks, ${merge ? "contiguous ranges merged" : "one entry per input range"}; whole chunks counted.`,
    unsupported: (set) => {
      checkRangeSet("range set", set);
      return hasPhysical(set)
        ? "a fixed16 entry has no field for the P2P provider of a PHYSICAL range"
        : null;
    },
    build: (set, forTiming) => {
      checkRangeSet("range set", set);
      optionalBoolean("forTiming", forTiming, false);
      return new Fixed16Lists(set, pool, merge);
    },
  };
}

/**
 * The first list of `set` as an rlist_cpu in `chunkBytes` chunks, serialised with
 * RangeList.toBytes() (what `rlist-lab study --save-lists` writes and `inspect` reads).
 */
export function firstListBytes(set: RangeSet, ctx: RlistContext, chunkBytes: ChunkBytes): Uint8Array {
  checkRangeSet("range set", set);
  checkRlistContext(ctx);
  checkOneOf("chunkBytes", chunkBytes, CHUNK_SIZES);
  const store = new RangeList({ chunkBytes, pool: new ChunkPool({ chunkBytes }) });
  try {
    if (set.groups > 0) makeList(set, 0, ctx, store);
    return store.toBytes();
  } finally {
    store.clear();
  }
}

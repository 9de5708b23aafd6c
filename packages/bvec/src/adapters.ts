/**
 * Adapters between bios and rlist's CPU range lists (`@rlist/dma` `CpuRangeList`):
 *
 * - bio (or bio chain) → `CpuRangeList`, merging physically contiguous bvecs of one pgmap (the
 *   prototype's `rlist_cpu_init_bio` backing produced one entry per bvec; its FIXME asked for this);
 * - `CpuRangeList` → a bio chain, at most `maxVecs` bvecs a bio, a new bio whenever the pgmap
 *   changes (one bio never mixes P2P kinds or providers), block-aligned cuts between bios.
 */
import { CpuRangeList, type CpuRangeListOptions, PhysicalMemory } from "@rlist/dma";
import { isPowerOfTwo, lowBits, RlistError } from "@rlist/encoding";
import { Bio } from "./bio.js";
import { checkBoolean, checkInstance, checkObject, checkPositive } from "./checks.js";
import { BIO_MAX_VECS, PAGE_SIZE, SECTOR_SHIFT, U32_MAX } from "./constants.js";
import { type BioOp, checkBioOp } from "./ops.js";
import { NO_PGMAP, type PgmapLookup } from "./pgmap.js";
import { PhysVecCursor, UNLIMITED_PHYS_VEC } from "./phys-vec.js";

function checkPageSize(memory: PhysicalMemory): void {
  if (memory.pageSize !== PAGE_SIZE) {
    throw new RlistError(
      "EINVAL",
      `the bio model uses 4 KiB pages; this memory has ${memory.pageSize}-byte pages`,
    );
  }
}

/** `memory` as a pgmap lookup, or the free "all RAM" one when it has no ZONE_DEVICE pages at all. */
function lookupFor(memory: PhysicalMemory): PgmapLookup {
  return memory.hasPgmaps ? memory : NO_PGMAP;
}

export interface BioToListOptions extends CpuRangeListOptions {
  /** Follow `bi_next` (default true). */
  chain?: boolean;
  /**
   * Append to this list instead of a new one (its memory must be `memory`; the new-list options
   * do not apply). The first run merges into the list's pending last entry when it continues it.
   */
  list?: CpuRangeList;
}

/** A range list built from bios, with the merge figures. */
export interface BioListResult {
  list: CpuRangeList;
  /** Multi-page bvecs walked: the entries the 2023 prototype's bio backing would report. */
  bvecs: number;
  /** Entries the bio added to the list (a first run that merged into its last entry adds none). */
  entries: number;
  /** `bvecs - entries`: what merging physically contiguous bvecs saved. */
  saved: number;
}

/** Reused between calls: one cursor, no allocation per bvec. */
const sharedCursor = new PhysVecCursor();

/**
 * Builds a `CpuRangeList` over the bytes of `bio` (from its iterator; the whole chain unless
 * `chain: false`), one FOLIO entry per maximal physically contiguous run of one pgmap, or appends
 * them to `options.list`. Errors leave nothing behind: a new list is cleared, a caller's list is
 * rolled back to exactly what it was (`CpuRangeList.rollback`). `EFAULT` for a frame without struct
 * page, `EINVAL` for pages this memory does not have as one kind of memory, a non-4K memory, or a
 * `list` over another memory or given with new-list options.
 */
export function bioToCpuRangeList(
  memory: PhysicalMemory,
  bio: Bio,
  options: BioToListOptions = {},
): BioListResult {
  checkInstance("memory", memory, PhysicalMemory);
  checkInstance("bio", bio, Bio);
  checkObject("options", options);
  checkPageSize(memory);
  const { chain = true, list: target, ...listOptions } = options;
  checkBoolean("options.chain", chain);
  if (target !== undefined) {
    checkInstance("options.list", target, CpuRangeList);
    if (target.memory !== memory) throw new RlistError("EINVAL", "the list is over another PhysicalMemory");
    if (Object.values(listOptions).some((v) => v !== undefined)) {
      throw new RlistError("EINVAL", "new-list options do not apply when appending to a list");
    }
  }
  const list = target ?? new CpuRangeList(memory, listOptions);
  const before = target === undefined ? 0 : list.count;
  const mark = target === undefined ? null : list.mark();
  const c = sharedCursor;
  try {
    for (let ok = c.reset(bio, UNLIMITED_PHYS_VEC, lookupFor(memory), chain); ok; ok = c.next()) {
      const paddr = c.paddr;
      const pfn = Math.floor(paddr / PAGE_SIZE);
      list.appendPage(pfn, paddr - pfn * PAGE_SIZE, c.len);
    }
  } catch (e) {
    if (mark === null) list.clear();
    else list.rollback(mark);
    throw e;
  }
  const entries = list.count - before;
  return { list, bvecs: c.bvecs, entries, saved: c.bvecs - entries };
}

export interface ListToBiosOptions {
  /** Bvecs per bio (`bi_max_vecs`), default BIO_MAX_VECS. */
  maxVecs?: number;
  /** Default `READ`. */
  op?: BioOp;
  /** Sector of the first byte, default 0. */
  sector?: number;
  /**
   * Cuts between bios fall on multiples of this (default 512), so every bio after the first starts
   * on an exact sector: a bio that fills its table mid-block hands the tail bytes to the next bio,
   * like `bio_iov_iter_align_down()`.
   */
  logicalBlockSize?: number;
}

/**
 * Builds a bio chain carrying the bytes of `list` in order: each entry becomes one multi-page bvec
 * (split only where a bio fills up), a bio holds at most `maxVecs` bvecs and 4 GiB, and a new bio
 * starts whenever the pgmap changes. Returns the first bio (an empty bio for an empty list).
 *
 * `EOPNOTSUPP` for PHYSICAL (pageless) entries, which a bio cannot carry; `EINVAL` when a cut
 * cannot be block aligned (a pgmap change mid-block, or `maxVecs` too small to hold one block).
 * The list is never modified.
 */
export function cpuRangeListToBios(list: CpuRangeList, options: ListToBiosOptions = {}): Bio {
  checkInstance("list", list, CpuRangeList);
  checkObject("options", options);
  const memory = list.memory;
  checkPageSize(memory);
  const maxVecs = options.maxVecs ?? BIO_MAX_VECS;
  checkPositive("maxVecs", maxVecs, 1 << 24);
  const lbs = options.logicalBlockSize ?? 512;
  if (!isPowerOfTwo(lbs) || lbs < 512 || lbs > 1 << 30) {
    throw new RlistError("EINVAL", `logicalBlockSize ${String(lbs)} is not a power of two in 512..2^30`);
  }
  const op = options.op ?? "READ";
  checkBioOp("options.op", op);
  const builder = new ChainBuilder(memory, maxVecs, lbs, op, options.sector ?? 0);
  const c = list.cursor();
  for (let ok = c.reset(); ok; ok = c.next()) {
    if (c.isPhysical) {
      throw new RlistError("EOPNOTSUPP", `entry ${c.index} is pageless (PHYSICAL): a bio needs struct pages`);
    }
    builder.add(c.phys, c.length, memory.pgmapIdOf(c.pagePfn));
  }
  return builder.finish();
}

/** Fills bios one after another; see {@link cpuRangeListToBios}. */
class ChainBuilder {
  private readonly bios: Bio[] = [];
  private cur: Bio | null = null;
  private pgmap = 0;
  private sector: number;
  /** Largest `bi_size` that keeps cuts block aligned. */
  private readonly maxBio: number;

  constructor(
    private readonly memory: PhysicalMemory,
    private readonly maxVecs: number,
    private readonly lbs: number,
    private readonly op: BioOp,
    sector: number,
  ) {
    this.sector = sector;
    this.maxBio = U32_MAX - lowBits(U32_MAX, lbs);
    // Validates the start sector once, the same way every bio will.
    new Bio({ sector });
  }

  add(phys: number, len: number, pgmap: number): void {
    if (this.cur !== null && pgmap !== this.pgmap) {
      const partial = lowBits(this.cur.size, this.lbs);
      if (partial !== 0) {
        throw new RlistError(
          "EINVAL",
          `pgmap changes ${partial} bytes into a ${this.lbs}-byte block: no bio can end there`,
        );
      }
      this.close();
    }
    this.pgmap = pgmap;
    while (len > 0) {
      const bio = this.cur ?? this.open();
      const v = bio.vecs;
      const n = v.count;
      const room = this.maxBio - bio.size;
      if (n > 0 && room > 0 && v.phys(n - 1) + v.len(n - 1) === phys) {
        // Continues the last bvec (the tail handed over from a full bio): grow it.
        const take = Math.min(len, room, U32_MAX - v.len(n - 1));
        if (take > 0) {
          v.setLen(n - 1, v.len(n - 1) + take);
          bio.iter.size += take;
          phys += take;
          len -= take;
          continue;
        }
      }
      if (n === this.maxVecs || room === 0) {
        this.closeFull();
        continue;
      }
      const take = Math.min(len, room);
      const pfn = Math.floor(phys / PAGE_SIZE);
      v.pushUnchecked(pfn, take, phys - pfn * PAGE_SIZE);
      bio.iter.size += take;
      phys += take;
      len -= take;
    }
  }

  finish(): Bio {
    if (this.cur !== null) this.close();
    if (this.bios.length === 0) return new Bio({ op: this.op, sector: this.sector, pgmaps: this.memory });
    return Bio.chain(this.bios);
  }

  private open(): Bio {
    this.cur = new Bio({ op: this.op, sector: this.sector, maxVecs: this.maxVecs, pgmaps: this.memory });
    return this.cur;
  }

  private close(): void {
    const bio = this.cur!;
    this.bios.push(bio);
    this.sector += bio.size >>> SECTOR_SHIFT;
    this.cur = null;
  }

  /** Closes a full bio at a block boundary, re-adding its unaligned tail to the next bio. */
  private closeFull(): void {
    const bio = this.cur!;
    const v = bio.vecs;
    let cut = lowBits(bio.size, this.lbs);
    if (cut === bio.size) {
      throw new RlistError(
        "EINVAL",
        `a bio of ${this.maxVecs} bvecs holds only ${bio.size} bytes, less than one ${this.lbs}-byte block`,
      );
    }
    const tail: number[] = [];
    while (cut > 0) {
      const last = v.count - 1;
      const len = v.len(last);
      const keep = Math.max(0, len - cut);
      tail.unshift(v.phys(last) + keep, len - keep);
      bio.iter.size -= len - keep;
      cut -= len - keep;
      if (keep === 0) v.truncate(last);
      else v.setLen(last, keep);
    }
    this.close();
    for (let i = 0; i < tail.length; i += 2) this.add(tail[i]!, tail[i + 1]!, this.pgmap);
  }
}

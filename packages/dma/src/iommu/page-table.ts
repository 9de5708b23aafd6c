/**
 * A compact IOMMU page-table model: an x86-64 / ARM LPAE style radix tree of 4 KiB table pages
 * holding 512 eight-byte PTEs each (9 index bits per level above a 4 KiB granule). Leaves may
 * sit at level 0 (4 KiB), 1 (2 MiB) or 2 (1 GiB) when the domain supports that size.
 *
 * Every table page is 1024 u32 words in a slab of typed arrays (no object per PTE or per table),
 * so 1M mapped 4 KiB pages cost 2048 leaf tables = 8 MiB, as on real hardware. A PTE is two
 * words: `lo = flags | address bits 12..31`, `hi = address bits 32..63` (for a table pointer,
 * `hi` is the child table's id). Tables that become empty are freed, so after every mapping is
 * removed only the root is left.
 *
 * Differences from the kernel: unmapping part of a large page is refused (`EINVAL`) instead of
 * splitting it (ARM LPAE) or silently unmapping all of it (VT-d); the mapper never needs either.
 */
import { formatValue, RlistError } from "@rlist/encoding";
import { checkObject } from "../args.js";
import { hi32, TWO32 } from "./bits.js";
import type { FaultInjector } from "./faults.js";

/** Protection bits, like IOMMU_READ / IOMMU_WRITE / IOMMU_MMIO. */
export const IOMMU_READ = 1;
export const IOMMU_WRITE = 2;
export const IOMMU_MMIO = 4;

const PTE_PRESENT = 1;
const PTE_LEAF = 2;
const PROT_SHIFT = 2;
const PROT_MASK = 7;
const ADDR_MASK = 0xffff_f000;

const ENTRIES = 512;
const WORDS_PER_TABLE = ENTRIES * 2;
const TABLES_PER_SLAB = 64;
const SLAB_SHIFT = 6;

/** Bytes covered by one entry at each level: 4 KiB, 2 MiB, 1 GiB, 512 GiB. */
const SIZES = [0x1000, 0x20_0000, 0x4000_0000, 2 ** 39, 2 ** 48];

/** Bytes covered by one entry at `level` (level 0 = 4 KiB). */
export function levelSize(level: number): number {
  return SIZES[level]!;
}

/** The result of a successful walk. */
export interface PteLookup {
  /** CPU physical address of the looked-up IOVA. */
  phys: number;
  /** Size of the leaf that maps it (4 KiB, 2 MiB or 1 GiB). */
  pageSize: number;
  /** IOVA of the start of that leaf. */
  pageIova: number;
  /** IOMMU_READ | IOMMU_WRITE | IOMMU_MMIO bits. */
  prot: number;
}

export interface PageTableOptions {
  /** Table levels, 3 or 4 (IOVA width 39 or 48 bits; 57-bit IOVAs would not be safe integers). Default 4. */
  levels?: number;
  /** Leaf sizes allowed, as a bitmap of 4K / 2M / 1G. Default all three. */
  pageSizes?: number;
  /** Fault injection at site `"pgtable"` (each table page allocation). */
  faults?: FaultInjector;
}

export class IoPageTable {
  readonly levels: number;
  /** Exclusive upper bound of IOVAs: 2^(12 + 9 * levels). */
  readonly ivaLimit: number;
  private readonly leafLevels: boolean[];
  private readonly faults: FaultInjector | undefined;
  private slabs: Uint32Array[] = [];
  private counts: Uint16Array = new Uint16Array(TABLES_PER_SLAB);
  private freeIds: number[] = [];
  private nextId = 0;
  private readonly root: number;
  /** Mapped leaves per level. */
  readonly mappedLeaves: number[];
  private live = 0;
  private peak = 0;
  // Walk cache for the leaf table of the last 2 MiB region touched by map().
  private cacheRegion = Number.NaN;
  private cacheTable = -1;
  private readonly walkParents: number[] = [0, 0, 0, 0, 0];
  private readonly walkWords: number[] = [0, 0, 0, 0, 0];

  constructor(options: PageTableOptions = {}) {
    checkObject("page table options", options);
    const levels = options.levels ?? 4;
    if (!Number.isInteger(levels) || levels < 3 || levels > 4) {
      throw new RlistError("EINVAL", `page table levels must be 3 or 4, got ${levels}`);
    }
    this.levels = levels;
    this.ivaLimit = levelSize(levels);
    const sizes = options.pageSizes ?? 0x1000 + 0x20_0000 + 0x4000_0000;
    this.leafLevels = [0, 1, 2].map((l) => Math.floor(sizes / levelSize(l)) % 2 === 1);
    if (!this.leafLevels[0]) throw new RlistError("EINVAL", "the page table needs 4 KiB leaves");
    this.faults = options.faults;
    this.mappedLeaves = new Array<number>(levels).fill(0);
    this.root = this.allocTableOrThrow(true);
  }

  /** Table pages in use (the root included), like the kernel's IOMMU page-table page count. */
  get tablePages(): number {
    return this.live;
  }

  /** Highest {@link tablePages} seen. */
  get peakTablePages(): number {
    return this.peak;
  }

  /** Bytes of typed-array storage reserved for tables. */
  get reservedBytes(): number {
    return this.slabs.length * TABLES_PER_SLAB * WORDS_PER_TABLE * 4 + this.counts.byteLength;
  }

  /** Bytes currently mapped. */
  get mappedBytes(): number {
    let n = 0;
    for (let l = 0; l < this.levels; l++) n += this.mappedLeaves[l]! * levelSize(l);
    return n;
  }

  /** True when `size` is a leaf size this table may use. */
  supportsLeaf(size: number): boolean {
    for (let l = 0; l < 3; l++) if (levelSize(l) === size) return this.leafLevels[l]!;
    return false;
  }

  /**
   * Maps [iova, iova + size) to [phys, ...) with the largest leaves that alignment allows (like
   * iommu_map() choosing iommu_pgsize()). All three must be 4 KiB multiples. On failure nothing
   * of this call stays mapped: `EBUSY` if something is already mapped there, `ENOMEM` if a
   * table page cannot be allocated, `ERANGE` beyond the IOVA width.
   */
  map(iova: number, phys: number, size: number, prot: number): void {
    if (typeof prot !== "number" || prot >>> 0 !== prot || prot > PROT_MASK) {
      throw new RlistError(
        "EINVAL",
        `IOMMU protection must be IOMMU_READ | IOMMU_WRITE | IOMMU_MMIO, got ${formatValue(prot)}`,
      );
    }
    // Fast path: one 4 KiB page in the leaf table of the last 2 MiB region touched.
    if (
      size === 0x1000 &&
      typeof iova === "number" &&
      typeof phys === "number" &&
      iova % 0x1000 === 0 &&
      phys % 0x1000 === 0 &&
      phys >= 0 &&
      phys < 2 ** 52 &&
      Math.floor(iova / 0x20_0000) === this.cacheRegion
    ) {
      const table = this.cacheTable;
      const w = this.wordIndex(table, (iova / 0x1000) % ENTRIES);
      const slab = this.slabOf(table);
      if ((slab[w]! & PTE_PRESENT) !== 0) throw new RlistError("EBUSY", `IOVA ${iova} is already mapped`);
      slab[w] = PTE_PRESENT | PTE_LEAF | ((prot & PROT_MASK) << PROT_SHIFT) | ((phys >>> 0) & ADDR_MASK);
      slab[w + 1] = hi32(phys);
      this.counts[table]!++;
      this.mappedLeaves[0]!++;
      return;
    }
    checkPageRange(iova, size, this.ivaLimit);
    if (!Number.isSafeInteger(phys) || phys % 4096 !== 0 || phys < 0 || phys + size > 2 ** 52) {
      throw new RlistError(
        typeof phys === "number" ? "ERANGE" : "EINVAL",
        `phys ${formatValue(phys)} is not a 4 KiB-aligned address below 2^52`,
      );
    }
    let done = 0;
    try {
      while (done < size) {
        const level = this.pickLevel(iova + done, phys + done, size - done);
        this.setLeaf(iova + done, phys + done, level, prot & PROT_MASK);
        done += levelSize(level);
      }
    } catch (e) {
      if (done !== 0) this.unmap(iova, done);
      throw e;
    }
  }

  /**
   * Unmaps leaves from `iova` on, like iommu_unmap(): stops at the first hole and returns the bytes
   * unmapped. A large leaf only partly inside the range is refused with `EINVAL` before anything
   * changes.
   */
  unmap(iova: number, size: number): number {
    checkPageRange(iova, size, this.ivaLimit);
    if (size === 0) return 0;
    // Validate first (find the first hole, refuse partial large pages) so a refusal changes nothing.
    const top = this.levels - 1;
    const stop = this.scan(this.root, top, 0, iova, iova + size);
    if (stop > iova) this.clear(this.root, top, 0, iova, stop);
    return stop - iova;
  }

  /** Position of the first hole in [at, end) below `table` (end when none); EINVAL on a split large page. */
  private scan(table: number, level: number, base: number, at: number, end: number): number {
    const span = SIZES[level]!;
    const slab = this.slabOf(table);
    let idx = Math.floor((at - base) / span);
    while (at < end && idx < ENTRIES) {
      const w = this.wordIndex(table, idx);
      const lo = slab[w]!;
      const eBase = base + idx * span;
      if ((lo & PTE_PRESENT) === 0) return at;
      if ((lo & PTE_LEAF) !== 0) {
        if (eBase !== at || eBase + span > end) {
          throw new RlistError("EINVAL", `unmap of [${at}, ${end}) splits a ${span}-byte page at ${eBase}`);
        }
        at = eBase + span;
      } else {
        const next = this.scan(slab[w + 1]!, level - 1, eBase, at, Math.min(end, eBase + span));
        if (next < Math.min(end, eBase + span)) return next;
        at = next;
      }
      idx++;
    }
    return at;
  }

  /** Clears every (present, validated) leaf in [start, end) below `table`; frees emptied tables. */
  private clear(table: number, level: number, base: number, start: number, end: number): void {
    const span = SIZES[level]!;
    const slab = this.slabOf(table);
    const counts = this.counts;
    for (let idx = Math.floor((start - base) / span); idx < ENTRIES; idx++) {
      const eBase = base + idx * span;
      if (eBase >= end) break;
      const w = this.wordIndex(table, idx);
      const lo = slab[w]!;
      if ((lo & PTE_LEAF) !== 0) {
        slab[w] = 0;
        slab[w + 1] = 0;
        counts[table]!--;
        this.mappedLeaves[level]!--;
        continue;
      }
      const child = slab[w + 1]!;
      this.clear(child, level - 1, eBase, Math.max(start, eBase), Math.min(end, eBase + span));
      if (counts[child] === 0) {
        this.freeTable(child);
        slab[w] = 0;
        slab[w + 1] = 0;
        counts[table]!--;
      }
    }
  }

  /** Like iommu_iova_to_phys(): the physical address of `iova`, or -1 on a translation fault. */
  translate(iova: number): number {
    if (!Number.isSafeInteger(iova) || iova < 0 || iova >= this.ivaLimit) return -1;
    let table = this.root;
    for (let level = this.levels - 1; level >= 0; level--) {
      const span = levelSize(level);
      const idx = Math.floor(iova / span) % ENTRIES;
      const w = this.wordIndex(table, idx);
      const slab = this.slabOf(table);
      const lo = slab[w]!;
      if ((lo & PTE_PRESENT) === 0) return -1;
      if ((lo & PTE_LEAF) !== 0) return ((lo & ADDR_MASK) >>> 0) + slab[w + 1]! * TWO32 + (iova % span);
      table = slab[w + 1]!;
    }
    return -1;
  }

  /** Fills `out` for `iova` and returns true, or returns false on a translation fault. */
  lookupInto(iova: number, out: PteLookup): boolean {
    if (!Number.isSafeInteger(iova) || iova < 0 || iova >= this.ivaLimit) return false;
    let table = this.root;
    for (let level = this.levels - 1; level >= 0; level--) {
      const span = levelSize(level);
      const idx = Math.floor(iova / span) % ENTRIES;
      const w = this.wordIndex(table, idx);
      const slab = this.slabOf(table);
      const lo = slab[w]!;
      if ((lo & PTE_PRESENT) === 0) return false;
      if ((lo & PTE_LEAF) !== 0) {
        const off = iova % span;
        out.phys = ((lo & ADDR_MASK) >>> 0) + slab[w + 1]! * TWO32 + off;
        out.pageSize = span;
        out.pageIova = iova - off;
        out.prot = (lo >>> PROT_SHIFT) & PROT_MASK;
        return true;
      }
      table = slab[w + 1]!;
    }
    return false;
  }

  /** Every leaf as [iova, phys, size, prot], in IOVA order (for tests and reports). */
  leaves(): Array<[number, number, number, number]> {
    const out: Array<[number, number, number, number]> = [];
    const walk = (table: number, level: number, base: number): void => {
      const slab = this.slabOf(table);
      for (let i = 0; i < ENTRIES; i++) {
        const w = this.wordIndex(table, i);
        const lo = slab[w]!;
        if ((lo & PTE_PRESENT) === 0) continue;
        const iova = base + i * levelSize(level);
        if ((lo & PTE_LEAF) !== 0) {
          out.push([
            iova,
            ((lo & ADDR_MASK) >>> 0) + slab[w + 1]! * TWO32,
            levelSize(level),
            (lo >>> PROT_SHIFT) & PROT_MASK,
          ]);
        } else walk(slab[w + 1]!, level - 1, iova);
      }
    };
    walk(this.root, this.levels - 1, 0);
    return out;
  }

  // --- internals ---

  private pickLevel(iova: number, phys: number, left: number): number {
    if (left >= 0x20_0000 && this.leafLevels[1]) {
      if (left >= 0x4000_0000 && this.leafLevels[2] && iova % 0x4000_0000 === 0 && phys % 0x4000_0000 === 0)
        return 2;
      if (iova % 0x20_0000 === 0 && phys % 0x20_0000 === 0) return 1;
    }
    return 0;
  }

  private setLeaf(iova: number, phys: number, level: number, prot: number): void {
    let table: number;
    const region = Math.floor(iova / 0x20_0000);
    if (level === 0 && region === this.cacheRegion) table = this.cacheTable;
    else {
      table = this.root;
      // Tables created by this walk, with the parent slot pointing at each, for undo on failure.
      let created = 0;
      for (let l = this.levels - 1; l > level; l--) {
        const idx = Math.floor(iova / levelSize(l)) % ENTRIES;
        const w = this.wordIndex(table, idx);
        const slab = this.slabOf(table);
        const lo = slab[w]!;
        if ((lo & PTE_PRESENT) === 0) {
          let child: number;
          try {
            child = this.allocTableOrThrow(false);
          } catch (e) {
            this.undoWalk(table, created);
            throw e;
          }
          // Slabs never move, so `slab` is still the parent's storage.
          slab[w] = PTE_PRESENT;
          slab[w + 1] = child;
          this.counts[table]!++;
          this.walkParents[created] = table;
          this.walkWords[created] = w;
          created++;
          table = child;
        } else if ((lo & PTE_LEAF) !== 0) {
          this.undoWalk(table, created);
          throw new RlistError("EBUSY", `IOVA ${iova} is already mapped by a ${levelSize(l)}-byte page`);
        } else table = slab[w + 1]!;
      }
      if (level === 0) {
        this.cacheRegion = region;
        this.cacheTable = table;
      }
    }
    const idx = Math.floor(iova / levelSize(level)) % ENTRIES;
    const w = this.wordIndex(table, idx);
    const slab = this.slabOf(table);
    // A present entry here: a leaf, or (for a large leaf) a table of smaller mappings.
    if ((slab[w]! & PTE_PRESENT) !== 0) throw new RlistError("EBUSY", `IOVA ${iova} is already mapped`);
    slab[w] = PTE_PRESENT | PTE_LEAF | (prot << PROT_SHIFT) | ((phys >>> 0) & ADDR_MASK);
    slab[w + 1] = hi32(phys);
    this.counts[table]!++;
    this.mappedLeaves[level]!++;
  }

  /**
   * Frees the `created` tables a failed walk made (the deepest is `table`, still empty), clearing
   * the parent slots, so a failed map leaves the tree as it was.
   */
  private undoWalk(table: number, created: number): void {
    for (let d = created - 1; d >= 0; d--) {
      const parent = this.walkParents[d]!;
      const pw = this.walkWords[d]!;
      this.freeTable(table);
      const ps = this.slabOf(parent);
      ps[pw] = 0;
      ps[pw + 1] = 0;
      this.counts[parent]!--;
      table = parent;
    }
  }

  private allocTableOrThrow(isRoot: boolean): number {
    if (!isRoot && this.faults?.shouldFail("pgtable")) {
      throw new RlistError("ENOMEM", "cannot allocate an IOMMU page-table page");
    }
    let id = this.freeIds.pop();
    if (id === undefined) {
      id = this.nextId++;
      if (id >> SLAB_SHIFT >= this.slabs.length) {
        this.slabs.push(new Uint32Array(TABLES_PER_SLAB * WORDS_PER_TABLE));
        if (this.counts.length < this.slabs.length * TABLES_PER_SLAB) {
          const grown = new Uint16Array(this.counts.length * 2);
          grown.set(this.counts);
          this.counts = grown;
        }
      }
    }
    this.counts[id] = 0;
    this.live++;
    if (this.live > this.peak) this.peak = this.live;
    return id;
  }

  private freeTable(id: number): void {
    // Freed tables are all-zero already (every entry was cleared).
    this.freeIds.push(id);
    this.live--;
    this.cacheRegion = Number.NaN;
    this.cacheTable = -1;
  }

  private slabOf(table: number): Uint32Array {
    return this.slabs[table >> SLAB_SHIFT]!;
  }

  private wordIndex(table: number, idx: number): number {
    return ((table & (TABLES_PER_SLAB - 1)) * ENTRIES + idx) * 2;
  }
}

function checkPageRange(iova: number, size: number, limit: number): void {
  if (!Number.isSafeInteger(iova) || iova < 0 || !Number.isSafeInteger(size) || size < 0) {
    throw new RlistError(
      typeof iova === "number" && typeof size === "number" ? "ERANGE" : "EINVAL",
      `IOVA ${formatValue(iova)} and size ${formatValue(size)} must be safe non-negative integers`,
    );
  }
  if (iova % 4096 !== 0 || size % 4096 !== 0) {
    throw new RlistError("EINVAL", `IOVA ${iova} / size ${size} not 4 KiB aligned`);
  }
  if (iova + size > limit) throw new RlistError("ERANGE", `IOVA range beyond the ${limit}-byte aperture`);
}

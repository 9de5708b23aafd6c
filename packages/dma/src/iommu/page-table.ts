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
 *
 * Address math is integer-only (no `%` on IOVAs or physical addresses, which V8 compiles to a call
 * to `fmod` once a value can pass 2^31): a table index is `Math.floor(iova * 2^-shift) & 511`
 * (a multiply by an exact power of two, a floor and a 32-bit truncation), in-page offsets are
 * `lowBits()`. The 4 KiB write the mappers repeat per page is {@link IoPageTable.map4k}, small
 * enough for V8 to inline into their loops.
 */
import { checkU53, formatValue, hi32, lowBits, RlistError, TWO32 } from "@rlist/encoding";
import { checkObject, orDefault } from "../args.js";
import { checkFaultInjector, type FaultInjector } from "./faults.js";

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
/** 1 / SIZES[level]: exact powers of two, so `iova * INV_SIZES[l]` is exact. */
const INV_SIZES = [2 ** -12, 2 ** -21, 2 ** -30, 2 ** -39, 2 ** -48];

/** Index of `iova`'s entry in its table at `level` (bits 12 + 9 * level and up, 9 of them). */
function indexAt(iova: number, level: number): number {
  return Math.floor(iova * INV_SIZES[level]!) & (ENTRIES - 1);
}

function busy(iova: number): RlistError {
  return new RlistError("EBUSY", `IOVA ${iova} is already mapped`);
}

/** Bytes covered by one entry at `level` (level 0 = 4 KiB, up to level 4 = 256 TiB). */
export function levelSize(level: number): number {
  if (!Number.isInteger(level) || level < 0 || level >= SIZES.length) {
    throw new RlistError("EINVAL", `page table level ${formatValue(level)} is not in 0..${SIZES.length - 1}`);
  }
  return SIZES[level]!;
}

/**
 * @internal {@link levelSize} without the check, for the walks' per-level loops (the IOTLB's
 * lookup runs on every device access): `level` is a loop index in 0..4.
 */
export function levelSizeAt(level: number): number {
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
  /** @internal The page {@link writeStaged4k} last failed on (index into its batch). */
  stagedFailAt = 0;
  private live = 0;
  private peak = 0;
  // Walk cache for the leaf table of the last 2 MiB region a walk reached: the region's first IOVA
  // (NaN: none), the table, its slab and the word of its entry 0.
  private cacheBase = Number.NaN;
  private cacheTable = -1;
  private cacheSlab: Uint32Array = new Uint32Array(0);
  private cacheWord = 0;
  private readonly walkParents: number[] = [0, 0, 0, 0, 0];
  private readonly walkWords: number[] = [0, 0, 0, 0, 0];

  constructor(options: PageTableOptions = {}) {
    checkObject("page table options", options);
    const levels = orDefault("levels", options.levels, 4);
    if (!Number.isInteger(levels) || levels < 3 || levels > 4) {
      throw new RlistError("EINVAL", `page table levels must be 3 or 4, got ${formatValue(levels)}`);
    }
    this.levels = levels;
    this.ivaLimit = levelSizeAt(levels);
    const sizes = orDefault("pageSizes", options.pageSizes, 0x1000 + 0x20_0000 + 0x4000_0000);
    checkU53("pageSizes", sizes);
    this.leafLevels = [0, 1, 2].map((l) => (Math.floor(sizes / levelSizeAt(l)) & 1) === 1);
    if (!this.leafLevels[0]) throw new RlistError("EINVAL", "the page table needs 4 KiB leaves");
    checkFaultInjector("faults", options.faults);
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
    for (let l = 0; l < this.levels; l++) n += this.mappedLeaves[l]! * levelSizeAt(l);
    return n;
  }

  /** True when `size` is a leaf size this table may use. */
  supportsLeaf(size: number): boolean {
    checkU53("size", size);
    for (let l = 0; l < 3; l++) if (levelSizeAt(l) === size) return this.leafLevels[l]!;
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
      phys >= 0 &&
      phys < 2 ** 52 &&
      Number.isInteger(iova) &&
      Number.isInteger(phys) &&
      ((iova | phys) & 0xfff) === 0 &&
      this.map4k(iova, phys, prot)
    ) {
      return;
    }
    checkPageRange(iova, size, this.ivaLimit);
    if (!Number.isSafeInteger(phys) || phys < 0 || phys + size > 2 ** 52 || lowBits(phys, 4096) !== 0) {
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
        done += levelSizeAt(level);
      }
    } catch (e) {
      if (done !== 0) this.unmap(iova, done);
      throw e;
    }
  }

  /**
   * @internal One 4 KiB leaf `iova` -> `phys` if `iova` lies in the 2 MiB region of the last walk
   * (the per-page fast path of the mappers; small enough for V8 to inline into their loops). The
   * caller guarantees 4 KiB-aligned safe integers below 2^52. Returns false, changing nothing,
   * when `iova` is in another region: call {@link map} then. `EBUSY` when `iova` is mapped.
   */
  map4k(iova: number, phys: number, prot: number): boolean {
    const d = iova - this.cacheBase; // NaN without a cached region: both tests fail
    if (!(d >= 0 && d < 0x20_0000)) return false;
    const slab = this.cacheSlab;
    const w = this.cacheWord + ((d >>> 12) << 1);
    if ((slab[w]! & 1) !== 0) throw busy(iova);
    // PTE_PRESENT | PTE_LEAF, prot, address bits 12..31; then bits 32..51.
    slab[w] = 3 | ((prot & 7) << 2) | ((phys >>> 0) & 0xffff_f000);
    slab[w + 1] = (phys - (phys >>> 0)) * 2.3283064365386963e-10;
    this.counts[this.cacheTable]!++;
    this.mappedLeaves[0]!++;
    return true;
  }

  /**
   * @internal Writes `n` 4 KiB PTEs staged as word pairs in `src` (from word 0; the PTE of page
   * `i` is `src[2i]`, `src[2i + 1]`, as {@link map} would write it) for `[iova, iova + n * 4 KiB)`:
   * the copy half of the IOMMU page-list kernel, one `set()` per leaf table. The staged words
   * must be 4 KiB leaves of safe addresses below 2^52 (the kernel's invariant), `iova` 4 KiB
   * aligned and the range inside the aperture (the caller's). On failure (`EBUSY` for a page
   * already mapped, `ENOMEM` for a table page) {@link stagedFailAt} is the index of the page it
   * failed on and the pages before it stay mapped: the caller undoes what map() would have (the
   * failing entry's pages) and keeps the entries before it, as the per-entry loop does.
   */
  writeStaged4k(iova: number, src: Uint32Array, n: number): void {
    let done = 0;
    while (done < n) {
      const at = iova + done * 0x1000;
      this.stagedFailAt = done;
      const table = this.walkTo(at, 0);
      const first = ((at >>> 0) >>> 12) & (ENTRIES - 1);
      const k = Math.min(ENTRIES - first, n - done);
      const slab = this.slabOf(table);
      const w = this.wordIndex(table, first);
      if (this.counts[table] !== 0) {
        // A table shared with other mappings: every slot must be free.
        for (let i = 0; i < k; i++) {
          if ((slab[w + 2 * i]! & PTE_PRESENT) !== 0) {
            this.stagedFailAt = done + i;
            throw busy(at + i * 0x1000);
          }
        }
      }
      slab.set(src.subarray(2 * done, 2 * (done + k)), w);
      this.counts[table]! += k;
      this.mappedLeaves[0]! += k;
      done += k;
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
    let idx = Math.floor((at - base) * INV_SIZES[level]!);
    if (level === 0) {
      // A leaf table: every entry is a 4 KiB leaf or a hole; `at` and `end` are 4 KiB aligned.
      const w0 = this.wordIndex(table, 0);
      const stop = Math.min(ENTRIES, idx + (end - at) * INV_SIZES[0]!);
      while (idx < stop && (slab[w0 + 2 * idx]! & PTE_PRESENT) !== 0) idx++;
      return base + idx * 0x1000;
    }
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
    const first = Math.floor((start - base) * INV_SIZES[level]!);
    if (level === 0) {
      // Every entry of [start, end) here is a present 4 KiB leaf (scan() checked): zero them at once.
      const n = Math.min(ENTRIES - first, (end - start) * INV_SIZES[0]!);
      const w0 = this.wordIndex(table, first);
      slab.fill(0, w0, w0 + 2 * n);
      counts[table]! -= n;
      this.mappedLeaves[0]! -= n;
      return;
    }
    for (let idx = first; idx < ENTRIES; idx++) {
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
    // The guard the walk needs anyway: a non-address is refused, past the aperture is a fault.
    if (!Number.isSafeInteger(iova) || iova < 0) checkU53("iova", iova);
    if (iova >= this.ivaLimit) return -1;
    let table = this.root;
    for (let level = this.levels - 1; level >= 0; level--) {
      const w = this.wordIndex(table, indexAt(iova, level));
      const slab = this.slabOf(table);
      const lo = slab[w]!;
      if ((lo & PTE_PRESENT) === 0) return -1;
      // Leaves are at most 1 GiB: the in-leaf offset is in the low 30 bits.
      if ((lo & PTE_LEAF) !== 0)
        return ((lo & ADDR_MASK) >>> 0) + slab[w + 1]! * TWO32 + ((iova >>> 0) & (SIZES[level]! - 1));
      table = slab[w + 1]!;
    }
    return -1;
  }

  /** Fills `out` for `iova` and returns true, or returns false on a translation fault. */
  lookupInto(iova: number, out: PteLookup): boolean {
    if (!Number.isSafeInteger(iova) || iova < 0) checkU53("iova", iova);
    checkObject("out", out);
    if (iova >= this.ivaLimit) return false;
    let table = this.root;
    for (let level = this.levels - 1; level >= 0; level--) {
      const span = SIZES[level]!;
      const w = this.wordIndex(table, indexAt(iova, level));
      const slab = this.slabOf(table);
      const lo = slab[w]!;
      if ((lo & PTE_PRESENT) === 0) return false;
      if ((lo & PTE_LEAF) !== 0) {
        const off = (iova >>> 0) & (span - 1);
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
        const iova = base + i * levelSizeAt(level);
        if ((lo & PTE_LEAF) !== 0) {
          out.push([
            iova,
            ((lo & ADDR_MASK) >>> 0) + slab[w + 1]! * TWO32,
            levelSizeAt(level),
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
      // Both 4 KiB aligned already: only bits 12..29 (1 GiB) or 12..20 (2 MiB) remain to test.
      const low = ((iova >>> 0) | (phys >>> 0)) & 0x3fff_ffff;
      if (left >= 0x4000_0000 && this.leafLevels[2] && low === 0) return 2;
      if ((low & 0x1f_ffff) === 0) return 1;
    }
    return 0;
  }

  private setLeaf(iova: number, phys: number, level: number, prot: number): void {
    const table = this.walkTo(iova, level);
    const w = this.wordIndex(table, indexAt(iova, level));
    const slab = this.slabOf(table);
    // A present entry here: a leaf, or (for a large leaf) a table of smaller mappings.
    if ((slab[w]! & PTE_PRESENT) !== 0) throw busy(iova);
    slab[w] = PTE_PRESENT | PTE_LEAF | (prot << PROT_SHIFT) | ((phys >>> 0) & ADDR_MASK);
    slab[w + 1] = hi32(phys);
    this.counts[table]!++;
    this.mappedLeaves[level]!++;
  }

  /**
   * The table at `level` whose entry maps `iova`, creating missing tables on the way down (all
   * or none: a failure frees what this walk made); the leaf table of the last 2 MiB region
   * walked is cached. `EBUSY` when a larger leaf already maps `iova`, `ENOMEM` from the faults.
   */
  private walkTo(iova: number, level: number): number {
    let table: number;
    const d = iova - this.cacheBase;
    if (level === 0 && d >= 0 && d < 0x20_0000) table = this.cacheTable;
    else {
      table = this.root;
      // Tables created by this walk, with the parent slot pointing at each, for undo on failure.
      let created = 0;
      for (let l = this.levels - 1; l > level; l--) {
        const w = this.wordIndex(table, indexAt(iova, l));
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
          throw new RlistError("EBUSY", `IOVA ${iova} is already mapped by a ${levelSizeAt(l)}-byte page`);
        } else table = slab[w + 1]!;
      }
      if (level === 0) {
        this.cacheBase = iova - lowBits(iova, 0x20_0000);
        this.cacheTable = table;
        this.cacheSlab = this.slabOf(table);
        this.cacheWord = this.wordIndex(table, 0);
      }
    }
    return table;
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
    this.cacheBase = Number.NaN;
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
  if (lowBits(iova, 4096) !== 0 || lowBits(size, 4096) !== 0) {
    throw new RlistError("EINVAL", `IOVA ${iova} / size ${size} not 4 KiB aligned`);
  }
  if (iova + size > limit) throw new RlistError("ERANGE", `IOVA range beyond the ${limit}-byte aperture`);
}

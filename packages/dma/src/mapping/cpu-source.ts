/**
 * What the mapper reads from a CPU range list (`CpuRangeList` provides it): an allocation-free
 * entry cursor with the physical address of each entry, and the P2P provider of entries that live
 * in a peer's BAR (PHYSICAL entries, or folio entries in ZONE_DEVICE P2P pages).
 */
import { formatValue, isPowerOfTwo, lowBits, RlistError } from "@rlist/encoding";
import { checkCursor } from "../args.js";
import { CpuRangeList } from "../cpu/cpu-range-list.js";
import { isPageListKernel, summaryKernel } from "../kernels/cpu-summary.js";
import type { P2pProvider } from "../pci/p2p-provider.js";

export interface CpuSourceCursor {
  reset(): boolean;
  next(): boolean;
  /** CPU physical address of the entry's first byte. */
  readonly phys: number;
  readonly length: number;
  /** Byte offset of the entry in the list. */
  readonly position: number;
  /** A PHYSICAL (pageless) entry. */
  readonly isPhysical: boolean;
  /** The P2P provider owning the memory, or null for ordinary RAM. */
  readonly provider: P2pProvider | null;
}

export interface CpuListSource {
  cursor(): CpuSourceCursor;
  /**
   * Summary flags a `CpuRangeList` keeps while appending (then no extra pass is needed). The mapper
   * reads them only from a `CpuRangeList`, which keeps them itself; any other source is summarized
   * by one pass over its cursor.
   */
  readonly isPageList?: boolean;
  readonly hasP2P?: boolean;
  /** Total bytes. */
  readonly length?: number;
  /** Entries. */
  readonly count?: number;
}

/**
 * Summary of a CPU list: like the prototype's summary flags (HAS_P2PDMA_PAGE, NOT_PAGELIST) plus
 * the totals the IOMMU fast path needs. Computed in one pass when the list does not carry them.
 */
export interface CpuListSummary {
  entries: number;
  totalLength: number;
  hasP2p: boolean;
  /** Every entry but the first starts, and every entry but the last ends, on a page boundary. */
  isPagelist: boolean;
  /** Physical address of the first non-empty entry (0 when empty). */
  firstPhys: number;
  /** Lowest physical address of any entry (0 when empty; NaN when not computed). */
  physStart: number;
  /** Highest physical address + 1 of any entry (0 when empty; NaN when not computed). */
  physEnd: number;
}

/**
 * One pass over `cursor` computing {@link CpuListSummary} (zero-length entries are ignored);
 * `pageSize` (a power of two) is the page-list test's page. The cursor ends past the last entry.
 * For a `CpuRangeList` cursor of a few dozen entries or more a WebAssembly kernel walks the list's
 * chunk words (`summarizeCpuListReference` is the loop it is proven equal to).
 */
export function summarizeCpuList(cursor: CpuSourceCursor, pageSize = 4096): CpuListSummary {
  checkCursor("cursor", cursor);
  checkPageSize(pageSize);
  return summaryKernel(cursor, pageSize) ?? summarizeCpuListReference(cursor, pageSize);
}

/**
 * Whether `list` is a page list: every entry but the first starts, and every entry but the last
 * ends, on a `pageSize` boundary (zero-length entries ignored). Computed from the entries, never
 * from a list's summary flags; stops at the first join that breaks it. A kernel walks the chunks
 * of a `CpuRangeList` of a few dozen entries or more.
 */
export function isPageList(list: CpuListSource, pageSize = 4096): boolean {
  checkCpuListSource(list);
  checkPageSize(pageSize);
  const k = isPageListKernel(list, pageSize);
  if (k !== null) return k;
  const c = list.cursor();
  let seen = false;
  let prevEndsAligned = true;
  for (let ok = c.reset(); ok; ok = c.next()) {
    const len = c.length;
    if (len === 0) continue;
    const phys = c.phys;
    if (seen && (!prevEndsAligned || lowBits(phys, pageSize) !== 0)) return false;
    prevEndsAligned = lowBits(phys + len, pageSize) === 0;
    seen = true;
  }
  return true;
}

function checkCpuListSource(list: unknown): asserts list is CpuListSource {
  if (typeof (list as Partial<CpuListSource> | null)?.cursor !== "function") {
    throw new RlistError("EINVAL", `${formatValue(list)} is not a CPU range list`);
  }
}

function checkPageSize(pageSize: number): void {
  if (!isPowerOfTwo(pageSize)) {
    throw new RlistError("EINVAL", `pageSize must be a power of two, got ${formatValue(pageSize)}`);
  }
}

/** @internal The TypeScript loop of {@link summarizeCpuList} (no kernel); `pageSize` a power of two. */
export function summarizeCpuListReference(cursor: CpuSourceCursor, pageSize: number): CpuListSummary {
  let entries = 0;
  let total = 0;
  let hasP2p = false;
  let pagelist = true;
  let firstPhys = 0;
  let physEnd = 0;
  let physStart = Number.POSITIVE_INFINITY;
  let prevEndsAligned = true;
  for (let ok = cursor.reset(); ok; ok = cursor.next()) {
    const len = cursor.length;
    if (len === 0) continue;
    const phys = cursor.phys;
    if (entries === 0) firstPhys = phys;
    else if (!prevEndsAligned || lowBits(phys, pageSize) !== 0) pagelist = false;
    prevEndsAligned = lowBits(phys + len, pageSize) === 0;
    if (cursor.provider !== null) hasP2p = true;
    if (phys + len > physEnd) physEnd = phys + len;
    if (phys < physStart) physStart = phys;
    entries++;
    total += len;
    if (total > Number.MAX_SAFE_INTEGER) {
      throw new RlistError("ERANGE", "the CPU list's total length passes 2^53 - 1");
    }
  }
  if (entries === 0) physStart = 0;
  return { entries, totalLength: total, hasP2p, isPagelist: pagelist, firstPhys, physStart, physEnd };
}

/**
 * The summary of `list`: taken from the flags a `CpuRangeList` keeps (one cursor reset for the
 * first address, no pass over the list) unless `needPhysRange` asks for the physical span, which
 * only a pass can give (dma-direct with a mask below 53 bits, or a negative direct offset). Flags
 * of any other source are not trusted: one pass computes them.
 */
export function summaryOf(list: CpuListSource, needPhysRange: boolean): CpuListSummary {
  checkCpuListSource(list);
  if (typeof needPhysRange !== "boolean") {
    throw new RlistError("EINVAL", `needPhysRange must be a boolean, got ${formatValue(needPhysRange)}`);
  }
  return summaryFrom(list, list.cursor(), needPhysRange);
}

/**
 * @internal {@link summaryOf} for arguments the caller checked, read through `c`, a new cursor of
 * `list` (the mapper's, which then walks it again from `reset()`).
 */
export function summaryFrom(list: CpuListSource, c: CpuSourceCursor, needPhysRange: boolean): CpuListSummary {
  if (needPhysRange || !(list instanceof CpuRangeList)) return summarizeCpuList(c);
  const firstPhys = c.reset() ? c.phys : 0;
  return {
    entries: list.count,
    totalLength: list.length,
    hasP2p: list.hasP2P,
    isPagelist: list.isPageList,
    firstPhys,
    physStart: Number.NaN,
    physEnd: Number.NaN,
  };
}

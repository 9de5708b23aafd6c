/**
 * An RDMA memory region on range lists: the prototype's `ib_umem` on rlist (docs/rdma-dmabuf.md)
 * with its FIXMEs closed. Registration (`registerMemoryRegion()` in `registration.ts`) pins the
 * pages (one pin per page on its folio, see `pin-table.ts`), keeps them as a compact
 * {@link CpuRangeList} and maps that list for the HCA; the MR answers the questions a driver asks
 * to build its MTT / page list:
 * {@link MemoryRegion.bestPageSize} (ib_umem_find_best_pgsz with the MR's IOVA as the HW virtual
 * address, which the prototype ignored), {@link MemoryRegion.numBlocks},
 * {@link MemoryRegion.blockOffset} and the block cursor (rdma_umem_for_each_dma_block).
 *
 * On-demand paging (`IB_ACCESS_ON_DEMAND`): {@link MemoryRegion.invalidate} unmaps and unpins the
 * pages of a sub-range, {@link MemoryRegion.fault} pins and maps them back at the same DMA
 * addresses, like an mmu-notifier invalidation followed by a page fault on an ODP MR. The lists
 * are not rebuilt: invalidated pages are a {@link PageIntervalSet} next to them.
 *
 * Deliberate differences from the kernel:
 * - an ODP MR here is populated (pinned and mapped) at registration, as after a full prefetch, and
 *   holds a pin on every page that is present, so leaks and double unpins stay checkable;
 * - invalidation is rounded out to whole IOMMU leaves: a 2 MiB or 1 GiB IOVA mapping is dropped as
 *   a whole (like a huge-page ODP MTT entry), never split;
 * - memory the device can only reach through swiotlb is refused (`EIO`): a long-lived MR cannot
 *   work through bounce buffers.
 */
import {
  alignDown,
  alignUp,
  checkU53,
  formatValue,
  isPowerOfTwo,
  lowBits,
  RlistError,
} from "@rlist/encoding";
import { RangeList } from "@rlist/list";
import type { CpuRangeList } from "../cpu/cpu-range-list.js";
import { blockOffset, numBlocks } from "../dma-list/blocks.js";
import { DmaKind, type DmaRangeList } from "../dma-list/dma-range-list.js";
import { checkFactory, FACTORY } from "../factory.js";
import type { IommuDomain } from "../iommu/iommu-domain.js";
import { IOMMU_MMIO, type PteLookup } from "../iommu/page-table.js";
import { listFindBestBlockSize } from "../kernels/dma-walks.js";
import type { DmaDevice } from "../mapping/device.js";
import { type DmaDirection, directionToProt } from "../mapping/direction.js";
import type { DmaMapping } from "../mapping/mapper.js";
import { releaseOwnedMapping } from "../mapping/mapping.js";
import type { PhysicalMemory } from "../memory/physical-memory.js";
import { accessWritable, IB_ACCESS_ON_DEMAND } from "./access.js";
import {
  cpuFolioEntryBytes,
  cpuPhysicalEntryBytes,
  type EntryBytes,
  type EntryGroup,
  type MrMemoryReport,
  pageArrayBytes,
  rangeListFootprint,
  scatterlistBytes,
  sgEntriesForRun,
} from "./memory-model.js";
import { MrBlockCursor } from "./mr-block-cursor.js";
import { PageIntervalSet } from "./page-intervals.js";
import { type PinTable, pageSpan, pinTable } from "./pin-table.js";

/**
 * Most pages {@link MemoryRegion.pageList} puts in an array (2^20: a 4 GiB MR of 4 KiB pages);
 * larger page lists are walked with {@link MemoryRegion.blocks}, which allocates nothing per page.
 */
export const MR_PAGE_LIST_MAX = 2 ** 20;

/** @internal ib_umem_get() maps BIDIRECTIONAL whatever the access flags. */
export const MR_DIRECTION: DmaDirection = "bidirectional";

/** Chunk bytes of `list`'s entries in their stored forms, packed into 512-B chunks (the model). */
function modelledListBytes(list: CpuRangeList): number {
  const groups: EntryGroup[] = [];
  const c = list.cursor();
  for (let ok = c.reset(); ok; ok = c.next()) {
    // Only whether a provider id is stored matters to the form (it forces 24 bytes), not its value.
    const bytes: EntryBytes = c.isPhysical
      ? cpuPhysicalEntryBytes(c.phys, c.length, c.provider === null ? 0 : 1)
      : cpuFolioEntryBytes(c.phys, c.length, list.pageSize);
    const last = groups[groups.length - 1];
    if (last !== undefined && last.entryBytes === bytes)
      groups[groups.length - 1] = { entryBytes: bytes, count: last.count + 1 };
    else groups.push({ entryBytes: bytes, count: 1 });
  }
  return rangeListFootprint(groups).bytes;
}

/**
 * A registered MR. Its lists live until {@link deregister}; every method but the getters throws
 * `EBUSY` after that.
 */
export class MemoryRegion {
  readonly device: DmaDevice;
  readonly memory: PhysicalMemory;
  readonly cpuList: CpuRangeList;
  /** HW virtual address of byte 0. */
  readonly iova: number;
  /** Registered bytes (`ib_umem_length()`). */
  readonly lengthBytes: number;
  readonly access: number;
  readonly pageSizeBitmap: number;
  /** True when the HCA may write the pages. */
  readonly writable: boolean;
  readonly #ownsList: boolean;
  readonly #mapping: DmaMapping;
  readonly #best: number;
  readonly #pins: PinTable;
  readonly #absent = new PageIntervalSet();
  readonly #pageSize: number;
  /** In-page offset of byte 0. */
  readonly #off0: number;
  readonly #pageCount: number;
  readonly #probe: PteLookup = { phys: 0, pageSize: 0, pageIova: 0, prot: 0 };
  #live = true;

  /** @internal use {@link registerMemoryRegion} (`new MemoryRegion(...)` is `EINVAL`). */
  constructor(
    factory: symbol,
    device: DmaDevice,
    cpuList: CpuRangeList,
    ownsList: boolean,
    mapping: DmaMapping,
    iova: number,
    access: number,
    pageSizeBitmap: number,
    best: number,
  ) {
    checkFactory(factory, "MemoryRegion", "registerMemoryRegion()");
    this.device = device;
    this.memory = cpuList.memory;
    this.cpuList = cpuList;
    this.iova = iova;
    this.lengthBytes = cpuList.length;
    this.access = access;
    this.pageSizeBitmap = pageSizeBitmap;
    this.writable = accessWritable(access);
    this.#ownsList = ownsList;
    this.#mapping = mapping;
    this.#best = best;
    this.#pins = pinTable(cpuList.memory);
    this.#pageSize = cpuList.pageSize;
    this.#off0 = lowBits(iova, this.#pageSize);
    this.#pageCount = Math.ceil((this.#off0 + this.lengthBytes) / this.#pageSize);
  }

  /** False after {@link deregister}. */
  get registered(): boolean {
    return this.#live;
  }

  /** The DMA list the HCA uses (one IOVA entry behind an IOMMU, the identity view on dma-direct). */
  get dmaList(): DmaRangeList {
    return this.#mapping.list;
  }

  /** The mapping (path taken, IOVA window). */
  get mapping(): DmaMapping {
    return this.#mapping;
  }

  /** Pages the MR spans (`ib_umem_num_pages()`). */
  get pageCount(): number {
    return this.#pageCount;
  }

  /** Pages currently invalidated (ODP). */
  get invalidatedPages(): number {
    return this.#absent.size;
  }

  /** Invalidated ranges as `[firstPage, endPage)` MR page indices (ODP). */
  invalidatedRanges(): Array<[number, number]> {
    return this.#absent.toArray();
  }

  /**
   * Like ib_umem_find_best_pgsz(umem, bitmap, iova): the smallest supported page size giving the
   * fewest HW pages, with the MR's IOVA as the HW virtual address (so `iova mod size` must equal the
   * DMA address mod size). Computed at registration.
   */
  bestPageSize(): number {
    this.#checkLive();
    return this.#best;
  }

  /** Like ib_umem_num_dma_blocks(umem, pageSize): HW pages in the page list. */
  numBlocks(pageSize: number = this.#best): number {
    this.#checkPageSize(pageSize);
    return numBlocks(this.dmaList.cursor(), pageSize);
  }

  /** Like ib_umem_dma_offset(umem, pageSize): offset of byte 0 in the first HW page. */
  blockOffset(pageSize: number = this.#best): number {
    this.#checkPageSize(pageSize);
    return blockOffset(this.dmaList.cursor(), pageSize);
  }

  /**
   * Like rdma_umem_for_each_dma_block(): a cursor over the HW page list, block `index` mapping HW
   * virtual addresses `[alignDown(iova, pageSize) + index * pageSize, +pageSize)`. `present` is false
   * for a block with an invalidated page (the driver zaps that MTT entry).
   */
  blocks(pageSize: number = this.#best): MrBlockCursor {
    this.#checkPageSize(pageSize);
    return new MrBlockCursor(FACTORY, this, this.#absent, pageSize);
  }

  /**
   * The HW page list as an array of DMA addresses (allocates). `ENOMEM` above
   * {@link MR_PAGE_LIST_MAX} pages, before anything is built: walk {@link blocks} instead.
   */
  pageList(pageSize: number = this.#best): number[] {
    const n = this.numBlocks(pageSize);
    if (n > MR_PAGE_LIST_MAX) {
      throw new RlistError(
        "ENOMEM",
        `the page list would hold ${n} pages, more than MR_PAGE_LIST_MAX (${MR_PAGE_LIST_MAX}): walk mr.blocks()`,
      );
    }
    const out: number[] = [];
    const c = this.blocks(pageSize);
    for (let ok = c.reset(); ok; ok = c.next()) out.push(c.dmaAddress);
    return out;
  }

  /**
   * DMA address of HW virtual address `va`, or -1 when its page is invalidated. `EFAULT` outside
   * the MR.
   */
  dmaAddressOf(va: number): number {
    this.#checkLive();
    checkU53("va", va);
    if (va < this.iova || va >= this.iova + this.lengthBytes) {
      throw new RlistError("EFAULT", `va 0x${va.toString(16)} is outside the MR`);
    }
    const b = va - this.iova;
    if (this.#absent.has(this.#pageOf(b))) return -1;
    const c = this.dmaList.cursor();
    for (let ok = c.reset(); ok; ok = c.next()) {
      if (b < c.position + c.length) return c.dmaAddress + (b - c.position);
    }
    return -1;
  }

  /**
   * ODP invalidation (an mmu-notifier range): unmaps and unpins every present page of
   * `[va, va + length)` inside the MR (the rest of the range is ignored, as the notifier clips),
   * rounded out to pages and to whole IOMMU leaves. Returns the pages dropped. `EOPNOTSUPP` without
   * IB_ACCESS_ON_DEMAND.
   */
  invalidate(va: number, length: number): number {
    this.#checkOdp();
    checkU53("va", va);
    checkU53("length", length);
    const a = Math.max(va, this.iova) - this.iova;
    const b = Math.min(va + length, this.iova + this.lengthBytes) - this.iova;
    if (a >= b) return 0;
    const [k0, k1] = this.#expandToLeaves(this.#pageOf(a), this.#pageOf(b - 1) + 1);
    const present: Array<[number, number]> = [];
    this.#absent.forEachGapIn(k0, k1, (s, e) => present.push([s, e]));
    if (present.length === 0) return 0;
    const domain = this.device.iommu;
    for (const [s, e] of present) {
      if (domain !== null) this.#unmapIova(domain, s, e);
      this.#unpinPages(s, e);
    }
    if (domain !== null) domain.flushIotlb();
    return this.#absent.add(k0, k1);
  }

  /**
   * ODP page fault: pins and maps back every invalidated page of `[va, va + length)` at its old DMA
   * address, syncing the IOTLB once. Returns the pages faulted in. `EFAULT` when the range leaves the
   * MR; on any failure nothing of this call stays pinned or mapped.
   */
  fault(va: number, length: number): number {
    this.#checkOdp();
    checkU53("va", va);
    checkU53("length", length);
    if (va < this.iova || va + length > this.iova + this.lengthBytes) {
      throw new RlistError(
        "EFAULT",
        `[0x${va.toString(16)}, +0x${length.toString(16)}) is not inside the MR`,
      );
    }
    if (length === 0) return 0;
    const b0 = va - this.iova;
    const k0 = this.#pageOf(b0);
    const k1 = this.#pageOf(b0 + length - 1) + 1;
    const absent: Array<[number, number]> = [];
    this.#absent.forEachIn(k0, k1, (s, e) => absent.push([s, e]));
    if (absent.length === 0) return 0;
    const domain = this.device.iommu;
    let done = 0;
    let pinnedCurrent = false;
    try {
      for (const [s, e] of absent) {
        this.#pinPages(s, e);
        pinnedCurrent = true;
        if (domain !== null) this.#mapIova(domain, s, e);
        pinnedCurrent = false;
        done++;
      }
    } catch (err) {
      const failed = absent[done]!;
      if (pinnedCurrent) this.#unpinPages(failed[0], failed[1]);
      for (let i = 0; i < done; i++) {
        const [s, e] = absent[i]!;
        if (domain !== null) this.#unmapIova(domain, s, e);
        this.#unpinPages(s, e);
      }
      if (domain !== null && done > 0) domain.flushIotlb();
      throw err;
    }
    if (domain !== null) domain.syncMap();
    return this.#absent.remove(k0, k1);
  }

  /**
   * Bytes held by this MR's lists, and what a page array or scatterlist would hold instead. The list
   * bytes are the chunks really in use (`CpuRangeList.storageBytes()`, `DmaRangeList.stats()`); a
   * CPU list on another `EntryStore` is sized from its entries' stored forms in 512-B chunks. Reads
   * only: nothing is sealed, registered or allocated.
   */
  memoryReport(): MrMemoryReport {
    this.#checkLive();
    const ps = this.#pageSize;
    const list = this.cpuList;
    let sgEntries = 0;
    const c = list.cursor();
    for (let ok = c.reset(); ok; ok = c.next())
      sgEntries += sgEntriesForRun(pageSpan(c.phys, c.length, ps)[1], ps);
    const cpuBytes = list.store instanceof RangeList ? list.storageBytes() : modelledListBytes(list);
    const dma = this.dmaList.stats();
    return {
      lengthBytes: this.lengthBytes,
      pages: this.#pageCount,
      cpuEntries: list.count,
      cpuListBytes: cpuBytes,
      dmaEntries: dma.entries,
      dmaListBytes: dma.bytes,
      rangeListBytes: cpuBytes + dma.bytes,
      pageArrayBytes: pageArrayBytes(this.#pageCount),
      scatterlistEntries: sgEntries,
      scatterlistBytes: scatterlistBytes(sgEntries),
    };
  }

  /**
   * Like ib_umem_release(): unmaps (every IOVA page, the window freed) and unpins exactly the pages
   * still held. A second call is `EBUSY`.
   */
  deregister(): void {
    this.#checkLive();
    const domain = this.device.iommu;
    const present: Array<[number, number]> = [];
    this.#absent.forEachGapIn(0, this.#pageCount, (s, e) => present.push([s, e]));
    if (domain !== null && this.#absent.size > 0) {
      // The mapping's own unmap stops at the first hole (iommu_unmap semantics): clear the
      // present parts here so it finds nothing left and only frees the IOVA window.
      for (const [s, e] of present) this.#unmapIova(domain, s, e);
      domain.flushIotlb();
    }
    releaseOwnedMapping(this.#mapping);
    for (const [s, e] of present) this.#unpinPages(s, e);
    this.#absent.clear();
    if (this.#ownsList) this.cpuList.clear();
    this.#live = false;
  }

  // ---- internals ---------------------------------------------------------------------------

  #checkLive(): void {
    if (!this.#live) throw new RlistError("EBUSY", "the MR was already deregistered");
  }

  #checkOdp(): void {
    this.#checkLive();
    if ((this.access & IB_ACCESS_ON_DEMAND) === 0) {
      throw new RlistError(
        "EOPNOTSUPP",
        "invalidate and fault need an IB_ACCESS_ON_DEMAND MR; this one is pinned",
      );
    }
  }

  #checkPageSize(pageSize: number): void {
    this.#checkLive();
    if (!isPowerOfTwo(pageSize) || (Math.floor(this.pageSizeBitmap / pageSize) & 1) !== 1) {
      throw new RlistError("EINVAL", `page size ${formatValue(pageSize)} is not in the HCA's bitmap`);
    }
    if (listFindBestBlockSize(this.dmaList, pageSize, this.iova) !== pageSize) {
      throw new RlistError("EINVAL", `page size ${pageSize} cannot describe this MR`);
    }
  }

  /** MR page holding byte `b`. */
  #pageOf(b: number): number {
    return Math.floor((b + this.#off0) / this.#pageSize);
  }

  /** MR bytes `[start, end)` of pages `[k0, k1)`. */
  #bytesOf(k0: number, k1: number): [number, number] {
    const ps = this.#pageSize;
    return [Math.max(0, k0 * ps - this.#off0), Math.min(this.lengthBytes, k1 * ps - this.#off0)];
  }

  /** Widens pages `[k0, k1)` until no mapped IOMMU leaf is partly inside. */
  #expandToLeaves(k0: number, k1: number): [number, number] {
    const domain = this.device.iommu;
    if (domain === null) return [k0, k1];
    for (;;) {
      const [a, b] = this.#bytesOf(k0, k1);
      const lo = this.#leafBytes(domain, a);
      const hi = this.#leafBytes(domain, b - 1);
      const n0 = Math.min(k0, this.#pageOf(lo[0]));
      const n1 = Math.max(k1, this.#pageOf(hi[1] - 1) + 1);
      if (n0 === k0 && n1 === k1) return [k0, k1];
      k0 = n0;
      k1 = n1;
    }
  }

  /** MR bytes covered by the IOMMU leaf mapping byte `b` (clipped to its DMA entry), or `[b, b + 1)`. */
  #leafBytes(domain: IommuDomain, b: number): [number, number] {
    const c = this.dmaList.cursor();
    for (let ok = c.reset(); ok; ok = c.next()) {
      if (b >= c.position + c.length) continue;
      if (c.kind !== DmaKind.IOVA) break;
      const dma = c.dmaAddress + (b - c.position);
      if (!domain.pageTable.lookupInto(dma, this.#probe)) break;
      const start = Math.max(c.position, b - (dma - this.#probe.pageIova));
      const end = Math.min(c.position + c.length, b + (this.#probe.pageIova + this.#probe.pageSize - dma));
      return [start, end];
    }
    return [b, b + 1];
  }

  /** Calls `fn` for each piece of MR bytes `[a, b)` that one CPU entry and one DMA entry share. */
  #forEachPiece(
    a: number,
    b: number,
    fn: (dma: number, kind: DmaKind, phys: number, length: number, mmio: boolean) => void,
  ): void {
    const d = this.dmaList.cursor();
    let dok = d.reset();
    while (dok && d.position + d.length <= a) dok = d.next();
    const c = this.cpuList.seek(a);
    let cok = c !== null;
    let at = a;
    while (at < b && dok && cok && c !== null) {
      const end = Math.min(b, d.position + d.length, c.position + c.length);
      fn(d.dmaAddress + (at - d.position), d.kind, c.phys + (at - c.position), end - at, c.provider !== null);
      at = end;
      if (at === d.position + d.length) dok = d.next();
      if (at === c.position + c.length) cok = c.next();
    }
  }

  #unmapIova(domain: IommuDomain, k0: number, k1: number): void {
    const [a, b] = this.#bytesOf(k0, k1);
    const g = domain.granule;
    this.#forEachPiece(a, b, (dma, kind, _phys, len) => {
      if (kind !== DmaKind.IOVA) return;
      const start = alignDown(dma, g);
      domain.unmapNoSync(start, alignUp(dma + len, g) - start);
    });
  }

  #mapIova(domain: IommuDomain, k0: number, k1: number): void {
    const [a, b] = this.#bytesOf(k0, k1);
    const g = domain.granule;
    const prot = directionToProt(MR_DIRECTION);
    const mapped: Array<[number, number]> = [];
    try {
      this.#forEachPiece(a, b, (dma, kind, phys, len, mmio) => {
        if (kind !== DmaKind.IOVA) return;
        const off = lowBits(phys, g);
        const span = alignUp(len + off, g);
        domain.mapNoSync(dma - off, phys - off, span, mmio ? prot | IOMMU_MMIO : prot);
        mapped.push([dma - off, span]);
      });
    } catch (e) {
      for (const [iova, span] of mapped) domain.unmapNoSync(iova, span);
      throw e;
    }
  }

  #pinPages(k0: number, k1: number): void {
    const [a, b] = this.#bytesOf(k0, k1);
    const done: Array<[number, number]> = [];
    try {
      this.#forEachCpuPiece(a, b, (pfn, n) => {
        this.#pins.pinPages(pfn, n);
        done.push([pfn, n]);
      });
    } catch (e) {
      for (const [pfn, n] of done) this.#pins.unpinPages(pfn, n);
      throw e;
    }
  }

  #unpinPages(k0: number, k1: number): void {
    const [a, b] = this.#bytesOf(k0, k1);
    this.#forEachCpuPiece(a, b, (pfn, n) => this.#pins.unpinPages(pfn, n));
  }

  /** Page spans of the struct-page CPU entries inside MR bytes `[a, b)`. */
  #forEachCpuPiece(a: number, b: number, fn: (pfn: number, nrPages: number) => void): void {
    const c = this.cpuList.seek(a);
    if (c === null) return;
    for (let ok = true; ok && c.position < b; ok = c.next()) {
      if (c.isPhysical) continue;
      const from = Math.max(a, c.position);
      const to = Math.min(b, c.position + c.length);
      const [pfn, n] = pageSpan(c.phys + (from - c.position), to - from, this.#pageSize);
      fn(pfn, n);
    }
  }
}

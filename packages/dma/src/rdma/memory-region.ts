/**
 * An RDMA memory region on range lists: the prototype's `ib_umem` on rlist (docs/rdma-dmabuf.md)
 * with its FIXMEs closed. Registration pins the pages (one pin per page on its folio, see
 * {@link pinTable}), keeps them as a compact {@link CpuRangeList}, maps that list for the HCA with
 * {@link mapRangeList} and answers the questions a driver asks to build its MTT / page list:
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
import { formatValue, RlistError } from "@rlist/encoding";
import { RangeList } from "@rlist/list";
import { checkInstance, checkObject } from "../args.js";
import { CpuRangeList } from "../cpu/cpu-range-list.js";
import { checkFactory, FACTORY } from "../factory.js";
import { alignDown, alignUp, checkU53, isPow2, lowBits, MAX_SAFE } from "../iommu/bits.js";
import type { IommuDomain } from "../iommu/iommu-domain.js";
import { IOMMU_MMIO, type PteLookup } from "../iommu/page-table.js";
import { listFindBestBlockSize } from "../kernels/dma-walks.js";
import { BlockCursor, blockOffset, numBlocks } from "../mapping/blocks.js";
import { DmaDevice } from "../mapping/device.js";
import { type DmaDirection, directionToProt } from "../mapping/direction.js";
import { DmaKind, type DmaRangeList } from "../mapping/dma-range-list.js";
import { type DmaMapping, mapRangeList } from "../mapping/mapper.js";
import { claimMapping, releaseOwnedMapping } from "../mapping/mapping.js";
import { PhysicalMemory } from "../memory/physical-memory.js";
import { accessWritable, checkMrAccess, IB_ACCESS_ON_DEMAND } from "./access.js";
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
import { PageIntervalSet } from "./page-intervals.js";
import { type PinTable, pinTable } from "./pin-table.js";

export interface RegisterMemoryRegionOptions {
  /** The HCA. */
  readonly device: DmaDevice;
  /**
   * The pinned page array of a GUP (`pin_user_pages()`): the pfns backing the MR's virtual range,
   * one per page. Needs `memory`. The first byte is `iova mod PAGE_SIZE` into the first page.
   */
  readonly pages?: ArrayLike<number>;
  /** Physical memory the `pages` live in. */
  readonly memory?: PhysicalMemory;
  /** MR length with `pages`; default: to the end of the last page. */
  readonly length?: number;
  /** Or: an already built CPU list of the MR's bytes (must be a page list). Stays the caller's. */
  readonly cpuList?: CpuRangeList;
  /** The MR's HW virtual address (the `iova` / `virt_addr` of ib_reg_user_mr) of its first byte. */
  readonly iova: number;
  /** IB_ACCESS_* flags. */
  readonly access: number;
  /** Page sizes the HCA's translation supports (e.g. `SZ_4K | SZ_2M | SZ_1G`). */
  readonly pageSizeBitmap: number;
}

/**
 * Registers an MR (like `ib_umem_get()` + `ib_dma_map_rlist()` + the driver's
 * `*_umem_find_best_pgsz()`): validates, builds the CPU list (from `pages`) or takes `cpuList`,
 * pins, maps with BIDIRECTIONAL direction (as ib_umem does whatever the access), and checks that
 * some supported page size can describe it. Errors, with nothing left pinned, mapped or allocated:
 * `EINVAL` (bad options, not a page list, iova and memory not congruent in the page, no page size
 * fits), `EFAULT` (a page without struct page), `EREMOTEIO` (P2P memory the HCA cannot reach),
 * `ENOMEM`, `EIO` (the HCA would need bounce buffers), `ERANGE`.
 */
export function registerMemoryRegion(options: RegisterMemoryRegionOptions): MemoryRegion {
  checkObject("MR options", options);
  checkInstance("device", options.device, DmaDevice);
  if (options.cpuList !== undefined) checkInstance("cpuList", options.cpuList, CpuRangeList);
  if (options.memory !== undefined) checkInstance("memory", options.memory, PhysicalMemory);
  if (options.pages !== undefined && (typeof options.pages !== "object" || options.pages === null)) {
    throw new RlistError("EINVAL", `pages must be an array of pfns, got ${formatValue(options.pages)}`);
  }
  const { device, iova, access, pageSizeBitmap } = options;
  checkU53("iova", iova);
  checkMrAccess(access);
  checkU53("pageSizeBitmap", pageSizeBitmap);
  if ((options.pages === undefined) === (options.cpuList === undefined)) {
    throw new RlistError("EINVAL", "give exactly one of pages and cpuList");
  }
  const ownsList = options.cpuList === undefined;
  const cpuList = options.cpuList ?? cpuListFromPages(options);
  const memory = cpuList.memory;
  const ps = memory.pageSize;
  if (lowBits(pageSizeBitmap, 2 * ps) === 0) {
    // Like the WARN in ib_umem_find_best_pgsz(): no size at or below PAGE_SIZE.
    if (ownsList) cpuList.clear();
    throw new RlistError(
      "EINVAL",
      `pageSizeBitmap 0x${pageSizeBitmap.toString(16)} has no size <= PAGE_SIZE`,
    );
  }
  const problem = listProblem(cpuList, iova);
  if (problem !== null) {
    if (ownsList) cpuList.clear();
    throw new RlistError(problem[0], problem[1]);
  }
  const pins = pinTable(memory);
  let pinned = -1;
  let mapping: DmaMapping | null = null;
  try {
    pinned = pinAll(cpuList, pins);
    mapping = mapRangeList(device, cpuList, { direction: MR_DIRECTION });
    claimMapping(mapping, `the RDMA MR at iova 0x${iova.toString(16)} (deregister it)`);
    const c = mapping.list.cursor();
    for (let ok = c.reset(); ok; ok = c.next()) {
      if (c.kind === DmaKind.BOUNCE)
        throw new RlistError("EIO", `${device.name} can only reach the MR through swiotlb`);
    }
    const best = listFindBestBlockSize(mapping.list, pageSizeBitmap, iova);
    if (best === 0) {
      throw new RlistError(
        "EINVAL",
        `no page size in 0x${pageSizeBitmap.toString(16)} describes the MR at iova 0x${iova.toString(16)}`,
      );
    }
    return new MemoryRegion(FACTORY, device, cpuList, ownsList, mapping, iova, access, pageSizeBitmap, best);
  } catch (e) {
    if (mapping?.mapped) releaseOwnedMapping(mapping);
    // pinAll rolls itself back when it throws (pinned stays -1).
    if (pinned >= 0) unpinAll(cpuList, pins);
    if (ownsList) cpuList.clear();
    throw e;
  }
}

/** Why `list` cannot back an MR at `iova`, or null. */
function listProblem(list: CpuRangeList, iova: number): ["EINVAL" | "ERANGE", string] | null {
  const first = list.cursor();
  if (!first.reset()) return ["EINVAL", "the MR is empty"];
  if (!list.isPageList) {
    return [
      "EINVAL",
      "the CPU list is not a page list: an MR maps a virtually contiguous range page by page",
    ];
  }
  if (lowBits(first.phys, list.pageSize) !== lowBits(iova, list.pageSize)) {
    return ["EINVAL", "iova and the first byte's physical address differ within the page"];
  }
  if (iova + list.length > MAX_SAFE) return ["ERANGE", "iova + length exceeds 2^53 - 1"];
  return null;
}

/**
 * Most pages {@link MemoryRegion.pageList} puts in an array (2^20: a 4 GiB MR of 4 KiB pages);
 * larger page lists are walked with {@link MemoryRegion.blocks}, which allocates nothing per page.
 */
export const MR_PAGE_LIST_MAX = 2 ** 20;

/** ib_umem_get() maps BIDIRECTIONAL whatever the access flags. */
const MR_DIRECTION: DmaDirection = "bidirectional";

function cpuListFromPages(options: RegisterMemoryRegionOptions): CpuRangeList {
  const { pages, memory, iova } = options;
  if (memory === undefined) throw new RlistError("EINVAL", "pages need the memory they live in");
  const ps = memory.pageSize;
  const n = pages!.length;
  const off = lowBits(iova, ps);
  const length = options.length ?? n * ps - off;
  checkU53("length", length);
  if (length === 0 || Math.ceil((off + length) / ps) !== n) {
    throw new RlistError("EINVAL", `${n} pages do not span ${length} bytes at page offset ${off}`);
  }
  const list = new CpuRangeList(memory);
  try {
    let left = length;
    for (let i = 0; i < n; i++) {
      const start = i === 0 ? off : 0;
      const len = Math.min(ps - start, left);
      list.appendPage(pages![i]!, start, len);
      left -= len;
    }
    list.seal(); // rlscpu_append_end(): the MR's own list is complete
  } catch (e) {
    list.clear();
    throw e;
  }
  return list;
}

/** Pins every struct-page entry; on failure unpins what it pinned and rethrows. Returns entries pinned. */
function pinAll(list: CpuRangeList, pins: PinTable): number {
  const ps = list.pageSize;
  const c = list.cursor();
  let done = 0;
  try {
    for (let ok = c.reset(); ok; ok = c.next()) {
      if (c.isPhysical) continue;
      const [pfn, n] = pageSpan(c.phys, c.length, ps);
      pins.pinPages(pfn, n);
      done++;
    }
  } catch (e) {
    for (let ok = c.reset(); ok && done > 0; ok = c.next()) {
      if (c.isPhysical) continue;
      const [pfn, n] = pageSpan(c.phys, c.length, ps);
      pins.unpinPages(pfn, n);
      done--;
    }
    throw e;
  }
  return done;
}

function unpinAll(list: CpuRangeList, pins: PinTable): void {
  const c = list.cursor();
  for (let ok = c.reset(); ok; ok = c.next()) {
    if (c.isPhysical) continue;
    const [pfn, n] = pageSpan(c.phys, c.length, list.pageSize);
    pins.unpinPages(pfn, n);
  }
}

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

/** First pfn and page count of the pages holding `[phys, phys + length)`. */
function pageSpan(phys: number, length: number, ps: number): [number, number] {
  const first = Math.floor(phys / ps);
  return [first, Math.ceil((phys + length) / ps) - first];
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
    if (!isPow2(pageSize) || (Math.floor(this.pageSizeBitmap / pageSize) & 1) !== 1) {
      throw new RlistError("EINVAL", `page size ${pageSize} is not in the HCA's bitmap`);
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

/**
 * The HW page list of an MR (`rdma_umem_for_each_dma_block`): {@link dmaAddress} of block
 * {@link index}, and whether all its pages are {@link present}. Allocation-free.
 */
export class MrBlockCursor {
  readonly pageSize: number;
  /** Block number from 0. */
  index = -1;
  /** False when a page of the block is invalidated (ODP). */
  present = false;
  readonly #inner: BlockCursor;
  readonly #mr: MemoryRegion;
  readonly #absent: PageIntervalSet;
  readonly #offset: number;

  /** @internal use {@link MemoryRegion.blocks} (`new MrBlockCursor(...)` is `EINVAL`). */
  constructor(factory: symbol, mr: MemoryRegion, absent: PageIntervalSet, pageSize: number) {
    checkFactory(factory, "MrBlockCursor", "MemoryRegion.blocks()");
    this.pageSize = pageSize;
    this.#mr = mr;
    this.#absent = absent;
    this.#inner = new BlockCursor(mr.dmaList.cursor(), pageSize);
    this.#offset = mr.blockOffset(pageSize);
  }

  /** DMA address of the current block (aligned to the page size). */
  get dmaAddress(): number {
    return this.#inner.dmaAddress;
  }

  reset(): boolean {
    this.index = -1;
    return this.#step(this.#inner.reset());
  }

  next(): boolean {
    return this.#step(this.#inner.next());
  }

  #step(ok: boolean): boolean {
    if (!ok) {
      this.present = false;
      return false;
    }
    this.index++;
    if (this.#absent.size === 0) {
      this.present = true;
      return true;
    }
    const mr = this.#mr;
    const ps = mr.memory.pageSize;
    const off0 = lowBits(mr.iova, ps);
    const lo = Math.max(0, this.index * this.pageSize - this.#offset);
    const hi = Math.min(mr.lengthBytes, (this.index + 1) * this.pageSize - this.#offset);
    const p0 = Math.floor((lo + off0) / ps);
    const p1 = Math.floor((hi - 1 + off0) / ps) + 1;
    this.present = !this.#absent.intersects(p0, p1);
    return true;
  }
}

/**
 * Registering an RDMA memory region: the prototype's `ib_umem_get()` on range lists
 * (docs/rdma-dmabuf.md). Validates the options, builds the CPU list from a GUP page array (or takes
 * the caller's), pins every page, maps the list for the HCA and picks the best HW page size; any
 * failure unpins, unmaps and frees exactly what this call took, so nothing is left behind.
 */
import { checkU53, formatValue, lowBits, MAX_SAFE, RlistError } from "@rlist/encoding";
import { checkInstance, checkObject, orDefault } from "../args.js";
import { CpuRangeList } from "../cpu/cpu-range-list.js";
import { DmaKind } from "../dma-list/dma-range-list.js";
import { FACTORY } from "../factory.js";
import { listFindBestBlockSize } from "../kernels/dma-walks.js";
import { DmaDevice } from "../mapping/device.js";
import { type DmaMapping, mapRangeList } from "../mapping/mapper.js";
import { claimMapping, releaseOwnedMapping } from "../mapping/mapping.js";
import { PhysicalMemory } from "../memory/physical-memory.js";
import { checkMrAccess } from "./access.js";
import { MemoryRegion, MR_DIRECTION } from "./memory-region.js";
import { type PinTable, pageSpan, pinTable } from "./pin-table.js";

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

function cpuListFromPages(options: RegisterMemoryRegionOptions): CpuRangeList {
  const { pages, memory, iova } = options;
  if (memory === undefined) throw new RlistError("EINVAL", "pages need the memory they live in");
  const ps = memory.pageSize;
  const n = pages!.length;
  const off = lowBits(iova, ps);
  const length = orDefault("length", options.length, n * ps - off);
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

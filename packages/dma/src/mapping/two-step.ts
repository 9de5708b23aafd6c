/**
 * The 2025 two-step DMA API (dma_iova_try_alloc / link / sync / unlink / destroy / free, merged in
 * 6.16, MMIO attribute from 6.18; drivers/iommu/dma-iommu.c): allocate the IOVA window once for the
 * worst case, link physical ranges into it on the fast path, sync the IOTLB once, and tear down
 * with one call.
 *
 * Rules kept from the kernel: only the first link may start mid-granule (`EIO` otherwise),
 * `try_alloc` returns null when the device does not use an IOMMU or the size is 0 (use the
 * streaming API then), the window is sized `iova_align(size + iova_off)`.
 *
 * Lazy domains: destroy parks the window on the flush queue (unlink always syncs, as in the
 * kernel, where only a gather that also frees the IOVA is queued).
 * Untrusted devices: a link that is not granule-aligned bounces its partial head and tail granules
 * through swiotlb inside the window (`DMA_IOVA_USE_SWIOTLB`, {@link IovaState.usedSwiotlb}); unlink
 * and destroy copy them back. `iovaAlloc` does not decline for them, as in the kernel.
 *
 * Stricter than the kernel, which trusts the caller: every state keeps a private record of the
 * granules linked into its window, and
 * - a link or unlink outside the window is `EINVAL` (the kernel would corrupt a neighbour's IOVAs);
 * - an unlink of granules that are not all linked is `EINVAL` (the kernel's iommu_unmap() stops at
 *   the first hole);
 * - `iovaFree` with links in place is `EBUSY` (the kernel frees the IOVA and leaves the pages
 *   mapped, free for the next allocation to collide with);
 * - `iovaDestroy(state, mappedLen)` unmaps every link inside `[0, mappedLen)` (holes left by
 *   unlinks are fine) and is `EBUSY` when a link reaches past `mappedLen` (the kernel unmaps
 *   `[0, mappedLen)` and frees the whole window, leaving the rest mapped); the IOVA is freed with
 *   the window's own size, not one computed from `mappedLen`;
 * - the state is a {@link IovaState} made by {@link iovaAlloc} for that device: a hand-made or
 *   copied object, or another device's state, is `EINVAL`; a destroyed or freed one is `EBUSY`.
 * Refused calls change nothing.
 */
import { checkU53, formatValue, lowBits, RlistError } from "@rlist/encoding";
import { checkBoolean, checkObject, optionsObject, orDefault } from "../args.js";
import { checkFactory, FACTORY } from "../factory.js";
import type { IommuDomain, IotlbGather } from "../iommu/iommu-domain.js";
import { IOMMU_MMIO } from "../iommu/page-table.js";
import { PageIntervalSet } from "../rdma/page-intervals.js";
import { DmaDevice, type OutstandingDma } from "./device.js";
import { type DmaDirection, directionToProt, isDmaDirection } from "./direction.js";

/** What the library knows about a window; never reachable from the caller's object. */
interface IovaRecord {
  readonly device: DmaDevice;
  readonly domain: IommuDomain;
  /** IOVA of the window's first granule (`addr - pad`). */
  readonly start: number;
  /** Bytes allocated (`iova_align(size + pad)`). */
  readonly allocSize: number;
  /** Window granules linked now (indices from the window start). */
  readonly links: PageIntervalSet;
  /**
   * Granules an untrusted device's link bounced through swiotlb (granule index -> bounce address
   * and bytes); released, with the device's writes copied back, when they are unlinked.
   */
  readonly bounces: Map<number, { tlb: number; len: number }>;
  /** DMA_IOVA_USE_SWIOTLB: some link of this window bounced (sticky, as in `__size`). */
  usedSwiotlb: boolean;
  live: boolean;
  readonly tag: string | null;
  readonly stack: string | null;
}

let recordOf: (state: unknown) => IovaRecord | undefined;

/**
 * Like `struct dma_iova_state`: the window's DMA address and the requested size. Only
 * {@link iovaAlloc} makes one; the functions of this module refuse any other object.
 */
export class IovaState {
  static {
    recordOf = (state) =>
      typeof state === "object" && state !== null && #record in state ? state.#record : undefined;
  }

  /** DMA address of byte 0 of the window (`iova + iova_off`). */
  readonly addr: number;
  /** Requested size (`__size` without the swiotlb bit). */
  readonly size: number;
  readonly #record: IovaRecord;

  /** @internal use {@link iovaAlloc} (`new IovaState(...)` is `EINVAL`). */
  constructor(factory: symbol, addr: number, size: number, record: IovaRecord) {
    checkFactory(factory, "IovaState", "iovaAlloc()");
    this.addr = addr;
    this.size = size;
    this.#record = record;
  }

  /** IOVA granule offset of byte 0 (`iova_off`): the window starts at `addr - pad`. */
  get pad(): number {
    return this.addr - this.#record.start;
  }

  /** False once destroyed or freed. */
  get live(): boolean {
    return this.#record.live;
  }

  /** `__size & DMA_IOVA_USE_SWIOTLB`: a link of this window went through swiotlb (untrusted device). */
  get usedSwiotlb(): boolean {
    return this.#record.usedSwiotlb;
  }

  /** Bytes of whole granules linked now. */
  get linkedBytes(): number {
    return this.#record.links.size * this.#record.domain.granule;
  }

  /** The caller's tag (`iovaAlloc(..., { tag })`), or null. */
  get tag(): string | null {
    return this.#record.tag;
  }

  /** @internal see `TrackedDma`. */
  isLive(): boolean {
    return this.#record.live;
  }

  /** @internal see `TrackedDma`. */
  describeOutstanding(): OutstandingDma {
    const rec = this.#record;
    return {
      kind: "iova-window",
      path: "two-step",
      direction: null,
      bytes: this.size,
      entries: rec.links.size,
      iova: this.addr,
      cpuList: null,
      owner: null,
      tag: rec.tag,
      stack: rec.stack,
    };
  }
}

export interface IovaAllocOptions {
  /** A label for the window in `DmaDevice.outstanding()` and `assertIdle()`. */
  tag?: string;
}

export interface IovaLinkAttrs {
  /** DMA_ATTR_MMIO: P2P through the host bridge; IOMMU_MMIO protection, no CPU cache sync. */
  mmio?: boolean;
  /** DMA_ATTR_SKIP_CPU_SYNC. */
  skipCpuSync?: boolean;
}

/** The live record of `state` for `device`: `EINVAL` for a foreign object or device, `EBUSY` once released. */
function liveRecord(device: DmaDevice, state: IovaState): IovaRecord {
  const rec = recordOf(state);
  if (rec === undefined) {
    throw new RlistError("EINVAL", `${formatValue(state)} is not an IOVA state made by iovaAlloc`);
  }
  if (rec.device !== device) {
    throw new RlistError("EINVAL", `the IOVA state belongs to ${rec.device.name}, not ${deviceName(device)}`);
  }
  if (!rec.live) throw new RlistError("EBUSY", "the IOVA state was already destroyed or freed");
  return rec;
}

function deviceName(device: unknown): string {
  return device instanceof DmaDevice ? device.name : formatValue(device);
}

function checkWindow(state: IovaState, offset: number, size: number): void {
  checkU53("offset", offset);
  checkU53("size", size);
  if (offset + size > state.size) {
    throw new RlistError("EINVAL", `[${offset}, +${size}) is outside the ${state.size}-byte IOVA window`);
  }
}

function checkDirection(dir: DmaDirection): void {
  if (!isDmaDirection(dir)) throw new RlistError("EINVAL", `bad DMA direction ${formatValue(dir)}`);
}

/**
 * Like dma_iova_try_alloc(): allocates an IOVA window for `size` bytes whose first byte has the
 * same granule offset as `phys` (pass 0 for page-aligned users). Null when the device is not behind
 * an IOMMU or `size` is 0; `ENOMEM` when the IOVA space is exhausted.
 */
export function iovaAlloc(
  device: DmaDevice,
  size: number,
  phys: number,
  options: IovaAllocOptions = {},
): IovaState | null {
  if (!(device instanceof DmaDevice))
    throw new RlistError("EINVAL", `${formatValue(device)} is not a DmaDevice`);
  checkU53("size", size);
  checkU53("phys", phys);
  checkObject("iova alloc options", options);
  const tag = orDefault<string | null>("tag", options.tag, null);
  if (tag !== null && typeof tag !== "string") {
    throw new RlistError("EINVAL", `tag must be a string, got ${formatValue(tag)}`);
  }
  const domain = device.iommu;
  if (domain === null || size === 0) return null;
  const pad = lowBits(phys, domain.granule);
  const allocSize = domain.ivaAlign(size + pad);
  const start = domain.allocIova(allocSize, device.iovaLimit, device.iommuState);
  const state = new IovaState(FACTORY, start + pad, size, {
    device,
    domain,
    start,
    allocSize,
    links: new PageIntervalSet(),
    bounces: new Map(),
    usedSwiotlb: false,
    live: true,
    tag,
    stack: device.callerStack(),
  });
  device.trackDma(state);
  return state;
}

/**
 * Like dma_iova_link(): maps `size` bytes of `phys` at `offset` bytes into the window (no IOTLB
 * sync: call {@link iovaSync}). Only a link at offset 0 may start mid-granule (`EIO`); a link over
 * granules already linked is `EBUSY`. On failure nothing of this link stays mapped.
 */
export function iovaLink(
  device: DmaDevice,
  state: IovaState,
  phys: number,
  offset: number,
  size: number,
  dir: DmaDirection,
  attrs: IovaLinkAttrs = {},
): void {
  const rec = liveRecord(device, state);
  checkU53("phys", phys);
  checkWindow(state, offset, size);
  checkDirection(dir);
  const { mmio, skipCpuSync } = optionsObject("attrs", attrs) as IovaLinkAttrs;
  checkBoolean("attrs.mmio", mmio, true);
  checkBoolean("attrs.skipCpuSync", skipCpuSync, true);
  if (size === 0) return;
  const domain = rec.domain;
  const g = domain.granule;
  const startPad = lowBits(phys, g);
  if (startPad !== 0 && offset > 0) {
    throw new RlistError("EIO", "only the first link may start in the middle of an IOVA granule");
  }
  const iova = state.addr + offset - startPad;
  if (iova < rec.start || lowBits(iova, g) !== 0) {
    throw new RlistError(
      "EINVAL",
      `link at offset ${offset} does not start on an IOVA granule of the window`,
    );
  }
  const span = domain.ivaAlign(size + startPad);
  const prot = directionToProt(dir) | (mmio === true ? IOMMU_MMIO : 0);
  const first = (iova - rec.start) / g;
  // Refused before anything is mapped, bounced or counted (dma_iova_link() on a linked granule
  // fails in iommu_map() with nothing changed).
  if (rec.links.intersects(first, first + span / g)) {
    throw new RlistError("EBUSY", `[${offset}, +${size}) overlaps a range already linked in the IOVA window`);
  }
  if (device.untrusted && (startPad !== 0 || lowBits(size, g) !== 0)) {
    linkBounced(device, rec, phys, iova, size, prot, mmio === true);
  } else {
    domain.mapNoSync(iova, phys - startPad, span, prot);
  }
  rec.links.add(first, first + span / g);
  if (!device.coherent && mmio !== true && skipCpuSync !== true) device.counters.cacheSyncs++;
}

/**
 * iommu_dma_iova_link_swiotlb(): an untrusted device's link that does not start and end on a
 * granule bounces its partial head granule and its partial tail granule through swiotlb (each into
 * a granule of its own, padding zeroed) and maps the aligned middle directly. MMIO cannot be
 * bounced (`EIO`; the kernel returns -EPERM), nor anything without a pool (`EIO`). All or nothing.
 */
function linkBounced(
  device: DmaDevice,
  rec: IovaRecord,
  phys: number,
  iova: number,
  size: number,
  prot: number,
  mmio: boolean,
): void {
  const domain = rec.domain;
  const g = domain.granule;
  const swiotlb = device.swiotlb;
  if (mmio)
    throw new RlistError("EIO", `${device.name} is untrusted: an unaligned MMIO link cannot be bounced`);
  if (swiotlb === null) {
    throw new RlistError(
      "EIO",
      `${device.name} is untrusted and has no swiotlb pool to bounce an unaligned link`,
    );
  }
  const mask = device.bounceAlignMask;
  const startPad = lowBits(phys, g);
  const done: Array<{ iova: number; size: number; tlb: number; len: number }> = [];
  const bounce = (at: number, orig: number, len: number) => {
    const tlb = swiotlb.map(orig, len, device.segmentation.minAlignMask, undefined, g - 1);
    try {
      domain.mapNoSync(at, tlb - lowBits(tlb, g), g, prot);
    } catch (e) {
      swiotlb.unmap(tlb, len, "to-device", mask);
      throw e;
    }
    done.push({ iova: at, size: g, tlb, len });
  };
  try {
    let mapped = 0;
    let left = size;
    if (startPad !== 0) {
      const head = Math.min(left, g - startPad);
      bounce(iova, phys, head);
      mapped = head;
      left -= head;
    }
    const tail = left === 0 ? 0 : lowBits(phys + size, g);
    const middle = left - tail;
    if (middle > 0) {
      const at = iova + (startPad === 0 ? 0 : g);
      domain.mapNoSync(at, phys + mapped, middle, prot);
      done.push({ iova: at, size: middle, tlb: -1, len: 0 });
      mapped += middle;
    }
    if (tail > 0) bounce(iova + (startPad === 0 ? 0 : g) + middle, phys + mapped, tail);
  } catch (e) {
    for (const d of done) {
      domain.unmapNoSync(d.iova, d.size);
      if (d.tlb >= 0) swiotlb.unmap(d.tlb, d.len, "to-device", mask);
    }
    if (done.length !== 0) domain.flushIotlb();
    throw e;
  }
  for (const d of done) if (d.tlb >= 0) rec.bounces.set((d.iova - rec.start) / g, { tlb: d.tlb, len: d.len });
  rec.usedSwiotlb = true;
}

/**
 * Returns the bounce buffers of window granules `[first, end)` (iommu_dma_iova_unlink_range_slow()):
 * the device's writes are copied back unless `dir` is TO_DEVICE.
 */
function releaseBounces(
  device: DmaDevice,
  rec: IovaRecord,
  first: number,
  end: number,
  dir: DmaDirection,
): void {
  if (rec.bounces.size === 0) return;
  for (const [granule, b] of [...rec.bounces]) {
    if (granule < first || granule >= end) continue;
    device.swiotlb!.unmap(b.tlb, b.len, dir, device.bounceAlignMask);
    rec.bounces.delete(granule);
  }
}

/** Like dma_iova_sync(): one IOTLB sync for the links in `[offset, offset + size)`. */
export function iovaSync(device: DmaDevice, state: IovaState, offset: number, size: number): void {
  const rec = liveRecord(device, state);
  checkWindow(state, offset, size);
  rec.domain.syncMap();
}

/**
 * Like dma_iova_unlink(): unmaps `[offset, offset + size)` of the window (the granules it touches);
 * the IOVA stays allocated. `EINVAL` unless every one of those granules is linked.
 */
export function iovaUnlink(
  device: DmaDevice,
  state: IovaState,
  offset: number,
  size: number,
  dir: DmaDirection,
): void {
  const rec = liveRecord(device, state);
  checkWindow(state, offset, size);
  checkDirection(dir);
  if (size === 0) return;
  const domain = rec.domain;
  const g = domain.granule;
  const start = state.addr + offset;
  const startPad = lowBits(start, g);
  const span = domain.ivaAlign(size + startPad);
  const first = (start - startPad - rec.start) / g;
  const end = first + span / g;
  let linked = 0;
  rec.links.forEachIn(first, end, (s, e) => {
    linked += e - s;
  });
  if (linked !== end - first) {
    throw new RlistError(
      "EINVAL",
      `unlink of [${offset}, +${size}): ${end - first - linked} of its ${end - first} granules are not linked`,
    );
  }
  domain.unmapNoSync(start - startPad, span);
  rec.links.remove(first, end);
  domain.flushIotlb();
  releaseBounces(device, rec, first, end, dir);
  if (!device.coherent) device.counters.cacheSyncs++;
}

/**
 * Like dma_iova_destroy(): unmaps every link in `[0, mappedLen)` with one IOTLB flush and frees the
 * window (a lazy domain parks it on the flush queue and leaves the IOTLB until the queue flushes). `mappedLen` 0 is {@link iovaFree}. `EBUSY`, nothing changed, when a link reaches past
 * `mappedLen` (see the module comment for what the kernel does instead).
 */
export function iovaDestroy(device: DmaDevice, state: IovaState, mappedLen: number, dir: DmaDirection): void {
  const rec = liveRecord(device, state);
  checkWindow(state, 0, mappedLen);
  checkDirection(dir);
  if (mappedLen === 0) {
    iovaFree(device, state);
    return;
  }
  const domain = rec.domain;
  const g = domain.granule;
  const end = domain.ivaAlign(mappedLen + state.pad) / g;
  if (rec.links.intersects(end, rec.allocSize / g)) {
    throw new RlistError(
      "EBUSY",
      `links reach past mappedLen ${mappedLen}: unlink them first or pass the length really mapped`,
    );
  }
  const gather = domain.gatherInit();
  rec.links.forEachIn(0, end, (s, e) => {
    domain.unmapFast(rec.start + s * g, (e - s) * g, gather);
  });
  if (!gather.queued) domain.iotlbSync(gather);
  releaseBounces(device, rec, 0, end, dir);
  if (!device.coherent) device.counters.cacheSyncs++;
  rec.links.clear();
  release(device, state, rec, gather);
}

/** Like dma_iova_free(): returns the whole window. `EBUSY` while links are in place. */
export function iovaFree(device: DmaDevice, state: IovaState): void {
  const rec = liveRecord(device, state);
  if (rec.links.size !== 0) {
    throw new RlistError(
      "EBUSY",
      `${rec.links.size} granule(s) are still linked: unlink them or use iovaDestroy`,
    );
  }
  release(device, state, rec);
}

/** Frees the window: through `gather` (iommu_dma_free_iova(), queued in a lazy domain) or at once. */
function release(device: DmaDevice, state: IovaState, rec: IovaRecord, gather?: IotlbGather): void {
  if (gather === undefined) rec.domain.freeIova(rec.start, rec.allocSize);
  else rec.domain.dmaFreeIova(rec.start, rec.allocSize, gather);
  rec.live = false;
  device.untrackDma(state);
}

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
 * Not modelled: the swiotlb path for untrusted devices (`DMA_IOVA_USE_SWIOTLB`).
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
import { formatValue, RlistError } from "@rlist/encoding";
import { checkU53 } from "../iommu/bits.js";
import type { IommuDomain, IotlbGather } from "../iommu/iommu-domain.js";
import { IOMMU_MMIO } from "../iommu/page-table.js";
import { PageIntervalSet } from "../rdma/page-intervals.js";
import { DmaDevice, type OutstandingDma, type TrackedDma } from "./device.js";
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
  live: boolean;
  readonly tag: string | null;
  readonly stack: string | null;
}

let recordOf: (state: unknown) => IovaRecord | undefined;

/**
 * Like `struct dma_iova_state`: the window's DMA address and the requested size. Only
 * {@link iovaAlloc} makes one; the functions of this module refuse any other object.
 */
export class IovaState implements TrackedDma {
  static {
    recordOf = (state) =>
      typeof state === "object" && state !== null && #record in state ? state.#record : undefined;
  }

  /** DMA address of byte 0 of the window (`iova + iova_off`). */
  readonly addr: number;
  /** Requested size (`__size` without the swiotlb bit). */
  readonly size: number;
  readonly #record: IovaRecord;

  /** @internal use {@link iovaAlloc}. */
  constructor(addr: number, size: number, record: IovaRecord) {
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

  /** Bytes of whole granules linked now. */
  get linkedBytes(): number {
    return this.#record.links.size * this.#record.domain.granule;
  }

  /** The caller's tag (`iovaAlloc(..., { tag })`), or null. */
  get tag(): string | null {
    return this.#record.tag;
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
  const tag = options?.tag ?? null;
  if (tag !== null && typeof tag !== "string") {
    throw new RlistError("EINVAL", `tag must be a string, got ${formatValue(tag)}`);
  }
  const domain = device.iommu;
  if (domain === null || size === 0) return null;
  const pad = phys % domain.granule;
  const allocSize = domain.ivaAlign(size + pad);
  const start = domain.allocIova(allocSize, device.iovaLimit, device.iommuState);
  const state = new IovaState(start + pad, size, {
    device,
    domain,
    start,
    allocSize,
    links: new PageIntervalSet(),
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
  if (size === 0) return;
  const domain = rec.domain;
  const g = domain.granule;
  const startPad = phys % g;
  if (startPad !== 0 && offset > 0) {
    throw new RlistError("EIO", "only the first link may start in the middle of an IOVA granule");
  }
  const iova = state.addr + offset - startPad;
  if (iova % g !== 0 || iova < rec.start) {
    throw new RlistError(
      "EINVAL",
      `link at offset ${offset} does not start on an IOVA granule of the window`,
    );
  }
  const span = domain.ivaAlign(size + startPad);
  const prot = directionToProt(dir) | (attrs.mmio ? IOMMU_MMIO : 0);
  domain.mapNoSync(iova, phys - startPad, span, prot);
  const first = (iova - rec.start) / g;
  rec.links.add(first, first + span / g);
  if (!device.coherent && !attrs.mmio && !attrs.skipCpuSync) device.counters.cacheSyncs++;
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
  const startPad = start % g;
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

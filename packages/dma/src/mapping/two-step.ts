/**
 * The 2025 two-step DMA API (dma_iova_try_alloc / link / sync / unlink / destroy / free, merged in
 * 6.16, MMIO attribute from 6.18): allocate the IOVA window once for the worst case, link physical
 * ranges into it on the fast path, sync the IOTLB once, and tear down with one call.
 *
 * Rules kept from the kernel: only the first link may start mid-granule (`EIO` otherwise),
 * `try_alloc` returns null when the device does not use an IOMMU or the size is 0 (use the
 * streaming API then), destroy frees the IOVA from the mapped length, the window is sized
 * `iova_align(size + iova_off)`.
 *
 * Not modelled: the swiotlb path for untrusted devices (`DMA_IOVA_USE_SWIOTLB`), the flush queue.
 * Stricter than the kernel: a link or unlink outside the window is refused (`EINVAL`) instead of
 * corrupting a neighbour's IOVAs.
 */
import { RlistError } from "@rlist/encoding";
import { checkU53 } from "../iommu/bits.js";
import type { IommuDomain } from "../iommu/iommu-domain.js";
import { IOMMU_MMIO } from "../iommu/page-table.js";
import type { DmaDevice } from "./device.js";
import { type DmaDirection, directionToProt, isDmaDirection } from "./direction.js";

/** Like `struct dma_iova_state`: the window's DMA address and the requested size. */
export interface IovaState {
  /** DMA address of byte 0 of the window (`iova + iova_off`). */
  readonly addr: number;
  /** Requested size (`__size` without the swiotlb bit). */
  readonly size: number;
  /** @internal IOVA granule offset of the first byte. */
  readonly pad: number;
  /** @internal false once destroyed or freed. */
  live: boolean;
}

export interface IovaLinkAttrs {
  /** DMA_ATTR_MMIO: P2P through the host bridge; IOMMU_MMIO protection, no CPU cache sync. */
  mmio?: boolean;
  /** DMA_ATTR_SKIP_CPU_SYNC. */
  skipCpuSync?: boolean;
}

function domainOf(device: DmaDevice): IommuDomain {
  if (device.iommu === null) throw new RlistError("EINVAL", `${device.name} does not use an IOMMU`);
  return device.iommu;
}

function checkLive(state: IovaState): void {
  if (!state.live) throw new RlistError("EBUSY", "the IOVA state was already destroyed or freed");
}

function checkWindow(state: IovaState, offset: number, size: number): void {
  checkU53("offset", offset);
  checkU53("size", size);
  if (offset + size > state.size) {
    throw new RlistError("EINVAL", `[${offset}, +${size}) is outside the ${state.size}-byte IOVA window`);
  }
}

/**
 * Like dma_iova_try_alloc(): allocates an IOVA window for `size` bytes whose first byte has the
 * same granule offset as `phys` (pass 0 for page-aligned users). Null when the device is not behind
 * an IOMMU or `size` is 0; `ENOMEM` when the IOVA space is exhausted.
 */
export function iovaAlloc(device: DmaDevice, size: number, phys: number): IovaState | null {
  checkU53("size", size);
  checkU53("phys", phys);
  const domain = device.iommu;
  if (domain === null || size === 0) return null;
  const pad = phys % domain.granule;
  const iova = domain.allocIova(domain.ivaAlign(size + pad), device.iovaLimit, device.iommuState);
  return { addr: iova + pad, size, pad, live: true };
}

/**
 * Like dma_iova_link(): maps `size` bytes of `phys` at `offset` bytes into the window (no IOTLB
 * sync: call {@link iovaSync}). Only a link at offset 0 may start mid-granule (`EIO`). On failure
 * nothing of this link stays mapped.
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
  const domain = domainOf(device);
  checkLive(state);
  checkU53("phys", phys);
  checkWindow(state, offset, size);
  if (!isDmaDirection(dir)) throw new RlistError("EINVAL", `bad DMA direction ${String(dir)}`);
  if (size === 0) return;
  const g = domain.granule;
  const startPad = phys % g;
  if (startPad !== 0 && offset > 0) {
    throw new RlistError("EIO", "only the first link may start in the middle of an IOVA granule");
  }
  const iova = state.addr + offset - startPad;
  if (iova % g !== 0) {
    throw new RlistError("EINVAL", `link at offset ${offset} does not start on an IOVA granule`);
  }
  const prot = directionToProt(dir) | (attrs.mmio ? IOMMU_MMIO : 0);
  domain.mapNoSync(iova, phys - startPad, domain.ivaAlign(size + startPad), prot);
  if (!device.coherent && !attrs.mmio && !attrs.skipCpuSync) device.counters.cacheSyncs++;
}

/** Like dma_iova_sync(): one IOTLB sync for the links in `[offset, offset + size)`. */
export function iovaSync(device: DmaDevice, state: IovaState, offset: number, size: number): void {
  const domain = domainOf(device);
  checkLive(state);
  checkWindow(state, offset, size);
  domain.syncMap();
}

/** Like dma_iova_unlink(): unmaps `[offset, offset + size)` of the window; the IOVA stays allocated. */
export function iovaUnlink(
  device: DmaDevice,
  state: IovaState,
  offset: number,
  size: number,
  dir: DmaDirection,
): void {
  const domain = domainOf(device);
  checkLive(state);
  checkWindow(state, offset, size);
  if (!isDmaDirection(dir)) throw new RlistError("EINVAL", `bad DMA direction ${String(dir)}`);
  if (size === 0) return;
  const g = domain.granule;
  const start = state.addr + offset;
  const startPad = start % g;
  const span = domain.ivaAlign(size + startPad);
  domain.unmapNoSync(start - startPad, span);
  domain.flushIotlb();
  if (!device.coherent) device.counters.cacheSyncs++;
}

/**
 * Like dma_iova_destroy(): unmaps `[0, mappedLen)` and frees the IOVA (sized from `mappedLen`, as
 * the kernel does, so the range cache bins it by that size). `mappedLen` 0 just frees.
 */
export function iovaDestroy(device: DmaDevice, state: IovaState, mappedLen: number, dir: DmaDirection): void {
  const domain = domainOf(device);
  checkLive(state);
  checkWindow(state, 0, mappedLen);
  if (mappedLen === 0) {
    iovaFree(device, state);
    return;
  }
  const span = domain.ivaAlign(mappedLen + state.pad);
  domain.unmapNoSync(state.addr - state.pad, span);
  domain.flushIotlb();
  if (!device.coherent) device.counters.cacheSyncs++;
  domain.freeIova(state.addr - state.pad, span);
  state.live = false;
  void dir;
}

/** Like dma_iova_free(): returns the whole window; every link must be undone first. */
export function iovaFree(device: DmaDevice, state: IovaState): void {
  const domain = domainOf(device);
  checkLive(state);
  domain.freeIova(state.addr - state.pad, domain.ivaAlign(state.size + state.pad));
  state.live = false;
}

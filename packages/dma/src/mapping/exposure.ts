/**
 * `exposedBytes`: how many bytes outside the requested ranges a device can reach because of the
 * mapping granularity — the security figure behind "sub-page mappings expose the rest of the
 * page" (the reason dma-iommu bounces unaligned buffers of untrusted devices). No kernel API
 * reports it.
 *
 * - IOVA entries: the whole granules mapped minus the bytes asked for; 0 for an untrusted
 *   device's bounced entry, whose granules hold nothing but its own bytes and zeroed padding.
 * - BOUNCE entries: the rest of the 2 KiB slots taken (stale data of earlier bounces).
 * - DIRECT and BUS_ADDR entries: 0 here; without an IOMMU the device is not isolated at all (it can
 *   reach anything under its mask), which {@link MappingExposure.isolated} says.
 */

import { alignDown, alignUp, lowBits } from "@rlist/encoding";
import { checkInstance } from "../args.js";
import { DmaKind } from "../dma-list/dma-range-list.js";
import { DmaMapping } from "./mapping.js";
import { IO_TLB_SIZE } from "./swiotlb.js";

export interface MappingExposure {
  /** Bytes the DMA list asks for. */
  requestedBytes: number;
  /** Bytes reachable through the mapping's pages and slots. */
  reachableBytes: number;
  /** reachableBytes - requestedBytes. */
  exposedBytes: number;
  /** True when an IOMMU restricts the device to the mapped pages. */
  isolated: boolean;
}

/** Exposure of a live mapping. */
export function mappingExposure(mapping: DmaMapping): MappingExposure {
  checkInstance("mapping", mapping, DmaMapping);
  const dev = mapping.device;
  const g = dev.iommu?.granule ?? 0;
  let requested = 0;
  let reachable = 0;
  const c = mapping.list.cursor();
  for (let ok = c.reset(); ok; ok = c.next()) {
    const len = c.length;
    if (len === 0) continue;
    requested += len;
    const dma = c.dmaAddress;
    if (c.kind === DmaKind.IOVA) {
      const bounced = dev.swiotlb?.contains(dev.iommu!.translate(dma)) ?? false;
      reachable += bounced ? len : alignUp(dma + len, g) - alignDown(dma, g);
    } else if (c.kind === DmaKind.BOUNCE)
      reachable += alignUp(lowBits(dma - dev.directOffset, IO_TLB_SIZE) + len, IO_TLB_SIZE);
    else reachable += len;
  }
  return {
    requestedBytes: requested,
    reachableBytes: reachable,
    exposedBytes: reachable - requested,
    isolated: g !== 0,
  };
}

/** Shorthand for `mappingExposure(mapping).exposedBytes`. */
export function exposedBytes(mapping: DmaMapping): number {
  return mappingExposure(mapping).exposedBytes;
}

/**
 * The device's view of DMA addresses: what a DMA engine at `device` reaches when it puts
 * `dmaAddress` on the bus. Used by tests to check every mapping byte by byte, and by a DMA-engine
 * simulator.
 *
 * Order of decisions, as on real hardware: an address above the DMA mask cannot be emitted; an
 * address inside a peer BAR's bus window that the switches route peer-to-peer (`BUS_ADDR`) never
 * reaches the IOMMU; everything else goes through the IOMMU (if any) or is a CPU physical address
 * after the direct-map offset, possibly a swiotlb slot that stands for some original buffer.
 * Behind a lazy (flush-queue) domain the IOTLB answers before the page walk, so a translation an
 * unmap left in it keeps working until the queue flushes (`stale`).
 */

import { formatValue, MAX_SAFE, RlistError } from "@rlist/encoding";
import { checkInstance } from "../args.js";
import type { PteLookup } from "../iommu/page-table.js";
import { barWindows } from "../pci/bar-windows.js";
import { DmaDevice } from "./device.js";

/** How a DMA address reached memory. */
export type DeviceRoute = "iommu" | "direct" | "p2p" | "bounce";

/** Why a DMA address reaches nothing. */
export type DeviceFault = "mask" | "iommu" | "address";

export type DeviceTranslation =
  | {
      readonly ok: true;
      /** CPU physical address the access lands on. */
      readonly phys: number;
      readonly route: DeviceRoute;
      /**
       * For a swiotlb slot (`bounce`, or an untrusted device's bounce buffer reached through the
       * IOMMU): the original buffer byte the slot byte stands for (-1 for padding or a free slot);
       * otherwise equal to `phys`.
       */
      readonly backing: number;
      /** IOMMU protection bits for `iommu` routes (IOMMU_READ 1 | WRITE 2 | MMIO 4), else 3. */
      readonly prot: number;
      /**
       * True when a lazy domain's IOTLB answered with a translation whose PTE was already cleared
       * (an unmap the flush queue has not invalidated yet): the access reaches memory the driver
       * no longer owns. Always false in strict mode and off the IOMMU.
       */
      readonly stale: boolean;
    }
  | { readonly ok: false; readonly fault: DeviceFault };

const FAULT_MASK: DeviceTranslation = Object.freeze({ ok: false, fault: "mask" });
const FAULT_IOMMU: DeviceTranslation = Object.freeze({ ok: false, fault: "iommu" });
const FAULT_ADDRESS: DeviceTranslation = Object.freeze({ ok: false, fault: "address" });
/** Scratch for the IOMMU lookup (read before the next call). */
const LOOKUP: PteLookup = { phys: 0, pageSize: 0, pageIova: 0, prot: 0 };

/**
 * Like the hardware walk a device's DMA goes through; never throws for a number. A number that is
 * no bus address (negative, a fraction, `NaN`, ±`Infinity`, above 2^53 - 1) is an `address`
 * fault, like an address the walk cannot place; a non-number (a bigint, a string) is `EINVAL`.
 */
export function deviceTranslate(device: DmaDevice, dmaAddress: number): DeviceTranslation {
  checkInstance("device", device, DmaDevice);
  if (typeof dmaAddress !== "number") {
    throw new RlistError("EINVAL", `the DMA address must be a number, got ${formatValue(dmaAddress)}`);
  }
  if (!Number.isSafeInteger(dmaAddress) || dmaAddress < 0) return FAULT_ADDRESS;
  if (dmaAddress > device.dmaMask) return FAULT_MASK;
  const peer = peerBarTarget(device, dmaAddress);
  if (peer >= 0) return { ok: true, phys: peer, route: "p2p", backing: peer, prot: 3, stale: false };
  if (device.iommu !== null) {
    const hit = device.iommu.deviceLookup(dmaAddress, LOOKUP);
    if (hit < 0) return FAULT_IOMMU;
    const phys = LOOKUP.phys;
    // An untrusted device's bounce buffer behind the IOMMU stands for the original bytes.
    const tlb = device.swiotlb;
    const backing = tlb?.contains(phys) ? tlb.originalOf(phys, device.bounceAlignMask) : phys;
    return { ok: true, phys, route: "iommu", backing, prot: LOOKUP.prot, stale: hit === 1 };
  }
  const phys = dmaAddress - device.directOffset;
  if (phys < 0 || phys > MAX_SAFE) return FAULT_ADDRESS;
  const tlb = device.swiotlb;
  if (tlb?.contains(phys)) {
    return {
      ok: true,
      phys,
      route: "bounce",
      backing: tlb.originalOf(phys, device.segmentation.minAlignMask),
      prot: 3,
      stale: false,
    };
  }
  return { ok: true, phys, route: "direct", backing: phys, prot: 3, stale: false };
}

/**
 * CPU physical address of `dma` when it falls in a BAR's bus window that the PCI tree routes from
 * `device` peer-to-peer (map type BUS_ADDR), else -1. O(log BARs) through the topology's window
 * index (rebuilt when the topology changes).
 */
function peerBarTarget(device: DmaDevice, dma: number): number {
  const me = device.pci;
  if (me === null) return -1;
  return barWindows(me.topology).peerTarget(dma, me);
}

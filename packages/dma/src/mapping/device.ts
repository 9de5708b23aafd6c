/**
 * A DMA-capable device as the DMA API sees it (`struct device` + `dma_parms` + `dma_mask`):
 * the PCI function it is (for P2P distance), its DMA mask, the direct-map offset, cache
 * coherence, segmentation limits, and either an IOMMU domain or none (dma-direct, with swiotlb
 * for memory the mask cannot reach).
 */
import { RlistError } from "@rlist/encoding";
import { checkU53, MAX_SAFE } from "../iommu/bits.js";
import type { IommuDeviceState, IommuDomain } from "../iommu/iommu-domain.js";
import type { PciFunction } from "../pci/topology.js";
import { noSegmentation, type Segmentation, validateSegmentation } from "./segmentation.js";
import type { SwiotlbPool } from "./swiotlb.js";

export interface DmaDeviceInit {
  /** A name for messages (default: the PCI BDF or "dma-device"). */
  name?: string;
  /** The PCI function from the topology; null for a non-PCI device (never P2P capable). */
  pci?: PciFunction | null;
  /** DMA_BIT_MASK(n): 1..64. Default 64. */
  dmaMaskBits?: number;
  /** dma = phys + directOffset on the direct path (`dma_range_map` with one range). Default 0. */
  directOffset?: number;
  /** Cache-coherent DMA (no arch cache maintenance). Default true. */
  coherent?: boolean;
  /** Segmentation limits; default {@link noSegmentation}. */
  segmentation?: Segmentation;
  /** Translate through this IOMMU domain; null/absent means dma-direct. */
  iommu?: IommuDomain | null;
  /** Bounce pool for dma-direct when the mask cannot reach a buffer. */
  swiotlb?: SwiotlbPool | null;
}

/** Counters of the work the DMA API did for this device. */
export interface DmaDeviceCounters {
  /** arch_sync_dma_for_device / _for_cpu calls (non-coherent devices). */
  cacheSyncs: number;
  /** Mappings made and released. */
  maps: number;
  unmaps: number;
}

export class DmaDevice {
  readonly name: string;
  readonly pci: PciFunction | null;
  readonly dmaMaskBits: number;
  /** The DMA mask as a number; masks of 53 bits and more read as 2^53 - 1 (nothing is above it). */
  readonly dmaMask: number;
  readonly directOffset: number;
  readonly coherent: boolean;
  readonly segmentation: Segmentation;
  readonly iommu: IommuDomain | null;
  readonly swiotlb: SwiotlbPool | null;
  /** Like `dev->iommu->pci_32bit_workaround`: PCI devices try IOVAs below 4 GiB first. */
  readonly iommuState: IommuDeviceState;
  readonly counters: DmaDeviceCounters = { cacheSyncs: 0, maps: 0, unmaps: 0 };

  constructor(init: DmaDeviceInit = {}) {
    const bits = init.dmaMaskBits ?? 64;
    if (!Number.isInteger(bits) || bits < 1 || bits > 64) {
      throw new RlistError("EINVAL", `dmaMaskBits must be 1..64, got ${bits}`);
    }
    this.pci = init.pci ?? null;
    this.name = init.name ?? this.pci?.bdf ?? "dma-device";
    this.dmaMaskBits = bits;
    this.dmaMask = bits >= 53 ? MAX_SAFE : 2 ** bits - 1;
    const offset = init.directOffset ?? 0;
    if (!Number.isSafeInteger(offset)) throw new RlistError("ERANGE", "directOffset must be a safe integer");
    this.directOffset = offset;
    this.coherent = init.coherent ?? true;
    this.segmentation = init.segmentation ?? noSegmentation;
    validateSegmentation(this.segmentation);
    this.iommu = init.iommu ?? null;
    this.swiotlb = init.swiotlb ?? null;
    this.iommuState = { pci32BitWorkaround: this.pci !== null };
  }

  /** True when `[dma, dma + length)` is under the DMA mask (like dma_capable()). */
  dmaCapable(dma: number, length: number): boolean {
    checkU53("dma", dma);
    return length === 0 ? dma <= this.dmaMask : dma + length - 1 <= this.dmaMask;
  }

  /** Highest IOVA the device can use: min(mask, domain aperture). */
  get iovaLimit(): number {
    if (this.iommu === null) return this.dmaMask;
    return Math.min(this.dmaMask, this.iommu.apertureEnd);
  }

  /** Like dma_get_merge_boundary(): smallest IOMMU page - 1, or 0 without an IOMMU. */
  get mergeBoundary(): number {
    return this.iommu === null ? 0 : this.iommu.granule - 1;
  }
}

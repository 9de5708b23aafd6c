import { IommuDomain } from "../../src/iommu/iommu-domain.js";
import { DmaDevice } from "../../src/mapping/device.js";
import { PhysicalMemory } from "../../src/memory/physical-memory.js";

export const SZ_4K = 0x1000;
export const SZ_64K = 0x1_0000;
export const SZ_2M = 0x20_0000;
export const SZ_1G = 0x4000_0000;
export const GiB = SZ_1G;
export const TiB = 1024 * GiB;

/** RAM from 4 GiB: 64 GiB by default (sparse: nothing is allocated until written). */
export function ramMemory(size = 64 * GiB): PhysicalMemory {
  return new PhysicalMemory({ regions: [{ start: 4 * GiB, size, kind: "ram" }] });
}

/** First RAM pfn of {@link ramMemory}. */
export const RAM_PFN = (4 * GiB) / SZ_4K;

export type DeviceKind = "iommu" | "direct" | "offset";

export function hca(kind: DeviceKind): DmaDevice {
  if (kind === "iommu") return new DmaDevice({ name: "hca", iommu: new IommuDomain() });
  return new DmaDevice({ name: "hca", directOffset: kind === "offset" ? 0x8000_0000_0000 : 0 });
}

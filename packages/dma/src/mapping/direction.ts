import { formatValue, RlistError } from "@rlist/encoding";

/** Like `enum dma_data_direction` (DMA_NONE is not a valid mapping direction). */
export type DmaDirection = "bidirectional" | "to-device" | "from-device";

/** IOMMU protection bits for a direction, like dma_info_to_prot(). */
export function directionToProt(dir: DmaDirection): number {
  if (!isDmaDirection(dir)) throw new RlistError("EINVAL", `bad DMA direction ${formatValue(dir)}`);
  // IOMMU_READ = 1 (device reads memory), IOMMU_WRITE = 2 (device writes memory).
  return dir === "to-device" ? 1 : dir === "from-device" ? 2 : 3;
}

/** True for a known direction string. */
export function isDmaDirection(v: unknown): v is DmaDirection {
  return v === "bidirectional" || v === "to-device" || v === "from-device";
}

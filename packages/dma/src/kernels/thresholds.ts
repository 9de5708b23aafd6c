/**
 * @internal The smallest list (entries) each WebAssembly kernel of @rlist/dma runs on; below it
 * the TypeScript loop runs, so small lists (an NVMe request's tens of entries) never pay for a
 * kernel call. Measured by bench/kernel-threshold.ts (kernel / loop time per call, medians; node
 * 20 on the shared 2-core machine): the page-list map + unmap breaks even between 16 and 96
 * entries (0.83-1.13, call overhead against a loop that is cheap per page) and wins from 128
 * (0.74, 0.43 at 512); the per-entry map + unmap wins from 2 entries (0.92; 0.76 at 24);
 * summarizeCpuList from 2 (0.81), numSegments and findBestBlockSize from 1 (0.56, 0.76). Tests
 * set these to 0 or Infinity to force either path and compare them.
 */
export const kernelMinEntries = {
  /** IOMMU page-list mapping (stageLinear). */
  linear: 128,
  /** IOMMU per-entry mapping (layoutPerEntry, stagePerEntry). */
  perEntry: 2,
  /** summarizeCpuList() and isPageList(). */
  summary: 2,
  /** DmaRangeList#numSegments(). */
  segments: 1,
  /** DmaRangeList#findBestBlockSize(). */
  blocks: 1,
};

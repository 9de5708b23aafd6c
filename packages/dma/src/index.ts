// CPU range list (rlist_cpu)
export type { CpuEntryView, CpuRangeListOptions } from "./cpu/cpu-range-list.js";
export { CpuEntryType, CpuRangeList } from "./cpu/cpu-range-list.js";
export { CpuEntryCursor } from "./cpu/entry-cursor.js";
export type { EntryStore, EntryStoreCursor } from "./cpu/entry-store.js";
export { CpuListMark } from "./cpu/mark.js";
export { CpuFolioCursor, CpuPageCursor } from "./cpu/piece-cursors.js";
// DMA lists, devices, the mapper and its consumers
export { BlockCursor, blockOffset, findBestBlockSize, numBlocks } from "./dma-list/blocks.js";
export type { DmaEntryCursor } from "./dma-list/dma-entries.js";
export { ArrayDmaCursor } from "./dma-list/dma-entries.js";
export type {
  DmaEntry,
  DmaListStats,
  DmaRangeListOptions,
  PhysEntryCursor,
  PhysEntrySource,
} from "./dma-list/dma-range-list.js";
export { DmaCursor, DmaKind, DmaRangeList, dmaKindName } from "./dma-list/dma-range-list.js";
export type { Segmentation } from "./dma-list/segmentation.js";
export {
  NO_MAX_SEGMENT_SIZE,
  NO_SEGMENT_BOUNDARY,
  noSegmentation,
  numSegmentsFor,
  numSegmentsRange,
  pciDefaultSegmentation,
  segmentationOk,
  segmentLength,
  validateSegmentation,
  withinBoundary,
} from "./dma-list/segmentation.js";
export { DmaSegmentCursor, numSegments } from "./dma-list/segments.js";
// dma-buf exporter, attachments, move_notify; the scatterlist-era UINT_MAX split
export * from "./dmabuf/index.js";
// IOMMU: page table, IOVA allocator, domain, fault injection
export type { FaultInjector, FaultSite } from "./iommu/faults.js";
export { CountdownFaults, chunkFaultHook } from "./iommu/faults.js";
export type { FlushQueueOptions, FlushQueueOwner, FlushReason, IotlbExposure } from "./iommu/flush-queue.js";
export {
  IOVA_DEFAULT_FQ_SIZE,
  IOVA_DEFAULT_FQ_TIMEOUT,
  IOVA_SINGLE_FQ_SIZE,
  IOVA_SINGLE_FQ_TIMEOUT,
  IovaFlushQueue,
} from "./iommu/flush-queue.js";
export type {
  DomainExposure,
  IommuCounters,
  IommuDeviceState,
  IommuDomainOptions,
  IotlbGather,
} from "./iommu/iommu-domain.js";
export { IommuDomain, SZ_1G, SZ_2M, SZ_4K } from "./iommu/iommu-domain.js";
export { Iotlb } from "./iommu/iotlb.js";
export type { IovaAllocatorOptions } from "./iommu/iova-allocator.js";
export { IOVA_MAG_SIZE, IOVA_RANGE_CACHE_MAX_SIZE, IovaAllocator } from "./iommu/iova-allocator.js";
export type { PageTableOptions, PteLookup } from "./iommu/page-table.js";
export { IOMMU_MMIO, IOMMU_READ, IOMMU_WRITE, IoPageTable, levelSize } from "./iommu/page-table.js";
export { SimClock } from "./iommu/sim-clock.js";
export type { CpuListSource, CpuListSummary, CpuSourceCursor } from "./mapping/cpu-source.js";
export { isPageList, summarizeCpuList, summaryOf } from "./mapping/cpu-source.js";
export type { DmaDeviceCounters, DmaDeviceInit, OutstandingDma } from "./mapping/device.js";
export { DmaDevice } from "./mapping/device.js";
export type { DeviceFault, DeviceRoute, DeviceTranslation } from "./mapping/device-view.js";
export { deviceTranslate } from "./mapping/device-view.js";
export type { DmaDirection } from "./mapping/direction.js";
export { directionToProt, isDmaDirection } from "./mapping/direction.js";
export type { MappingExposure } from "./mapping/exposure.js";
export { exposedBytes, mappingExposure } from "./mapping/exposure.js";
export type { IovaMapStep } from "./mapping/iova-layout.js";
export { checkMinAlignForIommu, fillIovaMap, IovaLayout, rsiovaAlignment } from "./mapping/iova-layout.js";
export type { DmaMapPath, MapOptions } from "./mapping/mapper.js";
export { DmaMapping, mapRangeList } from "./mapping/mapper.js";
export type { DmaSyncRange, MappingOrigin } from "./mapping/mapping.js";
export type { ByteMemory, SwiotlbOptions } from "./mapping/swiotlb.js";
export {
  IO_TLB_DEFAULT_SIZE,
  IO_TLB_SEGSIZE,
  IO_TLB_SHIFT,
  IO_TLB_SIZE,
  SWIOTLB_MAX_SIZE,
  SwiotlbPool,
  swiotlbAlignOffset,
  swiotlbMaxMappingSize,
} from "./mapping/swiotlb.js";
export type { IovaAllocOptions, IovaLinkAttrs } from "./mapping/two-step.js";
export {
  IovaState,
  iovaAlloc,
  iovaDestroy,
  iovaFree,
  iovaLink,
  iovaSync,
  iovaUnlink,
} from "./mapping/two-step.js";
// Memory model
export type { Folio, Pgmap } from "./memory/folio.js";
export type { IomemResource, IomemResourceBig } from "./memory/iomem.js";
export { parseIomem, parseIomemBig } from "./memory/iomem.js";
export type { PhysicalMemoryOptions } from "./memory/physical-memory.js";
export { MAX_FOLIO_ORDER, PhysicalMemory } from "./memory/physical-memory.js";
export type { MemoryRegion, MemoryRegionInit, RegionKind } from "./memory/regions.js";
export { regionsFromIomem } from "./memory/regions.js";
// PCI topology and P2P
export type { AcsFlags } from "./pci/acs.js";
export {
  ACS_COMPLETION_REDIRECT,
  ACS_EGRESS_CONTROL,
  ACS_REDIRECT_MASK,
  ACS_REQUEST_REDIRECT,
  acsControlOf,
  acsRedirects,
} from "./pci/acs.js";
export type { HostBridgeAllowEntry, HostBridgeP2p } from "./pci/allowlist.js";
export { cpuSupportsP2pFromCpuinfo, HOST_BRIDGE_ALLOWLIST, hostBridgeP2pFor } from "./pci/allowlist.js";
export type { PciBarInit } from "./pci/bar.js";
export { PciBar } from "./pci/bar.js";
export type { Bdf } from "./pci/bdf.js";
export { bdfKey, formatBdf, parseBdf } from "./pci/bdf.js";
export type { ConfigSpaceInfo } from "./pci/config-space.js";
export { parseConfigSpace } from "./pci/config-space.js";
export type { HostBridgeJson, PciFunctionJson, PciTopologyJson } from "./pci/json.js";
export { pciTopologyFromJson, pciTopologyToJson } from "./pci/json.js";
export type { P2pPath } from "./pci/p2p-map.js";
export { P2pMapCache, P2pMapType, p2pMapType, p2pPath, p2pStats } from "./pci/p2p-map.js";
export { busAddress, busAddressBig, P2pProvider } from "./pci/p2p-provider.js";
// pciTopologyFromSysfs (reads the file system): from "@rlist/dma/node"
export type { HostBridgeInit, PciFunctionInit, PciPortType, PciTopologyOptions } from "./pci/topology.js";
export { HostBridge, PciFunction, PciTopology } from "./pci/topology.js";
// RDMA memory registration (ib_umem on range lists), pin table, registration memory model
export * from "./rdma/index.js";
// The RDMA memory region class shares its name with the physical-memory `MemoryRegion` type above,
// which wins the star export; this alias is how callers (and the API docs) name what
// registerMemoryRegion() returns.
export { MemoryRegion as RdmaMemoryRegion } from "./rdma/memory-region.js";

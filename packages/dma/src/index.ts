// CPU range list (rlist_cpu)
export type { CpuEntryView, CpuRangeListOptions } from "./cpu/cpu-range-list.js";
export { CpuEntryType, CpuRangeList } from "./cpu/cpu-range-list.js";
export { CpuEntryCursor, CpuFolioCursor, CpuPageCursor } from "./cpu/cursors.js";
export type { EntryStore, EntryStoreCursor } from "./cpu/entry-store.js";
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
export type { SysfsOptions } from "./pci/sysfs.js";
export { pciTopologyFromSysfs } from "./pci/sysfs.js";
export type { HostBridgeInit, PciFunctionInit, PciPortType, PciTopologyOptions } from "./pci/topology.js";
export { HostBridge, PciFunction, PciTopology } from "./pci/topology.js";

export {
  accessWritable,
  checkMrAccess,
  IB_ACCESS_LOCAL_WRITE,
  IB_ACCESS_MW_BIND,
  IB_ACCESS_ON_DEMAND,
  IB_ACCESS_REMOTE_ATOMIC,
  IB_ACCESS_REMOTE_READ,
  IB_ACCESS_REMOTE_WRITE,
} from "./access.js";
export type { RegisterDmaBufMrOptions } from "./dmabuf-mr.js";
export { DMABUF_MR_PAGE_SIZE, DmaBufMemoryRegion, registerDmaBufMr } from "./dmabuf-mr.js";
export type {
  EntryBytes,
  EntryGroup,
  ListFootprint,
  MrMemoryReport,
  RegistrationFootprint,
  RegistrationLayout,
  RegistrationReportRow,
} from "./memory-model.js";
export {
  cpuFolioEntryBytes,
  cpuPhysicalEntryBytes,
  dmaEntryBytes,
  PAGE_POINTER_BYTES,
  pageArrayBytes,
  REPORT_LAYOUTS,
  REPORT_SIZES,
  rangeListFootprint,
  registrationFootprint,
  registrationReport,
  SG_DEFAULT_MAX_SEGMENT,
  SG_ENTRY_BYTES,
  SG_MAX_SINGLE_ALLOC,
  SG_TABLE_BYTES,
  scatterlistBytes,
  sgAllocatedEntries,
  sgEntriesForRun,
} from "./memory-model.js";
export { MemoryRegion, MR_PAGE_LIST_MAX } from "./memory-region.js";
export { MrBlockCursor } from "./mr-block-cursor.js";
export { PageIntervalSet } from "./page-intervals.js";
export type { FolioLookup } from "./pin-table.js";
export { MAX_PIN_COUNT, PinTable, pinTable } from "./pin-table.js";
export type { RegisterMemoryRegionOptions } from "./registration.js";
export { registerMemoryRegion } from "./registration.js";

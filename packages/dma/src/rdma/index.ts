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
export type {
  EntryBytes,
  EntryGroup,
  ListFootprint,
  RegistrationFootprint,
  RegistrationLayout,
  RegistrationReportRow,
} from "./memoryModel.js";
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
} from "./memoryModel.js";
export type { MrMemoryReport, RegisterMemoryRegionOptions } from "./memoryRegion.js";
export { MemoryRegion, MrBlockCursor, registerMemoryRegion } from "./memoryRegion.js";
export { PageIntervalSet } from "./pageIntervals.js";
export type { FolioLookup } from "./pinTable.js";
export { MAX_PIN_COUNT, PinTable, pinTable } from "./pinTable.js";

export type { DmaBufExporterOptions, DmaBufImporter, DmaBufP2p } from "./exporter.js";
export { DmaBufAttachment, DmaBufExporter } from "./exporter.js";
export type { SgSplitOptions } from "./scatterlist-split.js";
export {
  SG_SPLIT_MAX_ENTRIES,
  sgEntriesForDmaList,
  sgSplit,
  sgSplitBig,
  sgSplitCount,
  UINT_MAX,
} from "./scatterlist-split.js";

export type { Described, DescribedBad, DescribedEnd, DescribedEntry, DescribeOptions } from "./describe.js";
export { DESCRIBE_MAX_UNITS, describe, formatDescribed, hexdump } from "./describe.js";
export type { RlistErrorCode } from "./errors.js";
export { isRlistError, RlistError } from "./errors.js";
export { fixed16Codec } from "./fixed16.js";
export { formatValue } from "./format.js";
export {
  headerEncoding,
  headerLengthLow,
  headerType,
  isEndMarker,
  makeHeader,
  variableUnitsForFields,
  variableUnitsOfHeader,
} from "./header.js";
export * from "./layout.js";
export * from "./limits.js";
export * from "./numbers.js";
export { newSplit as newEntryPieces, type Split as EntryPieces } from "./split.js";
export type { Codec, RangeEntry, RangeEntryBig } from "./types.js";
export { entryForm, entryFormBig, variableCodec } from "./variable.js";

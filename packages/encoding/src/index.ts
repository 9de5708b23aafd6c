export type { RlistErrorCode } from "./errors.js";
export { isRlistError, RlistError } from "./errors.js";
export type { Codec, RangeEntry, RangeEntryBig } from "./types.js";

/**
 * @rlist/list: the chunked range-list container (the prototype's `struct rlist`), a
 * RangeList over a pooled chunk allocator, with allocation-free cursors.
 */

/** The layout accessors the chunk view is read with (defined in `@rlist/encoding`). */
export {
  fixed16BaseAt,
  fixed16LengthAt,
  typeAt,
  variableBaseAt,
  variableBaseIsSafe,
  variableExtraAt,
  variableLengthAt,
  variableLengthIsSafe,
  variableOffsetAt,
  variableUnitsAt,
} from "@rlist/encoding";
export type { ChunkBytes } from "./constants.js";
export { entryUnits, HDR_NEXT, HDR_USED, HEADER_UNITS, NIL } from "./constants.js";
export type { RangeCursor } from "./cursor.js";
export type { ListChecksum } from "./kernels/checksum.js";
export type { ChunkPoolOptions, ChunkPoolStats, FaultHook } from "./pool.js";
export { ChunkPool } from "./pool.js";
export type { CodecName, MergeHook, RangeListOptions, RangeListStats, SliceOptions } from "./range-list.js";
export { END_MARKER, RangeList } from "./range-list.js";
export { FORMAT_VERSION, MAGIC } from "./serialize.js";
export type { TrimFront } from "./slice.js";
export type { ChunkSpan } from "./view.js";
export { newChunkSpan } from "./view.js";
export type { WasmMemory } from "./wasm/api.js";
/** @internal the kernel loader, for the kernels of the upper packages (see scripts/build-kernels.ts). */
export { instantiateKernel, type KernelSource } from "./wasm/kernel.js";

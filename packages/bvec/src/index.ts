export type { BioListResult, BioToListOptions, ListToBiosOptions } from "./adapters.js";
export { bioToCpuRangeList, cpuRangeListToBios } from "./adapters.js";
export type { AddPageResult, BioInit } from "./bio.js";
export { Bio } from "./bio.js";
export type { BioVec } from "./bio-vec.js";
export { BVEC_BYTES, BVEC_WORDS, BvecArray, bvecPhys, checkBioVec, toBvecArray } from "./bio-vec.js";
export type { BvecIterInit } from "./bvec-iter.js";
export {
  BvecIter,
  bvecIterAdvance,
  bvecIterAdvanceExact,
  bvecIterAdvanceSingle,
  bvecIterLen,
  bvecIterOffset,
  bvecIterPage,
  mpBvecIterLen,
  mpBvecIterOffset,
  mpBvecIterPage,
} from "./bvec-iter.js";
export * from "./constants.js";
export { BioSegmentCursor, BvecCursor, forEachBvec, forEachSegment } from "./cursor.js";
export type { DmaByteMemory, DmaSegmentSource, DmaTransferStats } from "./dma-engine.js";
export { DMA_ENGINE_MAX_READ, DmaEngine } from "./dma-engine.js";
export type { QueueLimits, QueueLimitsInit } from "./limits.js";
export { biovecPhysMergeable, bvecGapToPrev, getMaxSegmentSize, queueLimits } from "./limits.js";
export type { MapRequestOptions, RequestP2p, RequestSegmentCursor } from "./map-request.js";
export { MappedRequest, mapRequest, SegmentKind } from "./map-request.js";
export type { BioOp } from "./ops.js";
export { opHasData } from "./ops.js";
export type { PgmapLookup } from "./pgmap.js";
export { NO_PGMAP, P2pMixError } from "./pgmap.js";
export type { PhysVecLimits } from "./phys-vec.js";
export { PhysVecCursor, requestPhysVecLimits, UNLIMITED_PHYS_VEC } from "./phys-vec.js";
export type { SplitPoint } from "./split.js";
export { bioSplit, bioSplitRwAt, chunkSectorsLeft, getMaxIoSize, splitBio, splitToLimits } from "./split.js";

/**
 * @rlist/lab: the trade-off lab. Workload generators (RDMA, THP, NVMe, GPU P2P, live), the
 * representations they are compared in (rlist, fixed16, bio_vec, scatterlist, page array,
 * plain JS objects), the study runner, the mapping figures and the report renderers behind the
 * `rlist-lab` CLI.
 */

// CLI entry, for embedding (returns the exit code)
export { buildProgram, type Io, main } from "./cli/main.js";
export { UsageError } from "./cli/usage-error.js";
// Kernels and the C yardstick
export {
  DATA_BASE,
  KernelMemory,
  STRUCT_PAGE_BYTES,
  type WalkKernels,
  type WalkSums,
} from "./kernels/memory.js";
// Machines
export {
  EXAMPLE_P2P_TOPOLOGY,
  exampleP2pMachine,
  GPU_BAR1,
  type P2pClient,
  type P2pMachine,
} from "./machine/example-p2p.js";
export { exampleMachine, loadMachine, type Machine, type MachineSource, ramOf } from "./machine/host.js";
export {
  C_FLAGS,
  type CListSet,
  CWalkRunner,
  type CWalkSample,
  type CYardstick,
  type CYardstickOptions,
  defaultCSource,
  parseCWalk,
  prepareCYardstick,
  walkFileBytes,
} from "./native/c-yardstick.js";
// Report
export { esc } from "./render/escape.js";
export { METRIC_DEFINITIONS, overviewCharts, renderHtml } from "./render/html.js";
export {
  type BarCategory,
  type BarChartSpec,
  type BarSeries,
  barChart,
  formatValue,
  niceMax,
} from "./render/svg-bars.js";
export {
  type Column,
  mappingTable,
  msRange,
  rateRange,
  rateWithRange,
  type SideBySide,
  sideBySide,
  sideBySideTable,
  speedVs,
  studyText,
  textTable,
  verdictText,
  workloadTable,
} from "./render/table.js";
// Representations
export { BVEC_BYTES, bioVec, bioVecPage, bvecWalkReference } from "./representations/bvec.js";
export { forcedGc, measureRetainedHeap } from "./representations/heap.js";
export { JS_ENTRY_ESTIMATE_BYTES, type JsEntry, jsObjects } from "./representations/js-objects.js";
export {
  PAGE_POINTER_BYTES,
  pageArray,
  pageArrayObstacle,
  pageArrayWalkReference,
} from "./representations/page-array.js";
export {
  appendRanges,
  FIXED16_CHUNK_BYTES,
  firstListBytes,
  fixed16Representation,
  makeList,
  type RlistContext,
  rlistRepresentation,
} from "./representations/rlist.js";
export {
  SG_ENTRY_BYTES,
  SG_MAX_SINGLE_ALLOC,
  scatterlist,
  scatterlistRepresentation,
  sgAllocatedEntries,
  sgChunkSizes,
  sgWalkReference,
} from "./representations/scatterlist.js";
export {
  ADDRESS_SINK,
  type Built,
  REPRESENTATION_FAMILIES,
  REPRESENTATION_IDS,
  type Representation,
  type RepresentationFamily,
  type RepresentationId,
} from "./representations/types.js";
// RNG
export { createRng, deriveSeed, mulberry32, type Rng } from "./rng.js";
// Study
export { computeFindings, headline, SHORT_NAMES, shortName, workloadFindings } from "./study/findings.js";
export {
  HCA_SEGMENTATION,
  type MapOptions,
  type MapTarget,
  mapTargets,
  mapWorkload,
  NVME_SEGMENTATION,
} from "./study/mapping.js";
export {
  type CWalkFigures,
  type KernelChecksum,
  LIST_SIZE_CLASSES,
  type ListSizeClass,
  type ListSizeFigures,
  type Measured,
  type MeasureOptions,
  measureAll,
  type RepresentationResult,
} from "./study/measure.js";
export { biosOf, type Prepared, type PrepareOptions, prepareWorkload } from "./study/prepare.js";
export {
  type CYardstickResult,
  type IotlbFigures,
  type MachineResult,
  type MappingResult,
  RESULTS_SCHEMA,
  type StudyParams,
  type StudyResults,
  type TopologyFunction,
  type TopologyResult,
  type WorkloadResult,
} from "./study/results.js";
export { representationsFor, runStudy, type StudyOptions } from "./study/run.js";
export { RESULTS_JSON_SCHEMA, validateResults } from "./study/schema.js";
export {
  bestOf,
  calibrate,
  type InterleaveOptions,
  interleaved,
  MIN_ROUNDS_TO_DECIDE,
  MIN_SAMPLE_NS,
  MIN_TIMED_EFFECT,
  median,
  type NoiseFloor,
  noiseFloor,
  roundsThatMustAgree,
  type SpeedRatio,
  speedRatio,
  type Timing,
  timingOf,
  worstNoise,
} from "./study/timing.js";
export { summarizeP2pMachine, summarizeTopology } from "./study/topology.js";
export {
  computeVerdicts,
  EXACT_TIE,
  type TimedObservation,
  VERDICT_IDS,
  type Verdict,
  type VerdictId,
} from "./study/verdicts.js";
// Workloads
export { type BarWindow, GPU_ADJACENT_ODDS, GPU_BLOCK_MIX, gpuWorkload } from "./workloads/gpu.js";
export {
  candidateMappings,
  type DecodedPagemap,
  decodePagemap,
  LIVE_DEFAULT_BYTES,
  type LiveResult,
  liveRanges,
  liveWorkload,
  type MapsEntry,
  parseMaps,
} from "./workloads/live.js";
export {
  NVME_BIO_BYTES,
  NVME_RUN_ODDS,
  NVME_UNALIGNED_ODDS,
  NVME_UNALIGNED_OFFSET,
  nvmeWorkload,
} from "./workloads/nvme.js";
export type { ProcsOptions } from "./workloads/procs.js";
export { EXAMPLE_RAM, PfnPicker, type RamRegion } from "./workloads/ram.js";
export {
  NO_FOLIO,
  NO_PROVIDER,
  PAGE_SHIFT,
  PAGE_SIZE,
  pagesTouched,
  type RangeSet,
  RangeSetBuilder,
  totalBytes,
} from "./workloads/range-set.js";
export { rdmaWorkload } from "./workloads/rdma.js";
export { THP_ORDER_MIX, thpWorkload } from "./workloads/thp.js";
export {
  type DataSource,
  type Fact,
  type GenerateOptions,
  isWorkloadId,
  WORKLOAD_IDS,
  type Workload,
  type WorkloadId,
} from "./workloads/workload.js";

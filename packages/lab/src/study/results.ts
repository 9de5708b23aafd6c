import type { DataSource, Fact, WorkloadId } from "../workloads/workload.js";
import type { RepresentationResult } from "./measure.js";
import type { NoiseFloor, Timing } from "./timing.js";
import type { Verdict } from "./verdicts.js";

/** Version tag of results.json; bump on any incompatible change (results.schema.json matches it). */
export const RESULTS_SCHEMA = "rlist-lab/results@3";

export interface StudyParams {
  readonly entries: number;
  readonly seed: number;
  readonly chunkBytes: readonly number[];
  readonly workloads: readonly WorkloadId[];
  /** Merge settings compared (`--merge`): "on", "off" or both. */
  readonly merge: readonly ("on" | "off")[];
  /** Interleaved timing rounds. */
  readonly runs: number;
  readonly liveBytes: number;
  /** "host", "example" or "sysroot:<dir>". */
  readonly machine: string;
}

export interface WorkloadResult {
  readonly id: WorkloadId;
  readonly title: string;
  readonly summary: string;
  /** Where the ranges came from: generated, the lab's own buffer, or other processes' memory. */
  readonly data: DataSource;
  readonly groupNoun: string;
  /** Lists (MRs, bios, attachments) the ranges are grouped in. */
  readonly groups: number;
  /** Input ranges before any merging. */
  readonly ranges: number;
  /** Bytes described. */
  readonly bytes: number;
  /** 4 KiB pages touched. */
  readonly pages: number;
  readonly facts: readonly Fact[];
  readonly representations: readonly RepresentationResult[];
  /**
   * The measured noise floor of the JavaScript-timed figures (an A/A control of the JavaScript
   * walk; mappings use it too), null when nothing was timed.
   */
  readonly noise: NoiseFloor | null;
  /** The measured noise floor of the kernel walks (an A/A control of one), null when none was timed. */
  readonly kernelNoise: NoiseFloor | null;
  /** Sentences about this workload computed from its figures. */
  readonly findings: readonly string[];
}

/** One workload mapped for one device. */
export interface MappingResult {
  readonly workload: WorkloadId;
  /** What the device is ("mlx5 NIC behind an IOMMU"). */
  readonly device: string;
  /** The P2P map type for dma-buf workloads, null otherwise. */
  readonly p2pMapType: string | null;
  /** Mapper path taken: identity, direct, iommu-linear, iommu-per-entry (first list's). */
  readonly path: string | null;
  /** Set when mapping failed (e.g. EREMOTEIO); the figures are then 0. */
  readonly error: string | null;
  readonly lists: number;
  /** Bytes of IOVA space allocated (0 for dma-direct and bus-address P2P). */
  readonly iovaBytes: number;
  readonly dmaEntries: number;
  /** DMA segments after the device's boundary / max-segment limits. */
  readonly segments: number;
  /** Largest block size every list can use as a page list (smallest over lists), 0 if none. */
  readonly bestBlockSize: number;
  /** Blocks at that size, summed over lists. */
  readonly blocks: number;
  /** Bytes outside the buffer the device can reach through the mapping granularity. */
  readonly exposedBytes: number;
  /** True when an IOMMU isolates the device. */
  readonly isolated: boolean;
  /** Map and unmap of every list, per call, over interleaved rounds (null when mapping failed). */
  readonly map: Timing | null;
  /** IOTLB invalidation and what it leaves exposed (behind an IOMMU), null without one. */
  readonly iotlb: IotlbFigures | null;
}

/**
 * Strict vs lazy IOTLB invalidation for one workload on one device: every list mapped and unmapped
 * in turn, 1 ms of simulated time apart (the flush-queue model of @rlist/dma; exact figures).
 */
export interface IotlbFigures {
  /** iommu.strict: invalidate on every unmap (true) or through the flush queue (false). */
  readonly strict: boolean;
  readonly unmaps: number;
  /** IOTLB invalidations issued (strict: one per unmap; lazy: one per queue flush). */
  readonly invalidations: number;
  /** Bytes reachable by the device after their unmap x ms until the flush (0 when strict). */
  readonly exposedByteMs: number;
  /** How long an unmapped byte stays reachable on average, ms. */
  readonly meanWindowMs: number;
  /** The longest such window, ms. */
  readonly maxWindowMs: number;
}

export interface TopologyFunction {
  readonly bdf: string;
  readonly type: string;
  readonly vendor: string;
  readonly device: string;
  readonly classCode: string;
  readonly depth: number;
  readonly bars: readonly { index: number; cpuAddress: string; size: string }[];
  readonly acsRedirect: boolean;
}

export interface TopologyResult {
  /** Where it came from: "this machine (/sys/bus/pci/devices)", "example P2P server". */
  readonly label: string;
  /** Like cpu_supports_p2pdma() (AMD Zen and later): every host bridge path is allowed. */
  readonly cpuSupportsP2p: boolean;
  readonly hostBridges: readonly { name: string; p2p: string; functions: readonly TopologyFunction[] }[];
  /** P2P map type from a provider to each client, when the topology has one. */
  readonly p2p: readonly {
    provider: string;
    client: string;
    mapType: string;
    distance: number;
    reason: string;
  }[];
}

export interface MachineResult {
  readonly source: string;
  readonly ramBytes: number;
  readonly ramRegions: readonly { start: number; end: number }[];
  readonly notes: readonly string[];
  readonly topologies: readonly TopologyResult[];
}

export interface StudyResults {
  readonly schema: typeof RESULTS_SCHEMA;
  readonly generatedAt: string;
  readonly tool: {
    readonly name: string;
    readonly version: string;
    readonly node: string;
    readonly platform: string;
  };
  readonly params: StudyParams;
  readonly machine: MachineResult;
  /** The representations compared and how each one's bytes are counted. */
  readonly representations: readonly { id: string; key: string; label: string; accounting: string }[];
  /** Whether the C yardstick walked the rlist's lists beside the kernels, and why not. */
  readonly cYardstick: CYardstickResult;
  readonly workloads: readonly WorkloadResult[];
  /** Workloads asked for but not run, and why (e.g. live without root). */
  readonly skipped: readonly { id: WorkloadId; reason: string }[];
  readonly mappings: readonly MappingResult[];
  /** "What this says": sentences computed from the figures. */
  readonly findings: readonly string[];
  /** The answers: each question of the study decided from the figures, with its margin. */
  readonly verdicts: readonly Verdict[];
}

/** The C yardstick of a study: ran (with which compiler), skipped (why), or not asked for. */
export interface CYardstickResult {
  readonly status: "ran" | "skipped" | "off";
  /** The compiler's version line, when it ran. */
  readonly compiler: string | null;
  /** Compiler flags, when it ran. */
  readonly flags: string | null;
  /** Why it did not run, else null. */
  readonly note: string | null;
}

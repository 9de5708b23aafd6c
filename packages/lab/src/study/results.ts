import type { Fact, WorkloadId } from "../workloads/workload.js";
import type { RepresentationResult } from "./measure.js";

/** Version tag of results.json; bump on any incompatible change. */
export const RESULTS_SCHEMA = "rlist-lab/results@1";

export interface StudyParams {
  readonly entries: number;
  readonly seed: number;
  readonly chunkBytes: readonly number[];
  readonly workloads: readonly WorkloadId[];
  readonly runs: number;
  readonly liveBytes: number;
  /** "host", "example" or "sysroot:<dir>". */
  readonly machine: string;
}

export interface WorkloadResult {
  readonly id: WorkloadId;
  readonly title: string;
  readonly summary: string;
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
  /** Best-of-N time to map and unmap every list, ns. */
  readonly mapNs: number;
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
  readonly representations: readonly { id: string; label: string; accounting: string }[];
  readonly workloads: readonly WorkloadResult[];
  /** Workloads asked for but not run, and why (e.g. live without root). */
  readonly skipped: readonly { id: WorkloadId; reason: string }[];
  readonly mappings: readonly MappingResult[];
  /** "What this says": sentences computed from the figures. */
  readonly findings: readonly string[];
}

// ---------------------------------------------------------------------------- validation

type Check = (v: unknown, path: string, errors: string[]) => void;

const num: Check = (v, p, e) => {
  if (typeof v !== "number" || !Number.isFinite(v)) e.push(`${p}: expected a finite number`);
};
const nonNeg: Check = (v, p, e) => {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) e.push(`${p}: expected a number >= 0`);
};
const int: Check = (v, p, e) => {
  if (!Number.isSafeInteger(v) || (v as number) < 0) e.push(`${p}: expected a non-negative integer`);
};
const str: Check = (v, p, e) => {
  if (typeof v !== "string") e.push(`${p}: expected a string`);
};
const bool: Check = (v, p, e) => {
  if (typeof v !== "boolean") e.push(`${p}: expected a boolean`);
};
const nullable =
  (c: Check): Check =>
  (v, p, e) => {
    if (v !== null) c(v, p, e);
  };
const arrayOf =
  (c: Check): Check =>
  (v, p, e) => {
    if (!Array.isArray(v)) e.push(`${p}: expected an array`);
    else
      v.forEach((x, i) => {
        c(x, `${p}[${i}]`, e);
      });
  };
const obj =
  (shape: Record<string, Check>, optional: readonly string[] = []): Check =>
  (v, p, e) => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) {
      e.push(`${p}: expected an object`);
      return;
    }
    const o = v as Record<string, unknown>;
    for (const [k, c] of Object.entries(shape)) {
      if (!(k in o)) {
        if (!optional.includes(k)) e.push(`${p}.${k}: missing`);
        continue;
      }
      c(o[k], `${p}.${k}`, e);
    }
    for (const k of Object.keys(o)) if (!(k in shape)) e.push(`${p}.${k}: unexpected key`);
  };
const oneOf =
  (values: readonly string[]): Check =>
  (v, p, e) => {
    if (typeof v !== "string" || !values.includes(v)) e.push(`${p}: expected one of ${values.join(", ")}`);
  };

const fact = obj({
  label: str,
  value: (v, p, e) => {
    if (typeof v !== "string") num(v, p, e);
  },
});

const representation = obj(
  {
    id: str,
    label: str,
    supported: bool,
    reason: str,
    entries: int,
    bytes: nonNeg,
    bytesPerEntry: nonNeg,
    efficiency: (v, p, e) => {
      nonNeg(v, p, e);
      if (typeof v === "number" && v > 1) e.push(`${p}: efficiency above 1`);
    },
    bytesPerMiB: nonNeg,
    measured: bool,
    buildNs: nonNeg,
    iterateNs: nonNeg,
    iterateEntriesPerSec: nonNeg,
    iterateBytesPerSec: nonNeg,
    buildEntriesPerSec: nonNeg,
  },
  ["reason"],
);

const workload = obj({
  id: str,
  title: str,
  summary: str,
  groupNoun: str,
  groups: int,
  ranges: int,
  bytes: int,
  pages: int,
  facts: arrayOf(fact),
  representations: arrayOf(representation),
  findings: arrayOf(str),
});

const mapping = obj({
  workload: str,
  device: str,
  p2pMapType: nullable(str),
  path: nullable(str),
  error: nullable(str),
  lists: int,
  iovaBytes: int,
  dmaEntries: int,
  segments: int,
  bestBlockSize: int,
  blocks: int,
  exposedBytes: int,
  isolated: bool,
  mapNs: nonNeg,
});

const topology = obj({
  label: str,
  cpuSupportsP2p: bool,
  hostBridges: arrayOf(
    obj({
      name: str,
      p2p: str,
      functions: arrayOf(
        obj({
          bdf: str,
          type: str,
          vendor: str,
          device: str,
          classCode: str,
          depth: int,
          bars: arrayOf(obj({ index: int, cpuAddress: str, size: str })),
          acsRedirect: bool,
        }),
      ),
    }),
  ),
  p2p: arrayOf(obj({ provider: str, client: str, mapType: str, distance: num, reason: str })),
});

const results = obj({
  schema: oneOf([RESULTS_SCHEMA]),
  generatedAt: str,
  tool: obj({ name: str, version: str, node: str, platform: str }),
  params: obj({
    entries: int,
    seed: int,
    chunkBytes: arrayOf(int),
    workloads: arrayOf(str),
    runs: int,
    liveBytes: int,
    machine: str,
  }),
  machine: obj({
    source: str,
    ramBytes: int,
    ramRegions: arrayOf(obj({ start: int, end: int })),
    notes: arrayOf(str),
    topologies: arrayOf(topology),
  }),
  representations: arrayOf(obj({ id: str, label: str, accounting: str })),
  workloads: arrayOf(workload),
  skipped: arrayOf(obj({ id: str, reason: str })),
  mappings: arrayOf(mapping),
  findings: arrayOf(str),
});

/**
 * Checks a parsed results.json against the schema above (shape, types, ranges). Returns the
 * problems found; an empty list means valid. Used by `rlist-lab inspect` and the tests.
 */
export function validateResults(value: unknown): string[] {
  const errors: string[] = [];
  results(value, "$", errors);
  return errors;
}

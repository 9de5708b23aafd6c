import type { RamRegion } from "./ram.js";
import type { RangeSet } from "./range-set.js";

/** Workload names accepted by `--workloads`, in report order. */
export const WORKLOAD_IDS = ["rdma", "thp", "nvme", "gpu-p2p", "live"] as const;
/** Workloads `--workloads` can name, and `procs` (other processes' memory: `live --pid`, `--all-processes`). */
export type WorkloadId = (typeof WORKLOAD_IDS)[number] | "procs";

export function isWorkloadId(s: string): s is WorkloadId {
  return (WORKLOAD_IDS as readonly string[]).includes(s) || s === "procs";
}

/** Where a workload's ranges came from: the verdicts say which data decided them. */
export type DataSource = "synthetic" | "own buffer" | "other processes";

/** One labelled fact about a workload, shown in the report ("THP share: 62 %"). */
export interface Fact {
  readonly label: string;
  readonly value: string | number;
}

/** A generated (or observed) input: the ranges plus what the report says about them. */
export interface Workload {
  readonly id: WorkloadId;
  readonly title: string;
  /** One sentence: what kernel situation this models. */
  readonly summary: string;
  readonly data: DataSource;
  /** What one group (list) is: "MR", "bio", "dma-buf attachment", "buffer". */
  readonly groupNoun: string;
  readonly ranges: RangeSet;
  /** Sum of range lengths. */
  readonly bytes: number;
  readonly facts: readonly Fact[];
}

export interface GenerateOptions {
  /** Input ranges to generate (pages, folios, bio segments, BAR blocks). */
  readonly entries: number;
  readonly seed: number;
  /** Where RAM folios may come from (this machine's System RAM, or an example map). */
  readonly ram: readonly RamRegion[];
}

/** The fact recorded when RAM ran out before `wanted` items were generated (none otherwise). */
export function ramFullFact(made: number, wanted: number, what: string): Fact[] {
  return made < wanted ? [{ label: "note", value: `RAM full after ${made} of ${wanted} ${what}` }] : [];
}

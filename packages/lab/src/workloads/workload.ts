import { formatValue, RlistError } from "@rlist/encoding";
import { checkArray, checkInteger, checkObject, checkOneOf, checkString } from "../args.js";
import { checkRamRegions, type RamRegion } from "./ram.js";
import { checkRangeSet, type RangeSet } from "./range-set.js";

/** Workload names accepted by `--workloads`, in report order. */
export const WORKLOAD_IDS = ["rdma", "thp", "nvme", "gpu-p2p", "live"] as const;
/** Workloads `--workloads` can name, and `procs` (other processes' memory: `live --pid`, `--all-processes`). */
export type WorkloadId = (typeof WORKLOAD_IDS)[number] | "procs";

export function isWorkloadId(s: unknown): s is WorkloadId {
  return (WORKLOAD_IDS as readonly unknown[]).includes(s) || s === "procs";
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

/**
 * Most input ranges a generator makes (`--entries` has the same bound): beyond it the per-page
 * representations need gigabytes, and a generator would run for minutes.
 */
export const MAX_WORKLOAD_ENTRIES = 1 << 22;

/** `EINVAL` / `ERANGE` unless `o` holds `entries` (0..{@link MAX_WORKLOAD_ENTRIES}), a seed and RAM regions. */
export function checkGenerateOptions(o: unknown): asserts o is GenerateOptions {
  checkObject("workload options", o);
  const { entries, seed, ram } = o as Partial<GenerateOptions>;
  checkInteger("entries", entries, 0, MAX_WORKLOAD_ENTRIES);
  checkInteger("seed", seed, Number.MIN_SAFE_INTEGER);
  checkRamRegions("ram", ram);
}

/** `EINVAL` unless `w` is a {@link Workload}: its id, texts, ranges, byte total and facts. */
export function checkWorkload(what: string, w: unknown): asserts w is Workload {
  checkObject(what, w);
  const x = w as Partial<Workload>;
  checkOneOf(`${what}.id`, x.id, [...WORKLOAD_IDS, "procs"]);
  for (const k of ["title", "summary", "groupNoun"] as const) checkString(`${what}.${k}`, x[k]);
  checkOneOf(`${what}.data`, x.data, ["synthetic", "own buffer", "other processes"]);
  checkRangeSet(`${what}.ranges`, x.ranges);
  checkInteger(`${what}.bytes`, x.bytes);
  checkArray(`${what}.facts`, x.facts, (at, f) => {
    checkObject(at, f);
    checkString(`${at}.label`, (f as Fact).label);
    const v = (f as Fact).value;
    if (typeof v !== "string" && !(typeof v === "number" && Number.isFinite(v)))
      throw new RlistError(
        "EINVAL",
        `${at}.value must be a string or a finite number, got ${formatValue(v)}`,
      );
  });
}

/** The fact recorded when RAM ran out before `wanted` items were generated (none otherwise). */
export function ramFullFact(made: number, wanted: number, what: string): Fact[] {
  return made < wanted ? [{ label: "note", value: `RAM full after ${made} of ${wanted} ${what}` }] : [];
}

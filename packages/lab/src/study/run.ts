import { RlistError } from "@rlist/encoding";
import type { ChunkBytes } from "@rlist/list";
import {
  checkArray,
  checkBoolean,
  checkFunction,
  checkInteger,
  checkObject,
  checkOneOf,
  checkString,
} from "../args.js";
import { exampleP2pMachine } from "../machine/example-p2p.js";
import { checkMachine, type Machine } from "../machine/host.js";
import { C_FLAGS, type CYardstickOptions, prepareCYardstick } from "../native/c-yardstick.js";
import { bioVec, bioVecPage } from "../representations/bvec.js";
import { jsObjects } from "../representations/js-objects.js";
import { pageArray } from "../representations/page-array.js";
import { fixed16Representation, rlistRepresentation } from "../representations/rlist.js";
import { scatterlistRepresentation } from "../representations/scatterlist.js";
import type { Representation } from "../representations/types.js";
import { LIVE_MAX_BYTES } from "../workloads/live.js";
import { pagesTouched } from "../workloads/range-set.js";
import { MAX_WORKLOAD_ENTRIES, WORKLOAD_IDS, type WorkloadId } from "../workloads/workload.js";
import { computeFindings, workloadFindings } from "./findings.js";
import { mapWorkload } from "./mapping.js";
import { measureAll } from "./measure.js";
import { checkPrepared, type Prepared, type PrepareOptions, prepareWorkload } from "./prepare.js";
import {
  type MappingResult,
  RESULTS_SCHEMA,
  type StudyResults,
  type TopologyResult,
  type WorkloadResult,
} from "./results.js";
import { checkBudget, MAX_TIMING_ROUNDS } from "./timing.js";
import { summarizeP2pMachine, summarizeTopology } from "./topology.js";
import { computeVerdicts } from "./verdicts.js";

const CHUNK_SIZES: readonly ChunkBytes[] = [128, 512, 4096];

/** `EINVAL` unless `value` is a non-empty array of distinct members of `values`. */
function checkChoices<T extends string | number>(what: string, value: unknown, values: readonly T[]): void {
  checkArray(what, value, (at, v) => checkOneOf(at, v, values));
  if (value.length === 0) throw new RlistError("EINVAL", `${what} is empty`);
  if (new Set(value).size !== value.length) throw new RlistError("EINVAL", `${what} names one twice`);
}

/** `EINVAL` / `ERANGE` unless `o` is a {@link StudyOptions}: every field checked before any work. */
function checkStudyOptions(o: unknown): asserts o is StudyOptions {
  checkObject("study options", o);
  const s = o as Partial<StudyOptions>;
  checkInteger("entries", s.entries, 0, MAX_WORKLOAD_ENTRIES);
  checkInteger("seed", s.seed, Number.MIN_SAFE_INTEGER);
  checkChoices("chunkBytes", s.chunkBytes, CHUNK_SIZES);
  checkChoices("workloads", s.workloads, [...WORKLOAD_IDS, "procs"]);
  if (s.merge !== undefined) checkChoices("merge", s.merge, ["on", "off"]);
  checkInteger("runs", s.runs, 1, MAX_TIMING_ROUNDS);
  checkInteger("liveBytes", s.liveBytes, 4096, LIVE_MAX_BYTES);
  if (s.procs !== undefined) checkObject("procs", s.procs);
  checkMachine("machine", s.machine);
  checkString("machineLabel", s.machineLabel);
  if (s.mappings !== undefined) checkBoolean("mappings", s.mappings);
  if (s.mapBudgetNs !== undefined) checkBudget("mapBudgetNs", s.mapBudgetNs);
  if (s.calibrateNs !== undefined) checkBudget("calibrateNs", s.calibrateNs);
  if (s.cYardstick !== undefined && typeof s.cYardstick !== "boolean") {
    checkObject("cYardstick", s.cYardstick);
    const { compiler, source, cacheDir } = s.cYardstick;
    for (const [k, v] of [
      ["compiler", compiler],
      ["source", source],
      ["cacheDir", cacheDir],
    ] as const)
      if (v !== undefined) checkString(`cYardstick.${k}`, v);
  }
  checkString("version", s.version);
  for (const k of ["onStep", "onNote", "onPrepared"] as const) if (s[k] !== undefined) checkFunction(k, s[k]);
}

export interface StudyOptions {
  readonly entries: number;
  readonly seed: number;
  readonly chunkBytes: readonly ChunkBytes[];
  readonly workloads: readonly WorkloadId[];
  /** Merge settings to compare (default both): merge on, and one entry per input range. */
  readonly merge?: readonly ("on" | "off")[];
  /** Interleaved timing rounds: every representation is timed once per round. */
  readonly runs: number;
  readonly liveBytes: number;
  /** Which processes the `procs` workload reads. */
  readonly procs?: PrepareOptions["procs"];
  readonly machine: Machine;
  /** Label of the machine source for params ("host", "example", "sysroot:<dir>"). */
  readonly machineLabel: string;
  /** Also map each workload for its devices (default true). */
  readonly mappings?: boolean;
  /** Time the mapping rounds of one workload may take, ns (default 3 s): fewer rounds when a map is slow. */
  readonly mapBudgetNs?: number;
  /** Most time spent calibrating one timed figure's sample length, ns (default 50 ms). */
  readonly calibrateNs?: number;
  /**
   * Also walk the rlist's lists with the C yardstick (bench/c/rlist_ref.c, compiled with gcc -O2)
   * in every round, when a compiler and the source are there (default false; the CLI turns it on).
   */
  readonly cYardstick?: boolean | CYardstickOptions;
  readonly version: string;
  /** Progress: a step finished. */
  readonly onStep?: (done: number, total: number, label: string) => void;
  /** Something the user should know (a skipped workload, a fallback). */
  readonly onNote?: (message: string) => void;
  /** Each workload once it is generated (or observed), before it is measured. */
  readonly onPrepared?: (p: Prepared) => void;
}

/**
 * The representations compared, for one prepared workload: with merge "off", the ones that can
 * merge (rlist, fixed16, scatterlist) also as a variant that keeps one entry per input range,
 * right after their merging form.
 */
export function representationsFor(
  p: Prepared,
  chunkBytes: readonly ChunkBytes[],
  merge: readonly ("on" | "off")[] = ["on", "off"],
): Representation[] {
  checkPrepared("prepared", p);
  checkChoices("chunkBytes", chunkBytes, CHUNK_SIZES);
  checkChoices("merge", merge, ["on", "off"]);
  const on = merge.includes("on");
  const off = merge.includes("off");
  const both = <T>(make: (m: boolean) => T): T[] => [
    ...(on ? [make(true)] : []),
    ...(off ? [make(false)] : []),
  ];
  // P2P: the rlist with contiguous same-provider PHYSICAL ranges merged too (an extension of the
  // prototype, which never merges them), beside the faithful form, for the merging verdict.
  const p2pMerge =
    on && p.p2p
      ? [rlistRepresentation(chunkBytes.includes(512) ? 512 : chunkBytes[0]!, p.ctx, true, true)]
      : [];
  return [
    ...chunkBytes.flatMap((c) => both((m) => rlistRepresentation(c, p.ctx, m))),
    ...p2pMerge,
    ...both(fixed16Representation),
    bioVec,
    bioVecPage,
    ...both(scatterlistRepresentation),
    pageArray,
    jsObjects,
  ];
}

/** Runs the whole study: generate, build, measure, map, summarize. */
export function runStudy(o: StudyOptions): StudyResults {
  checkStudyOptions(o);
  const merge = o.merge ?? ["on", "off"];
  const p2p = exampleP2pMachine();
  const prepared: Prepared[] = [];
  const skipped: { id: WorkloadId; reason: string }[] = [];
  for (const id of o.workloads) {
    const p = prepareWorkload(id, {
      entries: o.entries,
      seed: o.seed,
      liveBytes: o.liveBytes,
      machine: o.machine,
      p2p,
      ...(o.procs !== undefined && { procs: o.procs }),
    });
    if ("skipped" in p) {
      skipped.push({ id, reason: p.skipped });
      o.onNote?.(p.skipped);
    } else {
      prepared.push(p);
      o.onPrepared?.(p);
    }
  }
  const yardstick =
    o.cYardstick === undefined || o.cYardstick === false
      ? null
      : prepareCYardstick(o.cYardstick === true ? {} : o.cYardstick);
  if (yardstick !== null && !yardstick.ok) o.onNote?.(yardstick.note);
  const c = yardstick?.ok ? { binary: yardstick.binary } : null;
  // Progress: every timing round of every workload, then one step per workload's mapping.
  const mapSteps = o.mappings === false ? 0 : prepared.length;
  const total = prepared.length * o.runs + mapSteps;
  let done = 0;
  const step = (label: string) => o.onStep?.(++done, total, label);

  const accounting: { id: string; key: string; label: string; accounting: string }[] = [];
  const workloads: WorkloadResult[] = prepared.map((p) => {
    const w = p.workload;
    const reps = representationsFor(p, o.chunkBytes, merge);
    // Every variant studied anywhere (the P2P-merged rlist exists for P2P workloads only).
    for (const r of reps)
      if (!accounting.some((a) => a.key === r.key))
        accounting.push({ id: r.id, key: r.key, label: r.label, accounting: r.accounting });
    const { representations, noise, kernelNoise } = measureAll(reps, w, {
      rounds: o.runs,
      c,
      ...(o.calibrateNs !== undefined && { calibrateNs: o.calibrateNs }),
      onRound: (r) => step(`${w.id}: timing round ${r + 1} of ${o.runs}`),
    });
    const result = {
      id: w.id,
      title: w.title,
      summary: w.summary,
      data: w.data,
      groupNoun: w.groupNoun,
      groups: w.ranges.groups,
      ranges: w.ranges.count,
      bytes: w.bytes,
      pages: pagesTouched(w.ranges),
      facts: w.facts,
      representations,
      noise,
      kernelNoise,
    };
    return { ...result, findings: workloadFindings({ ...result, findings: [] }) };
  });

  const mappings: MappingResult[] = [];
  if (o.mappings !== false) {
    for (const p of prepared) {
      mappings.push(...mapWorkload(p, p2p, { rounds: o.runs, budgetNs: o.mapBudgetNs ?? 3e9 }));
      step(`${p.workload.id} / mapping`);
    }
  }

  const topologies: TopologyResult[] = [];
  if (o.machine.topology !== null) {
    topologies.push(
      summarizeTopology(`this machine (${o.machine.root ?? "/"}sys/bus/pci/devices)`, o.machine.topology),
    );
  }
  topologies.push(summarizeP2pMachine(p2p));

  return {
    schema: RESULTS_SCHEMA,
    generatedAt: new Date().toISOString(),
    tool: {
      name: "rlist-lab",
      version: o.version,
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
    },
    params: {
      entries: o.entries,
      seed: o.seed,
      chunkBytes: o.chunkBytes,
      workloads: o.workloads,
      merge,
      runs: o.runs,
      liveBytes: o.liveBytes,
      machine: o.machineLabel,
    },
    machine: {
      source: o.machine.source,
      ramBytes: o.machine.ram.reduce((a, r) => a + (r.end - r.start), 0),
      ramRegions: o.machine.ram.map((r) => ({ start: r.start, end: r.end })),
      notes: o.machine.notes,
      topologies,
    },
    representations: accounting,
    cYardstick:
      yardstick === null
        ? { status: "off", compiler: null, flags: null, note: "not asked for (runStudy option cYardstick)" }
        : yardstick.ok
          ? { status: "ran", compiler: yardstick.compiler, flags: C_FLAGS.join(" "), note: null }
          : { status: "skipped", compiler: null, flags: null, note: yardstick.note },
    workloads,
    skipped,
    mappings,
    findings: computeFindings(workloads, mappings),
    verdicts: computeVerdicts(workloads, mappings),
  };
}

import type { ChunkBytes } from "@rlist/list";
import { exampleP2pMachine } from "../machine/example-p2p.js";
import type { Machine } from "../machine/host.js";
import { bioVec, bioVecPage } from "../representations/bvec.js";
import { jsObjects } from "../representations/js-objects.js";
import { pageArray } from "../representations/page-array.js";
import { fixed16Representation, rlistRepresentation } from "../representations/rlist.js";
import { scatterlist } from "../representations/scatterlist.js";
import type { Representation } from "../representations/types.js";
import { pagesTouched } from "../workloads/range-set.js";
import type { WorkloadId } from "../workloads/workload.js";
import { computeFindings, workloadFindings } from "./findings.js";
import { mapWorkload } from "./mapping.js";
import { measure } from "./measure.js";
import { type Prepared, prepareWorkload } from "./prepare.js";
import {
  type MappingResult,
  RESULTS_SCHEMA,
  type StudyResults,
  type TopologyResult,
  type WorkloadResult,
} from "./results.js";
import { summarizeP2pMachine, summarizeTopology } from "./topology.js";

export interface StudyOptions {
  readonly entries: number;
  readonly seed: number;
  readonly chunkBytes: readonly ChunkBytes[];
  readonly workloads: readonly WorkloadId[];
  readonly runs: number;
  readonly liveBytes: number;
  readonly machine: Machine;
  /** Label of the machine source for params ("host", "example", "sysroot:<dir>"). */
  readonly machineLabel: string;
  /** Also map each workload for its devices (default true). */
  readonly mappings?: boolean;
  /** Time budget per timed figure, ns (default 150 ms). */
  readonly budgetNs?: number;
  readonly version: string;
  /** Progress: a step finished. */
  readonly onStep?: (done: number, total: number, label: string) => void;
  /** Something the user should know (a skipped workload, a fallback). */
  readonly onNote?: (message: string) => void;
  /** Each workload once it is generated (or observed), before it is measured. */
  readonly onPrepared?: (p: Prepared) => void;
}

/** The representations compared, for one prepared workload. */
export function representationsFor(p: Prepared, chunkBytes: readonly ChunkBytes[]): Representation[] {
  return [
    ...chunkBytes.map((c) => rlistRepresentation(c, p.ctx)),
    fixed16Representation(),
    bioVec,
    bioVecPage,
    scatterlist,
    pageArray,
    jsObjects,
  ];
}

/** Runs the whole study: generate, build, measure, map, summarize. */
export function runStudy(o: StudyOptions): StudyResults {
  const budgetNs = o.budgetNs ?? 150e6;
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
    });
    if ("skipped" in p) {
      skipped.push({ id, reason: p.skipped });
      o.onNote?.(p.skipped);
    } else {
      prepared.push(p);
      o.onPrepared?.(p);
    }
  }
  const repCount = o.chunkBytes.length + 6;
  const mapSteps = o.mappings === false ? 0 : prepared.length;
  const total = prepared.length * repCount + mapSteps;
  let done = 0;
  const step = (label: string) => o.onStep?.(++done, total, label);

  const accounting: { id: string; label: string; accounting: string }[] = [];
  const workloads: WorkloadResult[] = prepared.map((p) => {
    const w = p.workload;
    const reps = representationsFor(p, o.chunkBytes);
    if (accounting.length === 0)
      accounting.push(...reps.map((r) => ({ id: r.id, label: r.label, accounting: r.accounting })));
    const representations = reps.map((rep) => {
      const r = measure(rep, w, { runs: o.runs, budgetNs });
      step(`${w.id} / ${rep.id}`);
      return r;
    });
    const result = {
      id: w.id,
      title: w.title,
      summary: w.summary,
      groupNoun: w.groupNoun,
      groups: w.ranges.groups,
      ranges: w.ranges.count,
      bytes: w.bytes,
      pages: pagesTouched(w.ranges),
      facts: w.facts,
      representations,
    };
    return { ...result, findings: workloadFindings({ ...result, findings: [] }) };
  });

  const mappings: MappingResult[] = [];
  if (o.mappings !== false) {
    for (const p of prepared) {
      mappings.push(...mapWorkload(p, p2p, { runs: o.runs, budgetNs }));
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
    workloads,
    skipped,
    mappings,
    findings: computeFindings(workloads, mappings),
  };
}

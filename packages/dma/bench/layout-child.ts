/**
 * The measuring half of bench/layout.ts, run by plain `node` after bundling: imports the driver
 * bundles of the current code and of the baseline revision, builds the same inputs for both, and
 * times every workload for both sides interleaved round by round (warm-up rounds first, not
 * kept). Each sample is the best of `reps` runs. Prints one JSON object.
 *
 *   node layout-child.mjs <current.mjs> <baseline.mjs> '<config json>'
 */
import { pathToFileURL } from "node:url";
import type * as DriversModule from "./layout-drivers.js";
import { rng } from "./timing.js";

type Drivers = typeof DriversModule;

export interface LayoutConfig {
  entries: number;
  seeks: number;
  rounds: number;
  warm: number;
  reps: number;
  /** Only the workloads whose name contains this (all when absent). */
  only?: string | undefined;
  /**
   * Load the baseline's bundle first, build its inputs first and let it go first in even rounds:
   * the parent alternates this over its processes, so no side keeps whatever advantage (code
   * placement, heap state) the first-loaded side gets in one process.
   */
  baselineFirst: boolean;
}

export interface LayoutSample {
  workload: string;
  /** Entries (or seeks) one run handles: the ns figures are per item. */
  items: number;
  currentNs: number[];
  baselineNs: number[];
}

const [curPath, basePath, cfgJson] = process.argv.slice(2) as [string, string, string];
const cfg = JSON.parse(cfgJson) as LayoutConfig;
const load = async (p: string): Promise<Drivers> =>
  ((await import(pathToFileURL(p).href)) as { drivers: Drivers }).drivers;
// The dynamic imports run in this order, so each side's module and its closures are created first
// or second as the config says.
const [cur, base] = cfg.baselineFirst
  ? await load(basePath).then(async (b) => [await load(curPath), b] as const)
  : await load(curPath).then(async (c) => [c, await load(basePath)] as const);

/** Mixed forms, most 8-byte (a page list), some 16 and 24: `mix8` is the share of 8-byte ones. */
function inputs(n: number, mix8: number, seed: number): DriversModule.Inputs {
  const r = rng(seed);
  const inp = {
    type: new Uint8Array(n),
    length: new Float64Array(n),
    base: new Float64Array(n),
    offset: new Float64Array(n),
    extra: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    const x = r();
    inp.type[i] = i & 1;
    if (x < mix8) {
      inp.length[i] = 4096;
      inp.base[i] = 8192 * i; // below 2^32, with a gap: nothing merges
    } else if (x < mix8 + (1 - mix8) / 2) {
      inp.length[i] = 4096 + Math.floor(r() * 2 ** 30);
      inp.base[i] = 2 ** 40 + i * 2 ** 31;
      inp.offset[i] = Math.floor(r() * 2 ** 24);
    } else {
      // 24 bytes for the extra (and offsets past 2^24); bases and the total stay below 2^53.
      inp.length[i] = 2 ** 29 + Math.floor(r() * 2 ** 20);
      inp.base[i] = 2 ** 45 + (i & 0xfff) * 2 ** 38;
      inp.offset[i] = Math.floor(r() * 2 ** 32);
      inp.extra[i] = 1 + Math.floor(r() * 1000);
    }
  }
  return inp;
}

const pages8 = inputs(cfg.entries, 1, 1);
const mixed = inputs(cfg.entries, 0.5, 2);
const words = new Uint32Array(cfg.entries * 6 + 8);
const pfns = new Float64Array(cfg.entries);
{
  const r = rng(42);
  for (let i = 0; i < cfg.entries; i++) pfns[i] = 2 ** 20 + Math.floor(r() * 2 ** 26);
}

interface Side {
  d: Drivers;
  pagesList: ReturnType<Drivers["appendAll"]>;
  mixedList: ReturnType<Drivers["appendAll"]>;
  cpu: ReturnType<Drivers["cpuPages"]>;
  pageTargets: Float64Array;
  cpuTargets: Float64Array;
}

function targets(total: number, seed: number): Float64Array {
  const r = rng(seed);
  const t = new Float64Array(cfg.seeks);
  for (let i = 0; i < t.length; i++) t[i] = Math.floor(r() * total);
  return t;
}

const buildOrder = cfg.baselineFirst ? [base, cur] : [cur, base];
const built: Side[] = buildOrder.map((d) => {
  const pagesList = d.appendAll(pages8);
  const cpu = d.cpuPages(pfns);
  return {
    d,
    pagesList,
    mixedList: d.appendAll(mixed),
    cpu,
    pageTargets: targets(pagesList.totalLength, 5),
    cpuTargets: targets(cpu.length, 6),
  };
});
/** sides[0] is the current code, sides[1] the baseline's, whichever was built first. */
const sides: Side[] = cfg.baselineFirst ? [built[1]!, built[0]!] : built;

let sink = 0;
const allWorkloads: { name: string; items: number; run: (s: Side) => number }[] = [
  { name: "encode (mixed forms)", items: cfg.entries, run: (s) => s.d.encodeAll(mixed, words) },
  {
    name: "decode (mixed forms)",
    items: cfg.entries,
    run: (s) => s.d.decodeAll(words, s.d.encodeAll(mixed, words)),
  },
  { name: "list append (8 B)", items: cfg.entries, run: (s) => s.d.appendAll(pages8).count },
  { name: "list append (mixed)", items: cfg.entries, run: (s) => s.d.appendAll(mixed).count },
  { name: "list cursor walk (8 B)", items: cfg.entries, run: (s) => s.d.iterate(s.pagesList) },
  { name: "list cursor walk (mixed)", items: cfg.entries, run: (s) => s.d.iterate(s.mixedList) },
  { name: "list seek", items: cfg.seeks, run: (s) => s.d.seekAll(s.pagesList, s.pageTargets) },
  { name: "dma CPU cursor walk", items: cfg.entries, run: (s) => s.d.cpuWalk(s.cpu) },
  { name: "dma CPU cursor seek", items: cfg.seeks, run: (s) => s.d.cpuSeekAll(s.cpu, s.cpuTargets) },
  // CpuRangeList.fromPfns: appendPage per page, one pgmap range lookup each
  { name: "dma CPU append pages", items: cfg.entries, run: (s) => s.d.cpuPages(pfns).count },
  { name: "dma pgmapIdOf", items: cfg.entries, run: (s) => s.d.pgmapIds(s.cpu, pfns) },
  { name: "dma rangePgmapId", items: cfg.entries, run: (s) => s.d.rangePgmapIds(s.cpu, pfns) },
];
const workloads = allWorkloads.filter((w) => cfg.only === undefined || w.name.includes(cfg.only));
if (workloads.length === 0) throw new Error(`no workload name contains ${JSON.stringify(cfg.only)}`);

// Both sides must compute the same thing.
for (const w of workloads) {
  const a = w.run(sides[0]!);
  const b = w.run(sides[1]!);
  if (a !== b) throw new Error(`${w.name}: current ${a} != baseline ${b}`);
}

const samples: LayoutSample[] = workloads.map((w) => ({
  workload: w.name,
  items: w.items,
  currentNs: [],
  baselineNs: [],
}));

function best(w: (typeof workloads)[number], s: Side): number {
  let bestNs = Number.POSITIVE_INFINITY;
  for (let i = 0; i < cfg.reps; i++) {
    const t0 = process.hrtime.bigint();
    sink += w.run(s);
    const ns = Number(process.hrtime.bigint() - t0);
    if (ns < bestNs) bestNs = ns;
  }
  return bestNs / w.items;
}

for (let round = 0; round < cfg.warm + cfg.rounds; round++) {
  const keep = round >= cfg.warm;
  // Alternate which side goes first, so neither always runs on a warmer cache.
  const order = (round % 2 === 0) !== cfg.baselineFirst ? [0, 1] : [1, 0];
  for (let k = 0; k < workloads.length; k++) {
    const w = workloads[k]!;
    for (const i of order) {
      const ns = best(w, sides[i]!);
      if (keep) (i === 0 ? samples[k]!.currentNs : samples[k]!.baselineNs).push(ns);
    }
  }
}

process.stdout.write(JSON.stringify({ samples, sink: sink === 0.5 ? 1 : 0 }));

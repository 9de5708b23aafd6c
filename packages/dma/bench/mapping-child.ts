/**
 * The measuring half of bench/mapping.ts, run by plain `node` after bundling: imports the driver
 * bundles of the current code and of the baseline revision, builds the same lists with each, and
 * times them interleaved round by round (warm-up rounds first, not kept). Prints one JSON object.
 *
 *   node mapping-child.mjs <current.mjs> <baseline.mjs> '<config json>'
 */
import { pathToFileURL } from "node:url";
import type * as DriversModule from "./drivers.js";
import { rng } from "./timing.js";

type Drivers = typeof DriversModule;
type Path = "iommu-linear" | "iommu-per-entry" | "direct" | "direct-per-entry";

export interface ChildConfig {
  pages: number;
  folios: number;
  rounds: number;
  warm: number;
  smallEntries: number;
  smallSampleMs: number;
  smallRounds: number;
}

export interface LargeSample {
  side: "current" | "baseline";
  list: "4K pages" | "2M folios";
  path: Path;
  took: string;
  entries: number;
  pages4k: number;
  walkNs: number[];
  mapNs: number[];
  unmapNs: number[];
}

export interface SmallSample {
  path: Path;
  entries: number;
  currentNs: number[];
  baselineNs: number[];
}

const [curPath, basePath, cfgJson] = process.argv.slice(2) as [string, string, string];
const cfg = JSON.parse(cfgJson) as ChildConfig;
const load = async (p: string): Promise<Drivers> =>
  ((await import(pathToFileURL(p).href)) as { drivers: Drivers }).drivers;
const sides = [
  { side: "current" as const, d: await load(curPath) },
  { side: "baseline" as const, d: await load(basePath) },
];

// The same inputs for both sides: random 4 KiB frames, distinct random 2 MiB slots.
const RAM_PAGES = 256 * 2 ** 18;
function randomPfns(n: number, seed: number): Float64Array {
  const r = rng(seed);
  const pfns = new Float64Array(n);
  for (let i = 0; i < n; i++) pfns[i] = 2 ** 20 + Math.floor(r() * RAM_PAGES);
  return pfns;
}
const pfns = randomPfns(cfg.pages, 42);
const small = randomPfns(cfg.smallEntries, 7);
const slots = new Uint32Array(cfg.folios);
{
  const r = rng(7);
  const used = new Set<number>();
  for (let i = 0; i < cfg.folios; i++) {
    let s = Math.floor(r() * (RAM_PAGES / 512));
    while (used.has(s)) s = (s + 1) % (RAM_PAGES / 512);
    used.add(s);
    slots[i] = s;
  }
}

const built = sides.map(({ side, d }) => {
  const memory = d.newMemory();
  return {
    side,
    d,
    lists: [
      { name: "4K pages" as const, list: d.pageList(memory, pfns) },
      { name: "2M folios" as const, list: d.folioList(memory, slots) },
    ],
    small: d.pageList(memory, small),
  };
});

let sink = 0;
const PATHS: Path[] = ["iommu-linear", "iommu-per-entry", "direct", "direct-per-entry"];
const large: LargeSample[] = [];
for (const b of built) {
  for (const l of b.lists) {
    for (const path of PATHS) {
      large.push({
        side: b.side,
        list: l.name,
        path,
        took: "",
        entries: l.list.count,
        pages4k: l.list.length / 4096,
        walkNs: [],
        mapNs: [],
        unmapNs: [],
      });
    }
  }
}

function options(d: Drivers, list: DriversModule.CpuListOf, path: Path) {
  return path === "direct-per-entry" ? d.mapOptions(list, "iommu-per-entry") : d.mapOptions(list, path);
}

for (let round = 0; round < cfg.warm + cfg.rounds; round++) {
  const keep = round >= cfg.warm;
  for (const b of built) {
    for (const l of b.lists) {
      for (const path of PATHS) {
        const row = large.find((x) => x.side === b.side && x.list === l.name && x.path === path)!;
        const opts = options(b.d, l.list, path);
        // The walk rate of this round: the fastest of three walks just before the map (the
        // conservative choice: a slow walk would flatter the map / walk ratio).
        let walkNs = Number.POSITIVE_INFINITY;
        for (let i = 0; i < 3; i++) {
          const t0 = process.hrtime.bigint();
          sink += b.d.walk(l.list);
          walkNs = Math.min(walkNs, Number(process.hrtime.bigint() - t0));
        }
        const t = b.d.mapOnce(l.list, path === "direct-per-entry" ? "direct" : path, opts);
        row.took = t.path;
        if (keep) {
          row.walkNs.push(walkNs);
          row.mapNs.push(t.mapNs);
          row.unmapNs.push(t.unmapNs);
        }
      }
    }
  }
}

// Small lists: one long-lived device per side and path (a driver's device), many calls per sample
// (about `smallSampleMs` each, calibrated per path on the current side).
const smallRows: SmallSample[] = PATHS.map((path) => ({
  path,
  entries: built[0]!.small.count,
  currentNs: [],
  baselineNs: [],
}));
const devices = built.map((b) =>
  PATHS.map((path) => ({
    device: b.d.newDevice(path === "direct-per-entry" ? "direct" : path),
    opts: options(b.d, b.small, path),
  })),
);
const calls = PATHS.map((_, p) => {
  const { device, opts } = devices[0]![p]!;
  for (let i = 0; i < 5; i++) built[0]!.d.mapUnmapNs(device, built[0]!.small, opts, 200);
  const ns = built[0]!.d.mapUnmapNs(device, built[0]!.small, opts, 500);
  return Math.max(200, Math.ceil((cfg.smallSampleMs * 1e6) / ns));
});
for (let round = 0; round < cfg.warm * 5 + cfg.smallRounds; round++) {
  const keep = round >= cfg.warm * 5;
  for (let p = 0; p < PATHS.length; p++) {
    for (let s = 0; s < built.length; s++) {
      const b = built[s]!;
      const { device, opts } = devices[s]![p]!;
      const ns = b.d.mapUnmapNs(device, b.small, opts, calls[p]!);
      if (keep) (s === 0 ? smallRows[p]!.currentNs : smallRows[p]!.baselineNs).push(ns);
    }
  }
}

process.stdout.write(`${JSON.stringify({ large, small: smallRows, sink: sink > 0 })}\n`);

/**
 * The measuring half of bench/baseline.ts, run by plain `node` after bundling: the current and
 * the baseline bvec code, each over its own workload built from the same seed, interleaved round
 * by round (warm-up rounds first, not kept). Prints one JSON object of seconds per row and side.
 *
 *   node baseline-child.mjs <current.mjs> <baseline.mjs> <bios> <rounds>
 */
import { pathToFileURL } from "node:url";
import type * as DriversModule from "./drivers.js";

type Drivers = typeof DriversModule;

const [curPath, basePath, biosArg, roundsArg] = process.argv.slice(2) as [string, string, string, string];
const load = async (p: string): Promise<Drivers> =>
  ((await import(pathToFileURL(p).href)) as { drivers: Drivers }).drivers;
const sides = [await load(curPath), await load(basePath)].map((d) => ({ d, s: d.setup(Number(biosArg)) }));
const ROWS = [
  "adapter, list per bio",
  "adapter, one list",
  "mapRequest + unmap, 1000 requests",
  "walk bvecs (BvecCursor)",
  "walk phys_vecs (PhysVecCursor)",
] as const;
const out: Record<string, { current: number[]; baseline: number[] }> = {};
for (const r of ROWS) out[r] = { current: [], baseline: [] };
const WARM = 3;
for (let round = 0; round < WARM + Number(roundsArg); round++) {
  for (let i = 0; i < sides.length; i++) {
    const { d, s } = sides[i]!;
    const t = [
      d.adapterPerBio(s),
      d.adapterOneList(s),
      d.mapRequests(s, 1000),
      d.walkBvecs(s),
      d.walkPhysVecs(s),
    ];
    if (round < WARM) continue;
    ROWS.forEach((r, k) => {
      out[r]![i === 0 ? "current" : "baseline"].push(t[k]!);
    });
  }
}
process.stdout.write(`${JSON.stringify(out)}\n`);

/**
 * A/B of the entry-layout hot paths (issue 16: one layout module in `@rlist/encoding`, read and
 * written through small accessors): this checkout's code against a baseline revision's, side by
 * side. Workloads: variableCodec encode / decode, RangeList append (8-byte and mixed forms), the
 * list cursor walk and seek, and the DMA layer's CPU entry cursor walk and seek.
 *
 * Method: both sides are bundled by esbuild (scripts/bench-baseline.ts) and run in one plain
 * `node` child over the same inputs; every round times every workload for both sides (best of
 * `reps` runs each, the side that goes first alternating), warm-up rounds first, not kept; medians
 * with min-max over the rounds, and the current/baseline ratio of each round.
 *
 * Run: `flock /work/helpers/bench.lock pnpm --filter @rlist/dma exec tsx --conditions @rlist/source
 * bench/layout.ts` (BENCH_BASELINE=<rev> picks the baseline; BENCH_QUICK=1 smaller).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildBundles, bundleScript } from "../../../scripts/bench-baseline.js";
import type { LayoutConfig, LayoutSample } from "./layout-child.js";

const here = dirname(fileURLToPath(import.meta.url));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function mmm(xs: number[], digits: number): string {
  return `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}-${Math.max(...xs).toFixed(digits)})`;
}

const quick = process.env.BENCH_QUICK === "1";
const dir = mkdtempSync(join(tmpdir(), "rlist-layout-bench-"));
try {
  const bundles = await buildBundles(join(dir, "b"), { drivers: join(here, "layout-drivers.ts") });
  const child = join(dir, "layout-child.mjs");
  await bundleScript(join(here, "layout-child.ts"), child);
  const cfg: LayoutConfig = {
    entries: quick ? 1 << 14 : 1 << 17,
    seeks: quick ? 1 << 12 : 1 << 15,
    rounds: quick ? 5 : 15,
    warm: 3,
    reps: 3,
  };
  const out = execFileSync(
    process.execPath,
    [child, bundles.current, bundles.baseline, JSON.stringify(cfg)],
    {
      encoding: "utf8",
      maxBuffer: 64 << 20,
    },
  );
  const { samples } = JSON.parse(out) as { samples: LayoutSample[] };
  console.log(`## Entry layout A/B: this checkout vs ${bundles.baselineRev}`);
  console.log(
    `${cfg.entries} entries, ${cfg.seeks} seeks; ${cfg.rounds} rounds after ${cfg.warm} warm-up, best of ${cfg.reps} per sample; ns per entry (seek), median (min-max)\n`,
  );
  console.log("| workload | current ns | baseline ns | current/baseline per round: median (min-max) |");
  console.log("|---|---|---|---|");
  for (const s of samples) {
    const ratios = s.currentNs.map((c, i) => c / s.baselineNs[i]!);
    console.log(`| ${s.workload} | ${mmm(s.currentNs, 2)} | ${mmm(s.baselineNs, 2)} | ${mmm(ratios, 3)} |`);
  }
  console.log("\nper-round ratios (current/baseline):");
  for (const s of samples) {
    const ratios = s.currentNs.map((c, i) => (c / s.baselineNs[i]!).toFixed(2));
    console.log(`  ${s.workload}: ${ratios.join(" ")}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

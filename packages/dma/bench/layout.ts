/**
 * A/B of the entry-layout hot paths (issue 16: one layout module in `@rlist/encoding`, read and
 * written through small accessors): this checkout's code against a baseline revision's, side by
 * side. Workloads: variableCodec encode / decode, RangeList append (8-byte and mixed forms), the
 * list cursor walk and seek, the DMA layer's CPU entry cursor walk and seek, and its per-page
 * struct-page lookups (`CpuRangeList.fromPfns`, the public `pgmapIdOf` / `rangePgmapId`).
 *
 * Method: both sides are bundled by esbuild (scripts/bench-baseline.ts) and run in plain `node`
 * children over the same inputs; every round times every workload for both sides (best of `reps`
 * runs each, the side that goes first alternating), warm-up rounds first, not kept. One process can
 * favour one side by a few per cent whatever the code (an A/A run, the same revision on both
 * sides, gave per-process medians from 0.95 to 1.07), so the bench runs several children one after
 * the other, every other one loading and running the baseline first, and its verdict is the median
 * of the per-process median ratios, with their spread. `BENCH_BASELINE=HEAD` on a clean checkout is
 * the A/A run that shows the harness's own noise.
 *
 * Run: `pnpm --filter @rlist/dma bench:layout` (one benchmark process at a time on the machine).
 * Environment: BENCH_BASELINE=<rev> (default 92f04ee, the last revision before the layout module),
 * BENCH_PROCESSES=<n> children (default 6), BENCH_QUICK=1 smaller, BENCH_ONLY=<text> only the
 * workloads whose name contains it.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildBundles, bundleScript } from "../../../scripts/bench-baseline.js";
import { benchMain, parseBenchOptions } from "../../../scripts/bench-options.js";
import { median, medianRange } from "../../../scripts/bench-stats.js";
import type { LayoutConfig, LayoutSample } from "./layout-child.js";

const here = dirname(fileURLToPath(import.meta.url));
/** The last revision before `@rlist/encoding`'s layout module (c1be511): the code the A/B is against. */
const LAYOUT_BASELINE = "92f04ee";

// No command-line options: refuse any (a typo would otherwise start a long run) and answer --help.
benchMain(
  `
usage: pnpm --filter @rlist/dma bench:layout   (options come from the environment)

  BENCH_BASELINE=<rev>   the baseline revision (default ${LAYOUT_BASELINE}; HEAD on a clean tree: A/A)
  BENCH_PROCESSES=<n>    child processes, every other one running the baseline first (default 6)
  BENCH_QUICK=1          smaller inputs, fewer rounds
  BENCH_ONLY=<text>      only the workloads whose name contains it
  -h, --help             this text
`,
  (argv) => parseBenchOptions({}, argv),
);

const quick = process.env.BENCH_QUICK === "1";
const dir = mkdtempSync(join(tmpdir(), "rlist-layout-bench-"));
try {
  const bundles = await buildBundles(
    join(dir, "b"),
    { drivers: join(here, "layout-drivers.ts") },
    process.env.BENCH_BASELINE ?? LAYOUT_BASELINE,
  );
  const child = join(dir, "layout-child.mjs");
  await bundleScript(join(here, "layout-child.ts"), child);
  const processes = Number(process.env.BENCH_PROCESSES ?? (quick ? 2 : 6));
  if (!(Number.isSafeInteger(processes) && processes > 0))
    throw new Error("BENCH_PROCESSES: a positive integer");
  const base = {
    entries: quick ? 1 << 14 : 1 << 17,
    seeks: quick ? 1 << 12 : 1 << 15,
    rounds: quick ? 5 : 15,
    warm: 3,
    reps: 3,
    only: process.env.BENCH_ONLY,
  };
  // One child per process, one after the other; every other child loads and runs the baseline
  // first. Within one process a side can hold a steady edge of a few per cent that has nothing to
  // do with its code (an A/A run, the same revision on both sides, showed 0.97 and 1.14), so the
  // verdict is the spread over processes, not one process's median.
  const runs: LayoutSample[][] = [];
  for (let p = 0; p < processes; p++) {
    const cfg: LayoutConfig = { ...base, baselineFirst: p % 2 === 1 };
    const out = execFileSync(
      process.execPath,
      [child, bundles.current, bundles.baseline, JSON.stringify(cfg)],
      { encoding: "utf8", maxBuffer: 64 << 20 },
    );
    runs.push((JSON.parse(out) as { samples: LayoutSample[] }).samples);
  }
  console.log(`## Entry layout A/B: this checkout vs ${bundles.baselineRev}`);
  console.log(
    `${base.entries} entries, ${base.seeks} seeks; ${processes} processes (every other one runs the baseline first), each ${base.rounds} rounds after ${base.warm} warm-up, best of ${base.reps} per sample; ns per entry (seek), median (min-max) over all rounds\n`,
  );
  console.log(
    "| workload | current ns | baseline ns | current/baseline: median of the per-process medians | per-process medians |",
  );
  console.log("|---|---|---|---|---|");
  for (let k = 0; k < runs[0]!.length; k++) {
    const all = runs.map((r) => r[k]!);
    const cur = all.flatMap((s) => s.currentNs);
    const bas = all.flatMap((s) => s.baselineNs);
    const perProcess = all.map((s) => median(s.currentNs.map((c, i) => c / s.baselineNs[i]!)));
    console.log(
      `| ${all[0]!.workload} | ${medianRange(cur, 2)} | ${medianRange(bas, 2)} | ${medianRange(perProcess, 3)} | ${perProcess.map((r) => r.toFixed(3)).join(" ")} |`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * The bio adapter and the request mapper, this checkout's code against the baseline revision's
 * (scripts/bench-baseline.ts: main before issue 13's dma/bvec work) side by side: both bundled by
 * esbuild, run in one plain `node` child, interleaved round by round; medians with min-max, and
 * the current / baseline time ratio per round. Small requests must not pay for the dma kernels.
 *
 *   pnpm --filter @rlist/bvec bench (BENCH_ONLY=baseline for this part), BENCH_BASELINE=<rev>
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildBundles, bundleScript } from "../../../scripts/bench-baseline.js";
import { medianRange } from "../../../scripts/bench-stats.js";

const here = dirname(fileURLToPath(import.meta.url));

/** Runs the comparison and returns its table (markdown). */
export async function baselineTable(bios: number, rounds: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "rlist-bvec-bench-"));
  try {
    const b = await buildBundles(join(dir, "b"), { drivers: join(here, "drivers.ts") });
    const child = join(dir, "baseline-child.mjs");
    await bundleScript(join(here, "baseline-child.ts"), child);
    const out = execFileSync(process.execPath, [child, b.current, b.baseline, String(bios), String(rounds)], {
      encoding: "utf8",
      maxBuffer: 16 << 20,
    });
    const r = JSON.parse(out) as Record<string, { current: number[]; baseline: number[] }>;
    const lines = [
      `# bvec: current code against ${b.baselineRev} (node ${process.version}; ${bios} NVMe-style bios; medians with min-max over ${rounds} rounds)`,
      "",
      "| row | current ms | baseline ms | current / baseline |",
      "|---|---:|---:|---:|",
    ];
    for (const [row, v] of Object.entries(r)) {
      const rel = v.current.map((c, i) => c / v.baseline[i]!);
      lines.push(
        `| ${row} | ${medianRange(
          v.current.map((x) => x * 1e3),
          1,
        )} | ${medianRange(
          v.baseline.map((x) => x * 1e3),
          1,
        )} | ${medianRange(rel, 2)} |`,
      );
    }
    lines.push("");
    for (const [row, v] of Object.entries(r)) {
      const rel = v.current.map((c, i) => c / v.baseline[i]!);
      lines.push(`RATIO ${row}, current / baseline time: ${medianRange(rel, 2)}   target <= 1`);
    }
    return lines.join("\n");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(`${await baselineTable(Number(process.env.BENCH_N ?? 20_000), 11)}\n`);
}

/**
 * IOMMU and dma-direct mapping of 4 GiB CPU lists (1M random 4 KiB pages; 2048 random 2 MiB
 * folios) against the public-cursor walk of the same list, and small lists (24 random pages, an
 * NVMe request's size) mapped + unmapped, each measured for this checkout's code and for the
 * baseline revision's (scripts/bench-baseline.ts: main before issue 13's dma work) side by side.
 *
 * Method: both sides are bundled by esbuild and run in one plain `node` child; every list is built
 * by each side from the same inputs; each round walks and maps every list on every path for both
 * sides (warm-up rounds first, not kept), so every ratio is taken within a round; medians with
 * min-max over the rounds. Map times use a fresh device (a fresh IOMMU domain) per map; small
 * lists one long-lived device per path, about 10 ms of map + unmap pairs per sample. The walk
 * each map is compared with is the fastest of three walks just before it.
 *
 * Run: pnpm --filter @rlist/dma bench (BENCH_ONLY=map for this part, BENCH_QUICK=1 smaller),
 * BENCH_BASELINE=<rev> for another baseline.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildBundles, bundleScript } from "../../../scripts/bench-baseline.js";
import { median, medianRange } from "../../../scripts/bench-stats.js";
import type { ChildConfig, LargeSample, SmallSample } from "./mapping-child.js";

const here = dirname(fileURLToPath(import.meta.url));

/** "median (min-max)" of `xs` with `digits` decimals. */
function rate(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} M`;
  return `${(n / 1e3).toFixed(1)} k`;
}

export interface MappingResult {
  large: LargeSample[];
  small: SmallSample[];
  baselineRev: string;
}

export async function runMappingBench(quick: boolean): Promise<MappingResult> {
  const dir = mkdtempSync(join(tmpdir(), "rlist-dma-bench-"));
  try {
    const bundles = await buildBundles(join(dir, "b"), { drivers: join(here, "drivers.ts") });
    const child = join(dir, "mapping-child.mjs");
    await bundleScript(join(here, "mapping-child.ts"), child);
    const cfg: ChildConfig = {
      pages: quick ? 1 << 16 : 1 << 20,
      folios: quick ? 128 : 2048,
      rounds: quick ? 3 : 9,
      warm: 2,
      smallEntries: 24,
      smallSampleMs: quick ? 2 : 10,
      smallRounds: quick ? 5 : 21,
    };
    const out = execFileSync(
      process.execPath,
      [child, bundles.current, bundles.baseline, JSON.stringify(cfg)],
      {
        encoding: "utf8",
        maxBuffer: 64 << 20,
      },
    );
    const r = JSON.parse(out) as { large: LargeSample[]; small: SmallSample[] };
    return { ...r, baselineRev: bundles.baselineRev };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const PATH_NAMES: Record<string, string> = {
  "iommu-linear": "IOMMU, page list",
  "iommu-per-entry": "IOMMU, per entry",
  direct: "direct",
  "direct-per-entry": "direct, per entry",
};

/** Per round: (pages mapped / s) / (entries walked / s), the walk timed just before the map. */
function ratios(s: LargeSample): number[] {
  return s.mapNs.map((m, i) => (s.pages4k / m) * (s.walkNs[i]! / s.entries));
}

export function mappingTables(r: MappingResult): string {
  const out: string[] = [];
  const cur = r.large.filter((s) => s.side === "current");
  out.push(
    `# Mapping 4 GiB CPU lists (node ${process.version}; medians with min-max over ${cur[0]?.mapNs.length ?? 0} rounds; baseline = ${r.baselineRev})`,
  );
  out.push("");
  out.push(
    "| list | device, path (taken) | entries | map pages/s | map / walk | unmap ms | baseline map pages/s | baseline map / walk | map speed-up |",
  );
  out.push("|---|---|---:|---:|---:|---:|---:|---:|---:|");
  for (const s of cur) {
    const b = r.large.find((x) => x.side === "baseline" && x.list === s.list && x.path === s.path)!;
    const speedup = s.mapNs.map((m, i) => b.mapNs[i]! / m);
    out.push(
      `| ${s.list} | ${PATH_NAMES[s.path]} (${s.took}) | ${s.entries} | ${rate(s.pages4k / (median(s.mapNs) / 1e9))} | ` +
        `${medianRange(ratios(s), 3)} | ${medianRange(
          s.unmapNs.map((n) => n / 1e6),
          2,
        )} | ${rate(b.pages4k / (median(b.mapNs) / 1e9))} | ${medianRange(ratios(b), 3)} | ${medianRange(speedup, 2)}x |`,
    );
  }
  out.push("");
  out.push(
    "map / walk = pages mapped per second over entries walked per second by the public cursor (phys + length), both in the same round.",
  );
  const pick = (path: string) => cur.find((s) => s.list === "4K pages" && s.path === path)!;
  const walk = pick("iommu-linear");
  out.push(
    `walk of the 1M-page list: ${rate(walk.entries / (median(walk.walkNs) / 1e9))} entries/s (median; the rate every ratio divides by).`,
  );
  out.push("");
  out.push(
    `RATIO page-list map / walk, 1M random 4K pages: ${medianRange(ratios(pick("iommu-linear")), 3)}   target >= 0.5`,
  );
  out.push(
    `RATIO per-entry map / walk, 1M random 4K pages: ${medianRange(ratios(pick("iommu-per-entry")), 3)}   target >= 0.15`,
  );
  out.push("");
  out.push(
    `# Small lists: map + unmap of ${r.small[0]?.entries ?? 0} random 4 KiB pages on one device, ns per pair (medians, min-max over ${r.small[0]?.currentNs.length ?? 0} samples)`,
  );
  out.push("");
  out.push("| device, path | current ns | baseline ns | current / baseline |");
  out.push("|---|---:|---:|---:|");
  for (const s of r.small) {
    const rel = s.currentNs.map((c, i) => c / s.baselineNs[i]!);
    out.push(
      `| ${PATH_NAMES[s.path]} | ${medianRange(s.currentNs, 0)} | ${medianRange(s.baselineNs, 0)} | ${medianRange(rel, 2)} |`,
    );
  }
  out.push("");
  for (const s of r.small) {
    const rel = s.currentNs.map((c, i) => c / s.baselineNs[i]!);
    out.push(
      `RATIO small-list map+unmap current / baseline, ${PATH_NAMES[s.path]}: ${medianRange(rel, 2)}   target <= 1`,
    );
  }
  return out.join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await runMappingBench(process.env.BENCH_QUICK === "1");
  process.stdout.write(`${mappingTables(r)}\n`);
}

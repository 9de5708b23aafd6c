/**
 * Benchmarks that compare the code of this checkout with the code of an older revision side by
 * side, in one process: both are bundled with esbuild (the same way, so neither runs under a
 * loader the other does not) into ES modules that export the benchmark's driver modules (its
 * measured loops, written against the public API: `@rlist/...` imports resolve to that side's
 * packages, so each side gets its own copy of every loop); a benchmark child imports both bundles
 * and interleaves them round by round.
 *
 * The older revision comes from git (`git archive <rev>` of packages/encoding, list, dma and bvec
 * into a temp dir), so any checkout with history can rerun the comparison. `BENCH_BASELINE=<rev>`
 * picks another revision than the default.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * main just before issue 13's dma/bvec work (integer-only address math, then the dma kernels):
 * the "before" of its small-list comparisons.
 */
export const DEFAULT_BASELINE = "d6de490";

const PACKAGES = ["encoding", "list", "dma", "bvec"] as const;

/**
 * Bundles `modules` (export name -> file of this checkout) into `outFile`, their `@rlist/*`
 * imports resolved to the packages found under `root`.
 */
async function bundleWith(root: string, modules: Record<string, string>, outFile: string): Promise<void> {
  const alias: Record<string, string> = {};
  for (const p of PACKAGES) alias[`@rlist/${p}`] = join(root, "packages", p, "src", "index.ts");
  const entry = `${outFile}.entry.ts`;
  writeFileSync(
    entry,
    Object.entries(modules)
      .map(([name, file]) => `export * as ${name} from ${JSON.stringify(resolve(file))};\n`)
      .join(""),
  );
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile: outFile,
    alias,
    // Both sides compile alike, with no tsconfig lookup (the baseline's refers to files not exported).
    tsconfigRaw: "{}",
    logLevel: "warning",
  });
}

export interface Bundles {
  /** This checkout's packages. */
  current: string;
  /** The baseline revision's packages. */
  baseline: string;
  /** The revision, as resolved by git (short hash and subject). */
  baselineRev: string;
}

/**
 * Bundles `modules` twice into `outDir`: over this checkout's packages and over revision `rev`'s
 * (default {@link DEFAULT_BASELINE}, or `BENCH_BASELINE`).
 */
export async function buildBundles(
  outDir: string,
  modules: Record<string, string>,
  rev = process.env.BENCH_BASELINE ?? DEFAULT_BASELINE,
): Promise<Bundles> {
  mkdirSync(outDir, { recursive: true });
  const src = join(outDir, "baseline-src");
  mkdirSync(src, { recursive: true });
  const tar = execFileSync("git", ["-C", ROOT, "archive", rev, ...PACKAGES.map((p) => `packages/${p}`)], {
    maxBuffer: 1 << 30,
  });
  execFileSync("tar", ["-x", "-C", src], { input: tar });
  const baselineRev = execFileSync("git", ["-C", ROOT, "log", "-1", "--format=%h %s", rev], {
    encoding: "utf8",
  }).trim();
  const current = join(outDir, "current.mjs");
  const baseline = join(outDir, "baseline.mjs");
  await bundleWith(ROOT, modules, current);
  await bundleWith(src, modules, baseline);
  return { current, baseline, baselineRev };
}

/** Bundles a benchmark child script (plain `node` runs it: no loader in the measured process). */
export async function bundleScript(entry: string, outFile: string): Promise<void> {
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile: outFile,
    conditions: ["@rlist/source"],
    logLevel: "warning",
  });
}

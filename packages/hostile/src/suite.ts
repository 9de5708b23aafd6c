/**
 * A run of the suite: which cases (the small deterministic set, or every variant under several
 * seeds), in child processes, folded into the per-API table.
 */
import type { Api } from "./api.js";
import { smallVariants, variantsOf } from "./cases.js";
import type { CaseRef } from "./child.js";
import { buildRegistry, type Registry } from "./registry.js";
import { caseSeed, createRng } from "./rng.js";
import { runCases, type Verdict } from "./runner.js";
import type { EntryPoint } from "./surface.js";
import { addVerdict, emptyRow, type Row } from "./table.js";

export interface SuiteOptions {
  /** The public surface (surface.ts), computed once by the caller. */
  surface: readonly EntryPoint[];
  /** Run seeds: each case's world and valid arguments come from (seed, case index). */
  seeds: readonly number[];
  /** The small set of variants per API (the test run); or everything (slow APIs sampled). */
  small: boolean;
  /** Which APIs to run (default all). */
  include?(api: Api): boolean;
  workers?: number;
  timeoutMs?: number;
  /** V8 heap of each child process, MiB. */
  heapMiB?: number;
  onResult?(done: number, total: number, api: string): void;
}

export interface SuiteResult {
  registry: Registry;
  rows: Row[];
  cases: number;
}

export async function runSuite(o: SuiteOptions): Promise<SuiteResult> {
  const registry = buildRegistry(o.surface);
  const apis = registry.apis.filter((a) => o.include?.(a) ?? true);
  const cases: CaseRef[] = [];
  const runSeeds: number[] = [];
  for (const seed of o.seeds) {
    for (const api of apis) {
      const indexes = o.small
        ? smallVariants(api)
        : api.slow
          ? sampleVariants(api, seed)
          : variantsOf(api).map((_, i) => i);
      for (const variant of indexes) {
        cases.push({ api: api.name, variant, seed: caseSeed(seed, api.name, variant) });
        runSeeds.push(seed);
      }
    }
  }
  let done = 0;
  const verdicts = await runCases(o.surface, cases, {
    timeoutMs: o.timeoutMs ?? 20_000,
    workers: o.workers ?? 1,
    ...(o.heapMiB === undefined ? {} : { heapMiB: o.heapMiB }),
    onResult: (c) => o.onResult?.(++done, cases.length, c.api),
  });
  const rows = new Map<string, Row>(apis.map((a) => [a.name, emptyRow(a.name)]));
  const variants = new Map(apis.map((a) => [a.name, variantsOf(a)]));
  cases.forEach((c, i) => {
    const v = verdicts[i] as Verdict;
    const valid = variants.get(c.api)?.[c.variant]?.t === "valid";
    addVerdict(rows.get(c.api) as Row, v, `run seed ${runSeeds[i]}, variant ${c.variant}`, valid);
  });
  return { registry, rows: [...rows.values()], cases: cases.length };
}

/** Variants a slow API runs in the long run: the valid call, the extras and a seeded sample. */
const SLOW_SAMPLE = 16;

function sampleVariants(api: Api, seed: number): number[] {
  const all = variantsOf(api);
  const rng = createRng(seed ^ all.length);
  const keep = new Set<number>();
  all.forEach((v, i) => {
    if (v.t === "valid" || v.t === "extra") keep.add(i);
  });
  for (let n = 0; n < SLOW_SAMPLE && keep.size < all.length; n++) keep.add(rng.int(all.length));
  return [...keep].sort((a, b) => a - b);
}

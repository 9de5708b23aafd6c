/**
 * CpuRangeList micro-benchmark: building and walking lists of 1e4, 1e5 and 1e6 scattered 4 KiB
 * pages (one entry per page), side by side in one run, best of N interleaved rounds:
 *
 * - RangeList cursor: the raw `@rlist/list` cursor over the same store (`base` + `length`), the floor;
 * - entry cursor: `CpuRangeList.cursor()` reading `phys` + `length` (`rlscpu_for_each_entry`);
 * - page cursor: `pageCursor()` reading `phys` + `length` (one page per entry here);
 * - appendPage: one `appendPage(pfn, 0, 4096)` per page into a new list;
 * - fromPfns: `CpuRangeList.fromPfns()` over a Float64Array of pfns (the GUP page-array case);
 * - seek: `cursor.seek(position)` at 4096 random byte positions, ns per seek; "hot": 64 random
 *   positions sought 64 times each, so the chunks and index they touch stay in cache (what is left
 *   is the O(log chunks) search and the scan of one chunk; the difference is cache misses).
 *
 * Run alone: pnpm tsx --conditions @rlist/source packages/dma/bench/cpu-list.ts
 * (BENCH_QUICK=1: 1e4 and 1e5 only, fewer rounds)
 */
import type { RangeList } from "@rlist/list";
import { CpuRangeList } from "../src/cpu/cpu-range-list.js";
import { PhysicalMemory } from "../src/memory/physical-memory.js";
import { bestOfInterleaved, type Kernel, rng, sinkValue } from "./timing.js";

const PS = 4096;
const RAM_START = 2 ** 32;
const RAM_BYTES = 2 ** 40;
const SEEKS = 4096;

export interface CpuListRow {
  entries: number;
  /** Entries per second. */
  rangeListCursor: number;
  entryCursor: number;
  pageCursor: number;
  appendPage: number;
  fromPfns: number;
  /** Nanoseconds per seek, random targets. */
  seekNs: number;
  /** Nanoseconds per seek, 64 targets sought 64 times (cache-hot). */
  seekHotNs: number;
}

function scatteredPfns(n: number, seed: number): Float64Array {
  const r = rng(seed);
  const first = RAM_START / PS;
  const pages = RAM_BYTES / PS;
  const pfns = new Float64Array(n);
  // Even pfns only, distinct enough that no two neighbours merge: one entry per page.
  for (let i = 0; i < n; i++) pfns[i] = first + 2 * Math.floor((r() * pages) / 2);
  for (let i = 1; i < n; i++) if (pfns[i] === pfns[i - 1]! + 1) pfns[i]! += 2;
  return pfns;
}

// One function per kernel, each with its repeat loop inside, so every loop stays monomorphic and
// V8 compiles the whole kernel (cursor creation included) as one unit.

function walkRangeList(store: RangeList, reps: number): number {
  let s = 0;
  for (let r = 0; r < reps; r++) {
    const c = store.cursor();
    for (let ok = c.reset(); ok; ok = c.next()) s += c.base + c.length;
  }
  return s;
}

function walkEntries(list: CpuRangeList, reps: number): number {
  let s = 0;
  for (let r = 0; r < reps; r++) {
    const c = list.cursor();
    for (let ok = c.reset(); ok; ok = c.next()) s += c.phys + c.length;
  }
  return s;
}

function walkPages(list: CpuRangeList, reps: number): number {
  let s = 0;
  for (let r = 0; r < reps; r++) {
    const c = list.pageCursor();
    for (let ok = c.reset(); ok; ok = c.next()) s += c.phys + c.length;
  }
  return s;
}

function appendPages(memory: PhysicalMemory, pfns: Float64Array, reps: number): number {
  let n = 0;
  for (let r = 0; r < reps; r++) {
    const list = new CpuRangeList(memory);
    for (let i = 0; i < pfns.length; i++) list.appendPage(pfns[i]!, 0, PS);
    n += list.count;
    list.clear();
  }
  return n;
}

function buildFromPfns(memory: PhysicalMemory, pfns: Float64Array, reps: number): number {
  let n = 0;
  for (let r = 0; r < reps; r++) {
    const list = CpuRangeList.fromPfns(memory, pfns);
    n += list.count;
    list.clear();
  }
  return n;
}

function seekAll(list: CpuRangeList, targets: Float64Array): number {
  const c = list.cursor();
  let s = 0;
  for (let i = 0; i < targets.length; i++) {
    c.seek(targets[i]!);
    s += c.index;
  }
  return s;
}

/** Runs every kernel at each size; returns one row per size. */
export function runCpuListBench(sizes: readonly number[], rounds: number, log = true): CpuListRow[] {
  const memory = new PhysicalMemory({ regions: [{ start: RAM_START, size: RAM_BYTES, kind: "ram" }] });
  const rows: CpuListRow[] = [];
  // Warm every kernel up on a mid-sized list first (V8 settles on its final code for these loops
  // only after a few long runs), so the first size is not timed with colder code than the others.
  const warm = CpuRangeList.fromPfns(memory, scatteredPfns(200_000, 1));
  warm.seal();
  const warmPfns = scatteredPfns(20_000, 2);
  const warmTargets = Float64Array.from({ length: 256 }, (_, i) => Math.floor((i * warm.length) / 256));
  for (let i = 0; i < 10; i++) {
    sinkValue(walkRangeList(warm.store as RangeList, 1) + walkEntries(warm, 1) + walkPages(warm, 1));
    sinkValue(appendPages(memory, warmPfns, 1) + buildFromPfns(memory, warmPfns, 1));
    sinkValue(seekAll(warm, warmTargets));
  }
  warm.clear();
  for (const n of sizes) {
    const pfns = scatteredPfns(n, n);
    const list = CpuRangeList.fromPfns(memory, pfns);
    list.seal();
    if (list.count !== n) throw new Error(`expected ${n} entries, got ${list.count}`);
    const store = list.store as RangeList;
    const r = rng(7);
    const targets = Float64Array.from({ length: SEEKS }, () => Math.floor(r() * list.length));
    const hot = Float64Array.from({ length: SEEKS }, (_, i) => targets[i % 64]!);
    // Short lists are timed more often (a walk of 1e4 entries is tens of microseconds).
    const reps = Math.max(1, Math.round(1e6 / n));
    const builds = Math.max(1, Math.round(reps / 4));
    const kernels: Kernel[] = [
      { name: "rangeList", run: () => sinkValue(walkRangeList(store, reps)) },
      { name: "entry", run: () => sinkValue(walkEntries(list, reps)) },
      { name: "page", run: () => sinkValue(walkPages(list, reps)) },
      { name: "append", run: () => sinkValue(appendPages(memory, pfns, builds)) },
      { name: "fromPfns", run: () => sinkValue(buildFromPfns(memory, pfns, builds)) },
      { name: "seek", run: () => sinkValue(seekAll(list, targets)) },
      { name: "seekHot", run: () => sinkValue(seekAll(list, hot)) },
    ];
    const best = bestOfInterleaved(kernels, rounds);
    const perSec = (name: string, times: number) => (n * times) / best.get(name)!;
    const row: CpuListRow = {
      entries: n,
      rangeListCursor: perSec("rangeList", reps),
      entryCursor: perSec("entry", reps),
      pageCursor: perSec("page", reps),
      appendPage: perSec("append", builds),
      fromPfns: perSec("fromPfns", builds),
      seekNs: (best.get("seek")! * 1e9) / SEEKS,
      seekHotNs: (best.get("seekHot")! * 1e9) / SEEKS,
    };
    rows.push(row);
    list.clear();
    if (log) process.stderr.write(`cpu-list ${n} entries done\n`);
  }
  return rows;
}

const M = (v: number) => `${(v / 1e6).toFixed(1)} M`;

/** The rows as a Markdown table, with the entry/page cursor ratios to the raw RangeList cursor. */
export function cpuListTable(rows: readonly CpuListRow[]): string {
  const out = [
    "| entries | RangeList cursor /s | entry cursor /s | entry / raw | page cursor /s | page / raw | appendPage /s | fromPfns /s | seek ns | seek ns, hot |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const r of rows) {
    out.push(
      `| ${r.entries.toExponential(0)} | ${M(r.rangeListCursor)} | ${M(r.entryCursor)} | ${(r.entryCursor / r.rangeListCursor).toFixed(2)} | ` +
        `${M(r.pageCursor)} | ${(r.pageCursor / r.rangeListCursor).toFixed(2)} | ${M(r.appendPage)} | ${M(r.fromPfns)} | ${r.seekNs.toFixed(0)} | ${r.seekHotNs.toFixed(0)} |`,
    );
  }
  return out.join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.env.BENCH_QUICK === "1";
  const rows = runCpuListBench(quick ? [1e4, 1e5] : [1e4, 1e5, 1e6], quick ? 3 : 7);
  process.stdout.write(`# CpuRangeList (Node ${process.version})\n\n${cpuListTable(rows)}\n`);
}

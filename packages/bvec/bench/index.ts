/**
 * Bio -> CpuRangeList adapter benchmark: range lists built from NVMe-style bios (128 KiB, 4 KiB
 * segments, 10% starting mid-page), best of RUNS passes. Run: pnpm --filter @rlist/bvec bench
 *
 * Rows, measured side by side in one process:
 * - walk bvecs: the floor, `bio_for_each_bvec` over every bio, no list;
 * - walk phys_vecs: the adapter's merge step alone (contiguous bvecs folded, no list);
 * - adapter, one list: `bioToCpuRangeList` over the whole workload as one bio chain;
 * - appendPage/bvec: one `appendPage` per bvec into one list, the list's own merge doing the work
 *   (the prototype's one-entry-per-bvec walk plus rlist_cpu's append-time merge);
 * - adapter, list per bio: a `CpuRangeList` per bio (one request each), and the cost of just
 *   constructing that many lists.
 * Then memory: entries against bvecs, bytes per entry against bio_vec's 16 bytes. Last, the
 * adapter and the request mapper against the baseline revision's code side by side
 * (bench/baseline.ts). BENCH_ONLY=baseline runs that part alone.
 */

import { CpuRangeList, PhysicalMemory } from "@rlist/dma";
import { benchMain, parseBenchOptions } from "../../../scripts/bench-options.js";
import {
  Bio,
  BVEC_BYTES,
  BvecCursor,
  bioToCpuRangeList,
  PhysVecCursor,
  UNLIMITED_PHYS_VEC,
} from "../src/index.js";
import { baselineTable } from "./baseline.js";
import { nvmeWorkload } from "./nvme-bios.js";
import { storeFigures } from "./store.js";

// No command-line options: refuse any (a typo would otherwise start a long run) and answer --help.
benchMain(
  `
usage: pnpm --filter @rlist/bvec bench   (options come from the environment)

  BENCH_N=<bios>          NVMe bios built and walked (default 100000)
  BENCH_RUNS=<n>          passes, best kept (default 5)
  BENCH_ONLY=baseline     only the comparison with the baseline revision
  BENCH_BASELINE=<rev>    the baseline revision
  -h, --help              this text
`,
  (argv) => parseBenchOptions({}, argv),
);

const N = Number(process.env.BENCH_N ?? 100_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

const fmt = (v: number, digits = 1) => v.toLocaleString("en-US", { maximumFractionDigits: digits });

/** Best-of-RUNS wall time in seconds of `fn`. */
function best(fn: () => void): number {
  let bestNs = Number.POSITIVE_INFINITY;
  for (let r = 0; r < RUNS; r++) {
    const t0 = process.hrtime.bigint();
    fn();
    const ns = Number(process.hrtime.bigint() - t0);
    if (ns < bestNs) bestNs = ns;
  }
  return bestNs / 1e9;
}

if (process.env.BENCH_ONLY === "baseline") {
  console.log(await baselineTable(N, 11));
  process.exit(0);
}

const t0 = process.hrtime.bigint();
const w = nvmeWorkload(N);
const genS = Number(process.hrtime.bigint() - t0) / 1e9;
const memory = new PhysicalMemory({ regions: [{ start: 0, size: 2 ** 40, kind: "ram" }] });

console.log(
  `workload: ${fmt(N, 0)} bios x 128 KiB, ${fmt(w.bvecs, 0)} bvecs (4 KiB segments), ` +
    `${fmt(w.unaligned, 0)} start mid-page; generated in ${fmt(genS, 2)} s`,
);

// Totals from one pass (also the correctness anchor for the timed rows).
let entries = 0;
let bvecs = 0;
for (const bio of w.bios) {
  const r = bioToCpuRangeList(memory, bio, { chain: false });
  entries += r.entries;
  bvecs += r.bvecs;
  r.list.clear();
}

let sink = 0;
const walk = best(() => {
  const c = new BvecCursor();
  for (const bio of w.bios) for (let ok = c.reset(bio); ok; ok = c.next()) sink += c.len;
});
const physWalk = best(() => {
  const c = new PhysVecCursor();
  for (const bio of w.bios)
    for (let ok = c.reset(bio, UNLIMITED_PHYS_VEC, null, false); ok; ok = c.next()) sink += c.len;
});
// One list for the whole workload: what the adapter itself costs per bvec and per entry.
const head = Bio.chain(w.bios);
const chainOne = best(() => {
  const r = bioToCpuRangeList(memory, head);
  sink += r.entries;
  r.list.clear();
});
const perBvecOne = best(() => {
  const c = new BvecCursor();
  const list = new CpuRangeList(memory);
  for (let ok = c.reset(head, true); ok; ok = c.next()) list.appendPage(c.page, c.offset, c.len);
  sink += list.count;
  list.clear();
});
// A list per bio (one request each): adds a CpuRangeList construction per bio.
const adapter = best(() => {
  for (const bio of w.bios) {
    const r = bioToCpuRangeList(memory, bio, { chain: false });
    sink += r.entries;
    r.list.clear();
  }
});
const construct = best(() => {
  for (let i = 0; i < N; i++) {
    const list = new CpuRangeList(memory);
    sink += list.count;
    list.clear();
  }
});

const oneEntries = oneList().entries;
// [row, seconds, entries the row produces (phys_vecs for the walk rows)]
const rows: [string, number, number][] = [
  ["walk bvecs (floor)", walk, bvecs],
  ["walk phys_vecs (merge)", physWalk, oneEntries],
  ["adapter, one list", chainOne, oneEntries],
  ["appendPage/bvec, one", perBvecOne, oneEntries],
  ["adapter, list per bio", adapter, entries],
  ["new CpuRangeList x N", construct, 0],
];
console.log("\nthroughput (best of %d; rates count the whole workload per row)", RUNS);
console.log("row                       bios/s      bvecs/s     entries/s   GB/s described  time vs adapter");
for (const [name, s, n] of rows) {
  console.log(
    `${name.padEnd(24)} ${fmt(N / s, 0).padStart(10)}  ${fmt(bvecs / s, 0).padStart(11)}  ` +
      `${fmt(n / s, 0).padStart(11)}  ${fmt(w.bytes / s / 1e9, 1).padStart(14)}  ${fmt(s / chainOne, 2).padStart(14)}`,
  );
}

// Memory: the whole workload as one chain in one list, for each chunk size.
console.log("\nmemory (the %s bios as one chain in one list)", fmt(N, 0));
const one = oneList();
console.log(`  bvecs (prototype: one entry each)  ${fmt(one.bvecs, 0)}`);
console.log(`  entries after merging              ${fmt(one.entries, 0)}`);
console.log(
  `  saved by merging                   ${fmt(one.saved, 0)} (${fmt((100 * one.saved) / one.bvecs, 1)}% of bvecs)`,
);
console.log(`  per-bio lists, summed entries      ${fmt(entries, 0)} (saved ${fmt(bvecs - entries, 0)})`);
const bioVecBytes = one.bvecs * BVEC_BYTES;
console.log(`  bio_vec array                      ${fmt(bioVecBytes, 0)} B = 16 B/bvec`);
for (const chunkBytes of [128, 512, 4096] as const) {
  const r = bioToCpuRangeList(memory, head, { chunkBytes });
  const f = storeFigures(r.list);
  console.log(
    `  rlist, ${String(chunkBytes).padStart(4)}-byte chunks         ${fmt(f.bytesInUse, 0)} B = ` +
      `${fmt(f.bytesPerEntry, 2)} B/entry (${fmt(100 * f.efficiency, 1)}% entry bytes; ` +
      `8 B: ${fmt(f.byForm[8], 0)}, 16 B: ${fmt(f.byForm[16], 0)}, 24 B: ${fmt(f.byForm[24], 0)}); ` +
      `${fmt(f.bytesInUse / bioVecBytes, 3)}x the bio_vec bytes`,
  );
  r.list.clear();
}
if (sink === -1) console.log(sink);

function oneList() {
  const r = bioToCpuRangeList(memory, head);
  r.list.clear();
  return r;
}

console.log("");
console.log(await baselineTable(N, 11));

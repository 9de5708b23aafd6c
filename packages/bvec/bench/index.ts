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
 * Then memory: entries against bvecs, bytes per entry against bio_vec's 16 bytes.
 */

import { CpuRangeList, PhysicalMemory } from "@rlist/dma";
import {
  Bio,
  BVEC_BYTES,
  BvecCursor,
  bioToCpuRangeList,
  PhysVecCursor,
  UNLIMITED_PHYS_VEC,
} from "../src/index.js";
import { nvmeWorkload } from "./nvme-bios.js";
import { encodedBytes, listStoreStats, newStore } from "./store.js";

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
}

let sink = 0;
const walk = best(() => {
  const c = new BvecCursor();
  for (const bio of w.bios) for (c.reset(bio); c.next(); ) sink += c.len;
});
const physWalk = best(() => {
  const c = new PhysVecCursor();
  for (const bio of w.bios) for (c.reset(bio, UNLIMITED_PHYS_VEC, null, false); c.next(); ) sink += c.len;
});
// One list for the whole workload: what the adapter itself costs per bvec and per entry.
const head = Bio.chain(w.bios);
const chainOne = best(() => {
  sink += bioToCpuRangeList(memory, head).entries;
});
const perBvecOne = best(() => {
  const c = new BvecCursor();
  const list = new CpuRangeList(memory);
  for (c.reset(head, true); c.next(); ) list.appendPage(c.page, c.offset, c.len);
  sink += list.count;
});
// A list per bio (one request each): adds a CpuRangeList construction per bio.
const adapter = best(() => {
  for (const bio of w.bios) sink += bioToCpuRangeList(memory, bio, { chain: false }).entries;
});
const construct = best(() => {
  for (let i = 0; i < N; i++) sink += new CpuRangeList(memory).count;
});

const oneEntries = bioToCpuRangeList(memory, head).entries;
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

// Memory: the whole workload as one chain, stored in one list.
const store = newStore();
const one = bioToCpuRangeList(memory, head, store === undefined ? {} : { store });
one.list.seal();
const st = listStoreStats(one.list);
const enc = encodedBytes(one.list);
console.log("\nmemory (the 1e5 bios as one chain in one list)");
console.log(`  bvecs (prototype: one entry each)  ${fmt(one.bvecs, 0)}`);
console.log(`  entries after merging              ${fmt(one.entries, 0)}`);
console.log(
  `  saved by merging                   ${fmt(one.saved, 0)} (${fmt((100 * one.saved) / one.bvecs, 1)}% of bvecs)`,
);
console.log(`  per-bio lists, summed entries      ${fmt(entries, 0)} (saved ${fmt(bvecs - entries, 0)})`);
console.log(
  `  encoded entry bytes                ${fmt(enc.bytes, 0)} = ${fmt(enc.bytes / one.entries, 2)} B/entry ` +
    `(8 B: ${fmt(enc.forms[8], 0)}, 16 B: ${fmt(enc.forms[16], 0)}, 24 B: ${fmt(enc.forms[24], 0)})`,
);
if (st !== null) {
  console.log(
    `  chunk bytes (${st.chunkBytes}-byte chunks)       ${fmt(st.bytesInUse, 0)} = ${fmt(st.bytesPerEntry, 2)} B/entry`,
  );
}
const listBytes = st?.bytesInUse ?? enc.bytes;
console.log(`  bio_vec array                      ${fmt(one.bvecs * BVEC_BYTES, 0)} = 16 B/bvec`);
console.log(
  `  list / bio_vec bytes               ${fmt(listBytes / (one.bvecs * BVEC_BYTES), 3)} ` +
    `(${fmt(listBytes / one.entries, 2)} B per entry vs 16 B per bvec)`,
);
if (sink === -1) console.log(sink);

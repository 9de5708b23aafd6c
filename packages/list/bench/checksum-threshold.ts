/**
 * Where checksum() should switch from the TypeScript loop to the WebAssembly kernel: both timed on
 * lists of 1 to 64 chunks (rdma-4k: 63 entries per 512-byte chunk; extra: 21), interleaved rep by
 * rep, after warming both on every size. The kernel's fixed cost is the call into wasm and the two
 * BigInts read back; the loop's is per entry.
 *
 *   pnpm --filter @rlist/list exec tsx --conditions @rlist/source bench/checksum-threshold.ts
 */
import { ChunkPool, type RangeList } from "@rlist/list";
import { median } from "../../../scripts/bench-stats.js";
import { checksumKernel, checksumReference, KERNEL_MIN_CHUNKS } from "../src/kernels/checksum.js";
import { buildList } from "./kernels.js";
import { gen } from "./workloads.js";

const CHUNKS = [1, 2, 3, 4, 8, 16, 64];
const REPS = 15;

/** ns per call of `fn` on `list`, timed over a batch of calls (short calls: the timer's cost). */
function nsPerCall(fn: (l: RangeList) => unknown, list: RangeList, calls: number): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) fn(list);
  return Number(process.hrtime.bigint() - t0) / calls;
}

console.log(
  `# checksum(): TypeScript loop vs kernel, ns per call (median of ${REPS}); now: kernel from ${KERNEL_MIN_CHUNKS} chunks`,
);
console.log("| workload  | chunks | entries | TS loop ns | kernel ns | kernel/TS |");
console.log("|-----------|--------|---------|------------|-----------|-----------|");
for (const [w, name, perChunk] of [
  [0, "rdma-4k", 63],
  [3, "extra", 21],
] as const) {
  const pool = new ChunkPool({ chunkBytes: 512 });
  const lists = CHUNKS.map((c) => buildList(gen(w, c * perChunk), pool));
  for (let r = 0; r < 200; r++) {
    for (const l of lists) {
      checksumReference(l);
      checksumKernel(l);
    }
  }
  for (let i = 0; i < lists.length; i++) {
    const l = lists[i] as RangeList;
    const calls = Math.max(50, Math.floor(20_000 / (CHUNKS[i] as number)));
    const ts: number[] = [];
    const k: number[] = [];
    for (let r = 0; r < REPS; r++) {
      ts.push(nsPerCall(checksumReference, l, calls));
      k.push(nsPerCall(checksumKernel, l, calls));
    }
    const a = median(ts);
    const b = median(k);
    console.log(
      `| ${name.padEnd(9)} | ${String(l.chunkCount).padStart(6)} | ${String(l.count).padStart(7)} | ${a.toFixed(0).padStart(10)} | ${b.toFixed(0).padStart(9)} | ${(b / a).toFixed(2).padStart(9)} |`,
    );
  }
}

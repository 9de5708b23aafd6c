/**
 * The TypeScript side of one workload, run in a fresh node process per workload (so JIT
 * feedback comes from that workload only, as the C side is a fresh process too).
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { ChunkPool, type RangeList } from "@rlist/list";
import { buildList, buildObjects, checksumSums, seekAll, sumCursor, sumObjects, sumView } from "./kernels.js";
import { gen, genQueries } from "./workloads.js";

export interface TsFigures {
  appendEps: number;
  /** Public cursor walks (reset/next, length + base), entries/s, one per interleaved rep. */
  iterEps: number[];
  /** Hand-written loop over chunkSpan(), entries/s per rep. */
  viewEps: number[];
  /** RangeList#checksum() (the WebAssembly kernel), entries/s per rep. */
  chkEps: number[];
  seekOps: number;
  bpe: number;
  chunks: number;
  chk: string;
  /** Whole-heap growth of one list, per entry. */
  heapBpe: number;
}

export interface BaselineFigures {
  bpe: number;
  iterEps: number;
}

/** A callable gc() without needing node --expose-gc on the command line. */
function getGc(): () => void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return g;
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}
const gc = getGc();

/** Dead ArrayBuffers' backing stores are released by the sweeper: collect a few times. */
function fullGc(): void {
  for (let i = 0; i < 3; i++) gc();
}

function heapBytes(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

/** Time of one run of `fn`, in seconds. */
function once(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** Best (smallest) time of `reps` runs of `fn`, in seconds. */
function best(reps: number, fn: () => void): number {
  let t = Number.POSITIVE_INFINITY;
  for (let r = 0; r < reps; r++) {
    const t0 = process.hrtime.bigint();
    fn();
    t = Math.min(t, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return t;
}

/**
 * Runs every kernel on small lists of the same workload first, so the timed runs use fully
 * optimised code (a kernel first met on a huge list runs as on-stack-replaced code, which
 * here deoptimised at its exit on every call).
 */
function warmUp(w: number): void {
  // Tiny lists first: every line of each kernel, the code after its loop included, gets type
  // feedback in the interpreter before anything is optimised.
  const tiny = buildList(gen(w, 50), new ChunkPool({ chunkBytes: 512 }));
  for (let r = 0; r < 20; r++) {
    sumCursor(tiny);
    sumView(tiny);
    checksumSums(tiny);
    seekAll(tiny, genQueries(w, 10, tiny.totalLength));
  }
  const small = gen(w, 20_000);
  for (let r = 0; r < 30; r++) {
    const list = buildList(small, new ChunkPool({ chunkBytes: 512 }));
    for (let i = 0; i < 3; i++) {
      sumCursor(list);
      sumView(list);
      checksumSums(list);
    }
    seekAll(list, genQueries(w, 2_000, list.totalLength));
    list.clear();
  }
}

export function measureWorkload(w: number, n: number, reps: number, queries: number): TsFigures {
  warmUp(w);
  const cols = gen(w, n);
  let list: RangeList | null = null;
  let heapBpe = 0;
  let tApp = Number.POSITIVE_INFINITY;
  for (let r = 0; r < reps; r++) {
    list?.clear();
    list = null;
    fullGc();
    const h0 = heapBytes();
    const t0 = process.hrtime.bigint();
    list = buildList(cols, new ChunkPool({ chunkBytes: 512 }));
    tApp = Math.min(tApp, Number(process.hrtime.bigint() - t0) / 1e9);
    if (r === 0) {
      // Whole-heap growth of one list (side index, objects), measured on the first build while
      // nothing of an earlier list is waiting to be freed, plus the pool's WebAssembly.Memory
      // (its chunks), which V8's heap and external figures do not include.
      fullGc();
      heapBpe = (heapBytes() - h0 + list.pool.stats().memoryBytes) / n;
    }
  }
  const l = list as RangeList;
  // Interleaved: each rep times the cursor, the raw view and the kernel once, so machine noise
  // hits all three alike; the parent reports medians with min-max.
  const sums = sumCursor(l);
  const iterEps: number[] = [];
  const viewEps: number[] = [];
  const chkEps: number[] = [];
  for (let r = 0; r < Math.max(reps, 10); r++) {
    iterEps.push(n / once(() => sumCursor(l)));
    viewEps.push(n / once(() => sumView(l)));
    chkEps.push(n / once(() => checksumSums(l)));
  }
  const viewSums = sumView(l);
  if (viewSums.len !== sums.len || viewSums.baseHex !== sums.baseHex) throw new Error("view sums differ");
  const kernelSums = checksumSums(l);
  if (kernelSums.len !== sums.len || kernelSums.baseHex !== sums.baseHex) {
    throw new Error(
      `checksum() ${JSON.stringify(kernelSums)} differs from the cursor's ${JSON.stringify(sums)}`,
    );
  }
  const q = genQueries(w, queries, l.totalLength);
  let sk = seekAll(l, q);
  const tSk = best(reps, () => {
    sk = seekAll(l, q);
  });
  const st = l.stats();
  return {
    appendEps: n / tApp,
    iterEps,
    viewEps,
    chkEps,
    seekOps: queries / tSk,
    bpe: st.bytesPerEntry,
    chunks: st.chunks,
    chk: `${sums.len}/${sums.baseHex}/${sk.idx}/${sk.off}`,
    heapBpe,
  };
}

/** Seek only, for the scaling table (same workload, list of `n` entries). */
export function measureSeek(w: number, n: number, reps: number, queries: number): number {
  const tiny = buildList(gen(w, 50), new ChunkPool({ chunkBytes: 512 }));
  for (let r = 0; r < 20; r++) seekAll(tiny, genQueries(w, 10, tiny.totalLength));
  const small = gen(w, 20_000);
  const warm = buildList(small, new ChunkPool({ chunkBytes: 512 }));
  for (let r = 0; r < 30; r++) seekAll(warm, genQueries(w, 2_000, warm.totalLength));
  const list = buildList(gen(w, n), new ChunkPool({ chunkBytes: 512 }));
  const q = genQueries(w, queries, list.totalLength);
  seekAll(list, q);
  return queries / best(reps, () => seekAll(list, q));
}

export function measureBaseline(w: number, n: number): BaselineFigures {
  const cols = gen(w, n);
  fullGc();
  const h0 = heapBytes();
  const arr = buildObjects(cols);
  fullGc();
  const bpe = (heapBytes() - h0) / n;
  for (let r = 0; r < 20; r++) sumObjects(buildObjects(gen(w, 50)));
  for (let r = 0; r < 3; r++) sumObjects(buildObjects(gen(w, 20_000)));
  const t = best(5, () => sumObjects(arr));
  return { bpe, iterEps: n / t };
}

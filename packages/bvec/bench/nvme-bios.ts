/**
 * NVMe-style bio workload for the benchmark: 128 KiB bios built from 4 KiB segments, 10% of them
 * starting mid-page (a 512-byte aligned user buffer), over page frames that come in physically
 * contiguous runs of 1..16 pages (a fragmented but not shredded allocator).
 *
 * All bvecs live in one shared `BvecArray` (16 bytes each); every bio points into it through its
 * iterator (`idx`), so building the workload allocates one object per bio, none per page.
 */
// By package name, not a relative path: bench/baseline.ts compiles this module into the baseline
// revision's bundle too, where "@rlist/bvec" must be that revision's Bio.
import { Bio, BvecArray, PAGE_SIZE } from "@rlist/bvec";

export interface NvmeWorkload {
  readonly bios: Bio[];
  readonly table: BvecArray;
  /** Bvecs over all bios (the bio_vec count a kernel would store). */
  readonly bvecs: number;
  /** Bytes over all bios. */
  readonly bytes: number;
  /** Bios that start mid-page. */
  readonly unaligned: number;
}

/** A small deterministic PRNG (mulberry32), so every run measures the same workload. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function nvmeWorkload(nBios: number, bioBytes = 128 * 1024, seed = 42): NvmeWorkload {
  const rand = prng(seed);
  const pagesPerBio = bioBytes / PAGE_SIZE;
  const table = new BvecArray(nBios * (pagesPerBio + 1));
  const bios: Bio[] = [];
  let nextFree = 0x100000; // first pfn handed out
  let runLeft = 0;
  let pfn = 0;
  const takePage = () => {
    if (runLeft === 0) {
      // Skip a random gap, then hand out a contiguous run of 1..16 pages.
      nextFree += 1 + Math.floor(rand() * 64);
      runLeft = 1 + Math.floor(rand() * 16);
      pfn = nextFree;
      nextFree += runLeft;
    }
    runLeft--;
    return pfn++;
  };
  let unaligned = 0;
  for (let b = 0; b < nBios; b++) {
    const first = table.count;
    const off = rand() < 0.1 ? 512 * (1 + Math.floor(rand() * 7)) : 0;
    if (off !== 0) unaligned++;
    let left = bioBytes;
    let o = off;
    while (left > 0) {
      const len = Math.min(PAGE_SIZE - o, left);
      table.pushUnchecked(takePage(), len, o);
      left -= len;
      o = 0;
    }
    bios.push(Bio.view(table, { sector: b * (bioBytes >>> 9), size: bioBytes, idx: first }, { op: "WRITE" }));
  }
  return { bios, table, bvecs: table.count, bytes: nBios * bioBytes, unaligned };
}

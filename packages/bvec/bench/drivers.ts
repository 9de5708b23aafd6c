/**
 * The measured loops of bench/baseline.ts, written against the public API of `@rlist/bvec` and
 * `@rlist/dma`: scripts/bench-baseline.ts compiles this module into the current code's bundle
 * and into the baseline revision's, so each side runs its own copy over its own classes.
 */
import {
  Bio,
  BvecCursor,
  bioToCpuRangeList,
  mapRequest,
  PhysVecCursor,
  UNLIMITED_PHYS_VEC,
} from "@rlist/bvec";
import { DmaDevice, IommuDomain, PhysicalMemory } from "@rlist/dma";
import { type NvmeWorkload, nvmeWorkload } from "./nvme-bios.js";

export interface Setup {
  w: NvmeWorkload;
  memory: PhysicalMemory;
  head: Bio;
  device: DmaDevice;
  /**
   * Unchained bios of the same workload that start on a page: one request each (NVMe's virt
   * boundary lets them coalesce into one IOVA range).
   */
  aligned: Bio[];
}

/** `n` NVMe-style bios (bench/nvme-bios.ts, the same seed on both sides) and the machine. */
export function setup(n: number): Setup {
  const w = nvmeWorkload(n);
  const memory = new PhysicalMemory({ regions: [{ start: 0, size: 2 ** 40, kind: "ram" }] });
  const device = new DmaDevice({ name: "nvme", iommu: new IommuDomain() });
  // Bio.chain() links the bios it is given, and mapRequest() maps a bio with the ones after it.
  const aligned = nvmeWorkload(n).bios.filter((b) => b.vecs.offset(b.iter.idx) + b.iter.bvecDone === 0);
  return { w, memory, head: Bio.chain(w.bios), device, aligned };
}

/** Seconds for `bioToCpuRangeList` of every bio into a list of its own (one request each). */
export function adapterPerBio(s: Setup): number {
  let entries = 0;
  const t0 = process.hrtime.bigint();
  for (const bio of s.w.bios) {
    const r = bioToCpuRangeList(s.memory, bio, { chain: false });
    entries += r.entries;
    r.list.clear();
  }
  const t = Number(process.hrtime.bigint() - t0) / 1e9;
  if (entries === 0) throw new Error("no entries");
  return t;
}

/** Seconds for `bioToCpuRangeList` of the whole chain into one list. */
export function adapterOneList(s: Setup): number {
  const t0 = process.hrtime.bigint();
  const r = bioToCpuRangeList(s.memory, s.head);
  r.list.clear();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/**
 * Seconds for `mapRequest` + `unmap` of `n` page-aligned single-bio requests on an IOMMU device
 * with NVMe's virt boundary (one IOVA range per request).
 */
export function mapRequests(s: Setup, n: number): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const bio = s.aligned[i % s.aligned.length]!;
    mapRequest(s.device, bio, { direction: "to-device", limits: { virtBoundaryMask: 0xfff } }).unmap();
  }
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/**
 * The first step of a cursor walk on either side: this checkout's `reset()` lands on the first
 * element and returns whether there is one; a baseline before the one cursor protocol returned
 * the cursor itself and needed a `next()` to land. One call per bio, outside the hot loop.
 */
function first(reset: boolean | object, next: () => boolean): boolean {
  return reset === true || (reset !== false && next());
}

/** Seconds for a `bio_for_each_bvec` walk (BvecCursor) of every bio: the cursor's hot loop. */
export function walkBvecs(s: Setup): number {
  const c = new BvecCursor();
  const next = () => c.next();
  let sink = 0;
  const t0 = process.hrtime.bigint();
  for (const bio of s.w.bios) {
    for (let ok = first(c.reset(bio), next); ok; ok = c.next()) sink += c.len;
  }
  const t = Number(process.hrtime.bigint() - t0) / 1e9;
  if (sink !== s.w.bytes) throw new Error(`walked ${sink} bytes of ${s.w.bytes}`);
  return t;
}

/** Seconds for a phys_vec walk (PhysVecCursor, unlimited, one bio at a time) of every bio. */
export function walkPhysVecs(s: Setup): number {
  const c = new PhysVecCursor();
  const next = () => c.next();
  let sink = 0;
  const t0 = process.hrtime.bigint();
  for (const bio of s.w.bios) {
    for (let ok = first(c.reset(bio, UNLIMITED_PHYS_VEC, null, false), next); ok; ok = c.next())
      sink += c.len;
  }
  const t = Number(process.hrtime.bigint() - t0) / 1e9;
  if (sink !== s.w.bytes) throw new Error(`walked ${sink} bytes of ${s.w.bytes}`);
  return t;
}

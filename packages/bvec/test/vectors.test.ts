/** Worked vectors BV-1, BV-2, SPLIT-1..5 and SEG-CAP: docs/vectors.md#bvec-iterators, #bio-splitting. */
import { isRlistError } from "@rlist/encoding";
import { describe, expect, it } from "vitest";
import { expectCode } from "../../../scripts/expect-code.js";
import {
  Bio,
  BvecArray,
  BvecIter,
  bioSplitRwAt,
  bvecIterAdvance,
  bvecIterAdvanceSingle,
  bvecIterLen,
  bvecIterOffset,
  bvecIterPage,
  forEachBvec,
  forEachSegment,
  getMaxIoSize,
  getMaxSegmentSize,
  mpBvecIterLen,
  mpBvecIterOffset,
  mpBvecIterPage,
  queueLimits,
} from "../src/index.js";

const A = 0x100;
const B = 0x200;
const C = 0x300;
const bv1 = () =>
  BvecArray.from([
    { page: A, len: 4096, offset: 0 },
    { page: B, len: 8192, offset: 512 },
    { page: C, len: 1024, offset: 0 },
  ]);

function state(it: BvecIter) {
  return { size: it.size, idx: it.idx, bvecDone: it.bvecDone };
}

describe("BV-1: advance, multi-page and single-page views", () => {
  it("walks the worked example", () => {
    const v = bv1();
    const it = new BvecIter({ size: 13312 });
    expect(bvecIterAdvance(v, it, 5000)).toBe(true);
    expect(state(it)).toEqual({ size: 8312, idx: 1, bvecDone: 904 });
    expect(mpBvecIterPage(v, it)).toBe(B);
    expect(mpBvecIterOffset(v, it)).toBe(1416);
    expect(mpBvecIterLen(v, it)).toBe(7288);
    expect(bvecIterPage(v, it)).toBe(B);
    expect(bvecIterOffset(v, it)).toBe(1416);
    expect(bvecIterLen(v, it)).toBe(2680);

    bvecIterAdvanceSingle(v, it, 2680);
    expect(it.bvecDone).toBe(3584);
    expect(mpBvecIterOffset(v, it)).toBe(4096);
    expect(bvecIterPage(v, it)).toBe(B + 1);
    expect(bvecIterOffset(v, it)).toBe(0);
    expect(bvecIterLen(v, it)).toBe(4096);
    expect(state(it)).toEqual({ size: 5632, idx: 1, bvecDone: 3584 });

    expect(bvecIterAdvance(v, it, 5632)).toBe(true);
    expect(state(it)).toEqual({ size: 0, idx: 3, bvecDone: 0 });
  });

  it("warns (returns false) and clamps to the end when advancing past it", () => {
    const v = bv1();
    const it = new BvecIter({ size: 13312 });
    bvecIterAdvance(v, it, 5000);
    bvecIterAdvanceSingle(v, it, 2680);
    expect(bvecIterAdvance(v, it, 8312)).toBe(false);
    // Consistent: the same state a legal advance to the end gives.
    expect(state(it)).toEqual({ size: 0, idx: 3, bvecDone: 0 });

    const fresh = new BvecIter({ size: 13312 });
    expect(bvecIterAdvance(v, fresh, 14000)).toBe(false);
    expect(state(fresh)).toEqual({ size: 0, idx: 3, bvecDone: 0 });
  });
});

describe("BV-2: segments vs bvecs", () => {
  const P = 0x5000;
  const bio = Bio.fromVecs([{ page: P, len: 8192, offset: 1024 }]);
  it("bio_for_each_segment yields single-page pieces", () => {
    const segs: number[][] = [];
    forEachSegment(bio, (page, offset, len) => segs.push([page, offset, len]));
    expect(segs).toEqual([
      [P, 1024, 3072],
      [P + 1, 0, 4096],
      [P + 2, 0, 1024],
    ]);
  });
  it("bio_for_each_bvec yields the multi-page bvec once", () => {
    const vecs: number[][] = [];
    forEachBvec(bio, (page, offset, len) => vecs.push([page, offset, len]));
    expect(vecs).toEqual([[P, 1024, 8192]]);
  });
});

describe("split vectors", () => {
  const pages = (n: number, len = 4096) =>
    Array.from({ length: n }, (_, i) => ({ page: 0x1000 + i * 0x10, len, offset: 0 }));

  it("SPLIT-1: max_segments 2 and three discontiguous pages split at 16 sectors", () => {
    const bio = Bio.fromVecs(pages(3), { op: "WRITE" });
    const lim = queueLimits({ maxSegments: 2 });
    expect(bioSplitRwAt(bio, lim, 1 << 20)).toEqual({ sectors: 16, segments: 2 });
    const front = bio.split(lim)!;
    expect(front.size).toBe(8192);
    expect(front.sector).toBe(0);
    expect(bio.size).toBe(4096);
    expect(bio.sector).toBe(16);
    expect(front.vecs).toBe(bio.vecs);
  });

  it("SPLIT-2: a 12 KiB bvec under an 8 KiB max segment is 2 segments, no split", () => {
    const bio = Bio.fromVecs([{ page: 0x40, len: 12288, offset: 0 }]);
    const lim = queueLimits({ maxSegmentSize: 8192, segBoundaryMask: 0xffffffff });
    expect(bioSplitRwAt(bio, lim, 1 << 20)).toEqual({ sectors: 0, segments: 2 });
    expect(bio.split(lim)).toBeNull();
  });

  it("SPLIT-3: a virt-boundary gap splits at 4 sectors", () => {
    const bio = Bio.fromVecs([
      { page: 0x40, len: 2048, offset: 0 },
      { page: 0x80, len: 4096, offset: 0 },
    ]);
    const lim = queueLimits({ virtBoundaryMask: 0xfff });
    expect(bioSplitRwAt(bio, lim, 1 << 20).sectors).toBe(4);
  });

  it("SPLIT-4: the split point is aligned down to the logical block", () => {
    // 6144 bytes fit before the segment limit bites: 1.5 blocks of 4 KiB -> 8 sectors.
    const bio = Bio.fromVecs([
      { page: 0x40, len: 2048, offset: 0 },
      { page: 0x80, len: 4096, offset: 0 },
      { page: 0xc0, len: 2048, offset: 0 },
    ]);
    const lim = queueLimits({ logicalBlockSize: 4096, maxSegments: 2 });
    expect(bioSplitRwAt(bio, lim, 1 << 20)).toEqual({ sectors: 8, segments: 2 });
  });

  it("SPLIT-5: get_max_io_size aligns the next bio to the physical block", () => {
    const lim = queueLimits({ maxSectors: 256, physicalBlockSize: 4096 });
    expect(getMaxIoSize(3, lim)).toBe(253);
    const bio = Bio.fromVecs([{ page: 0x400, len: 256 * 1024, offset: 0 }], { sector: 3 });
    const front = bio.split({ ...lim, maxSegmentSize: 1 << 20, maxSegments: 1024 })!;
    expect(front.sectors).toBe(253);
    expect(bio.sector).toBe(256);
  });

  it("SEG-CAP: a segment never crosses the 4 GiB boundary", () => {
    const lim = queueLimits({ maxSegmentSize: 0x10000 });
    expect(getMaxSegmentSize(lim, 0xfffff000, 0x2000)).toBe(0x1000);
    expect(getMaxSegmentSize(lim, 0x100000000, 0x1000)).toBe(0x1000);
    const bio = Bio.fromVecs([{ page: 0xfffff, len: 0x2000, offset: 0 }]);
    expect(bioSplitRwAt(bio, lim, 1 << 20)).toEqual({ sectors: 0, segments: 2 });
  });

  it("refuses a split that would fall inside the first logical block", () => {
    const bio = Bio.fromVecs([
      { page: 0x40, len: 1024, offset: 0 },
      { page: 0x80, len: 3072, offset: 1024 },
    ]);
    const lim = queueLimits({ virtBoundaryMask: 0xfff, logicalBlockSize: 4096 });
    const before = { size: bio.size, sector: bio.sector, idx: bio.iter.idx };
    expectCode(() => bio.split(lim), "EINVAL");
    expect({ size: bio.size, sector: bio.sector, idx: bio.iter.idx }).toEqual(before);
  });

  it("refuses to split an atomic bio", () => {
    const bio = Bio.fromVecs(pages(3), { atomic: true });
    try {
      bio.split({ maxSegments: 2 });
      expect.unreachable();
    } catch (e) {
      expect(isRlistError(e, "EINVAL")).toBe(true);
    }
    expect(bio.size).toBe(3 * 4096);
  });
});

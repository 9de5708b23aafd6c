/** blk_map_iter_next-style phys_vec walk: vectors and properties. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expectCode } from "../../../scripts/expect-code.js";
import { Bio, PhysVecCursor, queueLimits, requestPhysVecLimits, UNLIMITED_PHYS_VEC } from "../src/index.js";
import { arbVecs, pushRun, type Run, refRuns } from "./model.js";

function physVecs(bio: Bio, lim = UNLIMITED_PHYS_VEC): [number, number][] {
  const out: [number, number][] = [];
  const c = new PhysVecCursor();
  for (let ok = c.reset(bio, lim); ok; ok = c.next()) out.push([c.paddr, c.len]);
  return out;
}

describe("PhysVecCursor", () => {
  it("BLK-2: three discontiguous pages stay three phys_vecs", () => {
    const bio = Bio.fromVecs([
      { page: 0x10, len: 4096, offset: 0 },
      { page: 0x20, len: 4096, offset: 0 },
      { page: 0x30, len: 4096, offset: 0 },
    ]);
    expect(physVecs(bio)).toEqual([
      [0x10000, 4096],
      [0x20000, 4096],
      [0x30000, 4096],
    ]);
  });

  it("reset() refuses bad limits and flags with EINVAL before it changes the cursor", () => {
    const bio = Bio.fromVecs([{ page: 0x10, len: 4096, offset: 0 }]);
    const c = new PhysVecCursor();
    expect(c.reset(bio)).toBe(true);
    const before = { ...c };
    const bad: [unknown, unknown][] = [
      [{ segBoundaryMask: Symbol("s"), maxSegmentSize: 4096 }, true],
      [{ segBoundaryMask: Number.NaN, maxSegmentSize: 4096 }, true],
      [{ segBoundaryMask: 0xfff, maxSegmentSize: 1n }, true],
      [{ segBoundaryMask: 0xfff, maxSegmentSize: "0x10" }, true],
      [{ segBoundaryMask: 0x1000, maxSegmentSize: 4096 }, true],
      [UNLIMITED_PHYS_VEC, Number.NaN],
      [UNLIMITED_PHYS_VEC, 1],
    ];
    for (const [lim, chain] of bad) {
      expectCode(() => c.reset(bio, lim as never, null, chain as never), "EINVAL");
      expect({ ...c }).toEqual(before);
    }
  });

  it("reset() reads each limit once: a getter changing its answer cannot reach next()", () => {
    const bio = Bio.fromVecs([{ page: 0x10, len: 0x2000, offset: 0 }]);
    let reads = 0;
    const lim = {
      segBoundaryMask: 0xfff,
      get maxSegmentSize() {
        return reads++ === 0 ? 0x1000 : Number.NaN;
      },
    };
    expect(physVecs(bio, lim)).toEqual([
      [0x10000, 0x1000],
      [0x11000, 0x1000],
    ]);
    expect(reads).toBe(1);
  });

  it("merges adjacent bvecs, also across bios of the chain, and counts the bvecs folded", () => {
    const a = Bio.fromVecs([
      { page: 0x10, len: 4096, offset: 0 },
      { page: 0x11, len: 2048, offset: 0 },
    ]);
    const b = Bio.fromVecs([
      { page: 0x11, len: 2048, offset: 2048 },
      { page: 0x40, len: 512, offset: 0 },
    ]);
    const c = new PhysVecCursor();
    const got: number[][] = [];
    for (let ok = c.reset(Bio.chain([a, b])); ok; ok = c.next()) got.push([c.paddr, c.len]);
    expect(got).toEqual([
      [0x10000, 8192],
      [0x40000, 512],
    ]);
    expect([c.bvecs, c.count]).toEqual([4, 2]);
  });

  it("caps each phys_vec at the segment boundary and max segment size (SEG-CAP)", () => {
    const bio = Bio.fromVecs([{ page: 0xfffff, len: 0x2000, offset: 0 }]);
    const lim = requestPhysVecLimits(queueLimits({ maxSegmentSize: 0x10000 }));
    expect(physVecs(bio, lim)).toEqual([
      [0xfffff000, 0x1000],
      [0x100000000, 0x1000],
    ]);
    const long = Bio.fromVecs([
      { page: 0x100, len: 0x3000, offset: 0 },
      { page: 0x103, len: 0x1000, offset: 0 },
    ]);
    const small = requestPhysVecLimits(queueLimits({ maxSegmentSize: 0x2000 }));
    expect(physVecs(long, small)).toEqual([
      [0x100000, 0x2000],
      [0x102000, 0x2000], // the bvec's tail merges with the next bvec
    ]);
  });

  it("never merges across pgmaps", () => {
    const pgmaps = { pgmapIdOf: (pfn: number) => (pfn >= 0x20 ? 5 : 0) };
    const a = Bio.fromVecs([{ page: 0x1f, len: 4096, offset: 0 }], { pgmaps });
    const b = Bio.fromVecs([{ page: 0x20, len: 4096, offset: 0 }], { pgmaps });
    const c = new PhysVecCursor();
    const got: number[][] = [];
    for (let ok = c.reset(Bio.chain([a, b])); ok; ok = c.next()) got.push([c.paddr, c.len, c.pgmap]);
    expect(got).toEqual([
      [0x1f000, 4096, 0],
      [0x20000, 4096, 5],
    ]);
  });

  it("covers the chain's bytes in order, within the limits, maximal when unlimited", () => {
    fc.assert(
      fc.property(
        fc.array(arbVecs({ maxVecs: 6 }), { minLength: 1, maxLength: 3 }),
        fc.constantFrom(0xfff, 0xffff, 0xffffffff),
        fc.integer({ min: 4096, max: 70000 }),
        (lists, segBoundaryMask, maxSegmentSize) => {
          const head = Bio.chain(lists.map((v) => Bio.fromVecs(v)));
          const flat = lists.flat();
          const expected = refRuns(
            flat,
            0,
            0,
            flat.reduce((s, v) => s + v.len, 0),
          );
          const lim = requestPhysVecLimits(queueLimits({ segBoundaryMask, maxSegmentSize }));
          for (const l of [lim, UNLIMITED_PHYS_VEC]) {
            const vecs = physVecs(head, l);
            const runs: Run[] = [];
            for (const [p, n] of vecs) {
              expect(n).toBeGreaterThan(0);
              expect(n).toBeLessThanOrEqual(l.maxSegmentSize);
              const window = l.segBoundaryMask + 1;
              expect(Math.floor(p / window)).toBe(Math.floor((p + n - 1) / window));
              pushRun(runs, p, n);
            }
            expect(runs).toEqual(expected);
          }
          // Unlimited: exactly the maximal contiguous runs.
          expect(physVecs(head)).toEqual(expected);
        },
      ),
      { numRuns: 200 },
    );
  });
});

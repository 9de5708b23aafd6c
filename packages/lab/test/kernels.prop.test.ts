import { PhysicalMemory } from "@rlist/dma";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expectCode } from "../../../scripts/expect-code.js";
import { takeMemory } from "../src/kernels/memory.js";
import { exampleP2pMachine } from "../src/machine/example-p2p.js";
import { bioVec, bioVecPage } from "../src/representations/bvec.js";
import { pageArray } from "../src/representations/page-array.js";
import { fixed16Representation, rlistRepresentation } from "../src/representations/rlist.js";
import { scatterlistRepresentation } from "../src/representations/scatterlist.js";
import type { Built, Representation } from "../src/representations/types.js";
import { identicalTwins } from "../src/study/measure.js";
import {
  PAGE_SIZE,
  pagesTouched,
  type RangeSet,
  RangeSetBuilder,
  totalBytes,
} from "../src/workloads/range-set.js";
import { arbPageSet, pages } from "./helpers.js";

const memory = new PhysicalMemory({ regions: [{ start: 0, size: 2 ** 48, kind: "ram" }] });
const ctx = { memory, providers: [] };

/** Every representation with a kernel walk, over RAM. */
const ramReps: Representation[] = [
  ...([128, 512, 4096] as const).flatMap((c) => [
    rlistRepresentation(c, ctx),
    rlistRepresentation(c, ctx, false),
  ]),
  fixed16Representation(),
  fixed16Representation(false),
  bioVec,
  bioVecPage,
  scatterlistRepresentation(true),
  scatterlistRepresentation(false),
  pageArray,
];

/**
 * Byte ranges in folios of order 0-4 anywhere below 2^48 (PFNs past 2^32 take the rlist's
 * 16-byte form and the high words of every pointer), in 1-5 lists, some empty; a range often
 * starts where the previous one ended (so merging is exercised) and often runs to its folio's end.
 */
const arbWideSet: fc.Arbitrary<RangeSet> = fc
  .array(
    fc.array(
      fc.record({
        follow: fc.boolean(),
        order: fc.integer({ min: 0, max: 4 }),
        pfnHi: fc.integer({ min: 0, max: 0xf_ffff }),
        pfnLo: fc.integer({ min: 0, max: 0xffff }),
        start: fc.nat(),
        toEnd: fc.boolean(),
        length: fc.nat(),
      }),
      { maxLength: 30 },
    ),
    { minLength: 1, maxLength: 5 },
  )
  .map((groups) => {
    const b = new RangeSetBuilder();
    for (const g of groups) {
      b.beginGroup();
      let end = -1;
      for (const r of g) {
        const span = PAGE_SIZE * 2 ** r.order;
        // Follow on: a fresh folio that starts exactly where the last range ended (page-aligned).
        const following = r.follow && end > 0 && end % PAGE_SIZE === 0 && end + span < 2 ** 48;
        const folio = following
          ? end / PAGE_SIZE
          : Math.floor((r.pfnHi * 0x1_0000 + r.pfnLo + 0x1000) / 2 ** r.order) * 2 ** r.order;
        const start = following ? 0 : r.start % span;
        const length = r.toEnd ? span - start : 1 + (r.length % (span - start));
        b.addFolioRange(folio, r.order, folio * PAGE_SIZE + start, length);
        end = folio * PAGE_SIZE + start + length;
      }
    }
    return b.finish();
  });

/** The kernel walk equals its reference, and counts every entry once. */
function checkKernel(b: Built, set: RangeSet, exactBytes: boolean): void {
  const k = b.kernelWalk!();
  expect(k).toEqual(b.referenceWalk!());
  expect(k.count).toBe(b.entries);
  // Outside the rlist (whose folio runs store their length in pages), lengths are bytes.
  if (exactBytes) expect(k.lengthSum).toBe(BigInt(totalBytes(set)));
}

function checkAll(reps: readonly Representation[], set: RangeSet): void {
  for (const rep of reps) {
    if (rep.unsupported(set) !== null) continue;
    const b = rep.build(set);
    try {
      checkKernel(b, set, rep.family !== "rlist");
    } finally {
      b.release?.();
    }
  }
}

describe("walk kernels == their TypeScript references", () => {
  it("on page-granular lists with partial first and last pages", () => {
    fc.assert(
      fc.property(arbPageSet, (set) => checkAll(ramReps, set)),
      { numRuns: 60 },
    );
  });

  it("on byte ranges anywhere below 2^48, in folios of every order, lists empty or not", () => {
    fc.assert(
      fc.property(arbWideSet, (set) => checkAll(ramReps, set)),
      { numRuns: 60 },
    );
  });

  it("on pageless P2P ranges (scatterlist dma_address, rlist PHYSICAL entries)", () => {
    const p2p = exampleP2pMachine();
    const bar = p2p.provider.bar.cpuAddress;
    const reps = [
      rlistRepresentation(512, { memory: p2p.memory, providers: [p2p.provider] }),
      rlistRepresentation(512, { memory: p2p.memory, providers: [p2p.provider] }, true, true),
      scatterlistRepresentation(true),
      scatterlistRepresentation(false),
    ];
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ gap: fc.integer({ min: 0, max: 3 }), blocks: fc.integer({ min: 1, max: 32 }) }),
          {
            minLength: 1,
            maxLength: 200,
          },
        ),
        (runs) => {
          const b = new RangeSetBuilder();
          let at = bar;
          for (const r of runs) {
            at += r.gap * 65536;
            b.addPhysical(at, r.blocks * 65536, 0);
            at += r.blocks * 65536;
          }
          checkAll(reps, b.finish());
        },
      ),
      { numRuns: 40 },
    );
  });

  it("on empty lists only", () => {
    const b = new RangeSetBuilder();
    b.beginGroup();
    b.beginGroup();
    const set = b.finish();
    for (const rep of ramReps) {
      const built = rep.build(set);
      expect(built.kernelWalk!()).toEqual({ count: 0, lengthSum: 0n, baseSum: 0n });
      built.release?.();
    }
  });

  it("address sums wrap mod 2^64 exactly (20,000 pages near 2^52)", () => {
    const pfns = Array.from({ length: 20_000 }, (_, i) => 2 ** 40 - 2 ** 30 + 3 * i);
    const set = pages(...pfns);
    let expected = 0n;
    for (const pfn of pfns) expected += BigInt(pfn) * BigInt(PAGE_SIZE);
    expect(expected).toBeGreaterThan(2n ** 64n);
    for (const rep of [bioVec, bioVecPage, scatterlistRepresentation(true), pageArray]) {
      const b = rep.build(set);
      const k = b.kernelWalk!();
      expect(k).toEqual(b.referenceWalk!());
      expect(k).toEqual({
        count: pagesTouched(set),
        lengthSum: BigInt(totalBytes(set)),
        baseSum: BigInt.asUintN(64, expected),
      });
      b.release?.();
    }
  });

  it("a chained scatterlist is walked through its links (300 entries: arrays of 128, 128, 46)", () => {
    const pfns = Array.from({ length: 300 }, (_, i) => 1000 + 2 * i);
    const b = scatterlistRepresentation(true).build(pages(...pfns));
    expect(b.kernelWalk!()).toEqual({
      count: 300,
      lengthSum: 300n * 4096n,
      baseSum: pfns.reduce((a, p) => a + BigInt(p) * 4096n, 0n),
    });
    b.release?.();
  });
});

describe("kernel memories", () => {
  it("a released memory is reused by the next build that fits, and holds that build's data", () => {
    const a = bioVec.build(pages(1, 3, 5));
    const sumsA = a.kernelWalk!();
    a.release?.();
    const b = bioVec.build(pages(7, 9));
    expect(b.kernelWalk!()).toEqual({ count: 2, lengthSum: 8192n, baseSum: (7n + 9n) * 4096n });
    expect(sumsA).toEqual({ count: 3, lengthSum: 12288n, baseSum: 9n * 4096n });
    b.release?.();
  });

  it("refuses data past the 4 GiB of a wasm32 memory", () => {
    expectCode(() => takeMemory(2 ** 32), "ENOMEM");
  });
});

describe("identical lists as A/A pairs of the noise floor", () => {
  const timedOf = (set: RangeSet) => {
    const reps = [rlistRepresentation(512, ctx), rlistRepresentation(512, ctx, false), bioVec];
    const built = reps.map((rep) => rep.build(set));
    const timed = reps.map((rep, i) => ({ rep, b: built[i]!, i }));
    const twins = identicalTwins(
      timed,
      built.map((b) => b.kernelWalk!()),
    );
    for (const b of built) b.release?.();
    return twins;
  };

  it("a variant without merging pairs with its merging twin when nothing was contiguous", () => {
    expect(timedOf(pages(10, 20, 30, 40))).toEqual([[0, 1]]);
  });

  it("and not when merging changed the lists", () => {
    expect(timedOf(pages(10, 11, 12, 40))).toEqual([]);
  });
});

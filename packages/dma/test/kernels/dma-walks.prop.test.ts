/**
 * DmaRangeList#numSegments / #findBestBlockSize and their bigint forms: the WebAssembly kernels
 * give exactly what the TypeScript walks give, on stored DMA lists (every kind, IOVA entries
 * relative to a base, addresses near 2^31, 2^32, 2^52 and 2^53 - 1, 64-bit entries whose totals
 * pass 2^53 through the bigint API) and on identity views of CPU lists (positive and negative
 * direct offsets, the pending entry), for every chunk size, empty lists included.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DmaRangeList } from "../../src/dma-list/dma-range-list.js";
import {
  NO_MAX_SEGMENT_SIZE,
  NO_SEGMENT_BOUNDARY,
  type Segmentation,
} from "../../src/dma-list/segmentation.js";
import { findBestBlockSizeBigReference, numSegmentsBigReference } from "../../src/kernels/dma-walks.js";
import { CHUNKS, cpuList, cpuOpsArb, dmaList, dmaOpsArb, outcome, withKernels, world } from "./fixture.js";

const segArb: fc.Arbitrary<Segmentation> = fc.record({
  minAlignMask: fc.constant(0),
  segmentBoundaryMask: fc.oneof(
    fc.constant(NO_SEGMENT_BOUNDARY),
    fc.integer({ min: 1, max: 53 }).map((k) => 2 ** k - 1),
  ),
  maxSegmentSize: fc.oneof(
    fc.constant(NO_MAX_SEGMENT_SIZE),
    fc.integer({ min: 1, max: 2 ** 24 }),
    fc.integer({ min: 0, max: 52 }).map((k) => 2 ** k),
  ),
});

/** Block-size bitmaps (4K | 2M | 1G and random ones), the hwva as given or defaulted. */
const blockArb = fc.record({
  sizes: fc.oneof(fc.constant(0x1000 + 0x20_0000 + 0x4000_0000), fc.maxSafeNat(), fc.constant(0)),
  hwva: fc.option(fc.oneof(fc.maxSafeNat(), fc.integer({ min: 0, max: 2 ** 33 })), { nil: undefined }),
});

/** Every walk of `list`, number and bigint, as outcomes (values or error codes). */
function walks(list: DmaRangeList, seg: Segmentation, sizes: number, hwva: number | undefined) {
  return {
    segments: outcome(() => list.numSegments(seg)),
    segmentsBig: outcome(() => list.numSegmentsBig(seg)),
    best: outcome(() =>
      list.findBestBlockSize({
        ...seg,
        blockSizes: sizes,
        ...(hwva === undefined ? {} : { blockHwva: hwva }),
      }),
    ),
    bestBig: outcome(() => list.findBestBlockSizeBig(sizes, hwva === undefined ? undefined : BigInt(hwva))),
  };
}

function compare(list: DmaRangeList, seg: Segmentation, sizes: number, hwva: number | undefined): void {
  const kernel = withKernels(0, () => walks(list, seg, sizes, hwva));
  const loop = withKernels(Number.POSITIVE_INFINITY, () => walks(list, seg, sizes, hwva));
  expect(kernel).toEqual(loop);
  // The bigint walks agree with the plain bigint references, and with the number API wherever
  // that one can answer.
  expect(kernel.segmentsBig).toEqual(outcome(() => numSegmentsBigReference(list, seg)));
  expect(kernel.bestBig).toEqual(
    outcome(() => findBestBlockSizeBigReference(list, sizes, hwva === undefined ? undefined : BigInt(hwva))),
  );
  if (kernel.segments.ok && kernel.segmentsBig.ok) {
    expect(kernel.segmentsBig.value).toBe(BigInt(kernel.segments.value));
  }
  if (kernel.best.ok) expect(kernel.bestBig).toEqual(kernel.best);
}

describe("DMA list walk kernels", () => {
  it("stored lists: numSegments / findBestBlockSize (number and bigint) equal the walks", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CHUNKS),
        fc.oneof(fc.constant(0), fc.maxSafeNat(), fc.integer({ min: 0, max: 2 ** 33 })),
        dmaOpsArb,
        segArb,
        blockArb,
        (chunkBytes, base, ops, seg, block) => {
          const list = dmaList(chunkBytes, base, ops);
          try {
            compare(list, seg, block.sizes, block.hwva);
          } finally {
            list.clear();
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("identity views of CPU lists (direct offsets of either sign, the pending entry) equal the walks", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CHUNKS),
        cpuOpsArb,
        fc.oneof(
          fc.constant(0),
          fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
          fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }),
        ),
        segArb,
        blockArb,
        (chunkBytes, ops, offset, seg, block) => {
          const cpu = cpuList(world(), chunkBytes, ops);
          try {
            compare(DmaRangeList.identity(cpu, offset), seg, block.sizes, block.hwva);
          } finally {
            cpu.clear();
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it("a list whose total passes 2^53: the number API refuses, the bigint API counts exactly", () => {
    const list = new DmaRangeList({ chunkBytes: 128 });
    for (let i = 0; i < 40; i++) list.appendBig(1, BigInt(i) * 2n ** 58n, 2n ** 58n);
    const seg = { minAlignMask: 0, segmentBoundaryMask: 2 ** 32 - 1, maxSegmentSize: 2 ** 16 };
    for (const min of [0, Number.POSITIVE_INFINITY]) {
      withKernels(min, () => {
        expect(outcome(() => list.numSegments(seg))).toEqual({ ok: false, code: "ERANGE" });
        // 40 entries of 2^58 bytes in 2^16-byte segments: 40 * 2^42, past 2^53.
        expect(list.numSegmentsBig(seg)).toBe(40n * 2n ** 42n);
        expect(list.findBestBlockSizeBig(0x1000 + 0x20_0000)).toBe(0x20_0000);
      });
    }
    list.clear();
  });
});

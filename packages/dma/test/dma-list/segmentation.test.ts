import { isRlistError } from "@rlist/encoding";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ArrayDmaCursor } from "../../src/dma-list/dma-entries.js";
import {
  NO_MAX_SEGMENT_SIZE,
  NO_SEGMENT_BOUNDARY,
  noSegmentation,
  numSegmentsRange,
  type Segmentation,
  segmentationOk,
  validateSegmentation,
} from "../../src/dma-list/segmentation.js";
import { DmaSegmentCursor, numSegments } from "../../src/dma-list/segments.js";

const seg = (segmentBoundaryMask: number, maxSegmentSize: number, minAlignMask = 0): Segmentation => ({
  minAlignMask,
  segmentBoundaryMask,
  maxSegmentSize,
});

describe("numSegmentsRange N1-N7, INTENDED (docs/vectors.md#segment-counting)", () => {
  it.each([
    ["N1", 0x800, 0x1900, 0xfff, 0x400, 7],
    ["N2", 0x100, 0x200, 0xfff, 0x10000, 1],
    ["N3", 0x800, 0x1000, 0xfff, 0x10000, 2],
    ["N4", 0x1000, 0x10000, 0xffff, 0x8000, 3],
    ["N5", 0xf000, 0x12000, 0xffff, 0x8000, 4],
    ["N7", 0x1234, 0, 0xfff, 0x1000, 0],
  ])("%s", (_id, start, length, mask, maxSeg, expected) => {
    expect(numSegmentsRange(start, length, mask, maxSeg)).toBe(expected);
  });

  it("N6: no boundary (ULONG_MAX) gives ceil(len / S) with no division by zero", () => {
    expect(numSegmentsRange(0x1234_5678, 0x10001, NO_SEGMENT_BOUNDARY, 0x1000)).toBe(17);
    expect(numSegmentsRange(2 ** 52, 2 ** 40, NO_SEGMENT_BOUNDARY, NO_MAX_SEGMENT_SIZE)).toBe(1);
  });

  it("matches a cut-at-every-boundary reference", () => {
    fc.assert(
      fc.property(
        fc.nat(1 << 20),
        fc.nat(1 << 18),
        fc.integer({ min: 4, max: 18 }),
        fc.integer({ min: 1, max: 1 << 17 }),
        (start, length, k, maxSeg) => {
          const window = 2 ** k;
          let n = 0;
          let a = start;
          const end = start + length;
          while (a < end) {
            const next = Math.min(end, (Math.floor(a / window) + 1) * window);
            n += Math.ceil((next - a) / maxSeg);
            a = next;
          }
          expect(numSegmentsRange(start, length, window - 1, maxSeg)).toBe(n);
        },
      ),
    );
  });
});

describe("segmentationOk (docs/vectors.md#segment-counting)", () => {
  it("min_align_mask 0xFFF, phys 0x12345678", () => {
    const s = seg(NO_SEGMENT_BOUNDARY, NO_MAX_SEGMENT_SIZE, 0xfff);
    expect(segmentationOk(s, 0x1234_5678, 0x9000_0678, 0x100)).toBe(true);
    expect(segmentationOk(s, 0x1234_5678, 0x9000_0000, 0x100)).toBe(false);
  });

  it("rejects a DMA address that needs more segments than the CPU range", () => {
    const s = seg(0xffff, NO_MAX_SEGMENT_SIZE);
    // CPU range inside one 64 KiB window; the DMA address straddles a boundary.
    expect(segmentationOk(s, 0x10000, 0x1f000, 0x2000)).toBe(false);
    expect(segmentationOk(s, 0x1f000, 0x2f000, 0x2000)).toBe(true);
    expect(segmentationOk(s, 0x10000, 0x20000, 0x2000)).toBe(true);
  });
});

describe("validateSegmentation", () => {
  it("rejects malformed masks and sizes", () => {
    expect(() => validateSegmentation(noSegmentation)).not.toThrow();
    const bad: Segmentation[] = [seg(0xfffe, 1), seg(0, 1), seg(0xfff, 0), seg(0xfff, 1, 0x1001), seg(-1, 1)];
    for (const s of bad) expect(() => validateSegmentation(s)).toThrow();
    try {
      validateSegmentation(seg(0xfff, 2 ** 53));
    } catch (e) {
      expect(isRlistError(e, "ERANGE")).toBe(true);
    }
  });
});

describe("DmaSegmentCursor", () => {
  it("splits entries at boundaries and max size, never merges, skips empty entries", () => {
    const entries = new ArrayDmaCursor([
      [0x800, 0x1900],
      [0x5000, 0],
      [0x6000, 0x100],
    ]);
    const c = new DmaSegmentCursor(entries, seg(0xfff, 0x400));
    const got: number[][] = [];
    for (let ok = c.reset(); ok; ok = c.next()) got.push([c.dmaAddress, c.length, c.position]);
    expect(got).toEqual([
      [0x800, 0x400, 0],
      [0xc00, 0x400, 0x400],
      [0x1000, 0x400, 0x800],
      [0x1400, 0x400, 0xc00],
      [0x1800, 0x400, 0x1000],
      [0x1c00, 0x400, 0x1400],
      [0x2000, 0x100, 0x1800],
      [0x6000, 0x100, 0x1900],
    ]);
    expect(numSegments(entries, seg(0xfff, 0x400))).toBe(got.length);
  });

  it("property: segments tile the entries, respect limits, and count as numSegments", () => {
    const entryArb = fc.tuple(fc.nat(1 << 22), fc.nat(1 << 16));
    fc.assert(
      fc.property(
        fc.array(entryArb, { maxLength: 12 }),
        fc.integer({ min: 8, max: 20 }),
        fc.integer({ min: 2048, max: 1 << 15 }),
        (list, k, maxSeg) => {
          const s = seg(2 ** k - 1, maxSeg);
          const entries = new ArrayDmaCursor(list);
          const c = new DmaSegmentCursor(entries, s);
          const pieces: Array<[number, number]> = [];
          let pos = 0;
          for (let ok = c.reset(); ok; ok = c.next()) {
            expect(c.position).toBe(pos);
            expect(c.length).toBeGreaterThan(0);
            expect(c.length).toBeLessThanOrEqual(maxSeg);
            expect(Math.floor(c.dmaAddress / 2 ** k)).toBe(
              Math.floor((c.dmaAddress + c.length - 1) / 2 ** k),
            );
            pieces.push([c.dmaAddress, c.length]);
            pos += c.length;
          }
          // Re-join consecutive pieces of each entry and compare with the input.
          const rejoined: Array<[number, number]> = [];
          let i = 0;
          for (const [dma, len] of list) {
            if (len === 0) continue;
            let got = 0;
            while (got < len) {
              const p = pieces[i++]!;
              expect(p[0]).toBe(dma + got);
              got += p[1];
            }
            rejoined.push([dma, got]);
          }
          expect(i).toBe(pieces.length);
          expect(rejoined).toEqual(list.filter(([, l]) => l !== 0));
          expect(numSegments(entries, s)).toBe(pieces.length);
        },
      ),
    );
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  NO_MAX_SEGMENT_SIZE,
  NO_SEGMENT_BOUNDARY,
  noSegmentation,
  numSegmentsRange,
} from "../../src/dma-list/segmentation.js";
import {
  checkMinAlignForIommu,
  fillIovaMap,
  IovaLayout,
  type IovaMapStep,
  rsiovaAlignment,
} from "../../src/mapping/iova-layout.js";

const G = 0x1000;

describe("rsiova helpers (docs/vectors.md#iova-layout)", () => {
  it.each([
    [NO_SEGMENT_BOUNDARY, 0x12345, 0x1000],
    [0xffff, 0x5000, 0x8000],
    [0xffff, 0x30000, 0x10000],
    [0xffff, 0x800, 0x1000],
  ])("rsiova_alignment(mask %s, length %s) = %s", (mask, length, want) => {
    expect(rsiovaAlignment(G, mask, length)).toBe(want);
  });

  it("rsiova_init min_align check: 0xFFF is fine, 0x1FFF is EINVAL", () => {
    expect(() => checkMinAlignForIommu(G, 0xfff)).not.toThrow();
    expect(() => checkMinAlignForIommu(G, 0x1fff)).toThrow(/EINVAL/);
  });

  it("fill_iova_map unit: cur 0x5800, phys 0x12345800, len 0x1900 -> {0x5000, 0x12345000, 0x3000}, next 0x8000", () => {
    const out: IovaMapStep = { iova: 0, phys: 0, length: 0 };
    expect(fillIovaMap(0x5800, 0x1234_5800, 0x1900, G, out)).toBe(0x8000);
    expect(out).toEqual({ iova: 0x5000, phys: 0x1234_5000, length: 0x3000 });
  });

  it("slow-path layout of [0x10800+0x800, 0x50000+0x2000, 0x90000+0x300] (INTENDED)", () => {
    const layout = new IovaLayout(noSegmentation, G);
    const entries = [
      [0x10800, 0x800],
      [0x50000, 0x2000],
      [0x90000, 0x300],
    ];
    const rel: number[] = [];
    const maps: IovaMapStep[] = [];
    for (const [phys, len] of entries) {
      const at = layout.place(phys!, len!);
      rel.push(at);
      const m = { iova: 0, phys: 0, length: 0 };
      fillIovaMap(at, phys!, len!, G, m);
      maps.push(m);
    }
    expect(rel).toEqual([0x800, 0x1000, 0x3000]);
    expect(layout.length).toBe(0x4000);
    expect(maps).toEqual([
      { iova: 0, phys: 0x10000, length: 0x1000 },
      { iova: 0x1000, phys: 0x50000, length: 0x2000 },
      { iova: 0x3000, phys: 0x90000, length: 0x1000 },
    ]);
  });

  it("IOMMU-SG-2: a 64 KiB boundary pads the 8 KiB entry to the next window", () => {
    const seg = { minAlignMask: 0, segmentBoundaryMask: 0xffff, maxSegmentSize: NO_MAX_SEGMENT_SIZE };
    const layout = new IovaLayout(seg, G);
    expect(layout.place(0x10_0000, 0xf000)).toBe(0);
    expect(layout.place(0x20_0000, 0x2000)).toBe(0x10000);
    expect(layout.length).toBe(0x12000);
    expect(layout.padded).toBe(1);
    // A 4 KiB second entry fits exactly in [0xF000, 0x10000): no pad.
    const l2 = new IovaLayout(seg, G);
    l2.place(0x10_0000, 0xf000);
    expect(l2.place(0x20_0000, 0x1000)).toBe(0xf000);
  });

  it("property: no entry needs more segments in the window than in CPU space; granules never shared", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(0xfffff), fc.integer({ min: 1, max: 0x30000 })), {
          minLength: 1,
          maxLength: 10,
        }),
        fc.integer({ min: 12, max: 20 }),
        fc.integer({ min: 0x200, max: 0x40000 }),
        (entries, k, maxSeg) => {
          const seg = { minAlignMask: 0, segmentBoundaryMask: 2 ** k - 1, maxSegmentSize: maxSeg };
          const layout = new IovaLayout(seg, G);
          let prevEnd = 0;
          for (const [phys, len] of entries) {
            const at = layout.place(phys, len);
            expect(at % G).toBe(phys % G);
            expect(Math.floor(at / G) * G).toBeGreaterThanOrEqual(prevEnd);
            expect(numSegmentsRange(at, len, 2 ** k - 1, maxSeg)).toBeLessThanOrEqual(
              numSegmentsRange(phys, len, 2 ** k - 1, maxSeg),
            );
            prevEnd = layout.cur;
            expect(prevEnd % G).toBe(0);
          }
        },
      ),
    );
  });
});

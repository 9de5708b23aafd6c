import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ArrayDmaCursor } from "../../src/dma-list/dma-entries.js";
import {
  sgEntriesForDmaList,
  sgSplit,
  sgSplitBig,
  sgSplitCount,
  UINT_MAX,
} from "../../src/dmabuf/scatterlist-split.js";

const GiB = 2 ** 30;

describe("dma-buf scatterlist split at UINT_MAX (DMABUF-1, docs/vectors.md#dma-buf)", () => {
  it("splits 8 GiB into 3 entries, the last of 2 bytes", () => {
    const A = 0x38_0000_0000;
    expect(sgSplit(A, 8 * GiB)).toEqual([
      [A, 0xffff_ffff],
      [A + 0xffff_ffff, 0xffff_ffff],
      [A + 0x1_ffff_fffe, 2],
    ]);
    expect(sgSplitCount(8 * GiB)).toBe(3);
  });

  it("reproduces the pre-6.19 u32 overflow from the third entry on", () => {
    const A = 0x38_0000_0000;
    const bad = sgSplit(A, 8 * GiB, { asWritten: true });
    expect(bad[2]).toEqual([A + 0xffff_fffe, 2]); // lands inside entry 1
    // Below 8 GiB - 1 there are at most two entries and the bug is invisible.
    expect(sgSplit(A, 8 * GiB - 2, { asWritten: true })).toEqual(sgSplit(A, 8 * GiB - 2));
  });

  it("counts 16 GiB and 64 GiB BARs", () => {
    expect(sgSplitCount(16 * GiB)).toBe(5);
    expect(sgSplitCount(64 * GiB)).toBe(17);
    expect(sgSplitCount(0)).toBe(0);
  });

  it("covers the range exactly, in order, for any address and length", () => {
    fc.assert(
      fc.property(fc.nat(2 ** 50), fc.nat(2 ** 40), (addr, length) => {
        const e = sgSplit(addr, length);
        expect(e.length).toBe(sgSplitCount(length));
        let at = addr;
        for (const [a, l] of e) {
          expect(a).toBe(at);
          expect(l).toBeGreaterThan(0);
          expect(l).toBeLessThanOrEqual(UINT_MAX);
          at += l;
        }
        expect(at).toBe(addr + length);
        expect(sgSplitBig(BigInt(addr), BigInt(length))).toEqual(e.map(([a, l]) => [BigInt(a), BigInt(l)]));
      }),
      { numRuns: 100 },
    );
  });

  it("works over the whole 64-bit space with the Big form and wraps nothing", () => {
    const top = (1n << 64n) - 16n * 2n ** 30n;
    const e = sgSplitBig(top, 16n * 2n ** 30n);
    expect(e.length).toBe(5);
    expect(e[4]![0] + e[4]![1]).toBe(1n << 64n);
  });

  it("rejects unsafe numbers with ERANGE", () => {
    expect(() => sgSplit(2 ** 53, 1)).toThrow(/ERANGE/);
    expect(() => sgSplit(2 ** 52, 2 ** 52)).toThrow(/ERANGE/);
    expect(() => sgSplit(0, -1)).toThrow(/ERANGE/);
    expect(() => sgSplitBig(1n << 64n, 1n)).toThrow(/ERANGE/);
    expect(() => sgSplitCount(0.5)).toThrow(/ERANGE/);
  });
});

describe("sgEntriesForDmaList", () => {
  it("sums the UINT_MAX split over every entry", () => {
    const list = new ArrayDmaCursor([
      [0x1000, 16 * 2 ** 30],
      [0x40_0000_0000, 0x1000],
      [0, 0],
    ]);
    expect(sgEntriesForDmaList(list)).toBe(5 + 1);
  });
});

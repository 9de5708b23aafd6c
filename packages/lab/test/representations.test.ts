import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BVEC_BYTES, bioVec, bioVecPage } from "../src/representations/bvec.js";
import { jsObjects } from "../src/representations/js-objects.js";
import { pageArray, pageArrayObstacle } from "../src/representations/page-array.js";
import {
  SG_ENTRY_BYTES,
  scatterlist,
  sgAllocatedEntries,
  sgChunkSizes,
} from "../src/representations/scatterlist.js";
import { PAGE_SIZE, pagesTouched, type RangeSet, totalBytes } from "../src/workloads/range-set.js";
import { arbPageSet, pages, setOf } from "./helpers.js";

/** Reference: entries merged when byte-contiguous, page-aligned at the join, same provider. */
function refSgEntries(set: RangeSet): number {
  let n = 0;
  for (let g = 0; g < set.groups; g++) {
    let prevEnd = -1;
    let prevProvider = 0;
    let len = 0;
    for (let i = set.groupStart[g]!; i < set.groupStart[g + 1]!; i++) {
      const p = set.phys[i]!;
      const join = p === prevEnd && p % PAGE_SIZE === 0 && prevProvider === set.provider[i]!;
      if (!join || len + set.length[i]! > 0xfffff000) {
        n++;
        len = 0;
      }
      len += set.length[i]!;
      prevEnd = p + set.length[i]!;
      prevProvider = set.provider[i]!;
    }
  }
  return n;
}

describe("scatterlist chaining (docs/vectors.md#scatterlist)", () => {
  it.each([
    [127, [127], 127],
    [128, [128], 128],
    [129, [128, 2], 130],
    [300, [128, 128, 46], 302],
  ])("nents %i -> chunks %j, %i allocated", (nents, chunks, alloc) => {
    expect(sgChunkSizes(nents)).toEqual(chunks);
    expect(sgAllocatedEntries(nents)).toBe(alloc);
  });

  it("1 GiB of uncoalesced 4 KiB pages costs 8 454 656 bytes", () => {
    expect(sgAllocatedEntries(262144) * SG_ENTRY_BYTES).toBe(8_454_656);
    expect(sgChunkSizes(262144)).toHaveLength(2065);
    expect(sgChunkSizes(262144).at(-1)).toBe(16);
  });

  it("usable entries always equal nents and only full chunks chain", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20000 }), (n) => {
        const sizes = sgChunkSizes(n);
        const usable = sizes.reduce((a, s, i) => a + (i < sizes.length - 1 ? s - 1 : s), 0);
        expect(usable).toBe(n);
        expect(sizes.slice(0, -1).every((s) => s === 128)).toBe(true);
        expect(sizes.reduce((a, b) => a + b, 0)).toBe(sgAllocatedEntries(n));
      }),
    );
  });
});

describe("scatterlist from pages (SGP vectors)", () => {
  it("SGP-1: PFNs 100,101,102,200,201 -> 2 entries", () => {
    const set = pages(100, 101, 102, 200, 201);
    const b = scatterlist.build(set);
    expect(b.entries).toBe(2);
    expect(b.bytes).toBe(2 * 32);
    expect(b.iterate()).toBe(5 * PAGE_SIZE);
  });

  it("SGP-3: a P2P page does not merge with RAM", () => {
    const set = setOf([
      [
        { pfn: 10, order: 0, offset: 0, length: PAGE_SIZE, provider: -1 },
        { pfn: 11, order: 0, offset: 0, length: PAGE_SIZE, provider: 0 },
      ],
    ]);
    expect(scatterlist.build(set).entries).toBe(2);
  });

  it("a chained table walks every entry through the chain links", () => {
    const pfns = Array.from({ length: 300 }, (_, i) => 1000 + 2 * i);
    const b = scatterlist.build(pages(...pfns));
    expect(b.entries).toBe(300);
    expect(b.bytes).toBe(302 * 32);
    expect(b.payloadBytes).toBe(300 * 32);
    expect(b.iterate()).toBe(300 * PAGE_SIZE);
  });

  it("matches the reference merge and describes every byte", () => {
    fc.assert(
      fc.property(arbPageSet, (set) => {
        const b = scatterlist.build(set);
        expect(b.entries).toBe(refSgEntries(set));
        expect(b.iterate()).toBe(totalBytes(set));
        expect(b.bytes).toBeGreaterThanOrEqual(b.entries * 32);
      }),
      { numRuns: 200 },
    );
  });
});

describe("bio_vec", () => {
  it("multi-page merges byte-contiguous ranges, per-page splits at page ends", () => {
    // BV-2: one 8 KiB buffer at offset 1024 of 3 contiguous pages -> 1 multi-page, 3 single-page.
    const set = setOf([
      [
        { pfn: 50, order: 0, offset: 1024, length: 3072, provider: -1 },
        { pfn: 51, order: 0, offset: 0, length: 4096, provider: -1 },
        { pfn: 52, order: 0, offset: 0, length: 1024, provider: -1 },
      ],
    ]);
    expect(bioVec.build(set).entries).toBe(1);
    expect(bioVecPage.build(set).entries).toBe(3);
    expect(bioVec.build(set).bytes).toBe(BVEC_BYTES);
  });

  it("per-page entries equal pages touched; both describe every byte", () => {
    fc.assert(
      fc.property(arbPageSet, (set) => {
        const mp = bioVec.build(set);
        const sp = bioVecPage.build(set);
        expect(sp.entries).toBe(pagesTouched(set));
        expect(mp.entries).toBeLessThanOrEqual(sp.entries);
        expect(mp.iterate()).toBe(totalBytes(set));
        expect(sp.iterate()).toBe(totalBytes(set));
        expect(sp.bytes).toBe(sp.entries * 16);
      }),
      { numRuns: 200 },
    );
  });

  it("refuses pageless PHYSICAL ranges", () => {
    const set = setOf([[{ pfn: 0x380000, order: 0, offset: 0, length: 65536, provider: 0 }]]);
    expect(bioVec.unsupported(set)).toMatch(/struct page/);
    expect(pageArray.unsupported(set)).toMatch(/struct page/);
    expect(scatterlist.unsupported(set)).toBeNull();
  });
});

describe("page array", () => {
  it("counts one pointer per page and walks offset/size like a pinned array", () => {
    fc.assert(
      fc.property(arbPageSet, (set) => {
        expect(pageArrayObstacle(set)).toBeNull();
        const b = pageArray.build(set);
        expect(b.entries).toBe(pagesTouched(set));
        expect(b.bytes).toBe(8 * b.entries);
        expect(b.iterate()).toBe(totalBytes(set));
      }),
      { numRuns: 200 },
    );
  });

  it("refuses a list with a partial page in the middle", () => {
    const set = setOf([
      [
        { pfn: 1, order: 0, offset: 0, length: 2048, provider: -1 },
        { pfn: 9, order: 0, offset: 0, length: 4096, provider: -1 },
      ],
    ]);
    expect(pageArrayObstacle(set)).toMatch(/mid-page/);
  });
});

describe("plain JS objects", () => {
  it("keeps one object per contiguous run and reports measured heap", () => {
    const pfns = Array.from({ length: 20000 }, (_, i) => 0x100000 + 2 * i);
    const b = jsObjects.build(pages(...pfns));
    expect(b.entries).toBe(20000);
    expect(b.iterate()).toBe(20000 * PAGE_SIZE);
    expect(b.measured).toBe(true);
    // An object per entry costs well over the dense 24 bytes and under a few hundred.
    expect(b.bytes / b.entries).toBeGreaterThan(24);
    expect(b.bytes / b.entries).toBeLessThan(400);
  });

  it("timing builds skip the heap measurement and say so", () => {
    const b = jsObjects.build(pages(1, 3), true);
    expect(b.measured).toBe(false);
    expect(b.entries).toBe(2);
  });
});

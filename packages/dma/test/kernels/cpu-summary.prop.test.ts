/**
 * summarizeCpuList() and isPageList(): the WebAssembly kernels over a CpuRangeList's chunks give
 * exactly what the TypeScript loops give, on random lists of every entry form, chunk size and
 * memory page size, empty lists included, and leave the cursor where the loop leaves it.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isPageList, summarizeCpuList, summarizeCpuListReference } from "../../src/mapping/cpu-source.js";
import { CHUNKS, cpuList, cpuOpsArb, outcome, pageListOpsArb, withKernels, world } from "./fixture.js";

const PAGE_SIZES = [4096, 16384, 65536] as const;
const TEST_PAGES = [4096, 512, 1, 2 ** 16, 2 ** 31] as const;

describe("summarizeCpuList / isPageList kernels", () => {
  it("equal the TypeScript loops on random lists (every form, chunk size, page size, empty)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CHUNKS),
        fc.constantFrom(...PAGE_SIZES),
        fc.constantFrom(...TEST_PAGES),
        fc.oneof(cpuOpsArb, pageListOpsArb),
        (chunkBytes, memPage, testPage, ops) => {
          const w = world(memPage);
          const list = cpuList(w, chunkBytes, ops);
          try {
            const ck = list.cursor();
            const kernel = withKernels(0, () => outcome(() => summarizeCpuList(ck, testPage)));
            const cr = list.cursor();
            const ref = outcome(() => summarizeCpuListReference(cr, testPage));
            expect(kernel).toEqual(ref);
            // The loop leaves its cursor past the end; so does the kernel path.
            expect([ck.valid, ck.position, ck.index]).toEqual([cr.valid, cr.position, cr.index]);
            const viaLoop = withKernels(Number.POSITIVE_INFINITY, () => isPageList(list, testPage));
            expect(withKernels(0, () => isPageList(list, testPage))).toBe(viaLoop);
            if (ref.ok) expect(viaLoop).toBe(ref.value.isPagelist);
            // The list's own flag uses the memory's page size.
            expect(withKernels(0, () => isPageList(list, memPage))).toBe(list.isPageList);
          } finally {
            list.clear();
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it("every path refuses a page size that is not a power of two", () => {
    const list = cpuList(world(), 512, []);
    for (const bad of [0, 3, 4095, 1.5, Number.NaN]) {
      expect(outcome(() => summarizeCpuList(list.cursor(), bad))).toEqual({ ok: false, code: "EINVAL" });
      expect(outcome(() => isPageList(list, bad))).toEqual({ ok: false, code: "EINVAL" });
    }
  });

  it("a summary read by the kernel sees the pending last entry and P2P folios", () => {
    const w = world();
    const list = cpuList(w, 128, [
      { kind: "pages", edge: 2, page: 0, pages: 3, follow: false },
      { kind: "p2p", page: 5, pages: 2, physical: false, provider: false },
      { kind: "pages", edge: 4, page: 7, pages: 1, follow: false },
    ]);
    const s = withKernels(0, () => summarizeCpuList(list.cursor()));
    expect(s).toEqual({
      entries: 3,
      totalLength: 6 * 4096,
      hasP2p: true,
      isPagelist: true,
      firstPhys: 2 ** 32,
      physStart: 2 ** 32,
      physEnd: 2 ** 52 + 8 * 4096,
    });
    list.clear();
  });
});

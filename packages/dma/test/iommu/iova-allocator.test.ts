import { isRlistError } from "@rlist/encoding";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CountdownFaults } from "../../src/iommu/faults.js";
import { IOVA_MAG_SIZE, IovaAllocator } from "../../src/iommu/iova-allocator.js";

const LIMIT32 = 0xfffff; // DMA_BIT_MASK(32) >> 12

describe("IovaAllocator: IOVA-1, IOVA-2 (docs/vectors.md#iova-allocator)", () => {
  it("IOVA-1: 3 -> 4 pages at 0xFFFFC, then 1 at 0xFFFFB, then 5 -> 8 at 0xFFFF0", () => {
    const a = new IovaAllocator();
    expect(a.allocFast(3, LIMIT32)).toBe(0xffffc);
    expect(a.find(0xffffc)).toEqual({ pfnLo: 0xffffc, pfnHi: 0xfffff, reserved: false });
    expect(a.allocFast(1, LIMIT32)).toBe(0xffffb);
    expect(a.allocFast(5, LIMIT32)).toBe(0xffff0);
    expect(a.find(0xffff7)).toEqual({ pfnLo: 0xffff0, pfnHi: 0xffff7, reserved: false });
    expect(a.outstandingGranules).toBe(4 + 1 + 8);
    // Freeing the 3-page request parks it in the order-2 bin: the next 3- or 4-page request reuses it.
    a.freeFast(0xffffc, 3);
    expect(a.outstandingGranules).toBe(9);
    expect(a.cachedGranulesCount).toBe(4);
    expect(a.allocFast(4, LIMIT32)).toBe(0xffffc);
    expect(a.cachedGranulesCount).toBe(0);
  });

  it("IOVA-2: 33 pages are not rounded but aligned to 64, and never cached", () => {
    const a = new IovaAllocator();
    const pfn = a.allocFast(33, LIMIT32);
    expect(pfn % 64).toBe(0);
    expect(pfn).toBe(0xfffc0);
    expect(a.find(pfn)).toEqual({ pfnLo: pfn, pfnHi: pfn + 32, reserved: false });
    a.freeFast(pfn, 33);
    expect(a.allocatedGranules).toBe(0);
  });

  it("sizes under 32 granules round up to a power of two; 32 and above keep their size", () => {
    const a = new IovaAllocator();
    for (const [req, got] of [
      [1, 1],
      [3, 4],
      [17, 32],
      [31, 32],
      [32, 32],
      [40, 40],
    ] as const) {
      const pfn = a.allocFast(req, LIMIT32);
      const r = a.find(pfn)!;
      expect(r.pfnHi - r.pfnLo + 1).toBe(got);
      expect(pfn % 2 ** Math.ceil(Math.log2(req))).toBe(0);
    }
  });

  it("allocates top-down below the limit and never hands out pfn 0", () => {
    const a = new IovaAllocator({ rcache: false });
    expect(a.alloc(2, 7)).toBe(6);
    expect(a.alloc(2, 7)).toBe(4);
    expect(a.alloc(2, 7)).toBe(2);
    expect(() => a.alloc(2, 7)).toThrow(/ENOMEM/);
    expect(a.alloc(1, 7)).toBe(1);
    try {
      a.alloc(1, 7);
      expect.unreachable();
    } catch (e) {
      expect(isRlistError(e, "ENOMEM")).toBe(true);
    }
  });

  it("reuses freed space above the cached node (__cached_rbnode_delete_update + retry)", () => {
    const a = new IovaAllocator({ rcache: false });
    const x = a.alloc(4, LIMIT32);
    const y = a.alloc(4, LIMIT32);
    expect(y).toBe(x - 4);
    a.free(x);
    expect(a.alloc(4, LIMIT32)).toBe(x);
    a.free(y);
    expect(a.alloc(4, LIMIT32)).toBe(y);
  });

  it("respects reserved regions", () => {
    const a = new IovaAllocator({ rcache: false });
    a.reserve(0xfee00, 0xfeeff);
    expect(a.alloc(0x1000, LIMIT32)).toBe(0xff000);
    // 0xfe000 would overlap the reserved MSI window: the next aligned fit is below it.
    expect(a.alloc(0x1000, LIMIT32)).toBe(0xfd000);
    expect(a.reservedGranulesCount).toBe(0x100);
    expect(a.find(0xfee80)).toEqual({ pfnLo: 0xfee00, pfnHi: 0xfeeff, reserved: true });
    expect(() => a.reserve(0xfd080, 0xfd090)).toThrow(/EBUSY/);
  });

  it("flushes the range cache and retries once before failing (alloc_iova_fast)", () => {
    const a = new IovaAllocator();
    expect(a.allocFast(8, 15)).toBe(8);
    a.freeFast(8, 8);
    expect(a.cachedGranulesCount).toBe(8);
    expect(a.allocFast(4, 15)).toBe(4);
    // [1, 3] is too small and [8, 15] is parked in the order-3 bin.
    expect(() => a.allocFast(4, 15, false)).toThrow(/ENOMEM/);
    expect(a.cachedGranulesCount).toBe(8);
    expect(a.allocFast(4, 15)).toBe(12);
    expect(a.cachedGranulesCount).toBe(0);
  });

  it("trims the depot from its head: the magazine pushed last goes back to the tree (iova_depot_pop)", () => {
    // One order-0 bin: loaded and prev fill first (2 x 127), then each full loaded magazine is
    // pushed on the depot. The second push leaves two magazines; drivers/iommu/iova.c's depot is a
    // LIFO list, so iova_depot_work_func() pops and frees the one just pushed, not the oldest.
    const a = new IovaAllocator();
    const mag = (k: number) => Array.from({ length: IOVA_MAG_SIZE }, (_, i) => k * IOVA_MAG_SIZE + i);
    const pfns = Array.from({ length: 4 * IOVA_MAG_SIZE + 1 }, () => a.allocFast(1, LIMIT32));
    for (const pfn of pfns) a.freeFast(pfn, 1);
    // pfns[0..126] went to prev, [127..253] were pushed first, [254..380] pushed second, [381] is loaded.
    const pushedFirst = mag(1).map((i) => pfns[i]!);
    const pushedLast = mag(2).map((i) => pfns[i]!);
    expect(pushedLast.every((pfn) => a.find(pfn) === undefined)).toBe(true);
    expect(pushedFirst.every((pfn) => a.find(pfn) !== undefined)).toBe(true);
    expect(a.cachedGranulesCount).toBe(2 * IOVA_MAG_SIZE + 1);
    // Draining the bin: loaded (1), then prev (127), then the surviving depot magazine.
    const drained = Array.from({ length: 2 * IOVA_MAG_SIZE + 1 }, () => a.allocFast(1, LIMIT32));
    expect(new Set(drained.slice(1 + IOVA_MAG_SIZE))).toEqual(new Set(pushedFirst));
    expect(a.cachedGranulesCount).toBe(0);
  });

  it("rejects bad frees and sizes", () => {
    const a = new IovaAllocator();
    expect(() => a.free(5)).toThrow(/EINVAL/);
    expect(() => a.allocFast(0, 10)).toThrow(/EINVAL/);
    expect(() => a.allocFast(1, -1)).toThrow(/ERANGE/);
    const p = a.allocFast(1, 10);
    a.freeFast(p, 1);
    expect(() => a.freeFast(p, 1)).toThrow(/EINVAL/);
  });

  it("fault injection fails the allocation and leaves the tree unchanged", () => {
    const faults = new CountdownFaults(0, ["iova"], true);
    const a = new IovaAllocator({ faults });
    expect(() => a.allocFast(1, LIMIT32)).toThrow(/ENOMEM/);
    expect(a.nodeCount).toBe(0);
  });
});

describe("IovaAllocator: property against a reference model", () => {
  type Op = { kind: "alloc"; size: number } | { kind: "free"; pick: number };
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant("alloc" as const), size: fc.integer({ min: 1, max: 40 }) }),
    fc.record({ kind: fc.constant("free" as const), pick: fc.nat() }),
  );

  it("never overlaps, stays aligned and in bounds, fails only when no aligned gap exists", () => {
    fc.assert(
      // One limit per run: like the kernel, a failure records max32_alloc_size for every limit below 4 GiB.
      fc.property(
        fc.array(opArb, { maxLength: 80 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 255 }),
        (ops, rcache, limit) => {
          const a = new IovaAllocator({ rcache });
          const held = new Map<number, { size: number; rounded: number }>();
          for (const op of ops) {
            if (op.kind === "alloc") {
              const rounded = op.size < 32 ? 2 ** Math.ceil(Math.log2(op.size)) : op.size;
              const align = 2 ** Math.ceil(Math.log2(rounded));
              let pfn = -1;
              try {
                pfn = a.allocFast(op.size, limit);
              } catch (e) {
                expect(isRlistError(e, "ENOMEM")).toBe(true);
              }
              if (pfn === -1) {
                // After the flush, every parked range was returned: no aligned gap may exist.
                const taken = [...held.entries()].map(([p, h]) => [p, p + h.rounded - 1] as const);
                for (let cand = 1; cand + rounded - 1 <= limit; cand++) {
                  if (cand % align !== 0) continue;
                  const free = taken.every(([lo, hi]) => cand + rounded - 1 < lo || cand > hi);
                  expect(free).toBe(false);
                }
                continue;
              }
              expect(pfn).toBeGreaterThanOrEqual(1);
              expect(pfn % align).toBe(0);
              expect(pfn + rounded - 1).toBeLessThanOrEqual(limit);
              for (const [p, h] of held) expect(pfn + rounded - 1 < p || pfn > p + h.rounded - 1).toBe(true);
              held.set(pfn, { size: op.size, rounded });
            } else if (held.size > 0) {
              const keys = [...held.keys()];
              const pfn = keys[op.pick % keys.length]!;
              a.freeFast(pfn, held.get(pfn)!.size);
              held.delete(pfn);
            }
            expect(a.outstandingGranules).toBe([...held.values()].reduce((t, h) => t + h.rounded, 0));
          }
          for (const [pfn, h] of held) a.freeFast(pfn, h.size);
          expect(a.outstandingGranules).toBe(0);
          a.flushRcache();
          expect(a.nodeCount).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });
});

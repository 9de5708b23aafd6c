/**
 * Issue 12 item 2, as a property: random allocations with good and bad frees (wrong size, wrong
 * address, double free) never give two live allocations overlapping IOVA, and a refused free
 * changes nothing (find_iova() in drivers/iommu/iova.c).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expectCode } from "../../../../scripts/expect-code.js";
import { IommuDomain } from "../../src/iommu/iommu-domain.js";

function state(d: IommuDomain) {
  return JSON.stringify([d.iovad.ranges(), d.iovad.outstandingGranules, d.iovad.cachedGranulesCount]);
}

describe("IommuDomain.freeIova against a model (issue 12 item 2)", () => {
  it("random allocs, good and bad frees never overlap and bad frees change nothing", () => {
    type Op = { alloc: number } | { free: number; how: "ok" | "size" | "addr" | "twice" };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ alloc: fc.integer({ min: 1, max: 70 }) }),
      fc.record({ free: fc.nat(), how: fc.constantFrom("ok", "ok", "size", "addr", "twice") }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.boolean(), (ops, rcache) => {
        const d = new IommuDomain({ rcache });
        const held = new Map<number, number>(); // iova -> bytes asked
        const freed: number[] = [];
        const g = d.granule;
        const rounded = (bytes: number) => {
          const n = bytes / g;
          return n < 32 ? 2 ** Math.ceil(Math.log2(n)) : n;
        };
        for (const o of ops) {
          if ("alloc" in o) {
            const iova = d.allocIova(o.alloc * g, 2 ** 32 - 1);
            for (const [p, b] of held) {
              expect(iova + rounded(o.alloc * g) * g <= p || iova >= p + rounded(b) * g).toBe(true);
            }
            held.set(iova, o.alloc * g);
            continue;
          }
          const keys = [...held.keys()];
          if (keys.length === 0) continue;
          const iova = keys[o.free % keys.length]!;
          const bytes = held.get(iova)!;
          const before = state(d);
          if (o.how === "ok") {
            d.freeIova(iova, bytes);
            held.delete(iova);
            freed.push(iova);
          } else if (o.how === "size") {
            const wrong = rounded(bytes) * g * 2;
            expectCode(() => d.freeIova(iova, wrong), "EINVAL");
            expect(state(d)).toBe(before);
          } else if (o.how === "addr") {
            expectCode(() => d.freeIova(iova + g, bytes), "EINVAL");
            expect(state(d)).toBe(before);
          } else {
            const gone = freed.find((f) => !held.has(f));
            if (gone !== undefined) {
              expectCode(() => d.freeIova(gone, g), "EINVAL");
              expect(state(d)).toBe(before);
            }
          }
        }
        for (const [iova, bytes] of held) d.freeIova(iova, bytes);
        expect(d.iovad.outstandingGranules).toBe(0);
      }),
      { numRuns: 150 },
    );
  });
});

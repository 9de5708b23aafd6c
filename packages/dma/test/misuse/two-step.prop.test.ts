/**
 * Issue 12 item 4, as a property: random link / unlink / destroy / free sequences on one window,
 * checked after every call against a model of the linked granules (drivers/iommu/dma-iommu.c
 * semantics, with the refusals of src/mapping/two-step.ts).
 */

import type { RlistErrorCode } from "@rlist/encoding";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expectCode } from "../../../../scripts/expect-code.js";
import { IommuDomain } from "../../src/iommu/iommu-domain.js";
import { DmaDevice } from "../../src/mapping/device.js";
import { iovaAlloc, iovaDestroy, iovaFree, iovaLink, iovaUnlink } from "../../src/mapping/two-step.js";

const G = 0x1000;

function setup() {
  const iommu = new IommuDomain();
  const dev = new DmaDevice({ name: "nvme", iommu });
  return { iommu, dev };
}

const look = (iommu: IommuDomain) =>
  JSON.stringify([iommu.pageTable.leaves(), iommu.iovad.ranges(), iommu.iovad.outstandingGranules]);

describe("two-step DMA API against a model (issue 12 item 4)", () => {
  it("random link / unlink / destroy / free sequences against a model never leave a page mapped", () => {
    type Op =
      | { op: "link"; at: number; n: number }
      | { op: "unlink"; at: number; n: number }
      | { op: "destroy"; len: number }
      | { op: "free" };
    const WINDOW = 16;
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.record({
          op: fc.constant("link" as const),
          at: fc.nat(WINDOW),
          n: fc.integer({ min: 1, max: 5 }),
        }),
      },
      {
        weight: 3,
        arbitrary: fc.record({
          op: fc.constant("unlink" as const),
          at: fc.nat(WINDOW),
          n: fc.integer({ min: 1, max: 5 }),
        }),
      },
      { weight: 1, arbitrary: fc.record({ op: fc.constant("destroy" as const), len: fc.nat(WINDOW) }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant("free" as const) }) },
    );
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
        const { iommu, dev } = setup();
        const s = iovaAlloc(dev, WINDOW * G, 0)!;
        const linked = new Set<number>(); // granules, the model
        let live = true;
        for (const o of ops) {
          const before = look(iommu);
          const expectRefused = (code: RlistErrorCode, fn: () => void) => {
            expectCode(fn, code);
            expect(look(iommu)).toBe(before);
          };
          if (!live) {
            expectRefused("EBUSY", () => iovaFree(dev, s));
            continue;
          }
          if (o.op === "link") {
            const inside = o.at + o.n <= WINDOW;
            const clash = [...Array(o.n).keys()].some((i) => linked.has(o.at + i));
            if (!inside)
              expectRefused("EINVAL", () => iovaLink(dev, s, 0x100_0000, o.at * G, o.n * G, "to-device"));
            else if (clash)
              expectRefused("EBUSY", () => iovaLink(dev, s, 0x100_0000, o.at * G, o.n * G, "to-device"));
            else {
              iovaLink(dev, s, 0x100_0000 + o.at * G, o.at * G, o.n * G, "to-device");
              for (let i = 0; i < o.n; i++) linked.add(o.at + i);
            }
          } else if (o.op === "unlink") {
            const all = o.at + o.n <= WINDOW && [...Array(o.n).keys()].every((i) => linked.has(o.at + i));
            if (!all) expectRefused("EINVAL", () => iovaUnlink(dev, s, o.at * G, o.n * G, "to-device"));
            else {
              iovaUnlink(dev, s, o.at * G, o.n * G, "to-device");
              for (let i = 0; i < o.n; i++) linked.delete(o.at + i);
            }
          } else if (o.op === "destroy") {
            if ([...linked].some((g) => g >= o.len))
              expectRefused("EBUSY", () => iovaDestroy(dev, s, o.len * G, "to-device"));
            else {
              iovaDestroy(dev, s, o.len * G, "to-device");
              linked.clear();
              live = false;
            }
          } else if (linked.size > 0) expectRefused("EBUSY", () => iovaFree(dev, s));
          else {
            iovaFree(dev, s);
            live = false;
          }
          expect(iommu.mappedPages).toBe(linked.size);
          for (let g = 0; g < WINDOW; g++) {
            expect(iommu.translate(s.addr + g * G)).toBe(linked.has(g) ? 0x100_0000 + g * G : -1);
          }
        }
        if (live) iovaDestroy(dev, s, WINDOW * G, "to-device");
        expect(iommu.idle).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

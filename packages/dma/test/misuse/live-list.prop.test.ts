/**
 * The device's live list (what dma-debug keeps per device, behind `outstanding()`, `assertIdle()`
 * and `syncSingleForCpu()`) against a model: an array of the live mappings in the order they were
 * made. The list pops the newest entry on release and drops any other in batches, so sequences
 * that release in every order (newest, oldest, random), with more than a batch outstanding, must
 * still list exactly the live mappings, oldest first, and sync only what is still mapped.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expectCode } from "../../../../scripts/expect-code.js";
import { CpuRangeList } from "../../src/cpu/cpu-range-list.js";
import { IommuDomain } from "../../src/iommu/iommu-domain.js";
import { DmaDevice } from "../../src/mapping/device.js";
import { type DmaMapping, mapRangeList } from "../../src/mapping/mapper.js";
import type { IovaState } from "../../src/mapping/two-step.js";
import { iovaAlloc, iovaDestroy, iovaLink } from "../../src/mapping/two-step.js";
import { PhysicalMemory } from "../../src/memory/physical-memory.js";

const memory = new PhysicalMemory({ regions: [{ start: 0, size: 2 ** 34, kind: "ram" }] });

type Op =
  | { kind: "map" }
  | { kind: "window" }
  | { kind: "release"; pick: number; from: "new" | "old" | "any" };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<Op>({ kind: "map" }) },
  { weight: 1, arbitrary: fc.constant<Op>({ kind: "window" }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("release" as const),
      pick: fc.nat(),
      from: fc.constantFrom("new" as const, "old" as const, "any" as const),
    }),
  },
);

interface Live {
  tag: string;
  /** A DMA address only this mapping maps (dma-direct: its one page), or -1 for a window. */
  dma: number;
  release(): void;
}

function run(ops: Op[], withIommu: boolean): void {
  const dev = withIommu ? new DmaDevice({ iommu: new IommuDomain() }) : new DmaDevice({ name: "direct" });
  const model: Live[] = [];
  const released: number[] = [];
  let made = 0;
  for (const o of ops) {
    if (o.kind === "map") {
      const n = made++;
      const list = CpuRangeList.fromPfns(memory, [0x1000 + 2 * n]); // a page of its own
      const m: DmaMapping = mapRangeList(dev, list, { direction: "bidirectional", tag: `m${n}` });
      const c = m.list.cursor();
      c.reset();
      model.push({ tag: `m${n}`, dma: c.dmaAddress, release: () => m.unmap() });
    } else if (o.kind === "window") {
      if (!withIommu) continue;
      const n = made++;
      const s: IovaState = iovaAlloc(dev, 0x1000, 0, { tag: `w${n}` })!;
      iovaLink(dev, s, 0x10_0000, 0, 0x1000, "to-device");
      model.push({ tag: `w${n}`, dma: -1, release: () => iovaDestroy(dev, s, 0x1000, "to-device") });
    } else {
      if (model.length === 0) continue;
      const i = o.from === "new" ? model.length - 1 : o.from === "old" ? 0 : o.pick % model.length;
      const [gone] = model.splice(i, 1);
      gone!.release();
      if (gone!.dma >= 0) released.push(gone!.dma);
    }
    expect(dev.outstanding().map((e) => e.tag)).toEqual(model.map((e) => e.tag));
  }
  // Every live mapping syncs by its address; a released one is "not mapped" (EINVAL).
  for (const e of model) if (e.dma >= 0) dev.syncSingleForCpu(e.dma, 0x10, "bidirectional");
  // (dma-direct only: behind the IOMMU a released IOVA may be handed out again.)
  if (!withIommu) {
    for (const dma of released) expectCode(() => dev.syncSingleForCpu(dma, 0x10, "bidirectional"), "EINVAL");
  }
  if (model.length === 0) dev.assertIdle();
  else expectCode(() => dev.assertIdle(), "EBUSY");
  for (const e of model.splice(0)) e.release();
  dev.assertIdle();
  expect(dev.outstanding()).toEqual([]);
}

describe("DmaDevice live list against a model", () => {
  it("lists exactly the live mappings, oldest first, whatever order they are released in", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), fc.boolean(), (ops, withIommu) => run(ops, withIommu)),
      { numRuns: 60 },
    );
  });

  it("releasing oldest first past a batch (a ring of 40 in flight) keeps the order", () => {
    const ops: Op[] = [];
    for (let i = 0; i < 40; i++) ops.push({ kind: "map" });
    for (let i = 0; i < 300; i++) ops.push({ kind: "release", pick: 0, from: "old" }, { kind: "map" });
    run(ops, false);
    run(ops, true);
  });
});

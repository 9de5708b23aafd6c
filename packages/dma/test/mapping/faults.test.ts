/**
 * Fault injection: fail every allocation a mapping makes, one at a time, and check that the failing
 * call leaves nothing mapped or allocated and the CPU list unchanged.
 */
import { isRlistError } from "@rlist/encoding";
import { describe, expect, it } from "vitest";
import { CpuRangeList } from "../../src/cpu/cpu-range-list.js";
import { CountdownFaults, type FaultSite } from "../../src/iommu/faults.js";
import { IommuDomain } from "../../src/iommu/iommu-domain.js";
import { summarizeCpuList } from "../../src/mapping/cpu-source.js";
import { DmaDevice } from "../../src/mapping/device.js";
import { mapRangeList } from "../../src/mapping/mapper.js";
import { SwiotlbPool } from "../../src/mapping/swiotlb.js";
import { PhysicalMemory } from "../../src/memory/physical-memory.js";

const memory = new PhysicalMemory({
  regions: [
    { start: 0x100_0000, size: 0x3f00_0000, kind: "ram" },
    { start: 0x2_0000_0000, size: 0x10_0000_0000, kind: "ram" },
  ],
});

function snapshot(list: CpuRangeList): string {
  const out: number[] = [];
  const c = list.cursor();
  for (let ok = c.reset(); ok; ok = c.next()) out.push(c.phys, c.length);
  return `${list.count}/${list.length}/${out.join(",")}`;
}

/** Page list: 16 scattered 4 MiB runs of 4K pages, 64 MiB of IOVA (dozens of table pages). */
function pageList(): CpuRangeList {
  const list = new CpuRangeList(memory);
  for (let i = 0; i < 16; i++) list.appendPage(0x2_0000_0000 / 4096 + i * 0x1_0001, 0, 0x40_0000);
  return list;
}

/** Mixed list: a 2 MiB folio, scattered pages with offsets, pages above 4 GiB. */
function mixedList(): CpuRangeList {
  const list = new CpuRangeList(memory);
  const f = memory.folioOrder(0x3_0000) === 9 ? memory.folioOf(0x3_0000)! : memory.declareFolio(0x3_0000, 9);
  list.appendFolio(f, 0, 0x20_0000);
  for (let i = 0; i < 40; i++) list.appendPage(0x2_0000 + i * 37, (i % 4) * 0x400, 0x1000 + (i % 3) * 0x200);
  for (let i = 0; i < 20; i++) list.appendPage(0x20_0000 + i * 1001, 0, 0x3000);
  return list;
}

/** Fails allocation 0, 1, 2, ... until a mapping makes no more; returns [failures, allocations]. */
function everyStep(
  sites: FaultSite[],
  run: (faults: CountdownFaults) => () => void,
  after: () => void,
): [number, number] {
  let failures = 0;
  for (let failAt = 0; failAt < 10_000; failAt++) {
    const faults = new CountdownFaults(failAt, sites);
    let undo: (() => void) | null = null;
    try {
      undo = run(faults);
    } catch (e) {
      expect(isRlistError(e, "ENOMEM")).toBe(true);
      after();
      failures++;
      continue;
    }
    undo();
    after();
    if (faults.calls <= failAt) return [failures, faults.calls];
  }
  throw new Error("fault loop did not end");
}

describe("fault injection at every allocation of a mapping", () => {
  for (const perEntry of [false, true]) {
    it(`IOMMU ${perEntry ? "per-entry" : "page-list"} path: IOVA and page-table allocations`, () => {
      const list = perEntry ? mixedList() : pageList();
      expect(list.isPageList).toBe(!perEntry);
      const before = snapshot(list);
      const summary = perEntry ? { ...summarizeCpuList(list.cursor()), isPagelist: false } : undefined;
      let iommu: IommuDomain | null = null;
      const [failures, allocations] = everyStep(
        ["iova", "pgtable"],
        (faults) => {
          iommu = new IommuDomain({ faults });
          const dev = new DmaDevice({ iommu, dmaMaskBits: 48 });
          const m = mapRangeList(dev, list, { direction: "to-device", ...(summary ? { summary } : {}) });
          return () => m.unmap();
        },
        () => {
          const d = iommu!;
          expect(d.mappedPages).toBe(0);
          expect(d.pageTablePages).toBe(1);
          expect(d.iovad.outstandingGranules).toBe(0);
          expect(snapshot(list)).toBe(before);
        },
      );
      // The first IOVA failure is absorbed: alloc_iova_fast() flushes the range cache and retries.
      expect(failures).toBe(allocations - 1);
      expect(failures).toBeGreaterThanOrEqual(perEntry ? 2 : 30);
    });
  }

  it("dma-direct with swiotlb: every bounce slot allocation", () => {
    const list = mixedList();
    const before = snapshot(list);
    let pool: SwiotlbPool | null = null;
    const [failures] = everyStep(
      ["swiotlb"],
      (faults) => {
        pool = new SwiotlbPool({ base: 0x100_0000, size: 0x80_0000, memory, faults });
        const dev = new DmaDevice({ dmaMaskBits: 32, swiotlb: pool });
        const m = mapRangeList(dev, list, { direction: "bidirectional" });
        return () => m.unmap();
      },
      () => {
        expect(pool!.usedSlots).toBe(0);
        expect(snapshot(list)).toBe(before);
      },
    );
    expect(failures).toBe(20); // the 20 pages above 4 GiB are bounced
  });
});

/**
 * Issue 12 item 1: a mapping releases exactly what it mapped, whatever the caller did to the DMA
 * list it was handed. The list is frozen while mapped (its mutators throw EBUSY, the way
 * CONFIG_DMA_API_DEBUG catches a driver that scribbles on a mapped scatterlist); a caller that
 * reaches past it into the storage still cannot make unmap() release another mapping's pages.
 */
import { describe, expect, it } from "vitest";
import { expectCode } from "../../../../scripts/expect-code.js";
import { CpuRangeList } from "../../src/cpu/cpu-range-list.js";
import { DmaKind } from "../../src/dma-list/dma-range-list.js";
import { IommuDomain } from "../../src/iommu/iommu-domain.js";
import { DmaDevice } from "../../src/mapping/device.js";
import { type DmaMapping, mapRangeList } from "../../src/mapping/mapper.js";
import { SwiotlbPool } from "../../src/mapping/swiotlb.js";
import { PhysicalMemory } from "../../src/memory/physical-memory.js";

const memory = new PhysicalMemory({ regions: [{ start: 0, size: 2 ** 34, kind: "ram" }] });

function pages(first: number, n: number, stride = 3): CpuRangeList {
  const l = new CpuRangeList(memory);
  for (let i = 0; i < n; i++) l.appendPage(first + i * stride, 0, 0x1000);
  return l;
}

/** A list that is not a page list: sub-page pieces, so the per-entry layout is taken. */
function pieces(first: number, n: number): CpuRangeList {
  const l = new CpuRangeList(memory);
  for (let i = 0; i < n; i++) l.appendPage(first + i * 5, 0x100 * (i % 3), 0x300);
  return l;
}

const snapshot = (m: DmaMapping) => JSON.stringify(m.list.toArray());

describe("a mapping owns what it mapped (issue 12 item 1)", () => {
  for (const layout of ["linear", "per-entry"] as const) {
    it(`IOMMU ${layout}: the DMA list is frozen while mapped; every mutator is EBUSY and changes nothing`, () => {
      const iommu = new IommuDomain();
      const dev = new DmaDevice({ iommu });
      const a = mapRangeList(dev, layout === "linear" ? pages(0x100, 8) : pieces(0x100, 8), {
        direction: "to-device",
      });
      const b = mapRangeList(dev, layout === "linear" ? pages(0x900, 8) : pieces(0x900, 8), {
        direction: "to-device",
      });
      expect(a.path).toBe(layout === "linear" ? "iommu-linear" : "iommu-per-entry");
      const before = snapshot(a);
      expectCode(() => a.list.setBase(b.iova), "EBUSY");
      expectCode(() => a.list.clear(), "EBUSY");
      expectCode(() => a.list.truncate(0), "EBUSY");
      expectCode(() => a.list.append(DmaKind.DIRECT, 0x1000, 0x1000), "EBUSY");
      expectCode(() => a.list.appendRelative(0, 0x1000), "EBUSY");
      expectCode(() => a.list.appendBig(DmaKind.BUS_ADDR, 0x1000n, 0x1000n), "EBUSY");
      expect(snapshot(a)).toBe(before);
      a.unmap();
      b.unmap();
      expect(iommu.idle).toBe(true);
      // Unmapped, the list is the caller's again (empty).
      a.list.append(DmaKind.DIRECT, 0x1000, 0x1000);
      expect(a.list.count).toBe(1);
    });

    it(`IOMMU ${layout}: unmap releases its own pages even when the storage was emptied behind its back`, () => {
      const iommu = new IommuDomain();
      const dev = new DmaDevice({ iommu });
      const mk = (first: number) =>
        mapRangeList(dev, layout === "linear" ? pages(first, 8) : pieces(first, 8), {
          direction: "bidirectional",
        });
      const a = mk(0x100);
      const aPages = iommu.mappedPages;
      const b = mk(0x900);
      const bPages = iommu.mappedPages - aPages;
      const bFirst = b.list.toArray()[0]!.dmaAddress;
      const bPhys = iommu.translate(bFirst);
      // The underlying RangeList is reachable (for stats); a hostile caller empties it.
      a.list.storage!.clear();
      a.unmap();
      expect(iommu.mappedPages).toBe(bPages);
      expect(iommu.translate(bFirst)).toBe(bPhys); // b untouched
      expect(iommu.iovad.outstandingGranules).toBe(b.iovaSize / iommu.granule);
      b.unmap();
      expect(iommu.idle).toBe(true);
    });
  }

  it("dma-direct with swiotlb: unmap returns exactly its bounce slots", () => {
    const swiotlb = new SwiotlbPool({ base: 0x100_0000, size: 0x40000, memory });
    const dev = new DmaDevice({ dmaMaskBits: 32, swiotlb });
    const high = (pfn: number) => {
      const l = new CpuRangeList(memory);
      l.appendPage(pfn, 0x10, 0x200);
      l.appendPage(pfn + 7, 0, 0x1000);
      return l;
    };
    const a = mapRangeList(dev, high(0x20_0000), { direction: "to-device" });
    const b = mapRangeList(dev, high(0x30_0000), { direction: "to-device" });
    const used = swiotlb.usedSlots;
    expectCode(() => a.list.clear(), "EBUSY");
    a.list.storage!.clear();
    a.unmap();
    expect(swiotlb.usedSlots).toBe(used / 2);
    b.unmap();
    expect(swiotlb.usedSlots).toBe(0);
  });
});

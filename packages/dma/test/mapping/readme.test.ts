import { describe, expect, it } from "vitest";
import { CpuRangeList } from "../../src/cpu/cpu-range-list.js";
import { IommuDomain } from "../../src/iommu/iommu-domain.js";
import { DmaDevice } from "../../src/mapping/device.js";
import { deviceTranslate } from "../../src/mapping/device-view.js";
import { DmaKind } from "../../src/mapping/dma-range-list.js";
import { mapRangeList } from "../../src/mapping/mapper.js";
import { PhysicalMemory } from "../../src/memory/physical-memory.js";

describe("README: IOMMU, DMA lists and the mapper", () => {
  it("runs the example as written", () => {
    const memory = new PhysicalMemory({ regions: [{ start: 0, size: 2 ** 34, kind: "ram" }] });
    const pages = CpuRangeList.fromPfns(memory, [0x1000, 0x1001, 0x5000, 0x9000]);
    const iommu = new IommuDomain();
    const nic = new DmaDevice({
      iommu,
      dmaMaskBits: 64,
      segmentation: { minAlignMask: 0, segmentBoundaryMask: 0xffff_ffff, maxSegmentSize: 0x1_0000 },
    });
    const m = mapRangeList(nic, pages, { direction: "bidirectional" });
    expect(m.path).toBe("iommu-linear");
    const [e] = m.list.toArray();
    expect(m.list.count).toBe(1);
    expect(e).toEqual({ dmaAddress: m.iova, length: 0x4000, kind: DmaKind.IOVA });
    expect(deviceTranslate(nic, e!.dmaAddress + 0x2000)).toMatchObject({
      ok: true,
      phys: 0x500_0000,
      route: "iommu",
    });
    m.unmap();
    expect(iommu.idle).toBe(true);
  });
});

import { describe, expect, it } from "vitest";
import {
  DmaBufExporter,
  DmaDevice,
  IB_ACCESS_LOCAL_WRITE,
  IB_ACCESS_ON_DEMAND,
  IommuDomain,
  PhysicalMemory,
  pinTable,
  registerMemoryRegion,
} from "../../src/index.js";

describe("README: RDMA MR and dma-buf example", () => {
  it("runs as written and gives the figures the comments state", () => {
    const memory = new PhysicalMemory({ regions: [{ start: 2 ** 32, size: 2 ** 36, kind: "ram" }] });
    const hca = new DmaDevice({ name: "mlx5_0", iommu: new IommuDomain() });
    const thp = memory.declareFolio(0x10_0000, 9);
    const pages = Array.from({ length: 512 }, (_, i) => thp.pfn + i);
    const mr = registerMemoryRegion({
      device: hca,
      memory,
      pages,
      iova: 0x7f00_0020_0000,
      access: IB_ACCESS_LOCAL_WRITE | IB_ACCESS_ON_DEMAND,
      pageSizeBitmap: 0x1000 | 0x20_0000 | 0x4000_0000,
    });
    expect(mr.bestPageSize()).toBe(0x20_0000);
    expect(mr.pageList()).toHaveLength(1);
    expect(pinTable(memory).pinCount(thp.pfn)).toBe(512);
    expect(mr.invalidate(mr.iova, 0x1000)).toBe(512);
    expect(mr.fault(mr.iova, 0x1000)).toBe(1);
    expect(mr.memoryReport()).toMatchObject({ cpuListBytes: 512, dmaListBytes: 512, pageArrayBytes: 4096 });
    mr.deregister();
    expect(() => mr.deregister()).toThrow(/EBUSY/);
    expect(pinTable(memory).pinnedPages).toBe(0);
    expect(typeof DmaBufExporter).toBe("function");
  });
});

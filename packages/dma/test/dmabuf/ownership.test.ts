/**
 * Issue 12 item 6: a dma-buf attachment owns the mappings the exporter hands it. `mapping.unmap()`
 * called directly on one is refused (EBUSY, naming the exporter's unmap), so the attachment never
 * loses track of a mapping and every order of calls can still end clean. The same holds for the
 * mapping behind an RDMA MR (deregister it instead).
 */
import { describe, expect, it } from "vitest";
import { expectCode } from "../../../../scripts/expect-code.js";
import { CpuRangeList } from "../../src/cpu/cpu-range-list.js";
import { DmaBufExporter } from "../../src/dmabuf/exporter.js";
import { IommuDomain } from "../../src/iommu/iommu-domain.js";
import { DmaDevice } from "../../src/mapping/device.js";
import { PhysicalMemory } from "../../src/memory/physical-memory.js";
import { IB_ACCESS_LOCAL_WRITE } from "../../src/rdma/access.js";
import { registerMemoryRegion } from "../../src/rdma/registration.js";

const memory = new PhysicalMemory({ regions: [{ start: 0, size: 2 ** 34, kind: "ram" }] });

describe("one owner per mapping (issue 12 item 6)", () => {
  it("a dma-buf mapping cannot be unmapped behind its attachment's back; the attachment still ends clean", () => {
    const iommu = new IommuDomain();
    const dev = new DmaDevice({ name: "gpu", iommu });
    const exp = new DmaBufExporter(CpuRangeList.fromPfns(memory, [0x100, 0x200]), { name: "fb0" });
    const att = exp.attach({ device: dev, moveNotify: () => {} });
    const list = exp.map(att, "to-device");
    const m = exp.mappingOf(att, list);
    expect(m.owner).toMatch(/fb0/);
    const err = expectCode(() => m.unmap(), "EBUSY");
    expect(err.message).toMatch(/fb0/);
    expect(m.mapped).toBe(true);
    expect(att.mappingCount).toBe(1);
    expect(dev.outstanding()[0]!.owner).toMatch(/fb0/);
    exp.unmap(att, list);
    exp.detach(att);
    expect(iommu.idle).toBe(true);
    dev.assertIdle();
  });

  it("an MR's mapping cannot be unmapped behind the MR's back; deregister still works", () => {
    const iommu = new IommuDomain();
    const dev = new DmaDevice({ name: "hca", iommu });
    const mr = registerMemoryRegion({
      device: dev,
      pages: [0x100, 0x101, 0x300],
      memory,
      iova: 0x7000_0000,
      access: IB_ACCESS_LOCAL_WRITE,
      pageSizeBitmap: 0x1000,
    });
    expectCode(() => mr.mapping.unmap(), "EBUSY");
    expect(mr.mapping.mapped).toBe(true);
    mr.deregister();
    expect(iommu.idle).toBe(true);
    dev.assertIdle();
  });
});

/**
 * Issue 12 item 13 (dma part): an API whose output grows with an input value refuses up front,
 * with a typed error above a documented cap, instead of running the process out of heap.
 */
import { describe, expect, it } from "vitest";
import { expectCode } from "../../../../scripts/expect-code.js";
import { CpuRangeList } from "../../src/cpu/cpu-range-list.js";
import { SG_SPLIT_MAX_ENTRIES, sgSplit, sgSplitBig, UINT_MAX } from "../../src/dmabuf/scatterlist-split.js";
import { IommuDomain, SZ_4K } from "../../src/iommu/iommu-domain.js";
import { DmaDevice } from "../../src/mapping/device.js";
import { SWIOTLB_MAX_SIZE, SwiotlbPool } from "../../src/mapping/swiotlb.js";
import { PhysicalMemory } from "../../src/memory/physical-memory.js";
import { IB_ACCESS_LOCAL_WRITE } from "../../src/rdma/access.js";
import { MR_PAGE_LIST_MAX } from "../../src/rdma/memory-region.js";
import { registerMemoryRegion } from "../../src/rdma/registration.js";

describe("output caps (issue 12 item 13)", () => {
  it("sgSplitBig(0n, 2n**64n) is ENOMEM at once; the cap itself still splits", () => {
    expectCode(() => sgSplitBig(0n, 2n ** 64n), "ENOMEM");
    expectCode(() => sgSplit(0, Number.MAX_SAFE_INTEGER), "ENOMEM");
    const atCap = BigInt(UINT_MAX) * BigInt(SG_SPLIT_MAX_ENTRIES);
    expect(sgSplitBig(0n, atCap)).toHaveLength(SG_SPLIT_MAX_ENTRIES);
    expectCode(() => sgSplitBig(0n, atCap + 1n), "ENOMEM");
  });

  it("sgSplitBig with the wrong types is EINVAL", () => {
    expectCode(() => sgSplitBig(0 as never, 1n), "EINVAL");
    expectCode(() => sgSplitBig(0n, Symbol("n") as never), "EINVAL");
    expectCode(() => sgSplitBig(0n, 1n, null as never), "EINVAL");
    expectCode(() => sgSplit(0n as never, 1), "EINVAL");
  });

  it("a swiotlb pool above SWIOTLB_MAX_SIZE is refused before any slot array is made", () => {
    expectCode(() => new SwiotlbPool({ base: 0, size: 2 ** 52 }), "ENOMEM");
    expectCode(() => new SwiotlbPool({ base: 0, size: SWIOTLB_MAX_SIZE * 2 }), "ENOMEM");
  });

  it("an MR's pageList above MR_PAGE_LIST_MAX pages is ENOMEM (walk mr.blocks() instead)", () => {
    const memory = new PhysicalMemory({ regions: [{ start: 0, size: 2 ** 40, kind: "ram" }] });
    const cpu = new CpuRangeList(memory);
    const pages = MR_PAGE_LIST_MAX + 1;
    cpu.appendPage(0x10_0000, 0, pages * SZ_4K); // one physically contiguous run
    const mr = registerMemoryRegion({
      device: new DmaDevice({ iommu: new IommuDomain() }),
      cpuList: cpu,
      iova: 0,
      access: IB_ACCESS_LOCAL_WRITE,
      pageSizeBitmap: SZ_4K,
    });
    expectCode(() => mr.pageList(SZ_4K), "ENOMEM");
    let n = 0;
    const c = mr.blocks(SZ_4K);
    for (let ok = c.reset(); ok && n < 3; ok = c.next()) n++;
    expect(n).toBe(3);
    mr.deregister();
  });
});

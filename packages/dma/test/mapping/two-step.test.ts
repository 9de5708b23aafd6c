import { describe, expect, it } from "vitest";
import { expectCode } from "../../../../scripts/expect-code.js";
import { IommuDomain } from "../../src/iommu/iommu-domain.js";
import { DmaDevice } from "../../src/mapping/device.js";
import {
  iovaAlloc,
  iovaDestroy,
  iovaFree,
  iovaLink,
  iovaSync,
  iovaUnlink,
} from "../../src/mapping/two-step.js";

const device = (iommu = new IommuDomain()) => {
  const dev = new DmaDevice({ name: "nvme", iommu, dmaMaskBits: 64 });
  dev.iommuState.pci32BitWorkaround = true; // as for a PCI device: SAC addresses first
  return dev;
};

describe("two-step DMA API (docs/two-step.md, IOVA2-1 in docs/vectors.md#two-step)", () => {
  it("IOVA2-1: two links, one sync, one DMA range, destroy frees the 4-page window via the order-2 bin", () => {
    const iommu = new IommuDomain();
    const dev = device(iommu);
    const state = iovaAlloc(dev, 0x3000, 0x1234_5200)!;
    const B = 0xffffc000; // 4 pages, 4-page aligned, below 4 GiB
    expect(state.addr).toBe(B + 0x200);
    expect(state.size).toBe(0x3000);
    expect(iommu.iovad.outstandingGranules).toBe(4);

    iovaLink(dev, state, 0x1234_5200, 0, 0xe00, "to-device");
    expect(iommu.translate(B)).toBe(0x1234_5000);
    expect(iommu.translate(B + 0x200)).toBe(0x1234_5200);
    iovaLink(dev, state, 0x2000_0000, 0xe00, 0x2000, "to-device");
    expect(iommu.translate(B + 0x1000)).toBe(0x2000_0000);
    expect(iommu.translate(B + 0x2fff)).toBe(0x2000_1fff);
    expect(iommu.translate(B + 0x3000)).toBe(-1);
    const syncsBefore = iommu.counters.iotlbSyncs;
    iovaSync(dev, state, 0, 0x2e00);
    expect(iommu.counters.iotlbSyncs).toBe(syncsBefore + 1);

    // The device sees one contiguous range: every byte translates to the right CPU byte.
    for (let i = 0; i < 0x2e00; i += 0x100) {
      const want = i < 0xe00 ? 0x1234_5200 + i : 0x2000_0000 + (i - 0xe00);
      expect(iommu.translate(state.addr + i)).toBe(want);
    }

    iovaDestroy(dev, state, 0x2e00, "to-device");
    expect(iommu.mappedPages).toBe(0);
    expect(iommu.iovad.outstandingGranules).toBe(0);
    expect(iommu.iovad.cachedGranulesCount).toBe(4);
    expect(iommu.idle).toBe(true);
    expect(() => iovaFree(dev, state)).toThrow(/EBUSY/);
  });

  it("only the first link may start mid-granule", () => {
    const dev = device();
    const state = iovaAlloc(dev, 0x4000, 0)!;
    expect(() => iovaLink(dev, state, 0x5_0100, 0x1000, 0x100, "bidirectional")).toThrow(/EIO/);
    expect(dev.iommu!.mappedPages).toBe(0);
    iovaLink(dev, state, 0x5_0000, 0x1000, 0x1000, "bidirectional");
    expect(() => iovaLink(dev, state, 0x9_0000, 0x1800, 0x100, "bidirectional")).toThrow(/EINVAL/);
    expect(() => iovaLink(dev, state, 0x9_0000, 0x3000, 0x2000, "bidirectional")).toThrow(/EINVAL/);
    expect(() => iovaLink(dev, state, 0x9_0000, 0x1000, 0x1000, "bidirectional")).toThrow(/EBUSY/);
    iovaUnlink(dev, state, 0x1000, 0x1000, "bidirectional");
    expect(dev.iommu!.mappedPages).toBe(0);
    iovaFree(dev, state);
    expect(dev.iommu!.idle).toBe(true);
  });

  it("returns null without an IOMMU or for size 0, like dma_iova_try_alloc() returning false", () => {
    expect(iovaAlloc(new DmaDevice(), 0x1000, 0)).toBeNull();
    expect(iovaAlloc(device(), 0, 0)).toBeNull();
  });

  it("MMIO links get IOMMU_MMIO protection and skip the CPU cache sync", () => {
    const iommu = new IommuDomain();
    const dev = new DmaDevice({ iommu, coherent: false });
    const state = iovaAlloc(dev, 0x2000, 0)!;
    iovaLink(dev, state, 0xe000_0000, 0, 0x1000, "from-device", { mmio: true });
    expect(iommu.protectionOf(state.addr)).toBe(2 | 4);
    expect(dev.counters.cacheSyncs).toBe(0);
    iovaLink(dev, state, 0x10_0000, 0x1000, 0x1000, "to-device");
    expect(iommu.protectionOf(state.addr + 0x1000)).toBe(1);
    expect(dev.counters.cacheSyncs).toBe(1);
    iovaDestroy(dev, state, 0x2000, "bidirectional");
    expect(iommu.idle).toBe(true);
  });

  it("a link over a linked granule is refused before anything is mapped, bounced or counted", () => {
    const iommu = new IommuDomain();
    const dev = new DmaDevice({ iommu, coherent: false });
    const state = iovaAlloc(dev, 0x3000, 0)!;
    iovaLink(dev, state, 0x5_0000, 0x1000, 0x1000, "to-device");
    const before = { ...iommu.counters, syncs: dev.counters.cacheSyncs, pages: iommu.mappedPages };
    // Overlapping the linked granule from below: the first granule is free, the second is not.
    expectCode(() => iovaLink(dev, state, 0x9_0000, 0, 0x2000, "to-device"), "EBUSY");
    expectCode(() => iovaLink(dev, state, 0x9_0000, 0x1000, 0x10, "to-device"), "EBUSY");
    expect({ ...iommu.counters, syncs: dev.counters.cacheSyncs, pages: iommu.mappedPages }).toEqual(before);
    expect(iommu.translate(state.addr)).toBe(-1);
    iovaDestroy(dev, state, 0x3000, "to-device");
    expect(iommu.idle).toBe(true);
  });

  it("link attributes must be an object of boolean flags (EINVAL, nothing mapped)", () => {
    const dev = device();
    const state = iovaAlloc(dev, 0x1000, 0)!;
    for (const attrs of [null, 1, { mmio: Number.NaN }, { skipCpuSync: "yes" }, { mmio: 1 }]) {
      expectCode(() => iovaLink(dev, state, 0x5_0000, 0, 0x1000, "to-device", attrs as never), "EINVAL");
    }
    expect(dev.iommu!.mappedPages).toBe(0);
    expect(dev.iommu!.counters.mapCalls).toBe(0);
    iovaFree(dev, state);
  });

  it("mappedLen 0 just frees the window", () => {
    const dev = device();
    const state = iovaAlloc(dev, 0x5000, 0x123)!;
    iovaDestroy(dev, state, 0, "to-device");
    expect(dev.iommu!.idle).toBe(true);
  });
});

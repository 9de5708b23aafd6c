import { isRlistError } from "@rlist/encoding";
import { describe, expect, it } from "vitest";
import { DmaKind } from "../../src/dma-list/dma-range-list.js";
import { numSegments } from "../../src/dma-list/segments.js";
import { CountdownFaults } from "../../src/iommu/faults.js";
import { IommuDomain } from "../../src/iommu/iommu-domain.js";
import { IOMMU_MMIO } from "../../src/iommu/page-table.js";
import { summarizeCpuList } from "../../src/mapping/cpu-source.js";
import { DmaDevice } from "../../src/mapping/device.js";
import { deviceTranslate } from "../../src/mapping/device-view.js";
import { exposedBytes, mappingExposure } from "../../src/mapping/exposure.js";
import { mapRangeList } from "../../src/mapping/mapper.js";
import { SwiotlbPool } from "../../src/mapping/swiotlb.js";
import { ArrayCpuList, SparseMemory, switchTopology } from "./helpers.js";

const sacDevice = (iommu: IommuDomain, extra: Partial<ConstructorParameters<typeof DmaDevice>[0]> = {}) => {
  const dev = new DmaDevice({ iommu, ...extra });
  dev.iommuState.pci32BitWorkaround = true;
  return dev;
};

describe("mapRangeList: dma-direct", () => {
  it("identity: the CPU list is reused as is (docs/vectors.md#rlist_dma-vectors)", () => {
    const dev = new DmaDevice();
    const cpu = new ArrayCpuList([{ phys: 0x100010, length: 0x100 }]);
    const m = mapRangeList(dev, cpu, { direction: "to-device" });
    expect(m.path).toBe("identity");
    expect(m.list.isIdentity).toBe(true);
    expect(m.list.toArray()).toEqual([{ dmaAddress: 0x100010, length: 0x100, kind: DmaKind.DIRECT }]);
    expect(m.list.stats().bytes).toBe(0);
    m.unmap();
    expect(m.mapped).toBe(false);
    expect(() => m.unmap()).toThrow(/EBUSY/);
  });

  it("identity with a direct-map offset", () => {
    const dev = new DmaDevice({ directOffset: 0x8000_0000 });
    const m = mapRangeList(dev, new ArrayCpuList([{ phys: 0x1000, length: 0x10 }]), {
      direction: "bidirectional",
    });
    expect(m.list.toArray()[0]!.dmaAddress).toBe(0x8000_1000);
    expect(deviceTranslate(dev, 0x8000_1008)).toMatchObject({ ok: true, phys: 0x1008, route: "direct" });
  });

  it("a 32-bit device bounces what it cannot reach and copies the data both ways", () => {
    const mem = new SparseMemory();
    const swiotlb = new SwiotlbPool({ base: 0x400_0000, size: 0x10_0000, memory: mem });
    const dev = new DmaDevice({ dmaMaskBits: 32, swiotlb, coherent: false });
    mem.write(0x1_2345_6100, new Uint8Array([1, 2, 3]));
    const cpu = new ArrayCpuList([
      { phys: 0x10_0000, length: 0x1000 },
      { phys: 0x1_2345_6100, length: 3 },
    ]);
    const m = mapRangeList(dev, cpu, { direction: "bidirectional" });
    expect(m.path).toBe("direct");
    const [low, high] = m.list.toArray();
    expect(low).toEqual({ dmaAddress: 0x10_0000, length: 0x1000, kind: DmaKind.DIRECT });
    expect(high!.kind).toBe(DmaKind.BOUNCE);
    expect(swiotlb.contains(high!.dmaAddress)).toBe(true);
    const view = deviceTranslate(dev, high!.dmaAddress + 1);
    expect(view).toMatchObject({ ok: true, route: "bounce", backing: 0x1_2345_6101 });
    // The bounce buffer got the data at map time; the device writes; unmap copies back.
    const buf = new Uint8Array(3);
    mem.read(high!.dmaAddress, buf);
    expect([...buf]).toEqual([1, 2, 3]);
    mem.write(high!.dmaAddress + 2, new Uint8Array([9]));
    expect(exposedBytes(m)).toBe(2048 - 0x100 - 3 + 0x100);
    m.unmap();
    mem.read(0x1_2345_6100, buf);
    expect([...buf]).toEqual([1, 2, 9]);
    expect(swiotlb.usedSlots).toBe(0);
    expect(dev.counters.cacheSyncs).toBe(4); // 2 for device at map, 2 for CPU at unmap
  });

  it("without swiotlb an unreachable buffer is EIO and nothing stays mapped", () => {
    const swiotlb = new SwiotlbPool({ base: 0x400_0000, size: 0x4_0000 });
    const dev = new DmaDevice({ dmaMaskBits: 32, swiotlb });
    const cpu = new ArrayCpuList([
      { phys: 0x1_0000_0000, length: 0x100 },
      { phys: 0x1_0000_1000, length: 0x4_0001 }, // too big for one bounce mapping
    ]);
    expect(() => mapRangeList(dev, cpu, { direction: "to-device" })).toThrow(/EINVAL/);
    expect(swiotlb.usedSlots).toBe(0);
    const bare = new DmaDevice({ dmaMaskBits: 32 });
    try {
      mapRangeList(bare, cpu, { direction: "to-device" });
      expect.unreachable();
    } catch (e) {
      expect(isRlistError(e, "EIO")).toBe(true);
    }
  });
});

describe("mapRangeList: IOMMU", () => {
  it("IOMMU-SG-1: a page list maps to one DMA entry (0xFFFFC200, 0x2600)", () => {
    const iommu = new IommuDomain();
    const dev = sacDevice(iommu);
    const cpu = new ArrayCpuList([
      { phys: 0x10_0200, length: 0xe00 },
      { phys: 0x50_0000, length: 0x1000 },
      { phys: 0x90_0000, length: 0x800 },
    ]);
    const m = mapRangeList(dev, cpu, { direction: "to-device" });
    expect(m.path).toBe("iommu-linear");
    expect(m.list.toArray()).toEqual([{ dmaAddress: 0xffffc200, length: 0x2600, kind: DmaKind.IOVA }]);
    expect(m.iova).toBe(0xffffc000);
    expect(iommu.mappedPages).toBe(3);
    expect(iommu.counters.iotlbSyncs).toBe(1);
    expect(deviceTranslate(dev, 0xffffc200 + 0xe00)).toMatchObject({
      ok: true,
      phys: 0x50_0000,
      route: "iommu",
      prot: 1,
    });
    expect(exposedBytes(m)).toBe(0x200 + 0x800);
    m.unmap();
    expect(iommu.idle).toBe(true);
    expect(deviceTranslate(dev, 0xffffc200)).toEqual({ ok: false, fault: "iommu" });
  });

  it("IOVA layout: fast path {rel 0x800, 0x2B00} in a 0x4000 window (docs/vectors.md#iova-layout)", () => {
    const iommu = new IommuDomain();
    const dev = sacDevice(iommu);
    const cpu = new ArrayCpuList([
      { phys: 0x10800, length: 0x800 },
      { phys: 0x50000, length: 0x2000 },
      { phys: 0x90000, length: 0x300 },
    ]);
    const m = mapRangeList(dev, cpu, { direction: "bidirectional" });
    expect(m.iovaSize).toBe(0x4000);
    const c = m.list.cursor();
    c.reset();
    expect([c.storedBase, c.length, c.dmaAddress - m.iova]).toEqual([0x800, 0x2b00, 0x800]);
    m.unmap();
  });

  it("IOVA layout: slow path entries, maps and unmaps (INTENDED, docs/vectors.md#iova-layout)", () => {
    const iommu = new IommuDomain();
    const dev = sacDevice(iommu);
    const cpu = new ArrayCpuList([
      { phys: 0x10800, length: 0x800 },
      { phys: 0x50000, length: 0x2000 },
      { phys: 0x90000, length: 0x300 },
    ]);
    const summary = { ...summarizeCpuList(cpu.cursor()), isPagelist: false };
    const m = mapRangeList(dev, cpu, { direction: "bidirectional", summary });
    expect(m.path).toBe("iommu-per-entry");
    expect(m.iovaSize).toBe(0x4000);
    const B = m.iova;
    expect(m.list.toArray()).toEqual([
      { dmaAddress: B + 0x800, length: 0x800, kind: DmaKind.IOVA },
      { dmaAddress: B + 0x1000, length: 0x2000, kind: DmaKind.IOVA },
      { dmaAddress: B + 0x3000, length: 0x300, kind: DmaKind.IOVA },
    ]);
    expect(iommu.pageTable.leaves().map(([iova, phys, size]) => [iova - B, phys, size])).toEqual([
      [0, 0x10000, 0x1000],
      [0x1000, 0x50000, 0x1000],
      [0x2000, 0x51000, 0x1000],
      [0x3000, 0x90000, 0x1000],
    ]);
    expect(iommu.counters.iotlbSyncs).toBe(1);
    m.unmap();
    expect(iommu.idle).toBe(true);
  });

  it("IOMMU-SG-2: boundary padding keeps the segment count", () => {
    const iommu = new IommuDomain();
    const seg = { minAlignMask: 0, segmentBoundaryMask: 0xffff, maxSegmentSize: 0x10000 };
    const dev = sacDevice(iommu, { segmentation: seg });
    const cpu = new ArrayCpuList([
      { phys: 0x10_0000, length: 0xf000 },
      { phys: 0x20_0000, length: 0x2000 },
    ]);
    const summary = { ...summarizeCpuList(cpu.cursor()), isPagelist: false };
    const m = mapRangeList(dev, cpu, { direction: "to-device", summary });
    const B = m.iova;
    expect(B % 0x20000).toBe(0);
    expect(m.list.toArray().map((e) => [e.dmaAddress - B, e.length])).toEqual([
      [0, 0xf000],
      [0x10000, 0x2000],
    ]);
    expect(numSegments(m.list.cursor(), seg)).toBe(2);
    m.unmap();
  });

  it("min_align_mask above the granule is EINVAL", () => {
    const dev = sacDevice(new IommuDomain(), {
      segmentation: { minAlignMask: 0x1fff, segmentBoundaryMask: 2 ** 53 - 1, maxSegmentSize: 2 ** 53 - 1 },
    });
    expect(() =>
      mapRangeList(dev, new ArrayCpuList([{ phys: 0, length: 1 }]), { direction: "to-device" }),
    ).toThrow(/EINVAL/);
  });

  it("an empty list maps to an empty DMA list with no IOVA", () => {
    const iommu = new IommuDomain();
    const m = mapRangeList(sacDevice(iommu), new ArrayCpuList([]), { direction: "to-device" });
    expect(m.list.count).toBe(0);
    expect(m.iova).toBe(-1);
    m.unmap();
    expect(iommu.idle).toBe(true);
  });
});

describe("mapRangeList: P2P (docs/vectors.md#p2p-mapping)", () => {
  it("BUS_ADDR: absolute bus-address entry, no IOVA, skipped by unmap", () => {
    const { nic, gpuBar } = switchTopology();
    const iommu = new IommuDomain();
    const dev = new DmaDevice({ pci: nic, iommu });
    const cpu = new ArrayCpuList([{ phys: 0xe000_0000, length: 0x10000, provider: gpuBar, physical: true }]);
    const m = mapRangeList(dev, cpu, { direction: "bidirectional" });
    expect(m.list.toArray()).toEqual([
      { dmaAddress: 0x1_e000_0000, length: 0x10000, kind: DmaKind.BUS_ADDR },
    ]);
    expect(m.iova).toBe(-1);
    expect(iommu.iovad.allocatedGranules).toBe(0);
    expect(deviceTranslate(dev, 0x1_e000_0010)).toMatchObject({ ok: true, phys: 0xe000_0010, route: "p2p" });
    m.unmap();
    expect(iommu.idle).toBe(true);
  });

  it("THRU_HOST_BRIDGE: mapped like memory with IOMMU_MMIO", () => {
    const { nic, ssdBar } = switchTopology({ hostBridgeP2p: "allowed" });
    const iommu = new IommuDomain();
    const dev = new DmaDevice({ pci: nic, iommu });
    const cpu = new ArrayCpuList([
      { phys: 0x10_0000, length: 0x1000 },
      { phys: 0xd000_1000, length: 0x2000, provider: ssdBar, physical: true },
    ]);
    const m = mapRangeList(dev, cpu, { direction: "from-device" });
    const e = m.list.toArray();
    expect(e.map((x) => x.kind)).toEqual([DmaKind.IOVA, DmaKind.IOVA]);
    expect(deviceTranslate(dev, e[1]!.dmaAddress + 5)).toMatchObject({
      ok: true,
      phys: 0xd000_1005,
      prot: 2 | IOMMU_MMIO,
    });
    m.unmap();
    expect(iommu.idle).toBe(true);
  });

  it("NOT_SUPPORTED: EREMOTEIO and nothing left mapped", () => {
    const { nic, ssdBar } = switchTopology({ hostBridgeP2p: "denied" });
    const iommu = new IommuDomain();
    const dev = new DmaDevice({ pci: nic, iommu });
    const cpu = new ArrayCpuList([
      { phys: 0x10_0000, length: 0x1000 },
      { phys: 0xd000_0000, length: 0x1000, provider: ssdBar, physical: true },
    ]);
    try {
      mapRangeList(dev, cpu, { direction: "to-device" });
      expect.unreachable();
    } catch (e) {
      expect(isRlistError(e, "EREMOTEIO")).toBe(true);
    }
    expect(iommu.mappedPages).toBe(0);
    expect(iommu.iovad.allocatedGranules).toBe(0);
    // Direct devices too.
    expect(() => mapRangeList(new DmaDevice({ pci: nic }), cpu, { direction: "to-device" })).toThrow(
      /EREMOTEIO/,
    );
  });

  it("the P2P cache recomputes only when the provider changes: A, A, B, A -> 3 lookups", () => {
    const { nic, gpuBar, ssdBar } = switchTopology({ hostBridgeP2p: "allowed" });
    const dev = new DmaDevice({ pci: nic });
    const cpu = new ArrayCpuList([
      { phys: 0xe000_0000, length: 0x1000, provider: gpuBar },
      { phys: 0xe000_4000, length: 0x1000, provider: gpuBar },
      { phys: 0xd000_0000, length: 0x1000, provider: ssdBar },
      { phys: 0xe000_8000, length: 0x1000, provider: gpuBar },
    ]);
    const m = mapRangeList(dev, cpu, { direction: "to-device" });
    expect(m.p2pLookups).toBe(3);
    expect(m.list.toArray().map((e) => e.kind)).toEqual([
      DmaKind.BUS_ADDR,
      DmaKind.BUS_ADDR,
      DmaKind.DIRECT,
      DmaKind.BUS_ADDR,
    ]);
  });
});

describe("mapRangeList: exposure and faults", () => {
  it("mappingExposure counts granule slack and isolation", () => {
    const iommu = new IommuDomain();
    const m = mapRangeList(sacDevice(iommu), new ArrayCpuList([{ phys: 0x1080, length: 0x10 }]), {
      direction: "to-device",
    });
    expect(mappingExposure(m)).toEqual({
      requestedBytes: 0x10,
      reachableBytes: 0x1000,
      exposedBytes: 0xff0,
      isolated: true,
    });
    const d = mapRangeList(new DmaDevice(), new ArrayCpuList([{ phys: 0x1080, length: 0x10 }]), {
      direction: "to-device",
    });
    expect(mappingExposure(d).isolated).toBe(false);
  });

  it("fails part-way at every allocation and leaves nothing mapped", () => {
    const cpu = new ArrayCpuList(
      Array.from({ length: 12 }, (_, i) => ({
        phys: (i * 7919 + 3) * 0x20_0000 + (i % 3) * 0x800,
        length: 0x1800,
      })),
    );
    let failures = 0;
    for (let failAt = 0; ; failAt++) {
      const faults = new CountdownFaults(failAt, ["iova", "pgtable"]);
      const iommu = new IommuDomain({ faults });
      const dev = sacDevice(iommu);
      let m: ReturnType<typeof mapRangeList> | null = null;
      try {
        m = mapRangeList(dev, cpu, { direction: "bidirectional" });
      } catch (e) {
        expect(isRlistError(e, "ENOMEM")).toBe(true);
        expect(iommu.mappedPages).toBe(0);
        expect(iommu.pageTablePages).toBe(1);
        expect(iommu.iovad.outstandingGranules).toBe(0);
        failures++;
        continue;
      }
      // The first failure is absorbed by the kernel's fallback from 32-bit IOVAs.
      m.unmap();
      expect(iommu.idle).toBe(true);
      if (faults.calls <= failAt) {
        // Every allocation but the absorbed first one was failed once.
        expect(failures).toBe(faults.calls - 1);
        expect(failures).toBeGreaterThanOrEqual(3);
        break;
      }
    }
  });
});

describe("mapRangeList: segment count never grows", () => {
  it("a page list under a max segment size that splits windows unevenly takes the per-entry layout", () => {
    // One entry 0xE800 into its 64 KiB window: 15 segments of <= 6 KiB in CPU space, but 16 if
    // it were placed 0x800 into a window as the page-list fast path would.
    const seg = { minAlignMask: 0, segmentBoundaryMask: 0xffff, maxSegmentSize: 0x1800 };
    const iommu = new IommuDomain({ pageSizes: 0x1000 });
    const dev = new DmaDevice({ iommu, segmentation: seg });
    const cpu = new ArrayCpuList([{ phys: 0x2_0070_e800, length: 0x15801 }]);
    const phys = cpu.entries[0]!.phys;
    expect(phys % 0x10000).toBe(0xe800);
    const m = mapRangeList(dev, cpu, { direction: "to-device" });
    expect(m.path).toBe("iommu-per-entry");
    expect(numSegments(m.list.cursor(), seg)).toBe(15);
    expect(m.list.toArray()[0]!.dmaAddress % 0x10000).toBe(0xe800);
    m.unmap();
    // With a power-of-two max size the fast path is kept.
    const dev2 = new DmaDevice({ iommu, segmentation: { ...seg, maxSegmentSize: 0x2000 } });
    expect(mapRangeList(dev2, cpu, { direction: "to-device" }).path).toBe("iommu-linear");
  });
});

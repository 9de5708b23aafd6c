/**
 * The mapper on the real CPU list: `CpuRangeList` over a `PhysicalMemory` with RAM, ZONE_DEVICE
 * P2P pages in a GPU BAR and pageless ranges of another BAR; swiotlb copies through the memory.
 */
import { isRlistError } from "@rlist/encoding";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CpuRangeList } from "../../src/cpu/cpu-range-list.js";
import { DmaKind } from "../../src/dma-list/dma-range-list.js";
import { CountdownFaults } from "../../src/iommu/faults.js";
import { IommuDomain } from "../../src/iommu/iommu-domain.js";
import { DmaDevice } from "../../src/mapping/device.js";
import { deviceTranslate } from "../../src/mapping/device-view.js";
import { mapRangeList } from "../../src/mapping/mapper.js";
import { SwiotlbPool } from "../../src/mapping/swiotlb.js";
import { PhysicalMemory } from "../../src/memory/physical-memory.js";
import { switchTopology } from "./helpers.js";

const LOW_RAM = { start: 0x100_0000, size: 0x3f00_0000, kind: "ram" as const }; // 16 MiB .. 1 GiB
const HIGH_RAM = { start: 0x2_0000_0000, size: 0x10_0000_0000, kind: "ram" as const }; // 8 GiB .. 72 GiB
const SWIOTLB = 0x100_0000; // the first 4 MiB of low RAM

function machine(hostBridgeP2p: "allowed" | "denied") {
  const t = switchTopology({ hostBridgeP2p });
  const memory = new PhysicalMemory({ regions: [LOW_RAM, HIGH_RAM] });
  // The GPU BAR gets struct pages (pci_p2pdma_add_resource): its pages are P2P folios.
  memory.addP2pMemory(t.gpuBar, { size: 0x100_0000 });
  return { ...t, memory };
}

describe("mapper on CpuRangeList", () => {
  it("identity for a 64-bit direct device, one entry through an IOMMU, copy through swiotlb", () => {
    const { memory } = machine("denied");
    const list = CpuRangeList.fromPfns(memory, [0x2_0000, 0x2_0001, 0x2_0005, 0x20_0000, 0x20_0001]);
    expect(list.count).toBe(3);
    const direct = mapRangeList(new DmaDevice(), list, { direction: "to-device" });
    expect(direct.path).toBe("identity");
    expect(direct.list.toArray().map((e) => e.dmaAddress)).toEqual([0x2000_0000, 0x2000_5000, 0x2_0000_0000]);

    const iommu = new IommuDomain();
    const m = mapRangeList(new DmaDevice({ iommu }), list, { direction: "to-device" });
    expect(m.path).toBe("iommu-linear");
    expect(m.list.count).toBe(1);
    expect(m.list.totalLength).toBe(5 * 4096);
    m.unmap();
    expect(iommu.idle).toBe(true);

    const swiotlb = new SwiotlbPool({ base: SWIOTLB, size: 0x40_0000, memory });
    const dev32 = new DmaDevice({ dmaMaskBits: 32, swiotlb });
    memory.write(0x2_0000_0000, new Uint8Array([7, 8, 9]));
    const b = mapRangeList(dev32, list, { direction: "bidirectional" });
    const entries = b.list.toArray();
    expect(entries.map((e) => e.kind)).toEqual([DmaKind.DIRECT, DmaKind.DIRECT, DmaKind.BOUNCE]);
    const slot = new Uint8Array(3);
    memory.read(entries[2]!.dmaAddress, slot);
    expect([...slot]).toEqual([7, 8, 9]);
    memory.write(entries[2]!.dmaAddress, new Uint8Array([1]));
    b.syncForCpu();
    memory.read(0x2_0000_0000, slot);
    expect([...slot]).toEqual([1, 8, 9]);
    b.unmap();
    expect(swiotlb.usedSlots).toBe(0);
  });

  it("P2P folios in the GPU BAR map by bus address; the CPU list's flags pick the path", () => {
    const { memory, nic, gpuBar } = machine("denied");
    const list = new CpuRangeList(memory);
    list.appendPage(0x2_0000, 0, 0x1000);
    list.appendPage(0xe000_0000 / 4096, 0x100, 0x800);
    expect(list.hasP2P).toBe(true);
    const iommu = new IommuDomain();
    const m = mapRangeList(new DmaDevice({ pci: nic, iommu }), list, { direction: "from-device" });
    expect(m.path).toBe("iommu-per-entry");
    const [ram, p2p] = m.list.toArray();
    expect(ram!.kind).toBe(DmaKind.IOVA);
    expect(p2p).toEqual({ dmaAddress: 0x1_e000_0100, length: 0x800, kind: DmaKind.BUS_ADDR });
    expect(gpuBar.busOffset).toBe(0x1_0000_0000);
    m.unmap();
    expect(iommu.idle).toBe(true);
  });

  it("property: round trip on random memories, lists and devices; failures leave nothing", () => {
    const pieceArb = fc.record({
      where: fc.constantFrom("low", "high", "high", "gpu", "ssd"),
      page: fc.nat(0xfff_ffff),
      offset: fc.nat(0x1fff),
      length: fc.integer({ min: 1, max: 0x2_4000 }),
    });
    const arb = fc.record({
      pieces: fc.array(pieceArb, { minLength: 1, maxLength: 10 }),
      iommu: fc.boolean(),
      maskBits: fc.constantFrom(32, 40, 64),
      hostBridgeP2p: fc.constantFrom("allowed", "denied"),
      boundary: fc.constantFrom(2 ** 53 - 1, 0xffff, 0xffff_ffff),
      faultAt: fc.integer({ min: -1, max: 6 }),
    });
    fc.assert(
      fc.property(arb, (s) => {
        const { memory, nic, ssdBar } = machine(s.hostBridgeP2p as "allowed" | "denied");
        const list = new CpuRangeList(memory);
        for (const p of s.pieces) {
          const len = p.length;
          if (p.where === "ssd") {
            list.appendPhysical(0xd000_0000 + (p.page % 0xf00) * 0x1000 + (p.offset & 0xfff), len, ssdBar);
          } else if (p.where === "gpu") {
            list.appendPage(0xe000_0000 / 4096 + (p.page % 0xf00), p.offset, len);
          } else if (p.where === "low") {
            // Clear of the swiotlb pool.
            list.appendPage(0x100_0000 / 4096 + 0x1000 + (p.page % 0x3_0000), p.offset, len);
          } else {
            list.appendPage(0x2_0000_0000 / 4096 + (p.page % 0xff_0000), p.offset, len);
          }
        }
        const faults = s.faultAt >= 0 ? new CountdownFaults(s.faultAt) : undefined;
        const iommu = s.iommu ? new IommuDomain(faults ? { faults } : {}) : null;
        const swiotlb = s.iommu
          ? null
          : new SwiotlbPool({ base: SWIOTLB, size: 0x40_0000, memory, ...(faults ? { faults } : {}) });
        const device = new DmaDevice({
          pci: nic,
          iommu,
          swiotlb,
          dmaMaskBits: s.maskBits,
          segmentation: { minAlignMask: 0, segmentBoundaryMask: s.boundary, maxSegmentSize: 2 ** 53 - 1 },
        });
        const before = list.count;
        let m: ReturnType<typeof mapRangeList>;
        try {
          m = mapRangeList(device, list, { direction: "bidirectional" });
        } catch (e) {
          expect(isRlistError(e)).toBe(true);
          if (iommu)
            expect(iommu.mappedPages + iommu.iovad.outstandingGranules + iommu.pageTablePages).toBe(1);
          if (swiotlb) expect(swiotlb.usedSlots).toBe(0);
          expect(list.count).toBe(before);
          return;
        }
        // Every CPU entry: first, middle and last byte.
        const dma = m.list.cursor();
        const c = list.cursor();
        const spans: Array<[number, number, number]> = [];
        for (let ok = dma.reset(); ok; ok = dma.next())
          spans.push([dma.position, dma.dmaAddress, dma.length]);
        for (let ok = c.reset(); ok; ok = c.next()) {
          for (const o of [0, c.length >> 1, c.length - 1]) {
            const pos = c.position + o;
            const sp = spans.find(([p, , l]) => p <= pos && pos < p + l)!;
            const v = deviceTranslate(device, sp[1] + (pos - sp[0]));
            expect(v.ok && v.backing).toBe(c.phys + o);
          }
        }
        m.unmap();
        if (iommu) expect(iommu.idle).toBe(true);
        if (swiotlb) expect(swiotlb.usedSlots).toBe(0);
      }),
      { numRuns: 150 },
    );
  });
});

/**
 * The mapping invariant (docs/design.md#the-mapping-invariant): for every byte of a mapped list, the
 * device's view of its DMA address
 * is the CPU physical address of the same byte (or, for a bounce slot, stands for it); after
 * unmap() the domain has no mappings and the allocator has all its space back.
 */
import { isRlistError } from "@rlist/encoding";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ArrayDmaCursor } from "../../src/dma-list/dma-entries.js";
import { DmaKind } from "../../src/dma-list/dma-range-list.js";
import {
  NO_MAX_SEGMENT_SIZE,
  NO_SEGMENT_BOUNDARY,
  type Segmentation,
} from "../../src/dma-list/segmentation.js";
import { numSegments } from "../../src/dma-list/segments.js";
import { CountdownFaults } from "../../src/iommu/faults.js";
import { IommuDomain, SZ_1G, SZ_2M, SZ_4K } from "../../src/iommu/iommu-domain.js";
import { DmaDevice } from "../../src/mapping/device.js";
import { deviceTranslate } from "../../src/mapping/device-view.js";
import { mapRangeList } from "../../src/mapping/mapper.js";
import { SwiotlbPool } from "../../src/mapping/swiotlb.js";
import { ArrayCpuList, SparseMemory, switchTopology, type TestEntry } from "./helpers.js";

const SWIOTLB_BASE = 0x100_0000;

interface Scenario {
  iommu: boolean;
  pageSizes: number;
  maskBits: number;
  directOffset: number;
  seg: Segmentation;
  hostBridgeP2p: "allowed" | "denied";
  acsRedirect: boolean;
  entries: Array<{ kind: "ram" | "gpu" | "ssd"; page: number; offset: number; length: number }>;
  pagelist: boolean;
  faultAt: number;
}

const segArb: fc.Arbitrary<Segmentation> = fc.record({
  minAlignMask: fc.constantFrom(0, 0xfff),
  segmentBoundaryMask: fc.constantFrom(NO_SEGMENT_BOUNDARY, 0xffff, 0xf_ffff, 0xffff_ffff),
  maxSegmentSize: fc.constantFrom(NO_MAX_SEGMENT_SIZE, 0x1_0000, 0x2_0000, 0x1800),
});

const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  iommu: fc.boolean(),
  pageSizes: fc.constantFrom(SZ_4K, SZ_4K + SZ_2M, SZ_4K + SZ_2M + SZ_1G),
  maskBits: fc.constantFrom(32, 36, 64),
  directOffset: fc.constantFrom(0, 0x4000_0000),
  seg: segArb,
  hostBridgeP2p: fc.constantFrom("allowed", "denied"),
  acsRedirect: fc.boolean(),
  entries: fc.array(
    fc.record({
      kind: fc.constantFrom("ram", "ram", "ram", "ram", "gpu", "ssd"),
      page: fc.oneof(fc.nat(0x2_ffff), fc.nat(0x3ff_ffff)),
      offset: fc.nat(0xfff),
      length: fc.integer({ min: 1, max: 0x3_0000 }),
    }),
    { maxLength: 12 },
  ),
  pagelist: fc.boolean(),
  faultAt: fc.integer({ min: -1, max: 8 }),
});

function build(s: Scenario) {
  const t = switchTopology({ hostBridgeP2p: s.hostBridgeP2p, acsRedirect: s.acsRedirect });
  const faults = s.faultAt >= 0 ? new CountdownFaults(s.faultAt) : undefined;
  const memory = new SparseMemory();
  const iommu = s.iommu ? new IommuDomain({ pageSizes: s.pageSizes, ...(faults ? { faults } : {}) }) : null;
  const swiotlb = s.iommu
    ? null
    : new SwiotlbPool({ base: SWIOTLB_BASE, size: 0x40_0000, memory, ...(faults ? { faults } : {}) });
  const device = new DmaDevice({
    pci: t.nic,
    iommu,
    swiotlb,
    dmaMaskBits: s.maskBits,
    directOffset: s.directOffset,
    segmentation: s.seg,
  });
  const entries: TestEntry[] = s.entries.map((e) => {
    // Page lists: whole pages except the first entry's start and the last entry's end.
    const offset = s.pagelist ? 0 : e.offset;
    const length = s.pagelist ? Math.ceil(e.length / 0x1000) * 0x1000 : e.length;
    if (e.kind === "gpu")
      return { phys: 0xe000_0000 + (e.page % 0xf000) * 0x1000 + offset, length, provider: t.gpuBar };
    if (e.kind === "ssd")
      return { phys: 0xd000_0000 + (e.page % 0xe00) * 0x1000 + offset, length, provider: t.ssdBar };
    // RAM clear of the swiotlb pool and of the BARs' CPU and bus windows: 256 MiB..1 GiB, or from 8 GiB.
    const base = e.page < 0x3_0000 ? 0x1000_0000 : 0x2_0000_0000;
    return { phys: base + e.page * 0x1000 + offset, length };
  });
  return { ...t, iommu, swiotlb, device, memory, faults, cpu: new ArrayCpuList(entries), entries };
}

/** Positions worth checking in each CPU entry: both ends, the middle, and page edges near them. */
function probes(len: number): number[] {
  const set = new Set([0, len - 1, len >> 1, Math.min(len - 1, 0xfff), Math.max(0, len - 0x1000)]);
  return [...set];
}

describe("round trip: device view of every mapped byte = CPU byte", () => {
  it("property over random topologies, devices, lists and faults", { timeout: 30000 }, () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const b = build(s);
        const { device, iommu, swiotlb, cpu, entries } = b;
        let m: ReturnType<typeof mapRangeList>;
        try {
          m = mapRangeList(device, cpu, { direction: "bidirectional" });
        } catch (e) {
          expect(isRlistError(e)).toBe(true);
          const code = (e as { code: string }).code;
          expect(["EREMOTEIO", "ENOMEM", "EIO", "EINVAL"]).toContain(code);
          if (code === "EREMOTEIO") {
            expect(s.hostBridgeP2p).toBe("denied");
            expect(
              entries.some((x) => x.provider === b.ssdBar || (s.acsRedirect && x.provider === b.gpuBar)),
            ).toBe(true);
          }
          // Nothing left behind.
          if (iommu) {
            expect(iommu.mappedPages).toBe(0);
            expect(iommu.pageTablePages).toBe(1);
            expect(iommu.iovad.outstandingGranules).toBe(0);
          }
          if (swiotlb) expect(swiotlb.usedSlots).toBe(0);
          return;
        }
        // Pair every byte position with its DMA address through the DMA list.
        const dma: Array<[number, number, number]> = [];
        const c = m.list.cursor();
        for (let ok = c.reset(); ok; ok = c.next()) dma.push([c.position, c.dmaAddress, c.length]);
        const dmaOf = (pos: number): number => {
          const e = dma.find(([p, , l]) => p <= pos && pos < p + l)!;
          return e[1] + (pos - e[0]);
        };
        let pos = 0;
        const checked: number[] = [];
        for (const e of entries) {
          for (const o of probes(e.length)) {
            const addr = dmaOf(pos + o);
            const v = deviceTranslate(device, addr);
            expect(v.ok).toBe(true);
            if (v.ok) expect(v.backing).toBe(e.phys + o);
            checked.push(addr);
          }
          pos += e.length;
        }
        expect(m.list.totalLength).toBe(pos);
        // Mapping never adds segments (P2P bus addresses aside: the kernel does not pad them).
        if (!entries.some((e) => e.provider)) {
          const cpuSegs = numSegments(new ArrayDmaCursor(entries.map((e) => [e.phys, e.length])), s.seg);
          expect(numSegments(m.list.cursor(), s.seg)).toBeLessThanOrEqual(cpuSegs);
        }
        // Bounce buffers hold the original bytes from map time on.
        const bounce = m.list.toArray().find((e) => e.kind === DmaKind.BOUNCE);
        if (bounce) {
          const tlb = bounce.dmaAddress - device.directOffset;
          const orig = swiotlb!.originalOf(tlb, s.seg.minAlignMask);
          const a = new Uint8Array(1);
          const bb = new Uint8Array(1);
          b.memory.write(orig, new Uint8Array([0x5a]));
          m.syncForDevice();
          b.memory.read(tlb, bb);
          b.memory.read(orig, a);
          expect(bb[0]).toBe(a[0]);
        }
        m.unmap();
        if (iommu) {
          expect(iommu.mappedPages).toBe(0);
          expect(iommu.pageTablePages).toBe(1);
          expect(iommu.iovad.outstandingGranules).toBe(0);
          for (const addr of checked) {
            const v = deviceTranslate(device, addr);
            if (v.ok) expect(v.route).toBe("p2p");
          }
        }
        if (swiotlb) expect(swiotlb.usedSlots).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});

/** mapRequest: the BLK-1..3 vectors (docs/vectors.md#request-mapping), P2P states, coalescing rules, unmap. */
import { DmaDevice, IommuDomain } from "@rlist/dma";
import { describe, expect, it } from "vitest";
import { expectCode } from "../../../scripts/expect-code.js";
import { Bio, DmaEngine, MappedRequest, mapRequest, P2pMixError, SegmentKind } from "../src/index.js";
import { GPU_BAR, GPU_BUS, machine, nvmeDevice, SSD_BAR } from "./machine.js";

const NVME = { virtBoundaryMask: 0xfff };
const pages = (...pfns: number[]) => pfns.map((page) => ({ page, offset: 0, len: 4096 }));

describe("BLK vectors", () => {
  it("BLK-1: IOMMU + NVMe virt boundary: three discontiguous pages become one IOVA segment", () => {
    const m = machine();
    const dev = nvmeDevice(m, "iommu");
    const domain = dev.iommu!;
    const bio = Bio.fromVecs(pages(0x100, 0x300, 0x200), { pgmaps: m.memory, op: "WRITE" });
    const rq = mapRequest(dev, bio, { direction: "to-device", limits: NVME });
    expect(rq.coalesced).toBe(true);
    expect(rq.p2p).toBe("NONE");
    expect(rq.segments).toBe(1);
    const [addr, len, kind] = rq.toArray()[0]!;
    expect([len, kind]).toEqual([12288, SegmentKind.IOVA]);
    expect(addr % 4096).toBe(0);
    expect([rq.physVecs, rq.iovaPages]).toEqual([3, 3]);
    // The window maps the three pages back to back.
    expect(domain.translate(addr)).toBe(0x100000);
    expect(domain.translate(addr + 4096)).toBe(0x300000);
    expect(domain.translate(addr + 8192 + 5)).toBe(0x200005);
    expect(domain.mappedPages).toBe(3);
    rq.unmap();
    expect(domain.mappedPages).toBe(0);
    expect(domain.translate(addr)).toBe(-1);
    expect(domain.idle).toBe(true);
    expectCode(() => rq.unmap(), "EBUSY");
  });

  it("BLK-2: no IOMMU: one segment per page, physically adjacent bvecs merged", () => {
    const m = machine();
    const dev = nvmeDevice(m, "direct");
    const bio = Bio.fromVecs(pages(0x100, 0x300, 0x200), { pgmaps: m.memory });
    const rq = mapRequest(dev, bio, { direction: "from-device", limits: NVME });
    expect(rq.coalesced).toBe(false);
    expect(rq.toArray()).toEqual([
      [0x100000, 4096, SegmentKind.DIRECT],
      [0x300000, 4096, SegmentKind.DIRECT],
      [0x200000, 4096, SegmentKind.DIRECT],
    ]);
    const adjacent = Bio.chain([
      Bio.fromVecs(pages(0x100, 0x101), { pgmaps: m.memory }),
      Bio.fromVecs(pages(0x102), { pgmaps: m.memory }),
    ]);
    const rq2 = mapRequest(dev, adjacent, { direction: "from-device", limits: NVME });
    expect(rq2.toArray()).toEqual([[0x100000, 12288, SegmentKind.DIRECT]]);
    expect([rq2.bvecs, rq2.physVecs]).toEqual([3, 1]);
    rq.unmap();
    rq2.unmap();
  });

  it("BLK-3: a BUS_ADDR P2P request: every segment is paddr + bus_offset, nothing mapped", () => {
    const m = machine();
    const dev = nvmeDevice(m, "iommu");
    const gpuPfn = GPU_BAR / 4096;
    const bio = Bio.fromVecs(pages(gpuPfn + 2, gpuPfn + 7), { pgmaps: m.memory });
    const rq = mapRequest(dev, bio, { direction: "from-device", limits: NVME });
    expect([rq.p2p, rq.provider, rq.coalesced, rq.iovaPages]).toEqual(["BUS_ADDR", m.gpuMem, false, 0]);
    expect(rq.toArray()).toEqual([
      [GPU_BUS + 0x2000, 4096, SegmentKind.BUS_ADDR],
      [GPU_BUS + 0x7000, 4096, SegmentKind.BUS_ADDR],
    ]);
    expect(dev.iommu!.mappedPages).toBe(0);
    rq.unmap();
    expect(dev.iommu!.idle).toBe(true);
  });
});

describe("mapRequest rules", () => {
  it("without a virt boundary an IOMMU maps each phys_vec on its own", () => {
    const m = machine();
    const dev = nvmeDevice(m, "iommu");
    const bio = Bio.fromVecs(
      [
        { page: 0x100, offset: 0x200, len: 0xe00 },
        { page: 0x300, offset: 0, len: 0x800 },
      ],
      { pgmaps: m.memory },
    );
    const rq = mapRequest(dev, bio, { direction: "to-device" });
    expect(rq.coalesced).toBe(false);
    const segs = rq.toArray();
    expect(segs.map(([a, l]) => [a % 4096, l])).toEqual([
      [0x200, 0xe00],
      [0, 0x800],
    ]);
    expect(rq.iovaPages).toBe(2);
    expect(dev.iommu!.mappedPages).toBe(2);
    rq.unmap();
    expect(dev.iommu!.idle).toBe(true);
  });

  it("a coalescable request whose gaps break the virt boundary is refused, nothing mapped", () => {
    const m = machine();
    const dev = nvmeDevice(m, "iommu");
    const bio = Bio.fromVecs(
      [
        { page: 0x100, offset: 0, len: 0x800 },
        { page: 0x300, offset: 0, len: 0x1000 },
      ],
      { pgmaps: m.memory },
    );
    expectCode(() => mapRequest(dev, bio, { direction: "to-device", limits: NVME }), "EINVAL");
    expect(dev.iommu!.idle).toBe(true);
    // Split to the limits first, then each part maps.
    const parts = bio.splitAll(NVME);
    expect(parts.map((p) => p.size)).toEqual([0x800, 0x1000]);
    for (const p of parts) mapRequest(dev, p, { direction: "to-device", limits: NVME }).unmap();
  });

  it("THRU_HOST_BRIDGE P2P: mapped like memory with IOMMU_MMIO, or by CPU address without an IOMMU", () => {
    const m = machine({ hostBridgeP2p: "allowed" });
    const ssdPfn = SSD_BAR / 4096;
    const bio = Bio.fromVecs(pages(ssdPfn, ssdPfn + 1), { pgmaps: m.memory });
    const dev = nvmeDevice(m, "iommu");
    const rq = mapRequest(dev, bio, { direction: "bidirectional", limits: NVME });
    expect([rq.p2p, rq.coalesced, rq.segments]).toEqual(["THRU_HOST_BRIDGE", true, 1]);
    const addr = rq.toArray()[0]![0];
    expect(dev.iommu!.translate(addr)).toBe(SSD_BAR);
    expect(dev.iommu!.protectionOf(addr) & 4).toBe(4); // IOMMU_MMIO
    rq.unmap();
    const direct = mapRequest(nvmeDevice(m, "direct"), bio, { direction: "to-device" });
    expect(direct.toArray()).toEqual([[SSD_BAR, 8192, SegmentKind.DIRECT]]);
  });

  it("NOT_SUPPORTED P2P is EREMOTEIO; mixing pgmaps in a request is a P2pMixError; both map nothing", () => {
    const m = machine({ hostBridgeP2p: "denied" });
    const dev = nvmeDevice(m, "iommu");
    const ssd = Bio.fromVecs(pages(SSD_BAR / 4096), { pgmaps: m.memory });
    expectCode(() => mapRequest(dev, ssd, { direction: "to-device", limits: NVME }), "EREMOTEIO");
    const mixed = Bio.chain([
      Bio.fromVecs(pages(0x100), { pgmaps: m.memory }),
      Bio.fromVecs(pages(GPU_BAR / 4096), { pgmaps: m.memory }),
    ]);
    expect(() => mapRequest(dev, mixed, { direction: "to-device", limits: NVME })).toThrow(P2pMixError);
    const hole = Bio.fromVecs(pages(0x90000), { pgmaps: m.memory });
    expectCode(() => mapRequest(dev, hole, { direction: "to-device" }), "EFAULT");
    expect(dev.iommu!.idle).toBe(true);
  });

  it("bounces what the mask cannot reach and copies device writes back on unmap", () => {
    const m = machine();
    const dev = nvmeDevice(m, "bounce");
    const bio = Bio.fromVecs(
      [
        { page: 0x10, offset: 0, len: 4096 }, // 64 KiB: reachable with 24 bits
        { page: 0x2000, offset: 0x100, len: 0x300 }, // 32 MiB: bounced
      ],
      { pgmaps: m.memory },
    );
    const rq = mapRequest(dev, bio, { direction: "from-device" });
    const segs = rq.toArray();
    expect(segs[0]).toEqual([0x10000, 4096, SegmentKind.DIRECT]);
    expect(segs[1]![2]).toBe(SegmentKind.BOUNCE);
    expect(segs[1]![0] & 0xfff).toBe(0x100); // min_align_mask keeps the low bits
    const engine = new DmaEngine(m.memory);
    const data = Uint8Array.from({ length: 4096 + 0x300 }, (_, i) => (i * 7) & 0xff);
    engine.write(dev, rq, data);
    const early = new Uint8Array(0x300);
    m.memory.read(0x2000100, early);
    expect(early.every((b) => b === 0)).toBe(true); // still in the bounce slot
    rq.unmap();
    const back = new Uint8Array(0x300);
    m.memory.read(0x2000100, back);
    expect(back).toEqual(data.subarray(4096));
    expect(dev.swiotlb!.usedSlots).toBe(0);
  });

  it("rolls back what it mapped when a later segment fails", () => {
    const m = machine();
    const dev = new DmaDevice({ pci: m.nvme, iommu: new IommuDomain({ apertureEnd: 0x2fff }) });
    const bio = Bio.fromVecs(pages(0x100, 0x300, 0x500, 0x700), { pgmaps: m.memory });
    expectCode(() => mapRequest(dev, bio, { direction: "to-device" }), "ENOMEM");
    expect(dev.iommu!.idle).toBe(true);
  });

  it("an empty request maps to no segment", () => {
    const m = machine();
    const rq = mapRequest(nvmeDevice(m, "iommu"), new Bio({ pgmaps: m.memory }), { direction: "to-device" });
    expect([rq.segments, rq.length]).toEqual([0, 0]);
    expect(rq).toBeInstanceOf(MappedRequest);
    rq.unmap();
  });
});

describe("dma-debug view of requests (issue 12 item 7)", () => {
  it("a live request and its IOVA windows show in outstanding() and fail assertIdle() until unmapped", () => {
    const m = machine();
    for (const mode of ["iommu", "direct"] as const) {
      const dev = nvmeDevice(m, mode);
      const bio = Bio.fromVecs(pages(0x100, 0x300), { pgmaps: m.memory, op: "WRITE" });
      const rq = mapRequest(dev, bio, { direction: "to-device", limits: NVME, tag: "qid 3 tag 17" });
      const out = dev.outstanding();
      const request = out.find((e) => e.kind === "request")!;
      expect(request).toMatchObject({ direction: "to-device", bytes: 8192, tag: "qid 3 tag 17" });
      if (mode === "iommu") {
        expect(out.filter((e) => e.kind === "iova-window").map((e) => e.tag)).toEqual(["qid 3 tag 17"]);
      }
      expect(() => dev.assertIdle()).toThrow(/qid 3 tag 17/);
      rq.unmap();
      dev.assertIdle();
    }
  });

  it("a bad tag is EINVAL and maps nothing", () => {
    const m = machine();
    const dev = nvmeDevice(m, "iommu");
    const bio = Bio.fromVecs(pages(0x100), { pgmaps: m.memory, op: "WRITE" });
    expectCode(() => mapRequest(dev, bio, { direction: "to-device", tag: 5 as never }), "EINVAL");
    dev.assertIdle();
  });

  it("new MappedRequest(...) is EINVAL: only mapRequest makes one, so no made-up request is outstanding", () => {
    const m = machine();
    const dev = nvmeDevice(m, "iommu");
    const built = {
      coalesced: false,
      p2p: "NONE",
      provider: null,
      length: 0x1000,
      bvecs: 1,
      physVecs: 1,
      iovaPages: 0,
      segs: { count: 0, addr: new Float64Array(0), len: new Float64Array(0), kind: new Uint8Array(0) },
      windows: [],
    };
    const forge = (...args: unknown[]) =>
      new (MappedRequest as unknown as new (...a: unknown[]) => unknown)(...args);
    expectCode(() => forge(dev, "to-device", built, "forged"), "EINVAL");
    expectCode(() => forge(Symbol("mapRequest"), dev, "to-device", built, "forged"), "EINVAL");
    dev.assertIdle();
  });
});

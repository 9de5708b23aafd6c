/**
 * `null` is not "absent" (docs/conventions.md): an option declared `field?: T` takes a `T` or
 * nothing, so `null` there is EINVAL, never the default. Fixed here for the IOMMU's constructors
 * (IOVA allocator, page table, domain, flush queue); each still takes the field left out.
 */
import { describe, expect, it } from "vitest";
import { codeOf, expectCode } from "../../../../scripts/expect-code.js";
import * as dma from "../../src/index.js";

describe("IOMMU options: null is a wrong type, not the default", () => {
  it("new IovaAllocator: granule and startPfn", () => {
    for (const k of ["granule", "startPfn"]) {
      const err = expectCode(() => new dma.IovaAllocator({ [k]: null } as never), "EINVAL", k);
      expect(err.message).toContain(`${k} must not be null`);
    }
    const a = new dma.IovaAllocator({ granule: undefined, startPfn: undefined } as never);
    expect([a.granule, a.startPfn]).toEqual([4096, 1]);
  });

  it("new IoPageTable: levels and pageSizes", () => {
    for (const k of ["levels", "pageSizes"])
      expectCode(() => new dma.IoPageTable({ [k]: null } as never), "EINVAL", k);
    expect(new dma.IoPageTable({ levels: undefined, pageSizes: undefined } as never).levels).toBe(4);
  });

  it("new IommuDomain: pageSizes, levels and apertureEnd", () => {
    for (const k of ["pageSizes", "levels", "apertureEnd"])
      expectCode(() => new dma.IommuDomain({ [k]: null } as never), "EINVAL", k);
    const d = new dma.IommuDomain({
      pageSizes: undefined,
      levels: undefined,
      apertureEnd: undefined,
    } as never);
    expect(d.apertureEnd).toBe(d.pageTable.ivaLimit - 1);
  });

  it("new IovaFlushQueue (through a lazy domain): size and timeoutMs", () => {
    for (const k of ["size", "timeoutMs"]) {
      expect(
        codeOf(
          () => new dma.IommuDomain({ strict: false, clock: new dma.SimClock(), flushQueue: { [k]: null } }),
        ),
        k,
      ).toBe("EINVAL");
    }
    const d = new dma.IommuDomain({
      strict: false,
      flushQueue: { size: undefined, timeoutMs: undefined } as never,
    });
    expect(d.flushQueue!.size).toBe(dma.IOVA_DEFAULT_FQ_SIZE);
  });
});

describe("mapping, memory and topology options: null is a wrong type, not the default", () => {
  const memory = new dma.PhysicalMemory({ regions: [{ start: 0, size: 2 ** 34, kind: "ram" }] });

  it("mapRangeList (tag, skipCpuSync), iovaAlloc (tag) and a mapping's syncs change nothing", () => {
    const dev = new dma.DmaDevice({ name: "nic", iommu: new dma.IommuDomain() });
    const list = dma.CpuRangeList.fromPfns(memory, [0x100, 0x101]);
    for (const k of ["tag", "skipCpuSync"])
      expectCode(() => dma.mapRangeList(dev, list, { direction: "to-device", [k]: null }), "EINVAL", k);
    expectCode(() => dma.iovaAlloc(dev, 0x2000, 0, { tag: null as never }), "EINVAL");
    expect(dev.outstanding()).toEqual([]);
    const m = dma.mapRangeList(dev, list, { direction: "bidirectional" });
    for (const k of ["offset", "length", "direction"]) {
      expectCode(() => m.syncForCpu({ [k]: null } as never), "EINVAL", k);
      expectCode(() => m.syncForDevice({ [k]: null } as never), "EINVAL", k);
    }
    m.syncForCpu({ offset: undefined, length: undefined, direction: undefined } as never);
    m.unmap();
    dev.assertIdle();
  });

  it("PhysicalMemory (pageSize), SwiotlbPool (size), CpuRangeList and fromPfns (store)", () => {
    expectCode(() => new dma.PhysicalMemory({ regions: [], pageSize: null as never }), "EINVAL");
    expectCode(() => new dma.SwiotlbPool({ base: 0x100_0000, size: null as never, memory }), "EINVAL");
    expect(new dma.SwiotlbPool({ base: 0x100_0000, memory }).size).toBeGreaterThan(0);
    expectCode(() => new dma.CpuRangeList(memory, { store: null as never }), "EINVAL");
    expectCode(() => dma.CpuRangeList.fromPfns(memory, [1], { store: null as never }), "EINVAL");
    expect(new dma.CpuRangeList(memory, { store: undefined } as never).count).toBe(0);
  });

  it("PciTopology: addHostBridge's bus and addFunction's bars, nothing added", () => {
    const topo = new dma.PciTopology({});
    const generation = topo.generation;
    expectCode(() => topo.addHostBridge({ domain: 0, bus: null as never }), "EINVAL");
    expect([topo.hostBridges.length, topo.generation]).toEqual([0, generation]);
    const hb = topo.addHostBridge({ domain: 0 });
    expect(hb.bus).toBe(0);
    expectCode(() => topo.addFunction(hb, { bdf: "0000:00:01.0", bars: null as never }), "EINVAL");
    expect([...topo.functions].length).toBe(0);
  });

  it("registrationFootprint: pageSize, maxPfn and chunkBytes", () => {
    const layout = { lengthBytes: 2 ** 20, folioBytes: 4096, contiguous: false };
    for (const k of ["pageSize", "maxPfn", "chunkBytes"])
      expect(
        codeOf(() => dma.registrationFootprint({ ...layout, [k]: null } as never)),
        k,
      ).toBe("EINVAL");
    expect(dma.registrationFootprint(layout).pages).toBe(256);
  });
});

describe("P2P memory, RDMA registration and sgSplit options: null is a wrong type", () => {
  const SZ_4K = 4096;

  it("PhysicalMemory#addP2pMemory: offset and size, nothing added", () => {
    const memory = new dma.PhysicalMemory({ regions: [{ start: 0, size: 0x40_0000, kind: "ram" }] });
    const topo = new dma.PciTopology();
    const fn = topo.addFunction(topo.addHostBridge(), {
      bdf: "0000:00:04.0",
      bars: [{ index: 0, cpuAddress: 0x4000_0000, size: 0x1_0000 }],
    });
    for (const k of ["offset", "size"])
      expectCode(() => memory.addP2pMemory(fn.p2pProvider(0), { [k]: null } as never), "EINVAL", k);
    expect(memory.addP2pMemory(fn.p2pProvider(0), { offset: 0x1000 } as never)).toBeDefined();
  });

  it("registerMemoryRegion (length) and registerDmaBufMr (offset, pinned) register nothing", () => {
    const memory = new dma.PhysicalMemory({ regions: [{ start: 0, size: 2 ** 34, kind: "ram" }] });
    const device = new dma.DmaDevice({ iommu: new dma.IommuDomain() });
    const base = {
      device,
      pages: [0x100],
      memory,
      iova: 0,
      access: dma.IB_ACCESS_LOCAL_WRITE,
      pageSizeBitmap: SZ_4K,
    };
    expectCode(() => dma.registerMemoryRegion({ ...base, length: null as never }), "EINVAL");
    device.assertIdle();
    dma.registerMemoryRegion(base).deregister();
    const buffer = dma.CpuRangeList.fromPfns(memory, [0x200, 0x201]);
    const exporter = new dma.DmaBufExporter(buffer, { name: "bo" });
    const mr = { device, exporter, length: SZ_4K, iova: 0, access: dma.IB_ACCESS_LOCAL_WRITE };
    for (const k of ["offset", "pinned"])
      expectCode(() => dma.registerDmaBufMr({ ...mr, [k]: null } as never), "EINVAL", k);
    device.assertIdle();
    dma.registerDmaBufMr(mr).deregister();
  });

  it("sgSplit and sgSplitBig: asWritten", () => {
    expectCode(() => dma.sgSplit(0, 0x1000, { asWritten: null as never }), "EINVAL");
    expectCode(() => dma.sgSplitBig(0n, 0x1000n, { asWritten: null as never }), "EINVAL");
    expect(codeOf(() => dma.sgSplit(0, 0x1000, {}))).toBe("no error");
  });
});

/**
 * The last open marks of the hostile-input suite (packages/hostile): flags, option fields and
 * lookup arguments that were accepted whatever they were (NaN for a boolean, a name or a chunk
 * size; a folio whose nrPages contradicted its order; NaN pfns). Each is now refused with an
 * RlistError (EINVAL for the wrong type, ERANGE for a number out of range) before anything
 * changes; deviceTranslate answers a number that is no bus address with an `address` fault.
 */
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { codeOf, expectCode } from "../../../../scripts/expect-code.js";
import * as dma from "../../src/index.js";
import { pciTopologyFromSysfs } from "../../src/node.js";
import { barList, gpuTopology, importerDevice, systemMemory } from "../dmabuf/fixture.js";

/** Values that are not a boolean (a flag is never truthy-coerced). */
const NOT_BOOLEAN: unknown[] = [Number.NaN, 0, 1, "yes", null, 1n, Symbol("s"), {}];
/** Values that are not a safe non-negative integer. */
const BAD_NUMBER: unknown[] = [
  Number.NaN,
  Number.POSITIVE_INFINITY,
  -1,
  0.5,
  2 ** 53,
  1n,
  "0x10",
  Symbol("s"),
];
/** ERANGE for a number out of range, EINVAL for a non-number. */
const want = (v: unknown): "ERANGE" | "EINVAL" => (typeof v === "number" ? "ERANGE" : "EINVAL");

const SYSFS = fileURLToPath(new URL("../pci/fixtures/sysfs-aws-epyc-vm", import.meta.url));

describe("PciTopology: cpuSupportsP2p is a boolean, findHostBridge takes a domain and a bus", () => {
  it("new PciTopology and pciTopologyFromSysfs refuse a cpuSupportsP2p that is not a boolean", () => {
    for (const v of NOT_BOOLEAN) {
      expect(
        codeOf(() => new dma.PciTopology({ cpuSupportsP2p: v as never })),
        String(typeof v),
      ).toBe("EINVAL");
      expect(codeOf(() => pciTopologyFromSysfs(SYSFS, { cpuSupportsP2p: v as never }))).toBe("EINVAL");
    }
    expect(new dma.PciTopology({ cpuSupportsP2p: true }).cpuSupportsP2p).toBe(true);
    expect(new dma.PciTopology({}).cpuSupportsP2p).toBe(false);
    expect(pciTopologyFromSysfs(SYSFS, { cpuSupportsP2p: true }).cpuSupportsP2p).toBe(true);
  });

  it("the cpuSupportsP2p setter refuses a non-boolean and keeps the flag and the generation", () => {
    const topo = new dma.PciTopology({ cpuSupportsP2p: true });
    const generation = topo.generation;
    for (const v of NOT_BOOLEAN) {
      expectCode(() => {
        topo.cpuSupportsP2p = v as never;
      }, "EINVAL");
    }
    expect([topo.cpuSupportsP2p, topo.generation]).toEqual([true, generation]);
    topo.cpuSupportsP2p = false;
    expect([topo.cpuSupportsP2p, topo.generation]).toEqual([false, generation + 1]);
  });

  it("findHostBridge refuses what no host bridge can have, as addHostBridge does", () => {
    const topo = new dma.PciTopology();
    const hb = topo.addHostBridge({ domain: 1, bus: 0x10 });
    const generation = topo.generation;
    for (const v of [...BAD_NUMBER, 2 ** 32]) {
      expectCode(() => topo.findHostBridge(v as never, 0x10), "EINVAL", `domain ${String(typeof v)}`);
      expectCode(() => topo.findHostBridge(1, v as never), "EINVAL", `bus ${String(typeof v)}`);
    }
    expectCode(() => topo.findHostBridge(1, 256), "EINVAL");
    expect(topo.findHostBridge(1, 0x10)).toBe(hb);
    expect(topo.findHostBridge(0, 0x10)).toBe(null);
    expect([topo.hostBridges.length, topo.generation]).toEqual([1, generation]);
  });
});

describe("DmaBufExporter#attach checks the importer's fields", () => {
  it("allowPeer2peer, moveNotify and device of the wrong type are EINVAL and attach nothing", () => {
    const { provider, importers } = gpuTopology({ hb0: "allowed" });
    const exp = new dma.DmaBufExporter(barList(systemMemory(), provider), { name: "vram" });
    const device = importerDevice(importers.sameSwitch!, false, "nic");
    for (const v of NOT_BOOLEAN) {
      expectCode(() => exp.attach({ device, allowPeer2peer: v as never }), "EINVAL");
    }
    for (const v of [Number.NaN, "notify", null, {}]) {
      expectCode(() => exp.attach({ device, moveNotify: v as never }), "EINVAL");
    }
    for (const v of [Number.NaN, null, {}, "nic"]) {
      expectCode(() => exp.attach({ device: v as never }), "EINVAL");
    }
    expect(exp.attachments).toHaveLength(0);
    // A real refusal still comes first for P2P memory and an importer that said no.
    expectCode(() => exp.attach({ device, allowPeer2peer: false }), "EREMOTEIO");
    const att = exp.attach({ device, allowPeer2peer: true, moveNotify: () => {} });
    expect([att.p2p, att.dynamic, exp.attachments.length]).toEqual(["BUS_ADDR", true, 1]);
  });
});

describe("new DmaDevice checks every field of its init", () => {
  it("a name, flag, pci, iommu or swiotlb of the wrong type is EINVAL", () => {
    const rows: [string, unknown[]][] = [
      ["name", [Number.NaN, 1, null, 1n, Symbol("s"), {}]],
      ["coherent", NOT_BOOLEAN],
      ["untrusted", NOT_BOOLEAN],
      ["captureStacks", NOT_BOOLEAN],
      ["pci", [Number.NaN, 0, "0000:03:00.0", {}, new dma.PciTopology()]],
      ["iommu", [Number.NaN, 0, "iommu", {}, new dma.IoPageTable()]],
      ["swiotlb", [Number.NaN, 0, "swiotlb", {}, new dma.IommuDomain()]],
      ["dmaMaskBits", [null, "32", 1n]],
      ["directOffset", [null, "0", 1n]],
      ["segmentation", [null, Number.NaN]],
    ];
    for (const [field, values] of rows) {
      for (const v of values) {
        expectCode(() => new dma.DmaDevice({ [field]: v } as never), "EINVAL", `${field} = ${typeof v}`);
      }
    }
    for (const v of [Number.NaN, Number.POSITIVE_INFINITY, 0.5, 2 ** 53]) {
      expectCode(() => new dma.DmaDevice({ directOffset: v }), "ERANGE");
    }
  });

  it("the defaults and the documented nulls still hold", () => {
    const iommu = new dma.IommuDomain();
    const d = new dma.DmaDevice({ name: "nvme0", pci: null, iommu, swiotlb: null, coherent: false });
    expect([d.name, d.pci, d.iommu, d.swiotlb, d.coherent, d.captureStacks, d.untrusted]).toEqual([
      "nvme0",
      null,
      iommu,
      null,
      false,
      false,
      false,
    ]);
    const { importers } = gpuTopology();
    expect(new dma.DmaDevice({ pci: importers.gpu! }).name).toBe("0000:03:00.0");
    expect(new dma.DmaDevice().name).toBe("dma-device");
  });
});

describe("new DmaRangeList checks its options, in identity mode too", () => {
  it("chunkBytes, pool and merge are checked like RangeList's", () => {
    for (const v of [Number.NaN, 0, 256, "512", 1n, null, Symbol("s")]) {
      expectCode(() => new dma.DmaRangeList({ chunkBytes: v as never }), "EINVAL", String(typeof v));
    }
    for (const v of [Number.NaN, {}, null, "pool"]) {
      expectCode(() => new dma.DmaRangeList({ pool: v as never }), "EINVAL");
    }
    for (const v of NOT_BOOLEAN) expectCode(() => new dma.DmaRangeList({ merge: v as never }), "EINVAL");
    const l = new dma.DmaRangeList({ chunkBytes: 128, merge: true });
    expect(l.storage?.chunkBytes).toBe(128);
  });

  it("the identity view's source and offset are checked, and the options with them", () => {
    const memory = new dma.PhysicalMemory({ regions: [{ start: 0, size: 0x10_0000, kind: "ram" }] });
    const cpu = new dma.CpuRangeList(memory);
    cpu.appendPage(1, 0, 4096);
    for (const v of [Number.NaN, null, {}, "list"]) {
      expectCode(() => new dma.DmaRangeList({}, { source: v as never, directOffset: 0 }), "EINVAL");
      expectCode(() => dma.DmaRangeList.identity(v as never), "EINVAL");
    }
    for (const v of [Number.NaN, Number.NEGATIVE_INFINITY, 0.5, 2 ** 53, 1n, "0", null]) {
      expectCode(() => new dma.DmaRangeList({}, { source: cpu, directOffset: v as never }), want(v));
      expectCode(() => dma.DmaRangeList.identity(cpu, v as never), want(v));
    }
    expectCode(
      () => new dma.DmaRangeList({ chunkBytes: Number.NaN as never }, { source: cpu, directOffset: 0 }),
      "EINVAL",
    );
    const view = new dma.DmaRangeList({}, { source: cpu, directOffset: 0x1000 });
    expect([view.isIdentity, view.toArray()]).toEqual([
      true,
      [{ dmaAddress: 0x2000, length: 4096, kind: dma.DmaKind.DIRECT }],
    ]);
  });

  it("each option and identity field is read once: what was checked is what is used", () => {
    const memory = new dma.PhysicalMemory({ regions: [{ start: 0, size: 0x10_0000, kind: "ram" }] });
    const cpu = new dma.CpuRangeList(memory);
    cpu.appendPage(1, 0, 4096);
    const reads: string[] = [];
    // Valid on the first read, garbage on any later one.
    const once = <T>(name: string, first: T): (() => unknown) => {
      let n = 0;
      return () => {
        reads.push(name);
        return n++ === 0 ? first : Number.NaN;
      };
    };
    const options = Object.defineProperties({}, { chunkBytes: { get: once("chunkBytes", 128) } });
    const list = new dma.DmaRangeList(options);
    expect(list.storage?.chunkBytes).toBe(128);
    const identity = Object.defineProperties(
      {},
      { source: { get: once("source", cpu) }, directOffset: { get: once("directOffset", 0x1000) } },
    );
    const view = new dma.DmaRangeList({}, identity as never);
    expect(view.toArray()).toEqual([{ dmaAddress: 0x2000, length: 4096, kind: dma.DmaKind.DIRECT }]);
    expect(reads).toEqual(["chunkBytes", "source", "directOffset"]);
  });
});

describe("CpuRangeList#appendFolio: a folio's nrPages and pgmap must be its own", () => {
  /** RAM [0, 4 MiB) and a 64 KiB P2P BAR at 1 GiB with struct pages. */
  function machine() {
    const memory = new dma.PhysicalMemory({ regions: [{ start: 0, size: 0x40_0000, kind: "ram" }] });
    const topo = new dma.PciTopology();
    const fn = topo.addFunction(topo.addHostBridge(), {
      bdf: "0000:00:04.0",
      bars: [{ index: 0, cpuAddress: 0x4000_0000, size: 0x1_0000 }],
    });
    const pgmap = memory.addP2pMemory(fn.p2pProvider(0));
    const list = new dma.CpuRangeList(memory);
    list.appendPage(0x10, 0, 4096);
    return { memory, pgmap, list, folio: memory.declareFolio(0x100, 2) };
  }
  const snapshot = (l: dma.CpuRangeList) => [l.count, l.length, l.hasP2P, l.toArray()];

  it("nrPages that is not 2^order, or not a number, is refused and the list is unchanged", () => {
    const { list, folio } = machine();
    const before = snapshot(list);
    for (const v of BAD_NUMBER) {
      expectCode(() => list.appendFolio({ ...folio, nrPages: v as never }, 0, 4096), want(v), String(v));
    }
    for (const n of [1, 2, 8, 0])
      expectCode(() => list.appendFolio({ ...folio, nrPages: n }, 0, 4096), "EINVAL");
    expect(snapshot(list)).toEqual(before);
    list.appendFolio({ ...folio }, 0, 4096);
    expect(list.length).toBe(2 * 4096);
  });

  it("a pgmap that is not the page's own (another pgmap, one for RAM, not an object) is refused", () => {
    const { memory, pgmap, list, folio } = machine();
    const p2pFolio = memory.folioOf(pgmap.startPfn)!;
    const before = snapshot(list);
    for (const v of [Number.NaN, 0, "pgmap", 1n]) {
      expectCode(() => list.appendFolio({ ...folio, pgmap: v as never }, 0, 4096), "EINVAL");
    }
    expectCode(() => list.appendFolio({ ...folio, pgmap }, 0, 4096), "EINVAL");
    expectCode(() => list.appendFolio({ ...folio, pgmap: { ...pgmap } }, 0, 4096), "EINVAL");
    expectCode(() => list.appendFolio({ ...p2pFolio, pgmap: null }, 0, 4096), "EINVAL");
    expect(snapshot(list)).toEqual(before);
    list.appendFolio(p2pFolio, 0, 4096);
    expect(list.hasP2P).toBe(true);
  });
});

describe("IovaLayout#place takes safe non-negative integers", () => {
  it("a bad phys or length is refused and the layout is unchanged", () => {
    const seg = { ...dma.noSegmentation, maxSegmentSize: 0x1_0000, segmentBoundaryMask: 0xffff };
    const layout = new dma.IovaLayout(seg, 4096);
    layout.place(0x10_0000, 0xf000);
    const before = [layout.length, layout.padded];
    for (const v of BAD_NUMBER) {
      expectCode(() => layout.place(v as never, 0x2000), want(v), `phys ${String(v)}`);
      expectCode(() => layout.place(0x20_0000, v as never), want(v), `length ${String(v)}`);
    }
    // a window that would end past 2^53 - 1
    expectCode(() => layout.place(0, Number.MAX_SAFE_INTEGER - 0x800), "ERANGE");
    expect([layout.length, layout.padded]).toEqual(before);
    // the padding rule still applies to the next good entry
    expect(layout.place(0x20_0000, 0x2000)).toBe(0x1_0000);
    expect([layout.length, layout.padded]).toEqual([0x1_2000, 1]);
  });
});

describe("PhysicalMemory's pgmap lookups check their pfn and count", () => {
  it("pgmapIdOf and rangePgmapId refuse what is not a safe non-negative integer", () => {
    const memory = new dma.PhysicalMemory({ regions: [{ start: 0, size: 0x40_0000, kind: "ram" }] });
    for (const v of BAD_NUMBER) {
      expectCode(() => memory.pgmapIdOf(v as never), want(v), String(v));
      expectCode(() => memory.rangePgmapId(v as never, 1), want(v), String(v));
      expectCode(() => memory.rangePgmapId(0, v as never), want(v), String(v));
    }
    expect([memory.pgmapIdOf(0x10), memory.pgmapIdOf(0x400), memory.rangePgmapId(0x3ff, 1)]).toEqual([
      0, -1, 0,
    ]);
    expect(memory.rangePgmapId(0x3ff, 2)).toBe(-1);
  });
});

describe("deviceTranslate: a number that is no bus address is an address fault", () => {
  it("NaN and ±Infinity fault like -1 and 0.5; a non-number is EINVAL", () => {
    const device = new dma.DmaDevice({ name: "dev" });
    const fault = { ok: false, fault: "address" };
    for (const v of [-1, 0.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 2 ** 53 + 2]) {
      expect(dma.deviceTranslate(device, v), String(v)).toEqual(fault);
    }
    for (const v of [1n, "0x1000", null, Symbol("s")]) {
      expectCode(() => dma.deviceTranslate(device, v as never), "EINVAL");
    }
    expect(dma.deviceTranslate(device, 0x1000)).toMatchObject({ ok: true, phys: 0x1000, route: "direct" });
  });
});

describe("found by the long hostile run (pnpm fuzz --seconds 180 --seed 1)", () => {
  it("SwiotlbPool#map checks boundaryMask and allocAlignMask up front and takes no slot", () => {
    const pool = new dma.SwiotlbPool({ base: 0x100_0000, size: 0x4_0000 });
    for (const v of [Number.NaN, Number.POSITIVE_INFINITY, 0x1000, 1n, Symbol("s")]) {
      expectCode(() => pool.map(0x5000, 512, 0, v as never), "EINVAL", `boundaryMask ${String(typeof v)}`);
      expectCode(() => pool.map(0x5000, 512, 0, undefined, v as never), "EINVAL");
    }
    expect(pool.usedSlots).toBe(0);
    expect(pool.map(0x5000, 512, 0, 0xffff)).toBeGreaterThanOrEqual(0x100_0000);
    expect(pool.usedSlots).toBe(1);
  });

  it("iovaAlloc refuses options that are not an object and allocates nothing", () => {
    const device = new dma.DmaDevice({ name: "nic", iommu: new dma.IommuDomain() });
    for (const v of [Number.NaN, null, "tag", 1n]) {
      expectCode(() => dma.iovaAlloc(device, 0x2000, 0x10_0000, v as never), "EINVAL");
    }
    expect(device.iommu!.idle).toBe(true);
  });

  it("registrationFootprint checks maxPfn; addRegion takes an object; PciBar and CpuRangeList flags are booleans", () => {
    const layout = { lengthBytes: 0x10_0000, folioBytes: 4096, contiguous: false, dma: "iommu" } as const;
    for (const v of [1n, "", Number.NaN, -1, Symbol("s")]) {
      expectCode(() => dma.registrationFootprint({ ...layout, maxPfn: v as never }), want(v));
    }
    expect(dma.registrationFootprint({ ...layout, maxPfn: 2 ** 40 }).pages).toBe(256);
    const memory = new dma.PhysicalMemory({ regions: [{ start: 0, size: 0x10_0000, kind: "ram" }] });
    for (const v of [null, undefined, Number.NaN, "ram"])
      expectCode(() => memory.addRegion(v as never), "EINVAL");
    expect(memory.regions).toHaveLength(1);
    for (const v of NOT_BOOLEAN) {
      expectCode(
        () => new dma.PciBar({ index: 0, cpuAddress: 0x4000_0000, size: 0x1000, prefetchable: v as never }),
        "EINVAL",
      );
      expectCode(() => new dma.CpuRangeList(memory, { mergePhysical: v as never }), "EINVAL");
    }
    expect(
      new dma.PciBar({ index: 0, cpuAddress: 0x4000_0000, size: 0x1000, prefetchable: true }).prefetchable,
    ).toBe(true);
  });
});

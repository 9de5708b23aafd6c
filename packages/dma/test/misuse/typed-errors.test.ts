/**
 * Issue 12 item 11 (dma part): every public entry point, called with each argument replaced in
 * turn by a hostile value (null, undefined, NaN, -1, 0.5, 2^53 + 1, 2^64, a bigint, a string, a
 * Symbol, {}, [], a function, -0, Infinity, an object whose getter throws), either works or throws
 * an RlistError: never a TypeError, a RangeError or a hang. A getter the caller wrote may throw its
 * own error; nothing else may.
 */
import { isRlistError } from "@rlist/encoding";
import { describe, expect, it } from "vitest";
import { expectCode } from "../../../../scripts/expect-code.js";
import { hostileArgumentDefects, sweepExports } from "../../../../scripts/hostile-arguments.js";
import * as dma from "../../src/index.js";
import * as dmaNode from "../../src/node.js";

/** Stands for "the attachment made in the call" in a base argument list. */
const ATT = Symbol("attachment");

const memory = new dma.PhysicalMemory({ regions: [{ start: 0, size: 2 ** 32, kind: "ram" }] });
const mkList = () => dma.CpuRangeList.fromPfns(memory, [0x100, 0x101, 0x300]);
const iommu = () => new dma.IommuDomain();
const dev = () => new dma.DmaDevice({ iommu: iommu() });
// top-level functions and constructors, each with a valid base argument set
type Case = [string, (...a: unknown[]) => unknown, unknown[]];
const cases: Case[] = [
  ["parseIomem", dma.parseIomem as never, ["00000000-00000fff : Reserved\n"]],
  ["parseIomemBig", dma.parseIomemBig as never, ["00000000-00000fff : Reserved\n"]],
  ["PhysicalMemory.fromIomem", dma.PhysicalMemory.fromIomem as never, ["00001000-0009ffff : System RAM\n"]],
  ["new PhysicalMemory", (o) => new dma.PhysicalMemory(o as never), [{}]],
  ["memory.read", (a, b) => memory.read(a as never, b as never), [0x1000, new Uint8Array(4)]],
  ["memory.write", (a, b) => memory.write(a as never, b as never), [0x1000, new Uint8Array(4)]],
  ["memory.isAccessible", (a, b) => memory.isAccessible(a as never, b as never), [0x1000, 4]],
  ["memory.folioOf", (a) => memory.folioOf(a as never), [0x100]],
  [
    "memory.declareFolio",
    (a, b) =>
      new dma.PhysicalMemory({ regions: [{ start: 0, size: 2 ** 32, kind: "ram" }] }).declareFolio(
        a as never,
        b as never,
      ),
    [0x200, 9],
  ],
  ["new CpuRangeList", (m, o) => new dma.CpuRangeList(m as never, o as never), [memory, {}]],
  ["CpuRangeList.fromPfns", (m, p) => dma.CpuRangeList.fromPfns(m as never, p as never), [memory, [0x100]]],
  [
    "list.appendPage",
    (a, b, c) => mkList().appendPage(a as never, b as never, c as never),
    [0x500, 0, 0x1000],
  ],
  [
    "list.appendPhysical",
    (a, b, c) => mkList().appendPhysical(a as never, b as never, c as never),
    [0x500000, 0x1000, null],
  ],
  [
    "list.appendFolio",
    (a, b, c) => mkList().appendFolio(a as never, b as never, c as never),
    [memory.folioOf(0x500), 0, 0x1000],
  ],
  ["list.seek", (a) => mkList().seek(a as never), [0x800]],
  ["list.copyTo", (a, b) => mkList().copyTo(a as never, b as never), [new Uint8Array(4), 0]],
  ["list.copyFrom", (a, b) => mkList().copyFrom(a as never, b as never), [new Uint8Array(4), 0]],
  ["list.reserve", (a) => mkList().reserve(a as never), [4]],
  ["list.forEachEntry", (a) => mkList().forEachEntry(a as never), [() => true]],
  ["new IommuDomain", (o) => new dma.IommuDomain(o as never), [{}]],
  ["domain.allocIova", (a, b) => iommu().allocIova(a as never, b as never), [0x1000, 2 ** 40]],
  [
    "domain.map",
    (a, b, c, d) => iommu().map(a as never, b as never, c as never, d as never),
    [0x1000, 0x1000, 0x1000, 1],
  ],
  ["domain.unmap", (a, b) => iommu().unmap(a as never, b as never), [0x1000, 0x1000]],
  ["domain.translate", (a) => iommu().translate(a as never), [0x1000]],
  ["new IovaAllocator", (o) => new dma.IovaAllocator(o as never), [{}]],
  ["new IoPageTable", (o) => new dma.IoPageTable(o as never), [{}]],
  ["new DmaDevice", (o) => new dma.DmaDevice(o as never), [{}]],
  ["dev.dmaCapable", (a, b) => dev().dmaCapable(a as never, b as never), [0x1000, 1]],
  [
    "mapRangeList",
    (d, l, o) => dma.mapRangeList(d as never, l as never, o as never),
    [dev(), mkList(), { direction: "to-device" }],
  ],
  ["new DmaRangeList", (o) => new dma.DmaRangeList(o as never), [{}]],
  ["DmaRangeList.identity", (a, b) => dma.DmaRangeList.identity(a as never, b as never), [mkList(), 0]],
  [
    "dmalist.append",
    (a, b, c) => new dma.DmaRangeList().append(a as never, b as never, c as never),
    [1, 0x1000, 0x1000],
  ],
  [
    "dmalist.appendBig",
    (a, b, c) => new dma.DmaRangeList().appendBig(a as never, b as never, c as never),
    [1, 0x1000n, 0x1000n],
  ],
  ["dmalist.setBase", (a) => new dma.DmaRangeList().setBase(a as never), [0x1000]],
  ["dmalist.truncate", (a) => new dma.DmaRangeList().truncate(a as never), [0]],
  ["dmalist.segments", (a) => new dma.DmaRangeList().segments(a as never), [dma.noSegmentation]],
  ["dmalist.blocks", (a) => new dma.DmaRangeList().blocks(a as never), [4096]],
  ["dmalist.numBlocks", (a) => new dma.DmaRangeList().numBlocks(a as never), [4096]],
  [
    "findBestBlockSize",
    (a, b, c) => dma.findBestBlockSize(a as never, b as never, c as never),
    [new dma.ArrayDmaCursor([[0, 4096]]), 4096, 0],
  ],
  [
    "numSegments",
    (a, b) => dma.numSegments(a as never, b as never),
    [new dma.ArrayDmaCursor([[0, 4096]]), dma.noSegmentation],
  ],
  [
    "new DmaSegmentCursor",
    (a, b) => new dma.DmaSegmentCursor(a as never, b as never),
    [new dma.ArrayDmaCursor([[0, 4096]]), dma.noSegmentation],
  ],
  [
    "numSegmentsRange",
    (a, b, c, d) => dma.numSegmentsRange(a as never, b as never, c as never, d as never),
    [0, 4096, 0xfff, 4096],
  ],
  [
    "segmentationOk",
    (a, b, c, d) => dma.segmentationOk(a as never, b as never, c as never, d as never),
    [dma.noSegmentation, 0, 0, 4096],
  ],
  ["validateSegmentation", (a) => dma.validateSegmentation(a as never), [dma.noSegmentation]],
  ["new SwiotlbPool", (o) => new dma.SwiotlbPool(o as never), [{ base: 0, size: 0x40000 }]],
  [
    "swiotlb.map",
    (a, b, c) => new dma.SwiotlbPool({ base: 0, size: 0x40000 }).map(a as never, b as never, c as never),
    [0x100000, 0x100, 0],
  ],
  ["iovaAlloc", (a, b, c) => dma.iovaAlloc(a as never, b as never, c as never), [dev(), 0x1000, 0]],
  ["deviceTranslate", (a, b) => dma.deviceTranslate(a as never, b as never), [dev(), 0x1000]],
  [
    "mappingExposure",
    (a) => dma.mappingExposure(a as never),
    [dma.mapRangeList(dev(), mkList(), { direction: "to-device" })],
  ],
  ["new PciTopology", (o) => new dma.PciTopology(o as never), [{}]],
  ["parseBdf", (a) => dma.parseBdf(a as never), ["0000:00:01.0"]],
  ["formatBdf", (a) => dma.formatBdf(a as never), [{ domain: 0, bus: 0, device: 1, fn: 0 }]],
  ["parseConfigSpace", (a) => dma.parseConfigSpace(a as never), [new Uint8Array(256)]],
  ["pciTopologyFromJson", (a) => dma.pciTopologyFromJson(a as never), [{ hostBridges: [] }]],
  ["new PciBar", (a) => new dma.PciBar(a as never), [{ index: 0, cpuAddress: 0, size: 16 }]],
  [
    "cpuSupportsP2pFromCpuinfo",
    (a) => dma.cpuSupportsP2pFromCpuinfo(a as never),
    ["vendor_id : AuthenticAMD\ncpu family : 25\n"],
  ],
  ["hostBridgeP2pFor", (a, b) => dma.hostBridgeP2pFor(a as never, b as never), [0x8086, 0x2020]],
  ["acsControlOf", (a) => dma.acsControlOf(a as never), [{}]],
  ["acsRedirects", (a) => dma.acsRedirects(a as never), [4]],
  [
    "regionsFromIomem",
    (a) => dma.regionsFromIomem(a as never),
    [dma.parseIomem("00001000-0009ffff : System RAM\n")],
  ],
  ["new DmaBufExporter", (a, b) => new dma.DmaBufExporter(a as never, b as never), [mkList(), {}]],
  ["sgSplit", (a, b, c) => dma.sgSplit(a as never, b as never, c as never), [0, 0x1000, {}]],
  ["sgSplitBig", (a, b, c) => dma.sgSplitBig(a as never, b as never, c as never), [0n, 0x1000n, {}]],
  ["sgSplitCount", (a) => dma.sgSplitCount(a as never), [0x1000]],
  ["sgEntriesForDmaList", (a) => dma.sgEntriesForDmaList(a as never), [new dma.ArrayDmaCursor([[0, 4096]])]],
  [
    "registerMemoryRegion",
    (a) => dma.registerMemoryRegion(a as never),
    [{ device: dev(), pages: [0x100], memory, iova: 0, access: 1, pageSizeBitmap: 4096 }],
  ],
  ["checkMrAccess", (a) => dma.checkMrAccess(a as never), [1]],
  ["pinTable", (a) => dma.pinTable(a as never), [memory]],
  [
    "registrationFootprint",
    (a) => dma.registrationFootprint(a as never),
    [{ lengthBytes: 2 ** 20, folioBytes: 4096, contiguous: false }],
  ],

  [
    "mapping.syncForCpu",
    (a) => dma.mapRangeList(dev(), mkList(), { direction: "to-device" }).syncForCpu(a as never),
    [{}],
  ],
  [
    "iovaLink",
    (a, b, c, d) => {
      const d0 = dev();
      const s0 = dma.iovaAlloc(d0, 0x4000, 0)!;
      dma.iovaLink(d0, s0, a as never, b as never, c as never, d as never);
    },
    [0x10000, 0, 0x1000, "to-device"],
  ],
  ["exp.attach", (a) => new dma.DmaBufExporter(mkList()).attach(a as never), [{ device: dev() }]],
  [
    "exp.map",
    (a, b) => {
      const e = new dma.DmaBufExporter(mkList());
      const att = e.attach({ device: dev() });
      return e.map((a === ATT ? att : a) as never, b as never);
    },
    [ATT, "to-device"],
  ],
  ["exp.move", (a) => new dma.DmaBufExporter(mkList()).move(a as never), [mkList()]],
];

describe("wrong-typed arguments are RlistErrors (issue 12 item 11)", () => {
  it("every export of @rlist/dma and @rlist/dma/node, first four arguments hostile", () => {
    expect(sweepExports({ ...dma, ...dmaNode })).toEqual([]);
  });

  for (const [name, fn, base] of cases) {
    it(name, () => {
      fn(...base); // the base call works, so each failure below is the hostile argument's
      expect(hostileArgumentDefects(name, fn, base)).toEqual([]);
    });
  }

  it("PhysicalMemory.write(0, 'abcd') touches nothing", () => {
    const m = new dma.PhysicalMemory({ regions: [{ start: 0, size: 2 ** 32, kind: "ram" }] });
    expectCode(() => m.write(0, "abcd" as never), "EINVAL");
    expect(m.touchedPages).toBe(0);
  });

  it("parseIomem(42) is EINVAL", () => {
    expectCode(() => dma.parseIomem(42 as never), "EINVAL");
  });
});

describe("a Symbol in an error message's value is formatted, not a TypeError (found by the hostile-input suite)", () => {
  const typed = (f: () => unknown) => {
    try {
      f();
    } catch (err) {
      return isRlistError(err) ? err.code : `not typed: ${String(err)}`;
    }
    return "returned";
  };
  it("PciFunction#bar, new DmaDevice, PhysicalMemory#addRegion", () => {
    const topo = new dma.PciTopology();
    const fn = topo.addFunction(topo.addHostBridge({ domain: 0, bus: 0 }), { bdf: "0000:00:01.0" });
    expect(typed(() => fn.bar(Symbol("i") as never))).toBe("EINVAL");
    expect(typed(() => new dma.DmaDevice({ dmaMaskBits: Symbol("m") as never }))).toBe("EINVAL");
    const m = new dma.PhysicalMemory();
    expect(typed(() => m.addRegion({ start: 0, size: 4096, kind: Symbol("k") as never }))).toBe("EINVAL");
    expect(m.regions.length).toBe(0);
  });
  it("page-table levels, IOVA granule, MR page and chunk sizes, folios", () => {
    const sym = Symbol("v") as never;
    expect(typed(() => new dma.IoPageTable({ levels: sym }))).toBe("EINVAL");
    expect(typed(() => new dma.IoPageTable({ pageSizes: sym }))).toBe("EINVAL");
    expect(typed(() => new dma.IommuDomain({ levels: sym }))).toBe("EINVAL");
    expect(typed(() => new dma.IovaAllocator({ granule: sym }))).toBe("EINVAL");
    expect(typed(() => dma.cpuFolioEntryBytes(0, 4096, sym))).toBe("EINVAL");
    expect(typed(() => dma.rangeListFootprint([], sym))).toBe("EINVAL");
    const m = new dma.PhysicalMemory({ regions: [{ start: 0, size: 2 ** 24, kind: "ram" }] });
    const l = new dma.CpuRangeList(m);
    expect(typed(() => l.appendFolio({ pfn: 0x100, order: sym } as never, 0, 4096))).toBe("EINVAL");
    expect(typed(() => m.splitFolio({ pfn: sym, order: 1 } as never))).toBe("EINVAL");
    expect(l.count).toBe(0);
    // a folio's size comes from its checked order; an nrPages that is not 2^order is refused
    m.declareFolio(0x200, 2);
    expect(typed(() => l.appendFolio({ pfn: 0x200, order: 2, nrPages: sym } as never, 0, 4096))).toBe(
      "EINVAL",
    );
    expect(l.count).toBe(0);
    for (const reservedRegions of [Number.NaN, [Number.NaN], [[sym, 0x1000]], [[0, 1, 2]]])
      expect(typed(() => new dma.IommuDomain({ reservedRegions } as never))).toBe("EINVAL");
  });
  it("DmaRangeList#appendBig takes bigints only", () => {
    const l = new dma.DmaRangeList();
    for (const bad of [Number.NaN, 5, "5", Symbol("s")]) {
      expect(typed(() => l.appendBig(dma.DmaKind.IOVA, bad as never, 4096n))).toBe("EINVAL");
      expect(typed(() => l.appendBig(dma.DmaKind.DIRECT, 0n, bad as never))).toBe("EINVAL");
    }
    expect(l.count).toBe(0);
  });
});

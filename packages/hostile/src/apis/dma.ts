/**
 * @rlist/dma: memory, PCI/P2P, CPU lists, IOMMU, the mapper and its consumers, RDMA, dma-buf.
 * Most entry points run as derived from their TypeScript types, on the world's machine; this
 * table adds what the types cannot say (out records, misuse sequences from dma-debug's list).
 */
import { fileURLToPath } from "node:url";
import * as dma from "@rlist/dma";
import type { Api, Override } from "../api.js";
import { bool, type Kind, nat, natMax, obj, oneOf } from "../kinds.js";
import type { World } from "../world.js";
import { misuse } from "./list.js";

/** A sysfs tree of a real machine (the dma tests' fixture: six virtio functions on bus 0). */
const SYSFS = fileURLToPath(new URL("../../../dma/test/pci/fixtures/sysfs-aws-epyc-vm", import.meta.url));

const PAGE = 4096;
const LIMIT = 2 ** 48 - 1;

/** An IOVA range allocated (and with `map`, mapped) in the world's domain, for free/unmap calls. */
function liveIova(w: World, map = false): number {
  const d = w.domain;
  const iova = d.allocIova(PAGE, LIMIT);
  if (map) d.map(iova, 0x10_0000, PAGE, dma.IOMMU_READ);
  return iova;
}

/** The world's mapping's first DMA segment: [address, length]. */
function firstSegment(w: World): [number, number] {
  const c = w.mapping.list.cursor();
  c.reset();
  return [c.dmaAddress, c.length];
}

/** Valid arguments that reach the success path, where the types alone cannot find them. */
const VALID: Record<string, (w: World) => unknown[]> = {
  "dma:CpuRangeList#appendPage": () => [0x700, 0, PAGE],
  "dma:CpuRangeList#appendPhysical": (w) => [0x8000_0000 + 0x10_0000, 0x1_0000, w.pci.vram],
  "dma:PhysicalMemory#addP2pMemory": (w) => [w.pci.vram, { offset: 0, size: 0x10_0000 }],
  "dma:checkMinAlignForIommu": () => [PAGE, 0xfff],
  "dma:checkMrAccess": () => [dma.IB_ACCESS_LOCAL_WRITE],
  "dma:accessWritable": () => [dma.IB_ACCESS_LOCAL_WRITE],
  "dma:bdfKey": () => [{ domain: 0, bus: 3, device: 0, fn: 0 }],
  "dma:rsiovaAlignment": () => [PAGE, 0xffff, 3 * PAGE],
  "dma:sgEntriesForRun": () => [3, PAGE, 0x1_0000],
  "dma:levelSize": () => [1],
  "dma:Iotlb#fill": () => [{ phys: 0x10_0000, pageSize: PAGE, pageIova: 0x1000, prot: dma.IOMMU_READ }],
  "dma:new IommuDomain": () => [{}],
  "dma:new DmaDevice": () => [{ name: "nvme9", iommu: new dma.IommuDomain() }],
  "dma:new IoPageTable": () => [{}],
  "dma:DmaRangeList#blocks": () => [PAGE],
  "dma:DmaRangeList#truncate": () => [1],
  "dma:iovaDestroy": (w) => [w.device, w.iovaState, 0x3000, "to-device"],
  "dma:new BlockCursor": (w) => [w.dmaList.cursor(), PAGE],
  "dma:summarizeCpuList": (w) => [w.cpuList.cursor(), PAGE],
  "dma:formatBdf": () => [{ domain: 0, bus: 3, device: 0, fn: 0 }],
  "dma:mapRangeList": (w) => [w.device, w.cpuList, { direction: "to-device" }],
  "dma:new PhysicalMemory": () => [{ regions: [{ start: 0, size: 0x100_0000, kind: "ram" }] }],
  "dma:withinBoundary": () => [0, PAGE, 0xffff],
  "dma:registerDmaBufMr": (w) => {
    const buffer = new dma.CpuRangeList(w.memory);
    buffer.appendPage(0x680, 0, PAGE);
    const exporter = new dma.DmaBufExporter(buffer, { name: "small-buffer" });
    const hca = new dma.DmaDevice({ name: "hca3", iommu: new dma.IommuDomain() });
    return [
      { device: hca, exporter, length: PAGE, iova: 0x7f00_0050_0000, access: dma.IB_ACCESS_LOCAL_WRITE },
    ];
  },
  "dma:CpuRangeList.fromPfns": (w) => [w.memory, [0x100, 0x101, 0x300], {}],
  "dma:new CpuRangeList": (w) => [w.memory, {}],
  "dma:DmaBufExporter#attach": (w) => [{ device: w.device, allowPeer2peer: true, moveNotify: () => {} }],
  "dma:DmaBufExporter#detach": (w) => {
    const { exporter, attachment, mapped } = w.exporter;
    exporter.unmap(attachment, mapped);
    return [attachment];
  },
  "dma:DmaBufExporter#isStale": (w) => [w.exporter.attachment, w.exporter.mapped],
  "dma:DmaBufExporter#mappingOf": (w) => [w.exporter.attachment, w.exporter.mapped],
  "dma:DmaBufExporter#unmap": (w) => [w.exporter.attachment, w.exporter.mapped],
  "dma:DmaBufExporter#move": (w) => {
    const moved = new dma.CpuRangeList(new dma.PhysicalMemory());
    moved.appendPhysical(0x8010_0000, w.exporter.exporter.size, w.pci.vram);
    return [moved];
  },
  "dma:DmaBufMemoryRegion#dmaAddressOf": (w) => [w.dmabufMr.iova + 0x10],
  "dma:DmaBufMemoryRegion#resolve": (w) => [w.dmabufMr.iova + PAGE],
  "dma:DmaDevice#syncSingleForCpu": (w) => [...firstSegment(w), "bidirectional"],
  "dma:DmaDevice#syncSingleForDevice": (w) => [...firstSegment(w), "bidirectional"],
  "dma:IoPageTable#map": () => [0x40_0000, 0x80_0000, 2 * PAGE, dma.IOMMU_READ],
  "dma:IoPageTable#unmap": () => [0x10_0000, 2 * PAGE],
  "dma:IommuDomain#allocIova": () => [2 * PAGE, LIMIT],
  "dma:IommuDomain#dmaFreeIova": (w) => [liveIova(w, true), PAGE, w.domain.gatherInit(false)],
  "dma:IommuDomain#unmapFast": (w) => [liveIova(w, true), PAGE, w.domain.gatherInit(false)],
  "dma:IommuDomain#freeIova": (w) => [liveIova(w), PAGE],
  "dma:IommuDomain#map": (w) => [liveIova(w), 0x10_0000, PAGE, dma.IOMMU_READ],
  "dma:IommuDomain#mapNoSync": (w) => [liveIova(w), 0x10_0000, PAGE, dma.IOMMU_READ | dma.IOMMU_WRITE],
  "dma:IommuDomain#unmap": (w) => [liveIova(w, true), PAGE],
  "dma:IommuDomain#unmapNoSync": (w) => [liveIova(w, true), PAGE],
  "dma:IovaAllocator#alloc": () => [4, 0xf_ffff, false],
  "dma:IovaAllocator#allocFast": () => [4, 0xf_ffff, false],
  "dma:IovaAllocator#free": (w) => [w.iovaAllocator.alloc(2, 0xf_ffff)],
  "dma:IovaAllocator#freeFast": (w) => [w.iovaAllocator.allocFast(2, 0xf_ffff), 2],
  "dma:IovaAllocator#reserve": () => [0x1000, 0x100f],
  "dma:PciFunction#bar": () => [2],
  "dma:PciFunction#p2pProvider": () => [2],
  "dma:PciTopology#addFunction": (w) => [w.pci.hb, { bdf: "0000:00:05.0" }],
  "dma:PciTopology#addHostBridge": () => [{ domain: 1, bus: 0 }],
  "dma:PciTopology#addSwitch": (w) => {
    const port = w.pci.topo.addFunction(w.pci.hb, { bdf: "0000:00:02.0", type: "root-port" });
    return [port, { upstream: "0000:10:00.0", downstream: ["0000:11:00.0", "0000:11:01.0"] }];
  },
  "dma:PciTopology#find": () => ["0000:03:00.0"],
  "dma:PciTopology#get": () => ["0000:03:00.0"],
  "dma:PhysicalMemory#addRegion": () => [
    { start: 0x1_0000_0000, size: 0x10_0000, kind: "ram", name: "high" },
  ],
  "dma:PhysicalMemory#declareFolio": () => [0x400, 2],
  "dma:PhysicalMemory.fromIomem": () => [
    "00001000-0009ffff : System RAM\n00100000-3fffffff : System RAM\n",
    {},
  ],
  "dma:PinTable#unpinPages": (w) => {
    for (const t of w.instancesOf("dma:PinTable")) (t as dma.PinTable).pinPages(0x100, 1);
    return [0x100, 1];
  },
  "dma:RdmaMemoryRegion#blockOffset": () => [PAGE],
  "dma:RdmaMemoryRegion#blocks": () => [PAGE],
  "dma:RdmaMemoryRegion#numBlocks": () => [PAGE],
  "dma:RdmaMemoryRegion#pageList": () => [PAGE],
  "dma:RdmaMemoryRegion#dmaAddressOf": (w) => [w.mr.iova + 0x10],
  "dma:RdmaMemoryRegion#fault": (w) => [w.mr.iova, PAGE],
  "dma:SwiotlbPool#map": () => [0x10_0000, 0x100, 0],
  "dma:SwiotlbPool#syncForCpu": (w) => [w.swiotlb.map(0x10_0000, 0x100, 0), 0x100, "bidirectional", 0],
  "dma:SwiotlbPool#syncForDevice": (w) => [w.swiotlb.map(0x10_0000, 0x100, 0), 0x100, "bidirectional", 0],
  "dma:SwiotlbPool#unmap": (w) => [w.swiotlb.map(0x10_0000, 0x100, 0), 0x100, "to-device", 0],
  "dma:SwiotlbPool#originalOf": (w) => [w.swiotlb.map(0x10_0000, 0x100, 0), 0],
  "dma:iovaFree": (w) => [w.device, dma.iovaAlloc(w.device, 2 * PAGE, 0x20_0000)],
  "dma:iovaLink": (w) => [w.device, w.iovaState, 0x10_1000, PAGE, PAGE, "to-device"],
  "dma:iovaSync": (w) => [w.device, w.iovaState, 0, PAGE],
  "dma:iovaUnlink": (w) => [w.device, w.iovaState, 0, PAGE, "to-device"],
  "dma:new PciBar": () => [{ index: 0, cpuAddress: 0x9000_0000, size: PAGE }],
  "dma:new SwiotlbPool": () => [{ base: 0x500_0000, size: 0x4_0000 }],
  "dma:numSegmentsRange": () => [0, 3 * PAGE, 0xffff, 0x1_0000],
  "dma:segmentLength": () => [0, 3 * PAGE, 0xffff, 0x1_0000],
  "dma:parseBdf": () => ["0000:03:00.0"],
  "dma:rangeListFootprint": () => [[{ entryBytes: 8, count: 10 }], 512],
  "dma:registrationFootprint": () => [{ lengthBytes: 2 ** 20, folioBytes: PAGE, contiguous: false }],
  "dma:registerMemoryRegion": (w) => [
    {
      device: new dma.DmaDevice({ name: "hca2", iommu: new dma.IommuDomain() }),
      memory: w.memory,
      pages: [0x210, 0x211],
      iova: 0x7f00_0030_0000,
      access: dma.IB_ACCESS_LOCAL_WRITE,
      pageSizeBitmap: PAGE,
    },
  ],
};

/** Receivers other than the world's first instance of the class. */
const RECEIVER: Record<string, (w: World) => unknown> = {
  "dma:PciFunction#bar": (w) => w.pci.gpu,
  "dma:PciFunction#p2pProvider": (w) => w.pci.gpu,
};

/** The gather parameter of each `[api, index]`: {@link dma.IotlbGather}'s fields and their ranges. */
function gatherAt(...at: [string, number][]): Record<string, Override> {
  const gather: Kind = {
    t: "object",
    name: "dma:IotlbGather",
    fields: {
      start: { t: "union", of: [nat, oneOf(Number.POSITIVE_INFINITY)] },
      end: nat,
      bytes: nat,
      queued: bool,
    },
  };
  return Object.fromEntries(at.map(([api, i]) => [api, { paramsAt: { [i]: gather } }]));
}

export const dmaOverrides: Record<string, Override> = {
  "dma/node:pciTopologyFromSysfs": {
    valid: () => [SYSFS, {}],
    extras: 3,
    extra: (_w, k) =>
      [
        { label: "a directory that does not exist", args: [`${SYSFS}-missing`], invalid: true },
        { label: "a file, not a directory", args: [`${SYSFS}/0000:00:00.0/vendor`], invalid: true },
        {
          label: "a tree with no PCI functions (the fixtures' parent)",
          args: [`${SYSFS}/..`],
          invalid: null,
        },
      ][k] as { label: string; args: unknown[]; invalid: boolean | null },
  },
  // Any number is a question the device can be asked: one that is no bus address (NaN, ±Infinity,
  // -1, 0.5, 2^53+1) is answered with an `address` fault, not refused; a non-number is EINVAL.
  "dma:deviceTranslate": { paramsAt: { 1: { t: "number", nonFinite: true } } },
  // a PCI domain is a u32 and a root bus 0..255, as addHostBridge takes them
  "dma:PciTopology#findHostBridge": { paramsAt: { 0: natMax(0xffff_ffff), 1: natMax(0xff) } },
  // An IOTLB gather: start is +Infinity while it is empty (iommu_iotlb_gather_init()'s ULONG_MAX)
  ...gatherAt(
    ["dma:IommuDomain#dmaFreeIova", 2],
    ["dma:IommuDomain#unmapFast", 2],
    ["dma:IommuDomain#iotlbSync", 0],
  ),
  // out records: only written, so their fields are not inputs
  "dma:IoPageTable#lookupInto": { paramsAt: { 1: obj({}) } },
  "dma:IommuDomain#deviceLookup": { paramsAt: { 1: obj({}) } },
  "dma:Iotlb#lookup": { paramsAt: { 1: obj({}) } },
  "dma:fillIovaMap": { paramsAt: { 4: obj({}) } },
  "dma:sgSplitBig": {
    extras: 1,
    // issue 12 item 13: 2^64 bytes in 2^32-byte pieces would be 2^32 pairs (an abort, not an error)
    extra: () => ({ label: "sgSplitBig(0n, 2n**64n)", args: [0n, 2n ** 64n], invalid: null }),
  },
};

const dmaMisuse = (name: string, prepare: (w: World) => () => unknown) => misuse("dma", name, prepare);

/** Out-of-order calls dma-debug catches (kernel/dma/debug.c), and the sequences. */
export const dmaAdded: Api[] = [
  dmaMisuse("unmap a mapping twice", (w) => {
    const m = w.mapping;
    m.unmap();
    return () => m.unmap();
  }),
  dmaMisuse("sync a mapping after unmap", (w) => {
    const m = w.mapping;
    m.unmap();
    return () => m.syncForCpu();
  }),
  dmaMisuse("change a mapped DMA list (setBase)", (w) => {
    const m = w.mapping;
    return () => m.list.setBase(0);
  }),
  dmaMisuse("clear a mapped DMA list", (w) => {
    const m = w.mapping;
    return () => m.list.clear();
  }),
  dmaMisuse("freeIova with the wrong size", (w) => {
    const d = w.domain;
    const iova = d.allocIova(0x1000, 2 ** 48 - 1);
    return () => d.freeIova(iova, 0x2_0000);
  }),
  dmaMisuse("freeIova twice", (w) => {
    const d = w.domain;
    const iova = d.allocIova(0x1000, 2 ** 48 - 1);
    d.freeIova(iova, 0x1000);
    return () => d.freeIova(iova, 0x1000);
  }),
  dmaMisuse("iovaFree with links in place", (w) => {
    const s = w.iovaState;
    return () => dma.iovaFree(w.device, s);
  }),
  dmaMisuse("iovaUnlink of a range never linked", (w) => {
    const s = w.iovaState;
    return () => dma.iovaUnlink(w.device, s, 0x2000, 0x1000, "to-device");
  }),
  dmaMisuse("iovaLink with a hand-made state", (w) => {
    const s = w.iovaState;
    const forged = { ...s, addr: 0 } as unknown as dma.IovaState;
    return () => dma.iovaLink(w.device, forged, 0x10_0000, 0, 0x1000, "to-device");
  }),
  dmaMisuse("assertIdle with a mapping live", (w) => {
    const device = w.device;
    void w.mapping;
    return () => device.assertIdle();
  }),
  dmaMisuse("swiotlb unmap of an address it never mapped", (w) => {
    const pool = w.swiotlb;
    return () => pool.unmap(0x300_0000 + 0x800, 0x100, "to-device", 0);
  }),
  dmaMisuse("use an MR after deregister", (w) => {
    const mr = w.mr;
    mr.deregister();
    return () => mr.fault(mr.iova, 0x1000);
  }),
  dmaMisuse("deregister an MR twice", (w) => {
    const mr = w.mr;
    mr.deregister();
    return () => mr.deregister();
  }),
  dmaMisuse("unmap a dma-buf attachment's mapping directly", (w) => {
    const { exporter, attachment, mapped } = w.exporter;
    return () => exporter.mappingOf(attachment, mapped).unmap();
  }),
  dmaMisuse("detach an attachment twice", (w) => {
    const { exporter, attachment, mapped } = w.exporter;
    exporter.unmap(attachment, mapped);
    exporter.detach(attachment);
    return () => exporter.detach(attachment);
  }),
  dmaMisuse("addSwitch with one bad downstream BDF", (w) => {
    const { topo, rp } = w.pci;
    return () => topo.addSwitch(rp, { upstream: "0000:05:00.0", downstream: ["0000:06:00.0", "nonsense"] });
  }),
  dmaMisuse("CpuRangeList length past 2^53-1", (w) => {
    const l = new dma.CpuRangeList(new dma.PhysicalMemory());
    const p = w.pci.vram;
    return () => {
      for (let i = 0; i < 3; i++) l.appendPhysical(0x8000_0000, 2 ** 52 + 1, p);
    };
  }),
  dmaMisuse("PhysicalMemory.write of a string", (w) => {
    const m = w.memory;
    return () => m.write(0, "abcd" as unknown as Uint8Array);
  }),
  dmaMisuse("rollback to a mark taken before a rolled-back mark", (w) => {
    const l = w.cpuList;
    const a = l.mark();
    l.appendPage(0x700, 0, 0x1000);
    const b = l.mark();
    l.rollback(a);
    return () => l.rollback(b);
  }),
];

for (const [name, valid] of Object.entries(VALID)) dmaOverrides[name] = { ...dmaOverrides[name], valid };
for (const [name, receiver] of Object.entries(RECEIVER))
  dmaOverrides[name] = { ...dmaOverrides[name], receiver };

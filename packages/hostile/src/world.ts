/**
 * A small machine with one live instance of every rlist class, built lazily (a case pays only
 * for what it touches) from a seeded generator: RAM, a PCI switch with a GPU BAR, CPU lists, an
 * IOMMU domain and devices, a live mapping, a swiotlb pool, a two-step IOVA window, a dma-buf
 * attachment, an RDMA MR, bios and a mapped request, range lists over a limited pool.
 *
 * `instancesOf("pkg:Class")` hands out receivers and instance arguments; `snapshot()` is the
 * observable state of everything built so far (every public getter, plus each class's own
 * report methods), which a failing call must leave unchanged.
 */
import * as bvec from "@rlist/bvec";
import * as dma from "@rlist/dma";
import * as dmaNode from "@rlist/dma/node";
import * as encoding from "@rlist/encoding";
import * as lab from "@rlist/lab";
import * as list from "@rlist/list";
import { smallStudy } from "./apis/lab.js";
import type { InstanceSource } from "./kinds.js";
import type { Rng } from "./rng.js";
import { canon } from "./snapshot.js";

/** Every module the suite covers, by module id (surface.ts's MODULE_IDS). */
export const MODULES = { encoding, list, dma, "dma/node": dmaNode, bvec, lab } as const;

const PAGE = 4096;

/** A /proc/self/maps excerpt (anonymous heap, a file mapping, the stack). */
const MAPS = [
  "55d0c0a00000-55d0c0c00000 rw-p 00000000 00:00 0                          [heap]",
  "7f1a2b000000-7f1a2b100000 r-xp 00000000 08:01 1234                       /usr/lib/libc.so.6",
  "7ffc1e000000-7ffc1e021000 rw-p 00000000 00:00 0                          [stack]",
].join("\n");

/** Getters of each class (from the public surface), read by {@link World.snapshot}. */
export type GetterTable = ReadonlyMap<string, readonly string[]>;

/** No-argument report methods that say more than the getters, per class. */
const REPORTS: Readonly<Record<string, readonly string[]>> = {
  "list:RangeList": ["toBytes", "stats"],
  "list:ChunkPool": ["stats"],
  "dma:CpuRangeList": ["toArray", "stats"],
  "dma:DmaRangeList": ["toArray"],
  "dma:DmaDevice": ["outstanding"],
  "dma:IommuDomain": ["mappedPagesBySize"],
  "dma:IovaAllocator": ["ranges"],
  "dma:PinTable": ["snapshot"],
  "dma:PageIntervalSet": ["toArray"],
  "dma:PciTopology": [],
  "dma:SwiotlbPool": [],
  "bvec:BvecArray": ["toArray"],
  "lab:RangeSetBuilder": [],
};

export class World implements InstanceSource {
  private readonly made = new Map<string, unknown>();

  constructor(
    readonly rng: Rng,
    private readonly getters: GetterTable,
  ) {}

  private once<T>(key: string, make: () => T): T {
    if (!this.made.has(key)) this.made.set(key, make());
    return this.made.get(key) as T;
  }

  // ------------------------------------------------------------------ list

  get pool(): list.ChunkPool {
    return this.once("pool", () => new list.ChunkPool({ chunkBytes: 128, limit: 64 }));
  }

  get rangeList(): list.RangeList {
    return this.once("rangeList", () => {
      const l = new list.RangeList({ pool: this.pool, merge: this.rng.bool() });
      const n = 8 + this.rng.int(40);
      for (let i = 0; i < n; i++) {
        const big = this.rng.int(8) === 0;
        l.append({
          type: this.rng.int(4),
          length: 1 + this.rng.int(0x4000),
          base: (big ? 2 ** 40 : 0) + i * 0x10_000 + this.rng.int(3) * 0x1000,
          offset: this.rng.int(4) === 0 ? this.rng.int(0x1000) : 0,
          extra: this.rng.int(6) === 0 ? 1 + this.rng.int(100) : 0,
        });
      }
      return l;
    });
  }

  get rangeCursor(): list.RangeCursor {
    return this.once("rangeCursor", () => {
      const c = this.rangeList.cursor();
      c.reset();
      return c;
    });
  }

  // ------------------------------------------------------------------ memory, PCI

  get memory(): dma.PhysicalMemory {
    return this.once("memory", () => {
      const m = new dma.PhysicalMemory({ regions: [{ start: 0, size: 0x400_0000, kind: "ram" }] });
      m.declareFolio(0x200, 9);
      return m;
    });
  }

  get pci() {
    return this.once("pci", () => {
      const topo = new dma.PciTopology();
      const hb = topo.addHostBridge();
      const rp = topo.addFunction(hb, { bdf: "0000:00:01.0", type: "root-port" });
      const sw = topo.addSwitch(rp, {
        upstream: "0000:01:00.0",
        downstream: ["0000:02:00.0", "0000:02:01.0"],
      });
      const gpu = topo.addFunction(sw.downstream[0] as dma.PciFunction, {
        bdf: "0000:03:00.0",
        bars: [{ index: 2, cpuAddress: 0x8000_0000, size: 0x1000_0000, is64: true, prefetchable: true }],
      });
      const nic = topo.addFunction(sw.downstream[1] as dma.PciFunction, { bdf: "0000:04:00.0" });
      const vram = gpu.p2pProvider(2);
      return { topo, hb, rp, gpu, nic, vram, bar: gpu.bar(2) as dma.PciBar };
    });
  }

  get cpuList(): dma.CpuRangeList {
    return this.once("cpuList", () => {
      const l = new dma.CpuRangeList(this.memory);
      l.appendFolio(this.memory.folioOf(0x200) as never, 0x1000, 0x3000);
      l.appendPage(0x300 + this.rng.int(0x100), 0, PAGE);
      l.appendPage(0x500, 0x200, 0x800);
      return l;
    });
  }

  // ------------------------------------------------------------------ IOMMU, devices, mappings

  get domain(): dma.IommuDomain {
    return this.once("domain", () => new dma.IommuDomain());
  }

  get device(): dma.DmaDevice {
    return this.once(
      "device",
      () => new dma.DmaDevice({ name: "nic", iommu: this.domain, pci: this.pci.nic }),
    );
  }

  get directDevice(): dma.DmaDevice {
    return this.once("directDevice", () => new dma.DmaDevice({ name: "direct", swiotlb: this.swiotlb }));
  }

  get mapping(): dma.DmaMapping {
    return this.once("mapping", () =>
      dma.mapRangeList(this.device, this.cpuList, { direction: "bidirectional" }),
    );
  }

  get dmaList(): dma.DmaRangeList {
    return this.once("dmaList", () => {
      const l = new dma.DmaRangeList();
      l.append(dma.DmaKind.IOVA, 0x10_0000, 0x3000);
      l.append(dma.DmaKind.IOVA, 0x20_0000, 0x1000);
      return l;
    });
  }

  get iovaAllocator(): dma.IovaAllocator {
    return this.once("iovaAllocator", () => {
      const a = new dma.IovaAllocator();
      a.alloc(4, 0xf_ffff);
      return a;
    });
  }

  get pageTable(): dma.IoPageTable {
    return this.once("pageTable", () => {
      const t = new dma.IoPageTable();
      t.map(0x10_0000, 0x20_0000, 0x2000, dma.IOMMU_READ | dma.IOMMU_WRITE);
      return t;
    });
  }

  get clock(): dma.SimClock {
    return this.once("clock", () => new dma.SimClock());
  }

  get flushQueue(): dma.IovaFlushQueue {
    return this.once("flushQueue", () => {
      const owner = { flushIotlbAll: () => {}, freeIovaFast: () => {} };
      const q = new dma.IovaFlushQueue(owner, this.clock);
      q.queue(0x100, 2, 0x2000);
      return q;
    });
  }

  get swiotlb(): dma.SwiotlbPool {
    return this.once("swiotlb", () => new dma.SwiotlbPool({ base: 0x300_0000, size: 0x40_0000 }));
  }

  get iovaState(): dma.IovaState {
    return this.once("iovaState", () => {
      const s = dma.iovaAlloc(this.device, 0x3000, 0x10_0000) as dma.IovaState;
      dma.iovaLink(this.device, s, 0x10_0000, 0, 0x1000, "to-device");
      return s;
    });
  }

  get exporter() {
    return this.once("exporter", () => {
      const vram = new dma.CpuRangeList(new dma.PhysicalMemory());
      vram.appendPhysical(0x8000_0000, 0x10_0000, this.pci.vram);
      const exporter = new dma.DmaBufExporter(vram, { name: "vram" });
      const attachment = exporter.attach({ device: this.device, allowPeer2peer: true, moveNotify: () => {} });
      const mapped = exporter.map(attachment, "from-device");
      return { exporter, attachment, mapped };
    });
  }

  get mr(): dma.RdmaMemoryRegion {
    return this.once("mr", () => {
      const hca = new dma.DmaDevice({ name: "hca", iommu: new dma.IommuDomain() });
      return dma.registerMemoryRegion({
        device: hca,
        memory: this.memory,
        pages: Array.from({ length: 8 }, (_, i) => 0x200 + i),
        iova: 0x7f00_0020_0000,
        access: dma.IB_ACCESS_LOCAL_WRITE | dma.IB_ACCESS_ON_DEMAND,
        pageSizeBitmap: 0x1000 | 0x20_0000,
      });
    });
  }

  get dmabufMr(): dma.DmaBufMemoryRegion {
    return this.once("dmabufMr", () => {
      const buffer = new dma.CpuRangeList(this.memory);
      for (let i = 0; i < 4; i++) buffer.appendPage(0x600 + 2 * i, 0, PAGE);
      const exporter = new dma.DmaBufExporter(buffer, { name: "gpu-buffer" });
      const hca = new dma.DmaDevice({ name: "hca", iommu: new dma.IommuDomain() });
      return dma.registerDmaBufMr({
        device: hca,
        exporter,
        length: 3 * PAGE,
        iova: 0x7f00_0040_0000,
        access: dma.IB_ACCESS_LOCAL_WRITE,
        pinned: this.rng.bool(),
      });
    });
  }

  // ------------------------------------------------------------------ bvec

  get bio(): bvec.Bio {
    return this.once("bio", () =>
      bvec.Bio.fromVecs(
        [
          { page: 0x100, offset: 0, len: PAGE },
          { page: 0x101, offset: 0, len: PAGE },
          { page: 0x300, offset: 512, len: 1024 },
        ],
        { sector: 8 * this.rng.int(100), pgmaps: this.memory },
      ),
    );
  }

  /** A bio with room for more pages (the first is built full). */
  get roomyBio(): bvec.Bio {
    return this.once("roomyBio", () => {
      const b = new bvec.Bio({ maxVecs: 8, sector: 64, pgmaps: this.memory });
      b.addPage(0x100, PAGE, 0);
      return b;
    });
  }

  get request(): bvec.MappedRequest {
    return this.once("request", () =>
      bvec.mapRequest(new dma.DmaDevice({ name: "nvme", iommu: new dma.IommuDomain() }), this.bio, {
        direction: "to-device",
      }),
    );
  }

  get bvecIter(): bvec.BvecIter {
    return this.once("bvecIter", () => new bvec.BvecIter({ size: 2 * PAGE }));
  }

  // ------------------------------------------------------------------ lab

  /** A builder with a RAM range and a PHYSICAL one, and the set it made. */
  get rangeSet() {
    return this.once("rangeSet", () => {
      const b = new lab.RangeSetBuilder();
      b.beginGroup();
      b.addFolioRange(0x200, 0, 0x200 * PAGE, PAGE);
      b.addPhysical(0x8000_0000, PAGE, 0);
      return { builder: b, set: b.finish() };
    });
  }

  /** The lab's embedded 16 GiB machine (RAM workloads are drawn on it). */
  get labMachine(): lab.Machine {
    return this.once("labMachine", () => lab.exampleMachine());
  }

  get labP2p(): lab.P2pMachine {
    return this.once("labP2p", () => lab.exampleP2pMachine());
  }

  /** A small RDMA workload on the example machine, prepared for range lists and mapping. */
  get labPrepared(): lab.Prepared {
    return this.once("labPrepared", () => {
      const p = lab.prepareWorkload(this.rng.pick(["rdma", "thp", "nvme"] as const), {
        entries: 24,
        seed: 1 + this.rng.int(1000),
        liveBytes: 1 << 16,
        machine: this.labMachine,
        p2p: this.labP2p,
      });
      if ("skipped" in p) throw new Error(`world: ${p.skipped}`);
      return p;
    });
  }

  /** The prepared workload's ranges: RAM only, so every representation can hold them. */
  get labRamSet(): lab.RangeSet {
    return this.labPrepared.workload.ranges;
  }

  /** The C yardstick's runner over one list, or null without gcc or the source. */
  get cWalk(): lab.CWalkRunner | null {
    return this.once("cWalk", () => {
      const y = lab.prepareCYardstick();
      if (!y.ok) return null;
      return new lab.CWalkRunner(y, [{ chunkBytes: [512], lists: [this.rangeList] }], 1e4);
    });
  }

  /**
   * Every instance of `cls` (`pkg:Class`, or an interface name) this world can offer. Built once
   * per world, so a receiver, an argument and the snapshot all see the same objects.
   */
  instancesOf(cls: string): readonly object[] {
    const make = INSTANCES[cls];
    if (make === undefined) return [];
    try {
      return this.once(`${cls}[]`, () => make(this));
    } catch (err) {
      throw new Error(`world: cannot build ${cls}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Names of the objects built so far. */
  built(): string[] {
    return [...this.made.keys()];
  }

  /** The observable state of the objects built so far (or of `keys` only), as one string. */
  snapshot(keys: readonly string[] = this.built()): string {
    return keys.map((key) => `${key}=${this.observe(this.made.get(key))}`).join("\n");
  }

  private observe(value: unknown, depth = 0): string {
    if (typeof value !== "object" || value === null) return canon(value);
    const cls = classOf(value);
    if (cls === undefined) {
      // a record or list of several objects (pci, exporter, rangeSet, instancesOf's arrays);
      // anything else (typed arrays, Maps, results records past a few levels) as plain data
      const proto = Object.getPrototypeOf(value);
      const plain = proto === Object.prototype || proto === Array.prototype;
      if (!plain || depth > 3) return canon(value);
      return `{${Object.entries(value)
        .map(([k, v]) => `${k}:${this.observe(v, depth + 1)}`)
        .join(",")}}`;
    }
    const out: string[] = [cls];
    for (const g of this.getters.get(cls) ?? [])
      out.push(`${g}=${read(() => (value as Record<string, unknown>)[g])}`);
    for (const m of REPORTS[cls] ?? []) {
      out.push(`${m}()=${read(() => (value as Record<string, () => unknown>)[m]?.())}`);
    }
    return out.join(" ");
  }
}

function read(get: () => unknown): string {
  try {
    return canon(get());
  } catch (err) {
    return `!${(err as { code?: string }).code ?? (err as Error).name}`;
  }
}

/** `pkg:Class` of an rlist object, from its constructor (undefined for plain records). */
export function classOf(v: object): string | undefined {
  const ctor = Object.getPrototypeOf(v)?.constructor;
  if (typeof ctor !== "function" || ctor === Object) return undefined;
  return CLASS_NAMES.get(ctor);
}

/** Constructor -> `pkg:Class`, and `pkg:Class` -> constructor, over every exported class. */
const CLASS_NAMES = new Map<unknown, string>();
export const CLASSES = new Map<string, abstract new (...args: never[]) => unknown>();
for (const [pkg, mod] of Object.entries(MODULES)) {
  for (const value of Object.values(mod)) {
    if (typeof value === "function" && /^class\b/.test(Function.prototype.toString.call(value))) {
      const name = `${pkg}:${(value as { name: string }).name}`;
      if (!CLASS_NAMES.has(value)) CLASS_NAMES.set(value, name);
      CLASSES.set(name, value as abstract new (...args: never[]) => unknown);
    }
  }
}
CLASSES.set(
  "WebAssembly.Memory",
  (globalThis as unknown as { WebAssembly: { Memory: abstract new (...args: never[]) => unknown } })
    .WebAssembly.Memory,
);
// Cursor classes that are reached through a method, not exported.
function registerHidden(name: string, example: () => object): void {
  try {
    const ctor = Object.getPrototypeOf(example()).constructor;
    CLASS_NAMES.set(ctor, name);
  } catch {
    // the example could not be built: that class is simply not observed
  }
}
registerHidden("list:RangeCursor", () =>
  new list.RangeList({ pool: new list.ChunkPool({ chunkBytes: 128 }) }).cursor(),
);

/** How each class (and interface with real implementations) is found in a world. */
export const INSTANCES: Readonly<Record<string, (w: World) => object[]>> = {
  "list:ChunkPool": (w) => [w.pool],
  "list:RangeList": (w) => [w.rangeList],
  "list:RangeCursor": (w) => [w.rangeCursor],
  "WebAssembly.Memory": (w) => [w.pool.memory],
  "dma:PhysicalMemory": (w) => [w.memory],
  "dma:PciTopology": (w) => [w.pci.topo],
  "dma:HostBridge": (w) => [w.pci.hb],
  "dma:PciFunction": (w) => [w.pci.nic, w.pci.gpu, w.pci.rp],
  "dma:PciBar": (w) => [w.pci.bar],
  "dma:P2pProvider": (w) => [w.pci.vram],
  "dma:P2pMapCache": (w) => [new dma.P2pMapCache(w.pci.nic)],
  "dma:CpuRangeList": (w) => [w.cpuList],
  "dma:CpuEntryCursor": (w) => [w.cpuList.cursor()],
  "dma:CpuFolioCursor": (w) => [w.cpuList.folioCursor()],
  "dma:CpuPageCursor": (w) => [w.cpuList.pageCursor()],
  "dma:CpuListMark": (w) => [w.cpuList.mark()],
  "dma:CpuListSource": (w) => [w.cpuList],
  "dma:IommuDomain": (w) => [w.domain],
  "dma:IovaAllocator": (w) => [w.iovaAllocator],
  "dma:IoPageTable": (w) => [w.pageTable],
  "dma:CountdownFaults": () => [new dma.CountdownFaults(1)],
  "dma:Iotlb": () => {
    const t = new dma.Iotlb(8);
    const leaf = { phys: 0, pageSize: 0, pageIova: 0, prot: 0 };
    const pte = new dma.IoPageTable();
    pte.map(0x10_0000, 0x20_0000, 0x1000, dma.IOMMU_READ);
    if (pte.lookupInto(0x10_0000, leaf)) t.fill(leaf);
    return [t];
  },
  "dma:SimClock": (w) => [w.clock],
  "dma:IovaFlushQueue": (w) => [w.flushQueue],
  "dma:FlushQueueOwner": () => [{ flushIotlbAll: () => {}, freeIovaFast: () => {} }],
  "dma:DmaDevice": (w) => [w.device, w.directDevice],
  "dma:DmaMapping": (w) => [w.mapping],
  "dma:DmaRangeList": (w) => [w.dmaList],
  "dma:DmaCursor": (w) => [w.dmaList.cursor()],
  "dma:DmaEntryCursor": (w) => [new dma.ArrayDmaCursor([[0x10_0000, 0x3000]]), w.dmaList.cursor()],
  "dma:ArrayDmaCursor": () => [
    new dma.ArrayDmaCursor([
      [0x10_0000, 0x3000],
      [0x20_0000, 0x1000],
    ]),
  ],
  "dma:DmaSegmentCursor": (w) => [new dma.DmaSegmentCursor(w.dmaList.cursor(), dma.noSegmentation)],
  "dma:BlockCursor": (w) => [new dma.BlockCursor(w.dmaList.cursor(), PAGE)],
  "dma:Segmentation": () => [dma.noSegmentation, dma.pciDefaultSegmentation],
  "dma:IovaLayout": () => [new dma.IovaLayout(dma.noSegmentation, PAGE)],
  "dma:SwiotlbPool": (w) => [w.swiotlb],
  "dma:IovaState": (w) => [w.iovaState],
  "dma:DmaBufExporter": (w) => [w.exporter.exporter],
  "dma:DmaBufAttachment": (w) => [w.exporter.attachment],
  "dma:MemoryRegion": (w) => [w.mr],
  "dma:DmaBufMemoryRegion": (w) => [w.dmabufMr],
  "dma:MrBlockCursor": (w) => [w.mr.blocks()],
  "dma:PinTable": (w) => [dma.pinTable(w.memory)],
  "dma:FolioLookup": (w) => [w.memory],
  "dma:Folio": (w) => [w.memory.folioOf(0x200) as dma.Folio],
  "dma:PhysEntrySource": (w) => [w.cpuList],
  "dma:CpuSourceCursor": (w) => [w.cpuList.cursor()],
  "dma:FaultInjector": () => [new dma.CountdownFaults(1000)],
  "dma:IotlbGather": (w) => [w.domain.gatherInit(false)],
  "dma:PageIntervalSet": () => {
    const s = new dma.PageIntervalSet();
    s.add(0x10, 4);
    return [s];
  },
  "bvec:Bio": (w) => [w.bio, w.roomyBio],
  "bvec:BvecArray": (w) => [w.bio.vecs, w.roomyBio.vecs],
  "bvec:BvecIter": (w) => [w.bvecIter],
  "bvec:BvecCursor": () => [new bvec.BvecCursor()],
  "bvec:BioSegmentCursor": () => [new bvec.BioSegmentCursor()],
  "bvec:PhysVecCursor": () => [new bvec.PhysVecCursor()],
  "bvec:MappedRequest": (w) => [w.request],
  "bvec:DmaSegmentSource": (w) => [w.request, w.dmaList],
  "bvec:PgmapLookup": (w) => [w.memory, bvec.NO_PGMAP],
  "bvec:QueueLimits": () => [
    bvec.queueLimits(),
    bvec.queueLimits({ maxSegments: 4, maxSegmentSize: 0x2000, segBoundaryMask: 0xffff }),
    bvec.queueLimits({ virtBoundaryMask: 0xfff, logicalBlockSize: 4096, chunkSectors: 64 }),
  ],
  "bvec:PhysVecLimits": () => [bvec.UNLIMITED_PHYS_VEC, bvec.requestPhysVecLimits(bvec.queueLimits())],
  "bvec:DmaEngine": (w) => [new bvec.DmaEngine(w.memory)],
  "bvec:DmaByteMemory": (w) => [w.memory],
  "bvec:P2pMixError": () => [new bvec.P2pMixError(1, 2, 3)],
  "lab:RangeSetBuilder": (w) => [w.rangeSet.builder],
  "lab:RangeSet": (w) => [w.labRamSet, w.rangeSet.set],
  "lab:PfnPicker": () => [new lab.PfnPicker(lab.EXAMPLE_RAM, lab.createRng(1))],
  "lab:KernelMemory": () => [new lab.KernelMemory(1)],
  "lab:CWalkRunner": (w) => (w.cWalk === null ? [] : [w.cWalk]),
  "encoding:Codec": () => [encoding.variableCodec, encoding.fixed16Codec],
  // the lab's records: real ones from a small study (copies, so a case may change its own)
  "lab:StudyResults": () => [smallStudy()],
  "lab:WorkloadResult": () => [...smallStudy().workloads],
  "lab:MappingResult": () => [...smallStudy().mappings],
  "lab:Machine": (w) => [w.labMachine],
  "lab:P2pMachine": (w) => [w.labP2p],
  "lab:Timing": () => [lab.timingOf([1000, 1200, 900])],
  "lab:Workload": (w) => [w.labPrepared.workload],
  "lab:Representation": () => [lab.scatterlistRepresentation(), lab.fixed16Representation()],
  "lab:Io": () => [{ out: () => {}, err: () => {}, cwd: "/nonexistent-rlist-hostile" }],
  "lab:RamRegion": () => [...lab.EXAMPLE_RAM],
  "lab:Rng": (w) => [lab.createRng(1 + w.rng.int(1000))],
  "lab:RlistContext": (w) => [w.labPrepared.ctx, { memory: w.labP2p.memory, providers: [w.labP2p.provider] }],
  "lab:Verdict": () => [...smallStudy().verdicts],
  "lab:MapsEntry": () => lab.parseMaps(MAPS),
  "lab:Prepared": (w) => [w.labPrepared],
};

import type { RlistErrorCode } from "@rlist/encoding";
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { expectCode } from "../../../../scripts/expect-code.js";
import { CpuRangeList } from "../../src/cpu/cpu-range-list.js";
import { findBestBlockSize } from "../../src/dma-list/blocks.js";
import { DmaKind } from "../../src/dma-list/dma-range-list.js";
import { CountdownFaults } from "../../src/iommu/faults.js";
import { IommuDomain } from "../../src/iommu/iommu-domain.js";
import { IOMMU_MMIO } from "../../src/iommu/page-table.js";
import { DmaDevice } from "../../src/mapping/device.js";
import { deviceTranslate } from "../../src/mapping/device-view.js";
import { SwiotlbPool } from "../../src/mapping/swiotlb.js";
import type { PhysicalMemory } from "../../src/memory/physical-memory.js";
import {
  IB_ACCESS_LOCAL_WRITE,
  IB_ACCESS_ON_DEMAND,
  IB_ACCESS_REMOTE_READ,
  IB_ACCESS_REMOTE_WRITE,
} from "../../src/rdma/access.js";
import { registrationFootprint } from "../../src/rdma/memory-model.js";
import type { MemoryRegion } from "../../src/rdma/memory-region.js";
import { pinTable } from "../../src/rdma/pin-table.js";
import { registerMemoryRegion } from "../../src/rdma/registration.js";
import { gpuTopology, importerDevice } from "../dmabuf/fixture.js";
import {
  type DeviceKind,
  GiB,
  hca,
  RAM_PFN,
  ramMemory,
  SZ_1G,
  SZ_2M,
  SZ_4K,
  SZ_64K,
  TiB,
} from "./fixture.js";

const RW = IB_ACCESS_LOCAL_WRITE | IB_ACCESS_REMOTE_WRITE | IB_ACCESS_REMOTE_READ;
const ODP = RW | IB_ACCESS_ON_DEMAND;
const ALL_SIZES = SZ_4K | SZ_2M | SZ_1G;

/** Physical address of MR byte `b`, read from the CPU list (the reference). */
function physOfByte(mr: MemoryRegion, b: number): number {
  const c = mr.cpuList.seek(b)!;
  return c.phys + (b - c.position);
}

/** Physical address the HCA reaches for HW virtual address `va` through its page list. */
function hwPhys(mr: MemoryRegion, list: number[], bs: number, va: number): number {
  const off = mr.blockOffset(bs);
  const rel = va - mr.iova + off;
  const dma = list[Math.floor(rel / bs)]! + (rel % bs);
  const t = deviceTranslate(mr.device, dma);
  return t.ok ? t.phys : -1;
}

/** Bytes worth checking: both ends of every page plus a few inside. */
function probeBytes(mr: MemoryRegion): number[] {
  const ps = SZ_4K;
  const off0 = mr.iova % ps;
  const out = new Set<number>([0, mr.lengthBytes - 1]);
  for (let k = 0; k < mr.pageCount; k++) {
    const lo = Math.max(0, k * ps - off0);
    const hi = Math.min(mr.lengthBytes, (k + 1) * ps - off0) - 1;
    out.add(lo);
    out.add(hi);
    out.add(Math.floor((lo + hi) / 2));
  }
  return [...out].sort((a, b) => a - b);
}

/** Every page of a small MR; for a large one a stride sample plus both sides of each edge. */
function pagesToCheck(count: number, edges: number[]): number[] {
  const out = new Set<number>();
  const step = Math.max(1, Math.floor(count / 48));
  for (let k = 0; k < count; k += step) out.add(k);
  for (const e of edges) for (const k of [e - 1, e]) if (k >= 0 && k < count) out.add(k);
  return [...out];
}

function idle(mr: MemoryRegion): boolean {
  return pinTable(mr.memory).pinnedPages === 0 && (mr.device.iommu?.idle ?? true);
}

describe("registerMemoryRegion: page size and HW page list", () => {
  it("2 MiB-aligned memory and IOVA gives 2 MiB HW pages; the MR's IOVA decides, not the DMA address", () => {
    const mem = ramMemory();
    const head = RAM_PFN + 512 * 3;
    mem.declareFolio(head, 9);
    mem.declareFolio(head + 512, 9);
    const pages = Array.from({ length: 1024 }, (_, i) => head + i);
    for (const kind of ["iommu", "direct"] as const) {
      const dev = hca(kind);
      const aligned = registerMemoryRegion({
        device: dev,
        memory: mem,
        pages,
        iova: 0x7f00_0000_0000,
        access: RW,
        pageSizeBitmap: ALL_SIZES,
      });
      expect(aligned.bestPageSize()).toBe(SZ_2M);
      expect(aligned.numBlocks()).toBe(2);
      expect(aligned.blockOffset()).toBe(0);
      // Same memory at a VA that is only 4K-aligned: 2 MiB pages would map VA to the wrong bytes.
      const shifted = registerMemoryRegion({
        device: dev,
        memory: mem,
        pages,
        iova: 0x7f00_0000_1000,
        access: RW,
        pageSizeBitmap: ALL_SIZES,
      });
      expect(shifted.bestPageSize()).toBe(SZ_4K);
      expect(shifted.numBlocks()).toBe(1024);
      // The prototype's ib_umem_find_best_pgsz ignored `virt` and used the first DMA address:
      // it would pick one 1 GiB page, mapping every VA of the MR to the wrong bytes.
      expect(findBestBlockSize(shifted.dmaList.cursor(), ALL_SIZES)).toBe(SZ_1G);
      expect(pinTable(mem).pinCount(head)).toBe(1024);
      aligned.deregister();
      shifted.deregister();
      expect(idle(aligned)).toBe(true);
    }
  });

  it("a sub-page MR: offset and length inside one page", () => {
    const mem = ramMemory();
    const dev = hca("iommu");
    const mr = registerMemoryRegion({
      device: dev,
      memory: mem,
      pages: [RAM_PFN + 7],
      iova: 0x1234_5678,
      length: 100,
      access: RW,
      pageSizeBitmap: SZ_4K,
    });
    expect(mr.lengthBytes).toBe(100);
    expect(mr.pageCount).toBe(1);
    expect(mr.blockOffset()).toBe(0x678);
    expect(mr.numBlocks()).toBe(1);
    const list = mr.pageList();
    expect(hwPhys(mr, list, SZ_4K, 0x1234_5678 + 99)).toBe((RAM_PFN + 7) * SZ_4K + 0x678 + 99);
    mr.deregister();
    expect(idle(mr)).toBe(true);
  });

  it("numBlocks / blocks refuse a page size the HCA lacks or the MR cannot use", () => {
    const mem = ramMemory();
    const mr = registerMemoryRegion({
      device: hca("direct"),
      memory: mem,
      pages: [RAM_PFN, RAM_PFN + 9],
      iova: 0,
      access: RW,
      pageSizeBitmap: SZ_4K | SZ_2M,
    });
    expect(mr.bestPageSize()).toBe(SZ_4K);
    expectCode(() => mr.numBlocks(SZ_64K), "EINVAL");
    expectCode(() => mr.blocks(SZ_2M), "EINVAL");
    mr.deregister();
  });

  const mrArb = fc.record({
    runs: fc.array(fc.record({ gap: fc.nat(3), pages: fc.integer({ min: 1, max: 24 }) }), {
      minLength: 1,
      maxLength: 6,
    }),
    off: fc.nat(SZ_4K - 1),
    trim: fc.nat(SZ_4K - 1),
    iovaPage: fc.nat(2 ** 20),
    hugeAt: fc.option(fc.nat(3)),
    bitmap: fc.constantFrom(SZ_4K, SZ_4K | SZ_64K, SZ_4K | SZ_2M | SZ_1G, SZ_4K | SZ_64K | SZ_2M),
    kind: fc.constantFrom<DeviceKind>("iommu", "direct", "offset"),
  });

  type MrCase = typeof mrArb extends fc.Arbitrary<infer T> ? T : never;

  /** Pages from runs of physically contiguous frames; optionally one whole 2 MiB folio. */
  function build(mem: PhysicalMemory, r: MrCase) {
    const pages: number[] = [];
    let pfn = RAM_PFN + 0x10_0000;
    r.runs.forEach((run, i) => {
      pfn += run.gap * 7 + (i === 0 ? 0 : 1);
      if (r.hugeAt === i) {
        pfn = Math.ceil(pfn / 512) * 512;
        mem.declareFolio(pfn, 9);
        for (let k = 0; k < 512; k++) pages.push(pfn + k);
        pfn += 512;
      }
      for (let k = 0; k < run.pages; k++) pages.push(pfn++);
    });
    return pages;
  }

  it("the HW page list, read through the device's translation, covers exactly the registered bytes in order", () => {
    fc.assert(
      fc.property(mrArb, (r) => {
        const mem = ramMemory();
        const pages = build(mem, r);
        const dev = hca(r.kind);
        const off = r.off;
        const length = Math.max(1, pages.length * SZ_4K - off - r.trim);
        const iova = r.iovaPage * SZ_4K + off;
        const mr = registerMemoryRegion({
          device: dev,
          memory: mem,
          pages,
          length,
          iova,
          access: RW,
          pageSizeBitmap: r.bitmap,
        });
        const bs = mr.bestPageSize();
        expect(r.bitmap & bs).toBe(bs);
        const list = mr.pageList();
        expect(list.length).toBe(mr.numBlocks());
        for (const a of list) expect(a % bs).toBe(0);
        for (const b of probeBytes(mr)) expect(hwPhys(mr, list, bs, iova + b)).toBe(physOfByte(mr, b));
        // Every smaller supported size works too, with more blocks.
        for (let s = SZ_4K; s < bs; s *= 2) {
          if ((r.bitmap & s) === 0) continue;
          const l = mr.pageList(s);
          expect(l.length).toBeGreaterThanOrEqual(list.length);
          expect(hwPhys(mr, l, s, iova + mr.lengthBytes - 1)).toBe(physOfByte(mr, mr.lengthBytes - 1));
        }
        expect(pinTable(mem).pinnedPages).toBe(mr.pageCount);
        mr.deregister();
        expect(idle(mr)).toBe(true);
      }),
      { numRuns: 30 },
    );
  });

  it("pin counts return to zero after deregister for any interleaving of invalidate and fault", () => {
    const op = fc.record({ fault: fc.boolean(), start: fc.nat(), len: fc.nat() });
    fc.assert(
      fc.property(mrArb, fc.array(op, { maxLength: 12 }), (r, ops) => {
        const mem = ramMemory();
        const pages = build(mem, r);
        const dev = hca(r.kind);
        const length = pages.length * SZ_4K - r.off;
        const iova = r.iovaPage * SZ_4K + r.off;
        const mr = registerMemoryRegion({
          device: dev,
          memory: mem,
          pages,
          iova,
          access: ODP,
          pageSizeBitmap: r.bitmap,
        });
        const pins = pinTable(mem);
        const list = mr.pageList(SZ_4K);
        for (const o of ops) {
          const a = o.start % length;
          const len = 1 + (o.len % (length - a));
          if (o.fault) mr.fault(iova + a, len);
          else mr.invalidate(iova + a, len);
          const k0 = Math.floor((a + r.off) / SZ_4K);
          const k1 = Math.floor((a + len - 1 + r.off) / SZ_4K) + 1;
          const absent = new Set(
            mr.invalidatedRanges().flatMap(([s, e]) => Array.from({ length: e - s }, (_, i) => s + i)),
          );
          for (let k = k0; k < k1; k++) expect(absent.has(k)).toBe(!o.fault);
          expect(pins.pinnedPages).toBe(mr.pageCount - mr.invalidatedPages);
          // Present pages translate to their bytes; invalidated ones fault behind an IOMMU.
          for (const k of pagesToCheck(mr.pageCount, [k0, k1, ...mr.invalidatedRanges().flat()])) {
            const b = Math.max(0, k * SZ_4K - r.off);
            const present = !absent.has(k);
            expect(mr.dmaAddressOf(iova + b) >= 0).toBe(present);
            const phys = hwPhys(mr, list, SZ_4K, iova + b);
            if (present) expect(phys).toBe(physOfByte(mr, b));
            else if (r.kind === "iommu") expect(phys).toBe(-1);
          }
          const c = mr.blocks(SZ_4K);
          for (let ok = c.reset(); ok; ok = c.next()) expect(c.present).toBe(!absent.has(c.index));
        }
        mr.deregister();
        expect(pins.pinnedPages).toBe(0);
        expect(idle(mr)).toBe(true);
      }),
      { numRuns: 30 },
    );
  });

  it("invalidation drops a whole IOMMU leaf: 4 KiB of a 2 MiB-mapped folio takes all of it", () => {
    const mem = ramMemory();
    const head = RAM_PFN + 512 * 9;
    mem.declareFolio(head, 9);
    const pages = Array.from({ length: 512 }, (_, i) => head + i);
    const dev = hca("iommu");
    const mr = registerMemoryRegion({
      device: dev,
      memory: mem,
      pages,
      iova: 0x40_0000,
      access: ODP,
      pageSizeBitmap: ALL_SIZES,
    });
    expect(dev.iommu!.mappedPagesBySize()).toEqual({ [SZ_2M]: 1 });
    expect(mr.invalidate(0x40_0000 + 5 * SZ_4K, 1)).toBe(512);
    expect(pinTable(mem).pinCount(head)).toBe(0);
    expect(mr.fault(0x40_0000 + 5 * SZ_4K, 1)).toBe(1);
    expect(pinTable(mem).pinCount(head)).toBe(1);
    expect(dev.iommu!.mappedPagesBySize()).toEqual({ [SZ_4K]: 1 });
    mr.deregister();
    expect(idle(mr)).toBe(true);
  });
});

describe("registerMemoryRegion: typed errors leave nothing behind", () => {
  it("double deregister is EBUSY, and so is every later use", () => {
    const mem = ramMemory();
    const mr = registerMemoryRegion({
      device: hca("iommu"),
      memory: mem,
      pages: [RAM_PFN],
      iova: 0,
      access: ODP,
      pageSizeBitmap: SZ_4K,
    });
    mr.deregister();
    expectCode(() => mr.deregister(), "EBUSY");
    expectCode(() => mr.bestPageSize(), "EBUSY");
    expectCode(() => mr.fault(0, 1), "EBUSY");
    expectCode(() => mr.memoryReport(), "EBUSY");
    expect(idle(mr)).toBe(true);
  });

  it("fault outside the MR is EFAULT; invalidate on a pinned MR is EOPNOTSUPP; state unchanged", () => {
    const mem = ramMemory();
    const pages = [RAM_PFN + 1, RAM_PFN + 2, RAM_PFN + 9];
    const mr = registerMemoryRegion({
      device: hca("iommu"),
      memory: mem,
      pages,
      iova: 0x10_0000,
      access: ODP,
      pageSizeBitmap: SZ_4K,
    });
    mr.invalidate(0x10_1000, 1);
    const before = {
      pins: pinTable(mem).snapshot(),
      absent: mr.invalidatedRanges(),
      mapped: mr.device.iommu!.mappedPages,
    };
    expectCode(() => mr.fault(0x10_0000 + 3 * SZ_4K - 1, 2), "EFAULT");
    expectCode(() => mr.fault(0xf_ffff, 1), "EFAULT");
    expectCode(() => mr.fault(-1, 1), "ERANGE");
    expect({
      pins: pinTable(mem).snapshot(),
      absent: mr.invalidatedRanges(),
      mapped: mr.device.iommu!.mappedPages,
    }).toEqual(before);
    expect(mr.invalidate(0, 0x10_0000)).toBe(0); // entirely before the MR: nothing to do
    mr.deregister();
    const pinned = registerMemoryRegion({
      device: hca("direct"),
      memory: mem,
      pages,
      iova: 0,
      access: RW,
      pageSizeBitmap: SZ_4K,
    });
    expectCode(() => pinned.invalidate(0, 1), "EOPNOTSUPP");
    expectCode(() => pinned.fault(0, 1), "EOPNOTSUPP");
    pinned.deregister();
    expect(pinTable(mem).pinnedPages).toBe(0);
  });

  it("a fault that runs out of page-table memory undoes itself, across ranges", () => {
    const mem = ramMemory();
    const injector = { fail: false, shouldFail: (site: string) => injector.fail && site === "pgtable" };
    const dev = new DmaDevice({ iommu: new IommuDomain({ faults: injector }) });
    // Two 2 MiB folios far apart: the IOVA window maps them with two 2 MiB leaves.
    const a = RAM_PFN + 512 * 10;
    const b = RAM_PFN + 512 * 20;
    mem.declareFolio(a, 9);
    mem.declareFolio(b, 9);
    const pages = [
      ...Array.from({ length: 512 }, (_, i) => a + i),
      ...Array.from({ length: 512 }, (_, i) => b + i),
    ];
    const mr = registerMemoryRegion({
      device: dev,
      memory: mem,
      pages,
      iova: 0,
      access: ODP,
      pageSizeBitmap: SZ_4K | SZ_2M,
    });
    expect(mr.invalidate(0, 2 * SZ_2M)).toBe(1024);
    expect(mr.fault(3 * SZ_4K, 1)).toBe(1); // a 4 KiB leaf under the first 2 MiB: allocates a table
    // [0, 600 pages): absent [0, 3) and [4, 600); the second needs a new table under the second folio.
    injector.fail = true;
    const state = () => ({
      pins: pinTable(mem).snapshot(),
      absent: mr.invalidatedRanges(),
      mapped: dev.iommu!.mappedPages,
    });
    const before = state();
    expectCode(() => mr.fault(0, 600 * SZ_4K), "ENOMEM");
    expect(state()).toEqual(before);
    expect(mr.dmaAddressOf(0)).toBe(-1);
    injector.fail = false;
    expect(mr.fault(0, 600 * SZ_4K)).toBe(599);
    mr.deregister();
    expect(idle(mr)).toBe(true);
  });

  it("rejects bad registrations with nothing pinned or mapped", () => {
    const mem = ramMemory();
    const dev = hca("iommu");
    const ok = { device: dev, memory: mem, pages: [RAM_PFN], iova: 0, access: RW, pageSizeBitmap: SZ_4K };
    const cases: Array<[RlistErrorCode, Record<string, unknown>]> = [
      ["EINVAL", { access: IB_ACCESS_REMOTE_WRITE }], // remote write without local write
      ["EINVAL", { access: 1 << 12 }],
      ["EINVAL", { pageSizeBitmap: SZ_2M }], // nothing <= PAGE_SIZE
      ["EINVAL", { pageSizeBitmap: 0 }],
      ["EINVAL", { pages: [RAM_PFN, RAM_PFN + 1], length: 10 }], // pages do not match the length
      ["EINVAL", { memory: undefined }],
      ["EINVAL", { cpuList: new CpuRangeList(mem) }], // both pages and cpuList
      ["EFAULT", { pages: [RAM_PFN, 5] }], // pfn 5 is below RAM: no struct page
      ["ERANGE", { iova: 2 ** 53 }],
      ["ERANGE", { iova: 2 ** 53 - 2 }],
    ];
    for (const [code, patch] of cases) {
      expectCode(() => registerMemoryRegion({ ...ok, ...patch } as never), code);
      expect(pinTable(mem).pinnedPages).toBe(0);
      expect(dev.iommu!.idle).toBe(true);
    }
    // A CPU list that is not a page list (an MR maps whole pages between its ends).
    const notPageList = new CpuRangeList(mem);
    notPageList.appendPage(RAM_PFN, 0, 0x800);
    notPageList.appendPage(RAM_PFN + 5, 0, 0x1000);
    expectCode(
      () =>
        registerMemoryRegion({
          device: dev,
          cpuList: notPageList,
          iova: 0,
          access: RW,
          pageSizeBitmap: SZ_4K,
        }),
      "EINVAL",
    );
    expect(notPageList.count).toBe(2); // the caller's list is left alone
    // iova and memory disagree inside the page.
    const shifted = new CpuRangeList(mem);
    shifted.appendPage(RAM_PFN, 0x100, 0x100);
    expectCode(
      () =>
        registerMemoryRegion({
          device: dev,
          cpuList: shifted,
          iova: 0x200,
          access: RW,
          pageSizeBitmap: SZ_4K,
        }),
      "EINVAL",
    );
    expect(pinTable(mem).pinnedPages).toBe(0);
  });

  it("no supported page size fits after mapping (a direct offset that breaks page alignment): unmapped, unpinned", () => {
    const mem = ramMemory();
    const dev = new DmaDevice({ directOffset: 0x800 });
    expectCode(
      () =>
        registerMemoryRegion({
          device: dev,
          memory: mem,
          pages: [RAM_PFN, RAM_PFN + 3],
          iova: 0,
          access: RW,
          pageSizeBitmap: SZ_4K | SZ_2M,
        }),
      "EINVAL",
    );
    expect(pinTable(mem).pinnedPages).toBe(0);
    expect(dev.counters.maps).toBe(dev.counters.unmaps);
  });

  it("refuses HCAs that would need swiotlb bounce buffers (EIO), unpinning everything", () => {
    const mem = ramMemory();
    mem.addRegion({ start: 0x100_0000, size: 0x10_0000, kind: "ram", name: "swiotlb" });
    const swiotlb = new SwiotlbPool({ base: 0x100_0000, size: 0x10_0000, memory: mem });
    const dev = new DmaDevice({ dmaMaskBits: 32, swiotlb });
    expectCode(
      () =>
        registerMemoryRegion({
          device: dev,
          memory: mem,
          pages: [RAM_PFN],
          iova: 0,
          access: RW,
          pageSizeBitmap: SZ_4K,
        }),
      "EIO",
    );
    expect(pinTable(mem).pinnedPages).toBe(0);
    expect(swiotlb.usedSlots).toBe(0);
  });

  it("refuses an IOVA page-table failure at registration with nothing pinned (ENOMEM)", () => {
    const mem = ramMemory();
    const dev = new DmaDevice({
      iommu: new IommuDomain({ faults: new CountdownFaults(0, ["pgtable"], true) }),
    });
    expectCode(
      () =>
        registerMemoryRegion({
          device: dev,
          memory: mem,
          pages: [RAM_PFN],
          iova: 0,
          access: RW,
          pageSizeBitmap: SZ_4K,
        }),
      "ENOMEM",
    );
    expect(pinTable(mem).pinnedPages).toBe(0);
    expect(dev.iommu!.idle).toBe(true);
  });
});

describe("MR memory report", () => {
  it("matches the arithmetic model for scattered 4 KiB pages and 2 MiB folios", () => {
    const mem = ramMemory();
    const pages = Array.from({ length: 4096 }, (_, i) => RAM_PFN + 2 * i);
    const mr = registerMemoryRegion({
      device: hca("iommu"),
      memory: mem,
      pages,
      iova: 0,
      access: RW,
      pageSizeBitmap: SZ_4K,
    });
    const model = registrationFootprint({ lengthBytes: 16 * 2 ** 20, folioBytes: SZ_4K, contiguous: false });
    const rep = mr.memoryReport();
    expect(rep).toMatchObject({
      pages: 4096,
      cpuEntries: 4096,
      cpuListBytes: model.cpuListBytes,
      dmaEntries: 1,
      dmaListBytes: model.dmaListBytes,
      pageArrayBytes: model.pageArrayBytes,
      scatterlistEntries: 4096,
      scatterlistBytes: model.scatterlistBytes,
    });
    mr.deregister();
  });

  it("reports the real chunk bytes, and the model agrees with them for real MRs of every layout", () => {
    const cases = [
      { folioBytes: SZ_4K, contiguous: false, folios: 3000, chunkBytes: 512, dma: "iommu" },
      { folioBytes: SZ_4K, contiguous: false, folios: 100, chunkBytes: 128, dma: "direct" },
      { folioBytes: SZ_2M, contiguous: false, folios: 200, chunkBytes: 512, dma: "iommu" },
      { folioBytes: SZ_2M, contiguous: false, folios: 70, chunkBytes: 4096, dma: "iommu" },
      { folioBytes: SZ_4K, contiguous: true, folios: 5000, chunkBytes: 512, dma: "iommu" },
    ] as const;
    for (const k of cases) {
      const mem = ramMemory();
      const cpu = new CpuRangeList(mem, { chunkBytes: k.chunkBytes });
      const pagesPer = k.folioBytes / SZ_4K;
      for (let i = 0; i < k.folios; i++) {
        // Scattered: every other folio, so no two merge; contiguous: one run.
        const head = RAM_PFN + (k.contiguous ? i : 2 * i) * pagesPer;
        const f = pagesPer > 1 ? mem.declareFolio(head, Math.log2(pagesPer)) : mem.folioOf(head)!;
        cpu.appendFolio(f, 0, k.folioBytes);
      }
      cpu.seal();
      const mr = registerMemoryRegion({
        device: hca(k.dma),
        cpuList: cpu,
        iova: 0,
        access: RW,
        pageSizeBitmap: SZ_4K | SZ_2M,
      });
      const model = registrationFootprint({
        lengthBytes: k.folios * k.folioBytes,
        folioBytes: k.folioBytes,
        contiguous: k.contiguous,
        chunkBytes: k.chunkBytes,
        dma: k.dma,
      });
      // The mapper's DMA lists use 512-B chunks whatever the CPU list's size.
      const dmaModel = registrationFootprint({
        lengthBytes: 1,
        folioBytes: SZ_4K,
        contiguous: true,
        dma: k.dma,
      });
      const rep = mr.memoryReport();
      const real = { cpu: cpu.stats().bytesInUse, dma: mr.dmaList.storage?.stats().bytesInUse ?? 0 };
      expect(real.cpu).toBeGreaterThan(0);
      expect([rep.cpuListBytes, rep.dmaListBytes]).toEqual([real.cpu, real.dma]);
      expect([model.cpuListBytes, dmaModel.dmaListBytes]).toEqual([real.cpu, real.dma]);
      expect([rep.cpuEntries, rep.scatterlistEntries]).toEqual([model.cpuEntries, model.scatterlistEntries]);
      mr.deregister();
    }
  });

  it("changes nothing: an unsealed caller's list stays unsealed, and its pending entry is counted where sealing puts it", () => {
    const t = gpuTopology({ hb0: "allowed", barSize: 2 ** 24 });
    const mem = ramMemory();
    const cpu = new CpuRangeList(mem, { chunkBytes: 128 });
    // 15 eight-byte entries fill a 128-B chunk (30 units): the pending 16th, a 24-B P2P BAR
    // entry, needs a second chunk.
    for (let i = 0; i < 15; i++) cpu.appendPage(RAM_PFN + 2 * i, 0, SZ_4K);
    cpu.appendPhysical(t.cpuAddress, SZ_4K, t.provider);
    const mr = registerMemoryRegion({
      device: importerDevice(t.importers.sameSwitch!, true),
      cpuList: cpu,
      iova: 0,
      access: RW,
      pageSizeBitmap: SZ_4K,
    });
    const register = vi.spyOn(mem, "registerProvider");
    const seal = vi.spyOn(cpu, "seal");
    const stored = cpu.store.count;
    const rep = mr.memoryReport();
    expect(mr.memoryReport()).toEqual(rep);
    expect([register.mock.calls.length, seal.mock.calls.length, cpu.store.count]).toEqual([0, 0, stored]);
    expect(cpu.stats().chunks).toBe(1);
    expect(rep.cpuListBytes).toBe(256);
    mr.deregister();
    seal.mockRestore();
    cpu.seal();
    expect(cpu.stats().bytesInUse).toBe(rep.cpuListBytes);
  });

  it("registers a real 1 TiB MR of 1 GiB hugetlb folios (sparse memory) and reports it", () => {
    const mem = ramMemory(3 * TiB);
    const cpu = new CpuRangeList(mem);
    const base = (4 * GiB) / SZ_4K + 262_144 * 3;
    for (let i = 0; i < 1024; i++) {
      const head = base + 2 * 262_144 * i; // every other 1 GiB folio: 1024 separate entries
      const f = mem.declareFolio(head, 18);
      cpu.appendFolio(f, 0, SZ_1G);
    }
    const dev = hca("direct");
    const mr = registerMemoryRegion({
      device: dev,
      cpuList: cpu,
      iova: 0x4000_0000_0000,
      access: RW,
      pageSizeBitmap: ALL_SIZES,
    });
    expect(mr.lengthBytes).toBe(TiB);
    expect(mr.bestPageSize()).toBe(SZ_1G);
    expect(mr.numBlocks()).toBe(1024);
    const rep = mr.memoryReport();
    const model = registrationFootprint({
      lengthBytes: TiB,
      folioBytes: GiB,
      contiguous: false,
      dma: "direct",
    });
    expect(rep.cpuListBytes).toBe(model.cpuListBytes);
    expect(rep.dmaListBytes).toBe(0);
    expect(rep.pageArrayBytes).toBe(2 * GiB);
    expect(rep.rangeListBytes * 100_000).toBeLessThan(rep.pageArrayBytes);
    expect(pinTable(mem).pinnedPages).toBe(2 ** 28);
    mr.deregister();
    expect(pinTable(mem).pinnedPages).toBe(0);
    expect(cpu.count).toBe(1024); // the caller's list stays
  });
});

describe("MRs over P2P memory (GPU BAR pages, GPUDirect-style)", () => {
  const gpuMr = (where: "sameSwitch" | "otherPort" | "otherBridge", iommu: boolean, access = ODP) => {
    const t = gpuTopology({ hb0: "allowed", barSize: 2 ** 24 });
    const mem = ramMemory();
    mem.addP2pMemory(t.provider);
    const barPfn = t.cpuAddress / SZ_4K;
    const pages = [barPfn + 16, barPfn + 17, barPfn + 40, barPfn + 41, barPfn + 42];
    const dev = importerDevice(t.importers[where]!, iommu);
    const make = () =>
      registerMemoryRegion({
        device: dev,
        memory: mem,
        pages,
        iova: 0x1000_0000,
        access,
        pageSizeBitmap: SZ_4K | SZ_2M,
      });
    return { t, mem, pages, dev, make };
  };

  it("same switch: BUS_ADDR entries, pins on the ZONE_DEVICE pages, ODP without IOMMU work", () => {
    const { t, mem, pages, dev, make } = gpuMr("sameSwitch", true);
    const mr = make();
    expect(mr.dmaList.toArray().every((e) => e.kind === DmaKind.BUS_ADDR)).toBe(true);
    expect(pinTable(mem).pinCount(pages[2]!)).toBe(1);
    const list = mr.pageList();
    for (const b of probeBytes(mr)) expect(hwPhys(mr, list, SZ_4K, mr.iova + b)).toBe(physOfByte(mr, b));
    expect(mr.invalidate(mr.iova, 2 * SZ_4K)).toBe(2);
    expect(pinTable(mem).pinnedPages).toBe(3);
    expect(mr.fault(mr.iova, SZ_4K)).toBe(1);
    mr.deregister();
    expect(pinTable(mem).pinnedPages).toBe(0);
    expect(dev.iommu!.idle).toBe(true);
    void t;
  });

  it("through the host bridge behind an IOMMU: IOMMU_MMIO mappings, kept across invalidate/fault", () => {
    const { dev, make } = gpuMr("otherPort", true);
    const mr = make();
    expect(mr.dmaList.toArray().every((e) => e.kind === DmaKind.IOVA)).toBe(true);
    const dma = mr.dmaAddressOf(mr.iova + 3 * SZ_4K);
    expect(dev.iommu!.protectionOf(dma) & IOMMU_MMIO).toBe(IOMMU_MMIO);
    mr.invalidate(mr.iova, 5 * SZ_4K);
    expect(dev.iommu!.translate(dma)).toBe(-1);
    mr.fault(mr.iova, 5 * SZ_4K);
    expect(dev.iommu!.protectionOf(dma) & IOMMU_MMIO).toBe(IOMMU_MMIO);
    const list = mr.pageList();
    for (const b of probeBytes(mr)) expect(hwPhys(mr, list, SZ_4K, mr.iova + b)).toBe(physOfByte(mr, b));
    mr.deregister();
    expect(idle(mr)).toBe(true);
  });

  it("a host bridge that forbids the path: EREMOTEIO with nothing pinned", () => {
    const { mem, dev, make } = gpuMr("otherBridge", true);
    expectCode(make, "EREMOTEIO");
    expect(pinTable(mem).pinnedPages).toBe(0);
    expect(dev.iommu!.idle).toBe(true);
  });

  it("pageless BAR memory (PHYSICAL entries) is mapped but never pinned", () => {
    const t = gpuTopology({ hb0: "allowed", barSize: 2 ** 24 });
    const mem = ramMemory();
    const cpu = new CpuRangeList(mem);
    cpu.appendPhysical(t.cpuAddress + SZ_2M, SZ_2M, t.provider);
    const dev = importerDevice(t.importers.sameSwitch!, false);
    const mr = registerMemoryRegion({
      device: dev,
      cpuList: cpu,
      iova: 0x7000_0000_0000,
      access: ODP,
      pageSizeBitmap: ALL_SIZES,
    });
    expect(mr.bestPageSize()).toBe(SZ_2M);
    expect(pinTable(mem).pinnedPages).toBe(0);
    expect(mr.invalidate(mr.iova, SZ_4K)).toBe(1);
    expect(mr.fault(mr.iova, SZ_4K)).toBe(1);
    expect(mr.memoryReport().cpuListBytes).toBe(512); // one 24-B PHYSICAL entry
    mr.deregister();
    expect(pinTable(mem).pinnedPages).toBe(0);
  });
});

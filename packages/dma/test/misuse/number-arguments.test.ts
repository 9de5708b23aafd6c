/**
 * Issue 12 item 11, the lower-level exports: a page number, IOVA, size or flag that is NaN, a
 * bigint, a numeric string or a Symbol is refused with an RlistError (ERANGE for a number that is
 * not a safe non-negative integer, EINVAL for anything that is not a number or not a boolean) and
 * changes nothing; it used to be accepted silently (NaN compares false everywhere) or end in a
 * TypeError. Each row: the call, with `bad` in the checked position, on a fresh receiver.
 */
import { describe, expect, it } from "vitest";
import { codeOf } from "../../../../scripts/expect-code.js";
import * as dma from "../../src/index.js";

const BAD: unknown[] = [Number.NaN, 1n, "0x10", Symbol("s"), Number.POSITIVE_INFINITY, -1, 0.5];
/** What the refusal is, by value: a number outside 0..2^53-1 is ERANGE, a non-number EINVAL. */
const want = (v: unknown): string => (typeof v === "number" ? "ERANGE" : "EINVAL");
const NOT_BOOLEAN: unknown[] = [Number.NaN, 1, "yes", null, Symbol("s")];

type Row = [string, (bad: never) => unknown];

function lazyDomain(): dma.IommuDomain {
  const d = new dma.IommuDomain({ strict: false });
  const iova = d.allocIova(0x1000, 2 ** 40);
  d.map(iova, 0x10_0000, 0x1000, dma.IOMMU_READ);
  return d;
}

const numberRows: Row[] = [
  ["IovaAllocator#find", (v) => new dma.IovaAllocator().find(v)],
  ["IoPageTable#translate", (v) => new dma.IoPageTable().translate(v)],
  [
    "IoPageTable#lookupInto",
    (v) => new dma.IoPageTable().lookupInto(v, { phys: 0, pageSize: 0, pageIova: 0, prot: 0 }),
  ],
  ["IoPageTable#supportsLeaf", (v) => new dma.IoPageTable().supportsLeaf(v)],
  ["IommuDomain#translate", (v) => lazyDomain().translate(v)],
  ["IommuDomain#protectionOf", (v) => lazyDomain().protectionOf(v)],
  ["IommuDomain#ivaAlign", (v) => lazyDomain().ivaAlign(v)],
  [
    "IommuDomain#deviceLookup",
    (v) => lazyDomain().deviceLookup(v, { phys: 0, pageSize: 0, pageIova: 0, prot: 0 }),
  ],
  ["Iotlb#lookup", (v) => new dma.Iotlb().lookup(v, { phys: 0, pageSize: 0, pageIova: 0, prot: 0 })],
  ["Iotlb#invalidateRange start", (v) => new dma.Iotlb().invalidateRange(v, 0x1000)],
  ["Iotlb#invalidateRange end", (v) => new dma.Iotlb().invalidateRange(0, v)],
  ["Iotlb#fill phys", (v) => new dma.Iotlb().fill({ phys: v, pageSize: 0x1000, pageIova: 0, prot: 1 })],
  ["IovaFlushQueue#holds", (v) => lazyDomain().flushQueue!.holds(v)],
  ["PageIntervalSet#has", (v) => new dma.PageIntervalSet().has(v)],
  ["PageIntervalSet#add", (v) => new dma.PageIntervalSet().add(v, 4)],
  ["PageIntervalSet#remove", (v) => new dma.PageIntervalSet().remove(0, v)],
  ["PageIntervalSet#intersects", (v) => new dma.PageIntervalSet().intersects(v, 4)],
  ["PageIntervalSet#forEachIn", (v) => new dma.PageIntervalSet().forEachIn(v, 4, () => {})],
  ["PageIntervalSet#forEachGapIn", (v) => new dma.PageIntervalSet().forEachGapIn(0, v, () => {})],
  ["new CountdownFaults", (v) => new dma.CountdownFaults(v)],
];

const flagRows: Row[] = [
  ["IovaAllocator#alloc sizeAligned", (v) => new dma.IovaAllocator().alloc(1, 100, v)],
  ["IovaAllocator#allocFast flushRcache", (v) => new dma.IovaAllocator().allocFast(1, 100, v)],
  ["new IovaAllocator rcache", (v) => new dma.IovaAllocator({ rcache: v })],
  ["new CountdownFaults sticky", (v) => new dma.CountdownFaults(0, ["iova"], v)],
];

const objectRows: Row[] = [
  ["new IovaAllocator faults", (v) => new dma.IovaAllocator({ faults: v })],
  ["new IoPageTable faults", (v) => new dma.IoPageTable({ faults: v })],
  ["chunkFaultHook", (v) => dma.chunkFaultHook(v)],
  ["IommuDomain#allocIova device", (v) => lazyDomain().allocIova(0x1000, 2 ** 40, v)],
  ["Iotlb#fill leaf", (v) => new dma.Iotlb().fill(v)],
];

const SWIOTLB_BASE = 0x100_0000;
/** A pool with one live 512-byte bounce buffer; returns it and its bounce address. */
function bounced(): [dma.SwiotlbPool, number] {
  const pool = new dma.SwiotlbPool({ base: SWIOTLB_BASE, size: 0x4_0000 });
  return [pool, pool.map(0x5000, 512, 0)];
}

const swiotlbRows: Row[] = [
  ["SwiotlbPool#contains", (v) => bounced()[0].contains(v)],
  ["SwiotlbPool#originalOf", (v) => bounced()[0].originalOf(v, 0)],
  [
    "SwiotlbPool#unmap size",
    (v) => {
      const [p, t] = bounced();
      p.unmap(t, v, "to-device", 0);
    },
  ],
  ["SwiotlbPool#syncForCpu tlb", (v) => bounced()[0].syncForCpu(v, 512, "from-device", 0)],
  [
    "SwiotlbPool#syncForDevice minAlignMask",
    (v) => {
      const [p, t] = bounced();
      p.syncForDevice(t, 512, "to-device", v);
    },
  ],
  ["sgEntriesForRun maxSegment", (v) => dma.sgEntriesForRun(3, 4096, v)],
  ["hostBridgeP2pFor vendor", (v) => dma.hostBridgeP2pFor(v, 0x1450)],
];

describe("numbers and flags of the IOMMU model's lower-level exports are checked (issue 12 item 11)", () => {
  for (const [name, call] of numberRows) {
    it(name, () => {
      for (const v of BAD)
        expect(
          codeOf(() => call(v as never)),
          `${name}(${typeof v})`,
        ).toBe(want(v));
    });
  }
  for (const [name, call] of flagRows) {
    it(name, () => {
      for (const v of NOT_BOOLEAN)
        expect(
          codeOf(() => call(v as never)),
          name,
        ).toBe("EINVAL");
    });
  }
  for (const [name, call] of objectRows) {
    it(name, () => {
      for (const v of [Number.NaN, 1n, "x", null, Symbol("s")]) {
        expect(
          codeOf(() => call(v as never)),
          name,
        ).toBe("EINVAL");
      }
    });
  }

  for (const [name, call] of swiotlbRows) {
    it(name, () => {
      for (const v of BAD)
        expect(
          codeOf(() => call(v as never)),
          `${name}(${typeof v})`,
        ).toBe(want(v));
    });
  }

  it("a refused swiotlb unmap or sync keeps the slot and its bytes", () => {
    const [pool, tlb] = bounced();
    for (const v of BAD) {
      codeOf(() => pool.unmap(tlb, v as never, "from-device", 0));
      codeOf(() => pool.unmap(tlb, 512, v as never, 0));
    }
    expect(pool.usedSlots).toBe(1);
    expect(pool.originalOf(tlb, 0)).toBe(0x5000);
    pool.unmap(tlb, 512, "to-device", 0);
    expect(pool.usedSlots).toBe(0);
  });

  it("options, flags and enums of the pool, ACS, registrations, kinds and directions", () => {
    for (const v of [Number.NaN, 1n, "x", null]) {
      expect(codeOf(() => new dma.SwiotlbPool({ base: SWIOTLB_BASE, memory: v as never }))).toBe("EINVAL");
      expect(codeOf(() => new dma.SwiotlbPool({ base: SWIOTLB_BASE, faults: v as never }))).toBe("EINVAL");
      expect(codeOf(() => dma.directionToProt(v as never))).toBe("EINVAL");
      expect(codeOf(() => dma.dmaKindName(v as never))).toBe("EINVAL");
      expect(codeOf(() => dma.acsControlOf({ requestRedirect: v as never }))).toBe("EINVAL");
      expect(codeOf(() => dma.registrationReport([4096], undefined, v as never))).toBe("EINVAL");
      expect(
        codeOf(() =>
          dma.registrationFootprint({ lengthBytes: 4096, folioBytes: 4096, contiguous: v as never }),
        ),
      ).toBe("EINVAL");
      expect(codeOf(() => new dma.ArrayDmaCursor(v as never))).toBe("EINVAL");
      if (v !== null) expect(codeOf(() => new dma.P2pMapCache(v as never))).toBe("EINVAL");
    }
    expect(codeOf(() => dma.dmaKindName(4 as never))).toBe("EINVAL");
    expect(dma.dmaKindName(dma.DmaKind.BOUNCE)).toBe("BOUNCE");
    expect(dma.directionToProt("from-device")).toBe(2);
    expect(dma.acsControlOf({ requestRedirect: true })).toBe(
      dma.acsControlOf({ requestRedirect: true, egressControl: false }),
    );
  });

  it("PhysicalMemory's folio, pgmap and provider lookups check their pfns, ids and folios", () => {
    const mem = new dma.PhysicalMemory({ regions: [{ start: 0, size: 0x100_0000, kind: "ram" }] });
    const folio = mem.declareFolio(0x100, 1);
    for (const v of BAD) {
      expect(codeOf(() => mem.folioHead(v as never))).toBe(want(v));
      expect(codeOf(() => mem.folioOrder(v as never))).toBe(want(v));
      expect(codeOf(() => mem.pgmapById(v as never))).toBe(want(v));
      expect(codeOf(() => mem.providerById(v as never))).toBe(want(v));
      expect(codeOf(() => mem.folioSize({ ...folio, nrPages: v as never }))).toBe(want(v));
      expect(codeOf(() => mem.nextFolio({ ...folio, pfn: v as never }))).toBe(want(v));
      expect(codeOf(() => mem.splitFolio({ ...folio, order: v as never }))).toBe(want(v));
    }
    expect(codeOf(() => mem.folioSize({ ...folio, nrPages: 3 }))).toBe("EINVAL");
    for (const v of [Number.NaN, null, "x"]) {
      expect(codeOf(() => mem.registerProvider(v as never))).toBe("EINVAL");
      expect(codeOf(() => mem.addP2pMemory(v as never))).toBe("EINVAL");
    }
    for (const v of [Number.NaN, null, 1n]) {
      expect(
        codeOf(() => mem.addRegion({ start: 0x200_0000, size: 0x1000, kind: "ram", name: v as never })),
      ).toBe("EINVAL");
    }
    expect([mem.folioHead(0x101), mem.folioOrder(0x100), mem.folioSize(folio), mem.declaredFolios]).toEqual([
      0x100, 1, 0x2000, 1,
    ]);
  });

  it("levelSize takes a page-table level 0..4", () => {
    expect([0, 1, 2, 3, 4].map((l) => dma.levelSize(l))).toEqual([
      0x1000,
      0x20_0000,
      0x4000_0000,
      2 ** 39,
      2 ** 48,
    ]);
    for (const v of [Number.NaN, 5, -1, 0.5, 1n, Symbol("s")])
      expect(codeOf(() => dma.levelSize(v as never))).toBe("EINVAL");
  });

  it("CountdownFaults#shouldFail takes a fault site and counts nothing for a bad one", () => {
    const f = new dma.CountdownFaults(1);
    for (const v of [Number.NaN, "disk", null]) expect(codeOf(() => f.shouldFail(v as never))).toBe("EINVAL");
    expect(f.calls).toBe(0);
    expect([f.shouldFail("iova"), f.shouldFail("iova")]).toEqual([false, true]);
  });

  it("a refused call changes nothing: the interval set, the allocator and the IOTLB keep their state", () => {
    const set = new dma.PageIntervalSet();
    set.add(2, 6);
    for (const v of BAD) {
      codeOf(() => set.add(0, v as never));
      codeOf(() => set.remove(v as never, 4));
    }
    expect(set.toArray()).toEqual([[2, 6]]);
    const a = new dma.IovaAllocator();
    for (const v of NOT_BOOLEAN) codeOf(() => a.alloc(1, 100, v as never));
    expect(a.outstandingGranules).toBe(0);
    const d = lazyDomain();
    const before = d.iotlb!.entries();
    for (const v of BAD) codeOf(() => d.iotlb!.invalidateRange(0, v as never));
    expect(d.iotlb!.entries()).toEqual(before);
  });
});

/** CpuRangeList on @rlist/list's RangeList: stored forms, memory per entry, no-allocation mode. */
import { ChunkPool, entryUnits, RangeList } from "@rlist/list";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expectCode } from "../../../../scripts/expect-code.js";
import { CpuRangeList } from "../../src/cpu/cpu-range-list.js";
import { PhysicalMemory } from "../../src/memory/physical-memory.js";
import { PciTopology } from "../../src/pci/topology.js";
import { build, opsArb } from "./list-fixture.js";

const memory = () => new PhysicalMemory({ regions: [{ start: 0, size: 2 ** 34, kind: "ram" }] });

describe("CpuRangeList storage", () => {
  it("stores page runs in 8 bytes, offset ranges in 16 and provider ranges in 24", () => {
    const m = memory();
    const topo = new PciTopology();
    const fn = topo.addFunction(topo.addHostBridge(), {
      bdf: "0000:00:04.0",
      bars: [{ index: 0, cpuAddress: 0x8_0000_0000n, size: 0x100_0000, is64: true }],
    });
    const l = new CpuRangeList(m);
    l.appendPage(0x400, 0, 0x2000);
    l.appendFolio(m.declareFolio(0x300, 2), 0x800, 0x900);
    l.appendPhysical(0x8_0000_0000, 0x1000, fn.p2pProvider(0));
    l.appendPhysical(0x9_0000_0000, 0x1000); // no provider: base above 4 GiB, 16 bytes
    l.seal();
    expect(l.stats().byForm).toEqual({ 8: 1, 16: 2, 24: 1 });
    expect(l.store).toBeInstanceOf(RangeList);
  });

  it("a list of discontiguous 4K pages costs about 8.1 bytes per entry in 512-byte chunks", () => {
    const pfns = Array.from({ length: 63 * 100 }, (_, i) => 2 * i + 1);
    const l = CpuRangeList.fromPfns(memory(), pfns);
    l.seal();
    const s = l.stats();
    expect(s.entries).toBe(6300);
    expect(s.chunks).toBe(100);
    expect(s.bytesPerEntry).toBeCloseTo(512 / 63, 5);
    const big = new CpuRangeList(memory(), { chunkBytes: 4096 });
    for (const pfn of pfns) big.appendPage(pfn, 0, 4096);
    big.seal();
    const perChunk = entryUnits(4096) / 2; // 8-byte entries per 4 KiB chunk
    expect(big.stats().chunks).toBe(Math.ceil(6300 / perChunk));
  });

  it("reserve() then allocate: false appends without allocating, then fails with nothing changed", () => {
    const pool = new ChunkPool({ chunkBytes: 128 });
    const l = new CpuRangeList(memory(), { pool, allocate: false });
    expectCode(() => {
      l.appendPage(1, 0, 4096);
      l.appendPage(3, 0, 4096); // pushes the first entry: no chunk
    }, "ENOSPC");
    expect(l.count).toBe(1);
    l.reserve(20);
    const inUse = pool.stats().chunksInUse;
    for (let i = 1; i < 20; i++) l.appendPage(2 * i + 1, 0, 4096);
    l.seal();
    expect(pool.stats().chunksInUse).toBe(inUse);
    expect(l.count).toBe(20);
    // Use the reserve up with 24-byte entries, then the next push must fail cleanly.
    let err: unknown = null;
    try {
      for (let i = 0; i < 100; i++) l.appendPhysical(0x1_0000_0000 + i * 0x2000, 0x1000);
    } catch (e) {
      err = e;
    }
    expect((err as { code?: string }).code).toBe("ENOSPC");
    const before = { count: l.count, length: l.length, entries: JSON.stringify(l.toArray()) };
    expectCode(() => l.appendPage(7, 0, 4096), "ENOSPC");
    expect({ count: l.count, length: l.length, entries: JSON.stringify(l.toArray()) }).toEqual(before);
    l.clear();
    expect(pool.stats().chunksInUse).toBe(0);
  });

  it("refuses stores it cannot use", () => {
    const m = memory();
    expectCode(() => new CpuRangeList(m, { store: new RangeList({ merge: true }) }), "EINVAL");
    expectCode(() => new CpuRangeList(m, { store: new RangeList({ codec: "fixed16" }) }), "EINVAL");
    const used = new RangeList();
    used.append({ type: 0, length: 1, base: 0, offset: 0, extra: 0 });
    expectCode(() => new CpuRangeList(m, { store: used }), "EINVAL");
    const custom = new CpuRangeList(m, {
      store: { count: 0, append() {}, clear() {}, cursor: () => new RangeList().cursor() },
    });
    expectCode(() => custom.stats(), "EOPNOTSUPP");
  });

  it("storageBytes() is what the chunks hold once sealed, and changes nothing", () => {
    fc.assert(
      fc.property(fc.constantFrom(128, 512, 4096) as fc.Arbitrary<128 | 512 | 4096>, opsArb, (store, ops) => {
        const { list } = build(ops, store);
        const before = { stored: list.store.count, chunks: list.stats().chunks };
        const bytes = list.storageBytes();
        expect({ stored: list.store.count, chunks: list.stats().chunks }).toEqual(before);
        list.seal();
        expect(list.stats().bytesInUse).toBe(bytes);
      }),
      { numRuns: 150 },
    );
    expectCode(
      () =>
        new CpuRangeList(memory(), {
          store: { count: 0, append() {}, clear() {}, cursor: () => new RangeList().cursor() },
        }).storageBytes(),
      "EOPNOTSUPP",
    );
  });
});

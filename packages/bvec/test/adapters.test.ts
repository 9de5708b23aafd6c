/** bio <-> CpuRangeList adapters: the bio-backing vectors (docs/vectors.md#rlist_cpu-vectors), merging, P2P, chains. */
import { CpuRangeList, PhysicalMemory } from "@rlist/dma";
import { describe, expect, it } from "vitest";
import { expectCode } from "../../../scripts/expect-code.js";
import { Bio, BvecCursor, bioToCpuRangeList, cpuRangeListToBios, P2pMixError } from "../src/index.js";
import { twoBarMachine } from "./two-bar-machine.js";

function entries(list: CpuRangeList) {
  return list.toArray().map((e) => ({ phys: e.phys, length: e.length, position: e.position }));
}

describe("bio -> CpuRangeList (bio backing, INTENDED: docs/vectors.md#rlist_cpu-vectors)", () => {
  it("normalises a bvec offset past the page to the next page, positions are entry starts", () => {
    const { memory } = twoBarMachine();
    const bio = Bio.fromVecs([
      { page: 0x1000, offset: 0x200, len: 0x1e00 },
      { page: 0x2000, offset: 0x1800, len: 0x800 },
    ]);
    const { list, bvecs, entries: n, saved } = bioToCpuRangeList(memory, bio);
    const got = list.toArray();
    expect(
      got.map((e) => [e.type === 0 ? e.pfn : -1, e.type === 0 ? e.offset : -1, e.length, e.position]),
    ).toEqual([
      [0x1000, 0x200, 0x1e00, 0],
      [0x2001, 0x800, 0x800, 0x1e00],
    ]);
    expect([bvecs, n, saved]).toEqual([2, 2, 0]);
  });

  it("keeps the folio view when pfn 0x2000 heads a 2-page folio", () => {
    const { memory } = twoBarMachine();
    memory.declareFolio(0x2000, 1);
    const bio = Bio.fromVecs([
      { page: 0x1000, offset: 0x200, len: 0x1e00 },
      { page: 0x2000, offset: 0x1800, len: 0x800 },
    ]);
    const second = bioToCpuRangeList(memory, bio).list.toArray()[1]!;
    expect(second.type === 0 && [second.pfn, second.offset, second.length]).toEqual([0x2000, 0x1800, 0x800]);
  });

  it("refuses a chain flag that is not a boolean (EINVAL) before it touches the target list", () => {
    const { memory } = twoBarMachine();
    const bio = Bio.fromVecs([{ page: 5, offset: 0, len: 0x1000 }]);
    const target = new CpuRangeList(memory);
    for (const chain of [Number.NaN, 1, "yes", null]) {
      expectCode(() => bioToCpuRangeList(memory, bio, { chain: chain as never }), "EINVAL");
      expectCode(() => bioToCpuRangeList(memory, bio, { chain: chain as never, list: target }), "EINVAL");
    }
    expect(target.count).toBe(0);
  });

  it("starts at the bio's iterator (bi_bvec_done)", () => {
    const { memory } = twoBarMachine();
    const bio = Bio.fromVecs([{ page: 5, offset: 0, len: 0x2000 }], { size: 0x1100 });
    bio.advance(0x100);
    const { list } = bioToCpuRangeList(memory, bio);
    expect(entries(list)).toEqual([{ phys: 5 * 4096 + 0x100, length: 0x1000, position: 0 }]);
  });
});

describe("bio -> CpuRangeList merging", () => {
  it("merges physically contiguous bvecs, within a bio and across the chain, and counts the saving", () => {
    const { memory } = twoBarMachine();
    const a = Bio.fromVecs([
      { page: 0x10, offset: 0, len: 4096 },
      { page: 0x11, offset: 0, len: 4096 },
      { page: 0x12, offset: 0, len: 1024 },
    ]);
    const b = Bio.fromVecs([
      { page: 0x12, offset: 1024, len: 3072 },
      { page: 0x40, offset: 0, len: 4096 },
    ]);
    const r = bioToCpuRangeList(memory, Bio.chain([a, b]));
    expect(entries(r.list)).toEqual([
      { phys: 0x10000, length: 0x3000, position: 0 },
      { phys: 0x40000, length: 0x1000, position: 0x3000 },
    ]);
    expect([r.bvecs, r.entries, r.saved]).toEqual([5, 2, 3]);
    expect(r.list.isPageList).toBe(true);
    const single = bioToCpuRangeList(memory, a, { chain: false });
    expect([single.bvecs, single.entries]).toEqual([3, 1]);
  });

  it("never merges RAM with P2P pages or two providers, and names the provider", () => {
    const { memory, p2p } = twoBarMachine();
    const ram = Bio.fromVecs([{ page: 0x3fff, offset: 0, len: 4096 }], { pgmaps: memory });
    const dev = Bio.fromVecs([{ page: 0x4000, offset: 0, len: 8192 }], { pgmaps: memory });
    const r = bioToCpuRangeList(memory, Bio.chain([ram, dev]));
    const got = r.list.toArray();
    expect(got.map((e) => [e.phys, e.length, e.provider])).toEqual([
      [0x3fff000, 4096, null],
      [0x4000000, 8192, p2p],
    ]);
    expect(r.list.hasP2P).toBe(true);
    // The bio rule: such pages never share one bio.
    const mixed = new Bio({ pgmaps: memory });
    mixed.addPage(0x3fff, 4096, 0);
    expect(() => mixed.addPage(0x4000, 4096, 0)).toThrow(P2pMixError);
  });

  it("fails with EFAULT for a frame without struct page", () => {
    const { memory } = twoBarMachine();
    const bio = Bio.fromVecs([
      { page: 0x10, offset: 0, len: 4096 },
      { page: 0x9000, offset: 0, len: 4096 }, // a hole
    ]);
    expectCode(() => bioToCpuRangeList(memory, bio), "EFAULT");
  });

  it("appends to a caller's list: the first run merges into its pending entry", () => {
    const { memory } = twoBarMachine();
    const list = new CpuRangeList(memory);
    list.appendPage(0x10, 0, 0x800);
    const bio = Bio.fromVecs([
      { page: 0x10, offset: 0x800, len: 0x800 }, // continues the caller's entry
      { page: 0x20, offset: 0, len: 4096 },
    ]);
    const r = bioToCpuRangeList(memory, bio, { list });
    expect(r.list).toBe(list);
    expect([r.bvecs, r.entries, r.saved]).toEqual([2, 1, 1]);
    expect(entries(list)).toEqual([
      { phys: 0x10000, length: 0x1000, position: 0 },
      { phys: 0x20000, length: 0x1000, position: 0x1000 },
    ]);
  });

  it("leaves a caller's list exactly as it was on error, and refuses a list it cannot use", () => {
    const { memory, p2p } = twoBarMachine();
    const list = new CpuRangeList(memory);
    list.appendPage(0x10, 0, 0x800);
    list.appendPhysical(0x800_0000, 0x1000, null);
    list.appendPage(0x4000, 0, 0x1000); // P2P page, pending
    const before = JSON.stringify(list.toArray());
    const bio = Bio.fromVecs([
      { page: 0x4001, offset: 0, len: 4096 }, // merges into the pending P2P entry
      { page: 0x30, offset: 0x10, len: 100 },
      { page: 0x9000, offset: 0, len: 4096 }, // a hole: EFAULT after two appends
    ]);
    expectCode(() => bioToCpuRangeList(memory, bio, { list }), "EFAULT");
    expect(JSON.stringify(list.toArray())).toBe(before);
    expect([list.count, list.length, list.isPageList, list.providers]).toEqual([3, 0x2800, false, [p2p]]);
    list.appendPage(0x4001, 0, 0x1000); // the pending entry is back: this still merges
    expect(list.count).toBe(3);
    const other = twoBarMachine().memory;
    expectCode(() => bioToCpuRangeList(other, new Bio(), { list }), "EINVAL");
    expectCode(() => bioToCpuRangeList(memory, new Bio(), { list, chunkBytes: 128 }), "EINVAL");
    // not a list at all (null was a TypeError; found by the long hostile run)
    for (const v of [null, Number.NaN, { memory }]) {
      expectCode(() => bioToCpuRangeList(memory, new Bio(), { list: v as never }), "EINVAL");
    }
    expect(list.count).toBe(3);
  });

  it("refuses a memory with other than 4 KiB pages", () => {
    const memory = new PhysicalMemory({
      pageSize: 16384,
      regions: [{ start: 0, size: 1 << 24, kind: "ram" }],
    });
    expectCode(() => bioToCpuRangeList(memory, new Bio()), "EINVAL");
  });
});

function bvecsOf(head: Bio) {
  return [...head.bios()].map((b) => {
    const out: number[][] = [];
    const c = new BvecCursor();
    for (let ok = c.reset(b); ok; ok = c.next()) out.push([c.phys, c.len]);
    return { sector: b.sector, size: b.size, vecs: out };
  });
}

describe("CpuRangeList -> bios", () => {
  it("one bvec per entry, a chain when the table fills, block-aligned cuts", () => {
    const { memory } = twoBarMachine();
    const list = new CpuRangeList(memory);
    list.appendPage(0x10, 0, 0x300);
    list.appendPage(0x20, 0, 0x280);
    list.appendPage(0x30, 0, 0x300);
    const head = cpuRangeListToBios(list, { maxVecs: 2, sector: 100, op: "WRITE" });
    expect(bvecsOf(head)).toEqual([
      {
        sector: 100,
        size: 0x400,
        vecs: [
          [0x10000, 0x300],
          [0x20000, 0x100],
        ],
      },
      {
        sector: 102,
        size: 0x480,
        vecs: [
          [0x20100, 0x180],
          [0x30000, 0x300],
        ],
      },
    ]);
    expect(head.op).toBe("WRITE");
    expect(head.pgmaps).toBe(memory);
  });

  it("starts a new bio when the pgmap changes", () => {
    const { memory, p2p } = twoBarMachine();
    const list = new CpuRangeList(memory);
    list.appendPage(0x3ffe, 0, 0x2000); // RAM up to the BAR
    list.appendPage(0x4000, 0, 0x1000); // provider A
    list.appendPage(0x8000, 0, 0x1000); // provider B
    const bios = bvecsOf(cpuRangeListToBios(list));
    expect(bios.map((b) => b.vecs)).toEqual([
      [[0x3ffe000, 0x2000]],
      [[0x4000000, 0x1000]],
      [[0x8000000, 0x1000]],
    ]);
    expect(bios.map((b) => b.sector)).toEqual([0, 16, 24]);
    void p2p;
  });

  it("refuses pageless entries, unaligned pgmap changes and tables too small for a block", () => {
    const { memory, p2p } = twoBarMachine();
    const phys = new CpuRangeList(memory);
    phys.appendPhysical(0x400_0000, 0x1000, p2p);
    expectCode(() => cpuRangeListToBios(phys), "EOPNOTSUPP");
    const mixed = new CpuRangeList(memory);
    mixed.appendPage(0x3fff, 0xf00, 0x100);
    mixed.appendPage(0x4000, 0, 0x1000);
    expectCode(() => cpuRangeListToBios(mixed), "EINVAL");
    const tiny = new CpuRangeList(memory);
    tiny.appendPage(0x10, 0, 0x100);
    tiny.appendPage(0x20, 0, 0x100);
    expectCode(() => cpuRangeListToBios(tiny, { maxVecs: 1, logicalBlockSize: 4096 }), "EINVAL");
    expect(tiny.count).toBe(2);
  });

  it("an empty list gives one empty bio", () => {
    const { memory } = twoBarMachine();
    const head = cpuRangeListToBios(new CpuRangeList(memory), { sector: 7 });
    expect([head.size, head.sector, head.next]).toEqual([0, 7, null]);
  });
});

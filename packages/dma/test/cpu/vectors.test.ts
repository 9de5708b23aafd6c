/** The rlist_cpu vectors of docs/vectors.md#rlist_cpu-vectors (INTENDED column), PAGE = 4096. */
import { describe, expect, it } from "vitest";
import { expectCode } from "../../../../scripts/expect-code.js";
import { CpuRangeList } from "../../src/cpu/cpu-range-list.js";
import { PhysicalMemory } from "../../src/memory/physical-memory.js";
import { PciTopology } from "../../src/pci/topology.js";

/** RAM [0, 0x401000) then a 4K P2P BAR right after it, so pfn 0x400 (RAM) and 0x401 (P2P) touch. */
function setup() {
  const memory = new PhysicalMemory({ regions: [{ start: 0, size: 0x401000, kind: "ram" }] });
  const topo = new PciTopology();
  const fn = topo.addFunction(topo.addHostBridge(), {
    bdf: "0000:00:04.0",
    bars: [
      { index: 0, cpuAddress: 0x401000, size: 0x1000 },
      { index: 2, cpuAddress: 0xe000_0000n, size: 0x1000_0000, is64: true, prefetchable: true },
    ],
  });
  const p2p = fn.p2pProvider(0);
  memory.addP2pMemory(p2p);
  return { memory, p2p, bar: fn.p2pProvider(2) };
}

/** Stored (encoded) entries after sealing. */
function stored(list: CpuRangeList) {
  list.seal();
  const out: { type: number; base: number; length: number; offset: number; extra: number }[] = [];
  const c = list.store.cursor();
  for (let ok = c.reset(); ok; ok = c.next()) {
    out.push({ type: c.type, base: c.base, length: c.length, offset: c.offset, extra: c.extra });
  }
  return out;
}

const entries = (list: CpuRangeList) =>
  list.toArray().map((e) => (e.type === 0 ? { pfn: e.pfn, offset: e.offset, length: e.length } : e));

describe("merging M1-M7", () => {
  it("M1: byte-adjacent whole pages of one folio merge", () => {
    const { memory } = setup();
    const F = memory.declareFolio(0x300, 2);
    const l = new CpuRangeList(memory);
    l.appendFolio(F, 0, 0x1000);
    l.appendFolio(F, 0x1000, 0x1000);
    expect(entries(l)).toEqual([{ pfn: 0x300, offset: 0, length: 0x2000 }]);
  });

  it("M2: byte adjacency inside a folio merges at any alignment", () => {
    const { memory } = setup();
    const F = memory.declareFolio(0x300, 2);
    const l = new CpuRangeList(memory);
    l.appendFolio(F, 0, 0x800);
    l.appendFolio(F, 0x800, 0x100);
    expect(entries(l)).toEqual([{ pfn: 0x300, offset: 0, length: 0x900 }]);
  });

  it("M3: a gap inside the folio does not merge", () => {
    const { memory } = setup();
    const F = memory.declareFolio(0x300, 2);
    const l = new CpuRangeList(memory);
    l.appendFolio(F, 0, 0x800);
    l.appendFolio(F, 0x1000, 0x100);
    expect(l.count).toBe(2);
  });

  it("M4: page-aligned, physically contiguous folios of one pgmap merge", () => {
    const { memory } = setup();
    const l = new CpuRangeList(memory);
    l.appendFolio(memory.folioOf(0x3ff)!, 0, 0x1000);
    l.appendFolio(memory.folioOf(0x400)!, 0, 0x1000);
    expect(entries(l)).toEqual([{ pfn: 0x3ff, offset: 0, length: 0x2000 }]);
  });

  it("M5: folios that are not contiguous do not merge", () => {
    const { memory } = setup();
    const l = new CpuRangeList(memory);
    l.appendFolio(memory.folioOf(0x400)!, 0, 0x1000);
    l.appendFolio(memory.folioOf(0x300)!, 0, 0x1000);
    expect(l.count).toBe(2);
  });

  it("M6: contiguous but a different pgmap (RAM then P2P) does not merge", () => {
    const { memory, p2p } = setup();
    const G = memory.folioOf(0x400)!;
    const H = memory.folioOf(0x401)!;
    expect(H.pgmap?.provider).toBe(p2p);
    const l = new CpuRangeList(memory);
    l.appendFolio(G, 0, 0x1000);
    l.appendFolio(H, 0, 0x1000);
    expect(l.count).toBe(2);
    expect(l.hasP2P).toBe(true);
    expect(l.providers).toEqual([p2p]);
    expect(l.toArray().map((e) => e.provider)).toEqual([null, p2p]);
  });

  it("M7: the current entry does not end on a page boundary", () => {
    const { memory } = setup();
    const l = new CpuRangeList(memory);
    l.appendFolio(memory.folioOf(0x3ff)!, 0, 0x800);
    l.appendFolio(memory.folioOf(0x400)!, 0, 0x1000);
    expect(l.count).toBe(2);
  });

  it("runs of 4 GiB and more keep merging, with exact lengths (prototype bug 20: a 32-bit end offset)", () => {
    const memory = new PhysicalMemory({ regions: [{ start: 0, size: 2 ** 34, kind: "ram" }] });
    const l = new CpuRangeList(memory);
    l.appendPage(0x10, 0, 2 ** 32); // exactly 4 GiB: a 32-bit end offset would wrap to 0 here
    l.appendPage(0x10 + 2 ** 20, 0, 0x1000);
    l.appendPage(0x10 + 2 ** 20 + 1, 0, 2 ** 32);
    expect(l.count).toBe(1);
    expect(l.length).toBe(2 ** 33 + 0x1000);
    l.seal();
    expect(l.toArray().map((e) => [e.phys, e.length])).toEqual([[0x10 * 4096, 2 ** 33 + 0x1000]]);
  });
});

describe("storage forms", () => {
  it("a page-aligned run is pfn + page count (type 3), an offset range is type 0, physical is type 1", () => {
    const { memory, bar } = setup();
    const l = new CpuRangeList(memory);
    l.appendFolio(memory.folioOf(0x3ff)!, 0, 0x1000);
    l.appendFolio(memory.folioOf(0x400)!, 0, 0x1000);
    const F = memory.declareFolio(0x300, 2);
    l.appendFolio(F, 0x800, 0x900);
    // Provider ids come from the memory's registry (from 1); make the BAR's id 5 as in the vector.
    const topo = bar.owner.topology;
    for (let i = 0; i < 4; i++) {
      const f = topo.addFunction(topo.hostBridges[0]!, {
        bdf: `0000:00:1${i}.0`,
        bars: [{ index: 0, cpuAddress: 0x1000_0000 * (i + 1), size: 0x1000 }],
      });
      memory.registerProvider(f.p2pProvider(0));
    }
    l.appendPhysical(0xe000_0000, 0x1000, bar);
    expect(stored(l)).toEqual([
      { type: 3, base: 0x3ff, length: 2, offset: 0, extra: 0 },
      { type: 0, base: 0x300, length: 0x900, offset: 0x800, extra: 0 },
      { type: 1, base: 0xe000_0000, length: 0x1000, offset: 0, extra: 6 },
    ]);
  });

  it("the physical entry of the vector gets provider id 5 when it is the fifth registered", () => {
    const { memory, bar } = setup(); // p2p (BAR0) is id 1
    const topo = bar.owner.topology;
    for (let i = 0; i < 3; i++) {
      const f = topo.addFunction(topo.hostBridges[0]!, {
        bdf: `0000:00:1${i}.0`,
        bars: [{ index: 0, cpuAddress: 0x1000_0000 * (i + 1), size: 0x1000 }],
      });
      memory.registerProvider(f.p2pProvider(0));
    }
    const l = new CpuRangeList(memory);
    l.appendPhysical(0xe000_0000, 0x1000, bar);
    expect(stored(l)).toEqual([{ type: 1, base: 0xe000_0000, length: 0x1000, offset: 0, extra: 5 }]);
  });
});

describe("summary flags S1-S6 (INTENDED), length, duplicate physical", () => {
  const cases: [string, [number, number][], boolean][] = [
    ["S1", [[0x800, 0x800]], true],
    [
      "S2",
      [
        [0, 0x1000],
        [0x100, 0x100],
      ],
      false,
    ],
    [
      "S3",
      [
        [0, 0x1000],
        [0, 0x800],
        [0, 0x1000],
      ],
      false,
    ],
    [
      "S4",
      [
        [0, 0x800],
        [0, 0x1000],
      ],
      false,
    ],
    [
      "S5",
      [
        [0, 0x800],
        [0, 0x1000],
        [0, 0x1000],
      ],
      false,
    ],
    [
      "S6",
      [
        [0x200, 0xe00],
        [0, 0x1000],
        [0, 0x300],
      ],
      true,
    ],
  ];
  it.each(cases)("%s", (_, list, pageList) => {
    const { memory } = setup();
    const l = new CpuRangeList(memory);
    list.forEach(([off, len], i) => {
      l.appendPage(0x100 + 4 * i, off, len);
    });
    expect(l.count).toBe(list.length);
    expect(l.isPageList).toBe(pageList);
    l.seal();
    expect(l.isPageList).toBe(pageList);
  });

  it("length is bytes, also for page-count entries", () => {
    const { memory } = setup();
    const l = new CpuRangeList(memory);
    l.appendPage(0x3ff, 0, 0x2000);
    l.seal();
    expect(l.length).toBe(0x2000);
    const m = new CpuRangeList(memory);
    m.appendFolio(memory.declareFolio(0x300, 2), 0x800, 0x900);
    expect(m.length).toBe(0x900);
  });

  it("a physical entry is stored once", () => {
    const { memory, bar } = setup();
    const l = new CpuRangeList(memory);
    l.appendPhysical(0xe000_0000, 0x1000, bar);
    l.seal();
    expect(l.count).toBe(1);
    expect(stored(l)).toHaveLength(1);
    l.appendPhysical(0xe000_1000, 0x1000, bar); // contiguous, still never merged
    l.appendPage(5, 0, 0x1000);
    expect(l.count).toBe(3);
    expect(l.hasP2P).toBe(true);
    expect(l.providers).toEqual([bar]);
  });
});

describe("page and folio splits", () => {
  it("page split of {pfn 0x100 (4 pages), offset 0x800, length 0x2000}", () => {
    const { memory } = setup();
    const l = new CpuRangeList(memory);
    l.appendFolio(memory.declareFolio(0x100, 2), 0x800, 0x2000);
    const pieces: number[][] = [];
    l.forEachPage((p) => {
      pieces.push([p.pfn, p.offset, p.length, p.position]);
      return true;
    });
    expect(pieces).toEqual([
      [0x100, 0x800, 0x800, 0],
      [0x101, 0, 0x1000, 0x800],
      [0x102, 0, 0x800, 0x1800],
    ]);
  });

  it("folio split across A (2 pages) and B (4 pages), naturally aligned at 0x202 and 0x204", () => {
    // The anchor puts A at 0x200 and B at 0x202 with 4 pages; folios here are naturally aligned,
    // so the same shape sits two pages later.
    const { memory } = setup();
    const A = memory.declareFolio(0x202, 1);
    const B = memory.declareFolio(0x204, 2);
    for (const build of [
      (l: CpuRangeList) => l.appendFolio(A, 0x1000, 0x3000),
      (l: CpuRangeList) => {
        l.appendFolio(A, 0x1000, 0x1000);
        l.appendFolio(B, 0, 0x2000);
      },
    ]) {
      const l = new CpuRangeList(memory);
      build(l);
      expect(l.count).toBe(1);
      const pieces: number[][] = [];
      l.forEachFolio((f) => {
        pieces.push([f.pfn, f.order, f.offset, f.length, f.position]);
        return true;
      });
      expect(pieces).toEqual([
        [0x202, 1, 0x1000, 0x1000, 0],
        [0x204, 2, 0, 0x2000, 0x1000],
      ]);
    }
  });

  it("physical entries are iterated, not silently ending the walk", () => {
    const { memory, bar } = setup();
    const l = new CpuRangeList(memory);
    l.appendPage(7, 0, 0x1000);
    l.appendPhysical(0xe000_0800, 0x1000, bar);
    l.appendPage(9, 0, 0x1000);
    const folios: [boolean, number, number][] = [];
    l.forEachFolio((f) => {
      folios.push([f.isPhysical, f.pfn, f.length]);
      return true;
    });
    expect(folios).toEqual([
      [false, 7, 0x1000],
      [true, -1, 0x1000],
      [false, 9, 0x1000],
    ]);
    const pages: [boolean, number, number, number][] = [];
    l.forEachPage((p) => {
      pages.push([p.isPhysical, p.pfn, p.offset, p.length]);
      return true;
    });
    expect(pages).toEqual([
      [false, 7, 0, 0x1000],
      [true, 0xe0000, 0x800, 0x800],
      [true, 0xe0001, 0, 0x800],
      [false, 9, 0, 0x1000],
    ]);
  });
});

describe("pages backing (GUP page array)", () => {
  it("merges runs of contiguous pfns and seeks by byte position", () => {
    const { memory } = setup();
    const l = CpuRangeList.fromPfns(memory, [10, 11, 12, 20, 21]);
    expect(l.toArray().map((e) => [e.type === 0 && e.pfn, e.length, e.position])).toEqual([
      [10, 0x3000, 0],
      [20, 0x2000, 0x3000],
    ]);
    expect(l.seek(0x3800)).toMatchObject({ pfn: 20, length: 0x2000, position: 0x3000 });
    // Unlike the prototype's page-array backing, seek lands on the merged run.
    expect(l.seek(0x1800)).toMatchObject({ pfn: 10, length: 0x3000, position: 0 });
    expect(l.seek(0x5000)).toBeNull();
    expect(l.isPageList).toBe(true);
  });

  it("refuses frames without struct page and leaves nothing behind", () => {
    const { memory } = setup();
    expectCode(() => CpuRangeList.fromPfns(memory, [10, 0x9999_9999]), "EFAULT");
  });
});

describe("copy (INTENDED)", () => {
  it("copies across entries through physical memory", () => {
    const { memory } = setup();
    const l = new CpuRangeList(memory);
    l.appendPage(1, 0x800, 0x800);
    l.appendPage(7, 0, 0x2000);
    expect(l.length).toBe(0x2800);
    const pattern = (n: number, seed: number) =>
      Uint8Array.from({ length: n }, (_, i) => (i * 13 + seed) & 0xff);
    memory.write(0x1f00, pattern(0x100, 1));
    memory.write(0x7000, pattern(0x100, 2));
    const buf = new Uint8Array(0x200);
    l.copyTo(buf, 0x700);
    expect(buf.subarray(0, 0x100)).toEqual(pattern(0x100, 1));
    expect(buf.subarray(0x100)).toEqual(pattern(0x100, 2));
  });

  it("beyond the end is EFAULT and copies nothing", () => {
    const { memory } = setup();
    const l = new CpuRangeList(memory);
    l.appendPage(1, 0x800, 0x800);
    l.appendPage(7, 0, 0x2000);
    const buf = new Uint8Array(0x200).fill(0xaa);
    expectCode(() => l.copyTo(buf, 0x2700), "EFAULT");
    expect(buf).toEqual(new Uint8Array(0x200).fill(0xaa));
    expectCode(() => l.copyFrom(buf, 0x2700), "EFAULT");
    expect(memory.touchedPages).toBe(0);
    l.copyTo(new Uint8Array(0), 0x2800); // empty copy at the end is fine
  });

  it("a physical entry outside any memory region faults before anything is copied", () => {
    const { memory } = setup();
    const l = new CpuRangeList(memory);
    l.appendPage(1, 0, 0x1000);
    l.appendPhysical(0x9000_0000, 0x1000); // pageless, but nothing backs it here
    expectCode(() => l.copyFrom(new Uint8Array(0x2000).fill(1), 0), "EFAULT");
    expect(memory.touchedPages).toBe(0);
    l.copyFrom(new Uint8Array(0x1000).fill(1), 0);
    expect(memory.touchedPages).toBe(1);
  });
});

describe("input checks", () => {
  it("refuses bad appends and leaves the list unchanged", () => {
    const { memory, bar } = setup();
    const l = new CpuRangeList(memory);
    l.appendPage(0x10, 0, 0x800);
    const F = memory.declareFolio(0x300, 2);
    const before = l.toArray();
    expectCode(() => l.appendPage(0x10, 0x800, 0), "EINVAL");
    expectCode(() => l.appendPage(0x10, -1, 1), "ERANGE");
    expectCode(() => l.appendPage(0x10, 0.5, 1), "ERANGE");
    expectCode(() => l.appendPage(2 ** 53, 0, 1), "ERANGE");
    expectCode(() => l.appendPage(0x500000, 0, 1), "EFAULT"); // beyond RAM
    expectCode(() => l.appendPage(0x400, 0, 0x2000), "EINVAL"); // RAM page then P2P page
    expectCode(() => l.appendFolio({ pfn: 0x301, order: 0, nrPages: 1, pgmap: null }, 0, 1), "EINVAL");
    expectCode(() => l.appendFolio({ ...F, order: 3, nrPages: 8 }, 0, 1), "EINVAL");
    expectCode(() => l.appendFolio(F, 0x4000, 1), "EINVAL");
    expectCode(() => l.appendPhysical(0xd000_0000, 0x1000, bar), "EINVAL"); // outside the BAR
    expectCode(() => l.appendPhysical(0xefff_f000, 0x2000, bar), "EINVAL");
    expectCode(() => l.appendPhysical(0xe000_0000, 0x1000, {} as never), "EINVAL");
    expectCode(() => l.appendPhysical(2 ** 53 - 1, 2), "ERANGE");
    expect(l.toArray()).toEqual(before);
    expect(l.length).toBe(0x800);
  });

  it("PAGE size 64K works the same way", () => {
    const memory = new PhysicalMemory({
      pageSize: 65536,
      regions: [{ start: 0, size: 2 ** 30, kind: "ram" }],
    });
    const l = CpuRangeList.fromPfns(memory, [3, 4, 9]);
    expect(l.toArray().map((e) => [e.phys, e.length])).toEqual([
      [3 * 65536, 2 * 65536],
      [9 * 65536, 65536],
    ]);
    l.appendPage(10, 100, 10);
    expect(l.isPageList).toBe(false);
  });
});

describe("cursors and clear()", () => {
  it("a cursor is stale after clear() until reset or seek", () => {
    const { memory } = setup();
    const l = CpuRangeList.fromPfns(
      memory,
      Array.from({ length: 100 }, (_, i) => 3 * i),
    );
    l.seal();
    const c = l.cursor();
    c.seek(50 * 4096);
    l.clear();
    expectCode(() => c.next(), "EINVAL");
    for (let i = 0; i < 40; i++) l.appendPage(5 * i, 0, 4096);
    expect(c.reset()).toBe(true);
    let n = 1;
    while (c.next()) n++;
    expect(n).toBe(40);
    expect(c.seek(39 * 4096)).toBe(true);
    expect(c.pagePfn).toBe(5 * 39);
    const p = l.pageCursor();
    expect(p.seek(0)).toBe(true);
    l.clear();
    expectCode(() => p.next(), "EINVAL");
    expect(p.reset()).toBe(false);
  });
});

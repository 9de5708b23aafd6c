/**
 * Issue 12 items 5 and 8: `mapRangeList` validates its options before it allocates anything, does
 * not trust a caller's `summary`, and rolls back on every failure: no IOVA window, page, bounce
 * slot or chunk is left behind by a call that throws.
 */
import { ChunkPool } from "@rlist/list";
import { describe, expect, it } from "vitest";
import { expectCode } from "../../../../scripts/expect-code.js";
import { CpuRangeList } from "../../src/cpu/cpu-range-list.js";
import { IommuDomain } from "../../src/iommu/iommu-domain.js";
import { type CpuListSummary, summarizeCpuList } from "../../src/mapping/cpu-source.js";
import { DmaDevice } from "../../src/mapping/device.js";
import { type MapOptions, mapRangeList } from "../../src/mapping/mapper.js";
import { SwiotlbPool } from "../../src/mapping/swiotlb.js";
import { PhysicalMemory } from "../../src/memory/physical-memory.js";
import { ArrayCpuList, type TestEntry } from "../mapping/helpers.js";

const memory = new PhysicalMemory({ regions: [{ start: 0, size: 2 ** 34, kind: "ram" }] });

function pageList(): CpuRangeList {
  return CpuRangeList.fromPfns(memory, [0x100, 0x101, 0x300, 0x500]);
}

function mixedList(): CpuRangeList {
  const l = new CpuRangeList(memory);
  l.appendPage(0x100, 0x80, 0x100);
  l.appendPage(0x300, 0x200, 0x1000);
  return l;
}

type Rig = { name: string; dev: () => DmaDevice; list: () => CpuRangeList; idle: (d: DmaDevice) => void };

const rigs: Rig[] = [
  {
    name: "IOMMU page list",
    dev: () => new DmaDevice({ iommu: new IommuDomain() }),
    list: pageList,
    idle: (d) => expect(d.iommu!.idle).toBe(true),
  },
  {
    name: "IOMMU per entry",
    dev: () => new DmaDevice({ iommu: new IommuDomain() }),
    list: mixedList,
    idle: (d) => expect(d.iommu!.idle).toBe(true),
  },
  {
    name: "direct + swiotlb",
    dev: () =>
      new DmaDevice({
        dmaMaskBits: 20,
        swiotlb: new SwiotlbPool({ base: 0x8_0000, size: 0x4_0000, memory }),
      }),
    list: mixedList,
    idle: (d) => expect(d.swiotlb!.usedSlots).toBe(0),
  },
];

describe("mapRangeList validates before it allocates (issue 12 item 8)", () => {
  for (const rig of rigs) {
    it(`${rig.name}: bad list options are EINVAL with nothing allocated`, () => {
      const dev = rig.dev();
      const list = rig.list();
      for (const bad of [{ chunkBytes: 100 }, { pool: {} }, { chunkBytes: 128, pool: new ChunkPool() }]) {
        expectCode(() => mapRangeList(dev, list, { direction: "to-device", list: bad as never }), "EINVAL");
        rig.idle(dev);
      }
      expect(dev.counters.maps).toBe(0);
      mapRangeList(dev, list, { direction: "to-device" }).unmap();
      rig.idle(dev);
    });
  }

  it("bad arguments are EINVAL (RlistError), not TypeError", () => {
    const dev = new DmaDevice({ iommu: new IommuDomain() });
    const list = pageList();
    expectCode(() => mapRangeList(dev, null as never, { direction: "to-device" }), "EINVAL");
    expectCode(() => mapRangeList(dev, {} as never, { direction: "to-device" }), "EINVAL");
    expectCode(() => mapRangeList(null as never, list, { direction: "to-device" }), "EINVAL");
    expectCode(() => mapRangeList(dev, list, null as never), "EINVAL");
    expectCode(() => mapRangeList(dev, list, undefined as never), "EINVAL");
    expectCode(() => mapRangeList(dev, list, { direction: Symbol("d") as never }), "EINVAL");
    expectCode(
      () => mapRangeList(dev, list, { direction: "to-device", skipCpuSync: "yes" as never }),
      "EINVAL",
    );
    expectCode(() => mapRangeList(dev, list, { direction: "to-device", summary: 7 as never }), "EINVAL");
    expect(dev.iommu!.idle).toBe(true);
  });

  it("a CPU list that changes between the summary and the mapping pass is EINVAL, nothing left", () => {
    for (const perEntry of [false, true]) {
      const dev = new DmaDevice({ iommu: new IommuDomain() });
      const entries: TestEntry[] = [
        { phys: 0x10_0000, length: 0x1000 },
        { phys: 0x30_0000, length: 0x1000 },
      ];
      const source = new ArrayCpuList(entries);
      let resets = 0;
      const shifty = {
        cursor() {
          const c = source.cursor();
          const reset = c.reset.bind(c);
          c.reset = () => {
            // The mapping pass sees a longer list than the summary pass did.
            if (++resets === 2) entries.push({ phys: 0x50_0000, length: 0x8000 });
            return reset();
          };
          return c;
        },
      };
      const options: MapOptions = { direction: "to-device" };
      if (perEntry) options.summary = { ...summarizeCpuList(source.cursor()), isPagelist: false };
      expectCode(() => mapRangeList(dev, shifty, options), "EINVAL");
      expect(dev.iommu!.idle).toBe(true);
    }
  });
});

describe("mapRangeList does not trust options.summary (issue 12 item 5)", () => {
  const wrong: Array<[string, (s: CpuListSummary) => Partial<CpuListSummary>]> = [
    ["a wrong totalLength", (s) => ({ totalLength: s.totalLength + 0x10_0000 })],
    ["a short totalLength", () => ({ totalLength: 0x1000 })],
    ["entries: 0", () => ({ entries: 0 })],
    ["a wrong entry count", (s) => ({ entries: s.entries + 1 })],
    ["a wrong firstPhys", (s) => ({ firstPhys: s.firstPhys + 0x1000 })],
  ];
  for (const rig of rigs) {
    for (const [what, change] of wrong) {
      it(`${rig.name}: ${what} is EINVAL with nothing mapped`, () => {
        const dev = rig.dev();
        const list = rig.list();
        const s = summarizeCpuList(list.cursor());
        expectCode(
          () => mapRangeList(dev, list, { direction: "to-device", summary: { ...s, ...change(s) } }),
          "EINVAL",
        );
        rig.idle(dev);
      });
    }
  }

  it("flags that claim a page list or no P2P where there is none are EINVAL", () => {
    const dev = new DmaDevice({ iommu: new IommuDomain() });
    const list = mixedList();
    const s = summarizeCpuList(list.cursor());
    expectCode(
      () => mapRangeList(dev, list, { direction: "to-device", summary: { ...s, isPagelist: true } }),
      "EINVAL",
    );
    expect(dev.iommu!.idle).toBe(true);
  });

  it("a wrong physical span on dma-direct is EINVAL (it would pick the identity path past the mask)", () => {
    const dev = new DmaDevice({ dmaMaskBits: 24 });
    const list = mixedList();
    const s = summarizeCpuList(list.cursor());
    expectCode(
      () => mapRangeList(dev, list, { direction: "to-device", summary: { ...s, physEnd: 0x1000 } }),
      "EINVAL",
    );
  });

  it("conservative flags (isPagelist false, hasP2p true) are honoured: they only pick the per-entry layout", () => {
    const dev = new DmaDevice({ iommu: new IommuDomain() });
    const list = pageList();
    const s = summarizeCpuList(list.cursor());
    const a = mapRangeList(dev, list, { direction: "to-device", summary: { ...s, isPagelist: false } });
    expect(a.path).toBe("iommu-per-entry");
    const b = mapRangeList(dev, list, { direction: "to-device", summary: { ...s, hasP2p: true } });
    expect(b.path).toBe("iommu-per-entry");
    const c = mapRangeList(dev, list, { direction: "to-device", summary: s });
    expect(c.path).toBe("iommu-linear");
    for (const m of [a, b, c]) m.unmap();
    expect(dev.iommu!.idle).toBe(true);
  });
});

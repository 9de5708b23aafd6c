import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expectCode } from "../../../../scripts/expect-code.js";
import { DmaKind, type DmaRangeList } from "../../src/dma-list/dma-range-list.js";
import { type DmaBufAttachment, DmaBufExporter } from "../../src/dmabuf/exporter.js";
import { sgEntriesForDmaList } from "../../src/dmabuf/scatterlist-split.js";
import type { DmaDevice } from "../../src/mapping/device.js";
import { deviceTranslate } from "../../src/mapping/device-view.js";
import { p2pMapType } from "../../src/pci/p2p-map.js";
import { barList, GiB, gpuTopology, importerDevice, systemList, systemMemory } from "./fixture.js";

/** Physical address the device reaches at byte `b` of a DMA list, or -1. */
function reach(device: DmaDevice, list: DmaRangeList, b: number): number {
  const c = list.cursor();
  for (let ok = c.reset(); ok; ok = c.next()) {
    if (b < c.position + c.length) {
      const t = deviceTranslate(device, c.dmaAddress + (b - c.position));
      return t.ok ? t.phys : -1;
    }
  }
  return -1;
}

function probes(size: number, extra: number[] = []): number[] {
  return [0, 1, 4095, 4096, Math.floor(size / 2), size - 4097, size - 1, ...extra].filter(
    (b) => b >= 0 && b < size,
  );
}

describe("DmaBufExporter: attachments follow the PCI topology", () => {
  it("one BAR, importers in five places (allow-listed host bridge 0, denied host bridge 1)", () => {
    const { provider, importers } = gpuTopology({ hb0: "allowed", hb1: "denied" });
    const exp = new DmaBufExporter(barList(systemMemory(), provider), { name: "vram" });
    const expected: Record<string, string> = {
      gpu: "BUS_ADDR",
      sameSwitch: "BUS_ADDR",
      acs: "THRU_HOST_BRIDGE",
      otherPort: "THRU_HOST_BRIDGE",
      otherBridge: "EREMOTEIO",
      platform: "EREMOTEIO",
    };
    for (const [where, fn] of Object.entries(importers)) {
      const dev = importerDevice(fn, false, where);
      if (expected[where] === "EREMOTEIO") {
        expectCode(() => exp.attach({ device: dev }), "EREMOTEIO");
        continue;
      }
      const att = exp.attach({ device: dev });
      expect(att.p2p, where).toBe(expected[where]);
      expect([...att.mapTypes.values()]).toEqual([expected[where]]);
    }
    expect(exp.attachments).toHaveLength(4);
  });

  it("map types match p2pMapType and every DMA list translates back to the BAR's bytes", () => {
    const policy = fc.constantFrom("allowed", "same-host-bridge", "denied") as fc.Arbitrary<
      "allowed" | "same-host-bridge" | "denied"
    >;
    fc.assert(
      fc.property(
        fc.record({
          hb0: policy,
          hb1: policy,
          cpuSupportsP2p: fc.boolean(),
          acs: fc.boolean(),
          busOffset: fc.constantFrom(0, -0x3c0 * GiB, 0x100 * GiB),
          barSize: fc.constantFrom(16 * GiB, 64 * GiB, 2 ** 20),
          // The whole BAR (1 GiB-aligned: large IOMMU leaves) or a small window at a page offset.
          window: fc.option(fc.record({ offPages: fc.nat(64), pages: fc.integer({ min: 1, max: 64 }) })),
        }),
        fc.array(
          fc.tuple(
            fc.constantFrom("gpu", "sameSwitch", "acs", "otherPort", "otherBridge", "platform"),
            fc.boolean(),
          ),
          {
            minLength: 1,
            maxLength: 6,
          },
        ),
        fc.constantFrom<"bidirectional" | "to-device" | "from-device">(
          "bidirectional",
          "to-device",
          "from-device",
        ),
        (o, picks, dir) => {
          const t = gpuTopology(o);
          const offset = o.window === null ? 0 : o.window.offPages * 4096;
          const len = o.window === null ? t.barSize : o.window.pages * 4096;
          const exp = new DmaBufExporter(barList(systemMemory(), t.provider, len, offset));
          for (const [where, iommu] of picks) {
            const fn = t.importers[where]!;
            const dev = importerDevice(fn ?? null, iommu, where);
            const want = p2pMapType(t.provider, fn ?? null);
            const before = exp.attachments.length;
            if (want === "NOT_SUPPORTED") {
              expectCode(() => exp.attach({ device: dev }), "EREMOTEIO");
              expect(exp.attachments.length).toBe(before);
              continue;
            }
            const att = exp.attach({ device: dev });
            expect(att.p2p).toBe(want);
            const list = exp.map(att, dir);
            expect(list.totalLength).toBe(len);
            expect(list.count).toBe(1);
            expect(list.toArray()[0]!.kind).toBe(
              want === "BUS_ADDR" ? DmaKind.BUS_ADDR : iommu ? DmaKind.IOVA : DmaKind.DIRECT,
            );
            for (const b of probes(len)) expect(reach(dev, list, b)).toBe(t.cpuAddress + offset + b);
            exp.unmap(att, list);
            exp.detach(att);
            expect(dev.iommu?.idle ?? true).toBe(true);
          }
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe("DmaBufExporter: sizes beyond 4 GiB", () => {
  for (const barSize of [16 * GiB, 64 * GiB]) {
    it(`a ${barSize / GiB} GiB BAR is one DMA entry on every path (scatterlist: ${Math.ceil(barSize / 0xffff_ffff)})`, () => {
      const t = gpuTopology({ barSize, hb0: "allowed", busOffset: -0x3c0 * GiB });
      const exp = new DmaBufExporter(barList(systemMemory(), t.provider));
      expect(exp.size).toBe(barSize);
      const cases: Array<[string, boolean, DmaKind]> = [
        ["sameSwitch", false, DmaKind.BUS_ADDR],
        ["otherPort", true, DmaKind.IOVA],
        ["otherPort", false, DmaKind.DIRECT],
      ];
      for (const [where, iommu, kind] of cases) {
        const dev = importerDevice(t.importers[where]!, iommu);
        const att = exp.attach({ device: dev });
        const list = exp.map(att, "bidirectional");
        expect(list.toArray()).toHaveLength(1);
        const e = list.toArray()[0]!;
        expect(e.kind).toBe(kind);
        expect(e.length).toBe(barSize);
        if (kind === DmaKind.BUS_ADDR) expect(e.dmaAddress).toBe(t.cpuAddress - 0x3c0 * GiB);
        if (iommu) expect(dev.iommu!.mappedPagesBySize()).toEqual({ [GiB]: barSize / GiB });
        for (const b of probes(barSize, [4 * GiB - 1, 4 * GiB, 8 * GiB - 2, 8 * GiB + 5])) {
          expect(reach(dev, list, b)).toBe(t.cpuAddress + b);
        }
        expect(sgEntriesForDmaList(list.cursor())).toBe(Math.ceil(barSize / 0xffff_ffff));
        expect(list.stats().bytes).toBeLessThanOrEqual(512);
        exp.unmap(att, list);
        exp.detach(att);
        expect(dev.iommu?.idle ?? true).toBe(true);
      }
    });
  }
});

describe("DmaBufExporter: system memory, peer2peer opt-out", () => {
  it("system pages attach as NONE for any importer; a P2P-refusing importer gets EREMOTEIO for a BAR", () => {
    const mem = systemMemory();
    const t = gpuTopology({ hb0: "allowed" });
    const sys = new DmaBufExporter(systemList(mem, (4 * GiB) / 4096, 8));
    const dev = importerDevice(t.importers.otherBridge!, true);
    const att = sys.attach({ device: dev, allowPeer2peer: false });
    expect(att.p2p).toBe("NONE");
    const list = sys.map(att, "to-device");
    expect(list.count).toBe(1); // 8 scattered pages, one IOVA range
    for (let i = 0; i < 8; i++) expect(reach(dev, list, i * 4096 + 7)).toBe(4 * GiB + i * 8192 + 7);
    sys.unmap(att, list);
    sys.detach(att);
    const vram = new DmaBufExporter(barList(mem, t.provider));
    expectCode(
      () => vram.attach({ device: importerDevice(t.importers.sameSwitch!, false), allowPeer2peer: false }),
      "EREMOTEIO",
    );
    expect(vram.attachments).toHaveLength(0);
  });
});

describe("DmaBufExporter: move_notify", () => {
  it("a move makes old mappings stale and dynamic importers remap onto the new memory", () => {
    const mem = systemMemory();
    const t = gpuTopology({ hb0: "allowed", barSize: 2 ** 20 });
    const exp = new DmaBufExporter(barList(mem, t.provider));
    const dev = importerDevice(t.importers.sameSwitch!, true);
    let current: DmaRangeList | null = null;
    const seen: number[] = [];
    const att: DmaBufAttachment = exp.attach({
      device: dev,
      moveNotify(a) {
        seen.push(exp.generation);
        // A well-behaved importer: drop the old mapping, map again.
        exp.unmap(a, current!);
        current = exp.map(a, "bidirectional");
      },
    });
    current = exp.map(att, "bidirectional");
    expect(att.p2p).toBe("BUS_ADDR");
    expect(reach(dev, current, 5)).toBe(t.cpuAddress + 5);
    const lazy = importerDevice(t.importers.otherPort!, false);
    const lazyAtt = exp.attach({ device: lazy, moveNotify: () => {} }); // keeps its mapping: stale
    const lazyList = exp.map(lazyAtt, "to-device");
    exp.move(systemList(mem, (4 * GiB) / 4096, 256)); // evicted to system memory
    expect(seen).toEqual([1]);
    expect(att.p2p).toBe("NONE");
    expect(lazyAtt.p2p).toBe("NONE");
    expect(exp.isStale(att, current!)).toBe(false);
    expect(reach(dev, current!, 4096 + 5)).toBe(4 * GiB + 8192 + 5);
    expect(exp.isStale(lazyAtt, lazyList)).toBe(true);
    expect(reach(lazy, lazyList, 5)).toBe(t.cpuAddress + 5); // still the old BAR: must remap
    exp.unmap(lazyAtt, lazyList);
    const fresh = exp.map(lazyAtt, "to-device");
    expect(reach(lazy, fresh, 5)).toBe(4 * GiB + 5);
    exp.unmap(lazyAtt, fresh);
    exp.unmap(att, current!);
    exp.detach(att);
    exp.detach(lazyAtt);
    expect(dev.iommu!.idle).toBe(true);
  });

  it("refuses moves that a static importer pins, that change the size, or that an importer cannot reach", () => {
    const mem = systemMemory();
    const t = gpuTopology({ hb0: "denied", barSize: 2 ** 20 });
    const exp = new DmaBufExporter(systemList(mem, (4 * GiB) / 4096, 256));
    const staticAtt = exp.attach({ device: importerDevice(t.importers.otherPort!, false) });
    expectCode(() => exp.move(barList(mem, t.provider)), "EBUSY");
    exp.detach(staticAtt);
    const far = exp.attach({ device: importerDevice(t.importers.otherPort!, false), moveNotify: () => {} });
    expectCode(() => exp.move(systemList(mem, (4 * GiB) / 4096, 2)), "EINVAL");
    // The BAR is behind a denied host bridge for this importer: the move would strand it.
    expectCode(() => exp.move(barList(mem, t.provider)), "EREMOTEIO");
    expect(exp.generation).toBe(0);
    expect(far.p2p).toBe("NONE");
    expect(exp.memory.providers).toHaveLength(0);
    const reentrant = exp.attach({
      device: importerDevice(null, false),
      moveNotify: () => exp.move(exp.memory),
    });
    expectCode(() => exp.move(systemList(mem, (8 * GiB) / 4096, 256)), "EBUSY");
    expect(exp.generation).toBe(1); // the move itself happened; the nested one was refused
    exp.detach(reentrant);
  });
});

describe("DmaBufExporter: typed errors leave state unchanged", () => {
  it("map after detach, double detach, detach with mappings, double unmap, foreign attachments", () => {
    const mem = systemMemory();
    const a = new DmaBufExporter(systemList(mem, (4 * GiB) / 4096, 4), { name: "a" });
    const b = new DmaBufExporter(systemList(mem, (5 * GiB) / 4096, 4), { name: "b" });
    const dev = importerDevice(null, true);
    const att = a.attach({ device: dev });
    const list = a.map(att, "from-device");
    expectCode(() => a.detach(att), "EBUSY");
    expect(att.attached).toBe(true);
    expectCode(() => b.map(att, "to-device"), "EINVAL");
    expectCode(() => b.unmap(att, list), "EINVAL");
    expectCode(() => a.map(att, "sideways" as never), "EINVAL");
    expect(att.mappingCount).toBe(1);
    a.unmap(att, list);
    expectCode(() => a.unmap(att, list), "EINVAL");
    expectCode(() => a.isStale(att, list), "EINVAL");
    a.detach(att);
    expectCode(() => a.map(att, "to-device"), "EBUSY");
    expectCode(() => a.detach(att), "EBUSY");
    expect(a.attachments).toHaveLength(0);
    expect(dev.iommu!.idle).toBe(true);
    expectCode(() => a.attach({} as never), "EINVAL");
  });
});

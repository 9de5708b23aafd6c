/**
 * Issue 12 item 7: what CONFIG_DMA_API_DEBUG (kernel/dma/debug.c) gives a driver author.
 * `DmaDevice.outstanding()` lists the live mappings and IOVA windows with who made them;
 * `assertIdle()` throws EBUSY listing them (dma-debug's report when a driver unbinds with pending
 * mappings); a double unmap, a sync of an unmapped or wrongly sized range, and a sync with another
 * direction than the mapping's (check_unmap, check_sync) are typed errors that change nothing.
 */
import { describe, expect, it } from "vitest";
import { expectCode } from "../../../../scripts/expect-code.js";
import { CpuRangeList } from "../../src/cpu/cpu-range-list.js";
import { IommuDomain } from "../../src/iommu/iommu-domain.js";
import { DmaDevice } from "../../src/mapping/device.js";
import { mapRangeList } from "../../src/mapping/mapper.js";
import { SwiotlbPool } from "../../src/mapping/swiotlb.js";
import { iovaAlloc, iovaDestroy, iovaLink } from "../../src/mapping/two-step.js";
import { PhysicalMemory } from "../../src/memory/physical-memory.js";

const memory = new PhysicalMemory({ regions: [{ start: 0, size: 2 ** 34, kind: "ram" }] });

describe("outstanding() and assertIdle() (issue 12 item 7)", () => {
  it("lists every live mapping and IOVA window with its list, direction, size, path and tag", () => {
    const iommu = new IommuDomain();
    const dev = new DmaDevice({ name: "nic", iommu });
    dev.assertIdle();
    expect(dev.outstanding()).toEqual([]);
    const rx = CpuRangeList.fromPfns(memory, [0x100, 0x101, 0x500]);
    const m = mapRangeList(dev, rx, { direction: "from-device", tag: "rx ring 0" });
    const s = iovaAlloc(dev, 0x2000, 0, { tag: "nvme cmd 7" })!;
    iovaLink(dev, s, 0x80_0000, 0, 0x1000, "to-device");
    const out = dev.outstanding();
    expect(out).toHaveLength(2);
    expect(out[0]).toMatchObject({
      kind: "mapping",
      path: "iommu-linear",
      direction: "from-device",
      bytes: 0x3000,
      entries: 1,
      iova: m.iova,
      tag: "rx ring 0",
      owner: null,
    });
    expect(out[0]!.cpuList).toBe(rx); // the very list (a deep compare would walk its chunk memory)
    expect(out[1]).toMatchObject({
      kind: "iova-window",
      path: "two-step",
      bytes: 0x2000,
      iova: s.addr,
      tag: "nvme cmd 7",
    });
    const err = expectCode(() => dev.assertIdle(), "EBUSY");
    expect(err.message).toMatch(/nic/);
    expect(err.message).toMatch(/2 /);
    expect(err.message).toMatch(/rx ring 0/);
    expect(err.message).toMatch(/nvme cmd 7/);
    m.unmap();
    iovaDestroy(dev, s, 0x1000, "to-device");
    dev.assertIdle();
    expect(dev.outstanding()).toEqual([]);
  });

  it("captures the mapping call's stack when the device asks for it (dma-debug's stack traces)", () => {
    const dev = new DmaDevice({ iommu: new IommuDomain(), captureStacks: true });
    const m = mapRangeList(dev, CpuRangeList.fromPfns(memory, [0x100]), { direction: "to-device" });
    expect(dev.outstanding()[0]!.stack).toMatch(/dma-debug\.test/);
    m.unmap();
    const quiet = new DmaDevice({ iommu: new IommuDomain() });
    const q = mapRangeList(quiet, CpuRangeList.fromPfns(memory, [0x100]), { direction: "to-device" });
    expect(quiet.outstanding()[0]!.stack).toBeNull();
    q.unmap();
  });

  it("a bad tag is EINVAL and maps nothing", () => {
    const dev = new DmaDevice({ iommu: new IommuDomain() });
    const l = CpuRangeList.fromPfns(memory, [0x100]);
    expectCode(() => mapRangeList(dev, l, { direction: "to-device", tag: 7 as never }), "EINVAL");
    expectCode(() => iovaAlloc(dev, 0x1000, 0, { tag: Symbol("t") as never }), "EINVAL");
    expect(dev.iommu!.idle).toBe(true);
    dev.assertIdle();
  });
});

describe("check_unmap / check_sync equivalents (issue 12 item 7)", () => {
  const bounced = () => {
    const swiotlb = new SwiotlbPool({ base: 0x100_0000, size: 0x4_0000, memory });
    const dev = new DmaDevice({ dmaMaskBits: 32, swiotlb, coherent: false });
    const l = new CpuRangeList(memory);
    l.appendPage(0x10_0000, 0, 0x1000); // above 4 GiB: bounced
    l.appendPage(0x200, 0, 0x1000); // below: direct
    return { dev, swiotlb, l };
  };

  it("a double unmap is EBUSY and changes nothing", () => {
    const { dev, swiotlb, l } = bounced();
    const m = mapRangeList(dev, l, { direction: "bidirectional" });
    m.unmap();
    const counters = { ...dev.counters };
    expectCode(() => m.unmap(), "EBUSY");
    expect(dev.counters).toEqual(counters);
    expect(swiotlb.usedSlots).toBe(0);
  });

  it("sync of an unmapped mapping is EBUSY; a range past the mapping is EINVAL", () => {
    const { dev, swiotlb, l } = bounced();
    const m = mapRangeList(dev, l, { direction: "from-device" });
    const copied = swiotlb.bouncedToCpu;
    expectCode(() => m.syncForCpu({ offset: 0x1000, length: 0x1001 }), "EINVAL");
    expectCode(() => m.syncForCpu({ offset: 0x2000, length: 1 }), "EINVAL");
    expectCode(() => m.syncForCpu({ offset: -1, length: 1 }), "EINVAL");
    expectCode(() => m.syncForCpu({ offset: 0, length: Number.NaN }), "EINVAL");
    // a default length is only computed from a checked offset (a Symbol or a bigint offset was a TypeError)
    for (const offset of [Symbol("x"), 1n, "16", Number.NaN])
      expectCode(() => m.syncForCpu({ offset } as never), "EINVAL");
    expect(swiotlb.bouncedToCpu).toBe(copied);
    m.syncForCpu({ offset: 0x100, length: 0x10 }); // inside the bounced entry: 0x10 bytes copied
    expect(swiotlb.bouncedToCpu).toBe(copied + 0x10);
    m.syncForCpu({ offset: 0x1000, length: 0x1000 }); // the direct entry: nothing to copy
    expect(swiotlb.bouncedToCpu).toBe(copied + 0x10);
    m.unmap();
    expectCode(() => m.syncForCpu(), "EBUSY");
    expectCode(() => m.syncForDevice(), "EBUSY");
  });

  it("a sync with another direction than the mapping's is EINVAL (bidirectional mappings take any)", () => {
    const { dev, l } = bounced();
    const m = mapRangeList(dev, l, { direction: "to-device" });
    const syncs = dev.counters.cacheSyncs;
    expectCode(() => m.syncForDevice({ direction: "from-device" }), "EINVAL");
    expectCode(() => m.syncForCpu({ direction: "bidirectional" }), "EINVAL");
    expectCode(() => m.syncForCpu({ direction: "sideways" as never }), "EINVAL");
    expect(dev.counters.cacheSyncs).toBe(syncs);
    m.syncForDevice({ direction: "to-device" });
    m.unmap();
    const b = mapRangeList(dev, l, { direction: "bidirectional" });
    b.syncForCpu({ direction: "from-device" });
    b.syncForDevice({ direction: "to-device" });
    b.unmap();
    dev.assertIdle();
  });

  it("syncSingleForCpu by DMA address, like dma_sync_single_for_cpu(): unknown or oversized ranges are EINVAL", () => {
    const { dev, swiotlb, l } = bounced();
    const m = mapRangeList(dev, l, { direction: "from-device" });
    const [bounce, direct] = m.list.toArray();
    const copied = swiotlb.bouncedToCpu;
    dev.syncSingleForCpu(bounce!.dmaAddress + 0x20, 0x40, "from-device");
    expect(swiotlb.bouncedToCpu).toBe(copied + 0x40);
    dev.syncSingleForDevice(direct!.dmaAddress, 0x1000, "from-device");
    expectCode(() => dev.syncSingleForCpu(0x7000_0000, 0x10, "from-device"), "EINVAL"); // never mapped
    expectCode(() => dev.syncSingleForCpu(bounce!.dmaAddress + 0xff0, 0x20, "from-device"), "EINVAL"); // past it
    expectCode(() => dev.syncSingleForCpu(bounce!.dmaAddress, 0x10, "to-device"), "EINVAL"); // direction
    m.unmap();
    expectCode(() => dev.syncSingleForCpu(bounce!.dmaAddress, 0x10, "from-device"), "EINVAL"); // unmapped
  });
});

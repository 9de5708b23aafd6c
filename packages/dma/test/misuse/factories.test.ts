/**
 * Issue 12 items 1, 4 and 6: objects that stand for what the library allocated are its own. The
 * classes are exported (for instanceof and types), so `new` on them is the obvious way to hand-make
 * one; their constructors refuse it with EINVAL before anything changes. Without that, a hand-made
 * IovaState mapped outside any IOVA window, a hand-made DmaMapping emptied another mapping's frozen
 * DMA list, and a hand-made MemoryRegion released a dma-buf attachment's mapping behind the
 * attachment's back, stranding it (unmap and detach EBUSY forever).
 */
import { describe, expect, it } from "vitest";
import { expectCode } from "../../../../scripts/expect-code.js";
import * as dma from "../../src/index.js";

const memory = new dma.PhysicalMemory({ regions: [{ start: 0, size: 2 ** 34, kind: "ram" }] });

function pages(first: number, n: number): dma.CpuRangeList {
  const l = new dma.CpuRangeList(memory);
  for (let i = 0; i < n; i++) l.appendPage(first + 3 * i, 0, 0x1000);
  return l;
}

function machine() {
  const iommu = new dma.IommuDomain();
  const dev = new dma.DmaDevice({ name: "nic", iommu });
  const look = () =>
    JSON.stringify([iommu.mappedPages, iommu.iovad.outstandingGranules, dev.outstanding().length]);
  return { iommu, dev, look };
}

/** Constructs `ctor` with `args` the way a caller would have to, past the types. */
const construct = (ctor: unknown, ...args: unknown[]) =>
  new (ctor as new (...a: unknown[]) => unknown)(...args);

describe("library objects are made by the library only", () => {
  it("new IovaState(...) with a made-up record is EINVAL and maps nothing", () => {
    const { iommu, dev, look } = machine();
    const before = look();
    const record = {
      device: dev,
      domain: iommu,
      start: 0x7000_0000, // no allocation there
      allocSize: 0x10_0000,
      links: { add() {}, has: () => false, size: 0 },
      bounces: new Map(),
      usedSwiotlb: false,
      live: true,
      tag: null,
      stack: null,
    };
    // Every way of passing the record: without the token, or with any symbol in its place.
    for (const args of [
      [0x7000_0000, 0x1000, record],
      [Symbol("@rlist/dma factory"), 0x7000_0000, 0x1000, record],
    ]) {
      expectCode(() => construct(dma.IovaState, ...args), "EINVAL");
    }
    expect(look()).toBe(before);
    // The real one still works.
    const s = dma.iovaAlloc(dev, 0x1000, 0)!;
    dma.iovaLink(dev, s, 0x10_0000, 0, 0x1000, "to-device");
    dma.iovaDestroy(dev, s, 0x1000, "to-device");
    expect(iommu.idle).toBe(true);
  });

  it("new DmaMapping(...) over another mapping's DMA list is EINVAL; that list stays frozen and full", () => {
    const { iommu, dev, look } = machine();
    const b = dma.mapRangeList(dev, pages(0x900, 4), { direction: "to-device" });
    const before = [look(), JSON.stringify(b.list.toArray())];
    const record = { releaseIova() {}, releaseBounces() {}, entries: 0, bytes: 0, iova: -1, iovaSize: 0 };
    expectCode(
      () =>
        construct(dma.DmaMapping, dev, null, b.list, "to-device", "iommu-linear", record, false, 0, {
          tag: null,
          stack: null,
        }),
      "EINVAL",
    );
    expect([look(), JSON.stringify(b.list.toArray())]).toEqual(before);
    expectCode(() => b.list.clear(), "EBUSY");
    b.unmap();
    expect(iommu.idle).toBe(true);
    dev.assertIdle();
  });

  it("new MemoryRegion(...) over a dma-buf attachment's mapping is EINVAL; the attachment ends clean", () => {
    const { iommu, dev, look } = machine();
    const exp = new dma.DmaBufExporter(pages(0x100, 2), { name: "buf" });
    const att = exp.attach({ device: dev, moveNotify: () => {} });
    const list = exp.map(att, "bidirectional");
    const mapping = exp.mappingOf(att, list);
    const before = look();
    expectCode(
      () => construct(dma.RdmaMemoryRegion, dev, pages(0x100, 2), false, mapping, 0, 1, 0x1000, 0x1000),
      "EINVAL",
    );
    expect(look()).toBe(before);
    expect(mapping.mapped).toBe(true);
    exp.unmap(att, list);
    exp.detach(att);
    expect(iommu.idle).toBe(true);
    dev.assertIdle();
  });

  it("new DmaBufMemoryRegion(...) skipping registerDmaBufMr's checks is EINVAL and attaches nothing", () => {
    const { dev, look } = machine();
    const exp = new dma.DmaBufExporter(pages(0x100, 2), { name: "buf" });
    const before = look();
    // A range 128 times the buffer: registerDmaBufMr refuses it.
    expectCode(() => construct(dma.DmaBufMemoryRegion, dev, exp, 0x1000, 0x10_0000, 0, 1, false), "EINVAL");
    expect(exp.attachments.length).toBe(0);
    expect(look()).toBe(before);
  });

  it("new DmaBufAttachment(...) bypassing attach()'s P2P decision is EINVAL", () => {
    const { dev } = machine();
    const exp = new dma.DmaBufExporter(pages(0x100, 2), { name: "buf" });
    expectCode(() => construct(dma.DmaBufAttachment, exp, { device: dev }, "NONE", new Map()), "EINVAL");
    expect(exp.attachments.length).toBe(0);
  });

  it("new CpuListMark(...) with a made-up state is EINVAL; rollback takes only real marks", () => {
    const list = pages(0x100, 4);
    const real = list.mark();
    list.appendPage(0x900, 0, 0x1000);
    const state = { ...real.state, curPhys: 0xdead_0000, curLength: 2 ** 40, length: 5 };
    expectCode(() => construct(dma.CpuListMark, list, real.serial, real.clears, state), "EINVAL");
    expect([list.count, list.length]).toEqual([5, 5 * 0x1000]);
    list.rollback(real);
    expect([list.count, list.length]).toEqual([4, 4 * 0x1000]);
  });
});

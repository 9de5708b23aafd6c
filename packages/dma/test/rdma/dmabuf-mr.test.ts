/**
 * An RDMA MR over a dma-buf (drivers/infiniband/core/umem_dmabuf.c): dynamic attachment with
 * move_notify invalidation and a refault at the next access, the pinned variant, ownership of the
 * attachment, P2P refused at attach, nothing left after deregister.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expectCode } from "../../../../scripts/expect-code.js";
import type { CpuRangeList } from "../../src/cpu/cpu-range-list.js";
import { DmaBufExporter } from "../../src/dmabuf/exporter.js";
import { IommuDomain } from "../../src/iommu/iommu-domain.js";
import { DmaDevice } from "../../src/mapping/device.js";
import { deviceTranslate } from "../../src/mapping/device-view.js";
import type { PhysicalMemory } from "../../src/memory/physical-memory.js";
import { IB_ACCESS_LOCAL_WRITE, IB_ACCESS_REMOTE_WRITE } from "../../src/rdma/access.js";
import { DMABUF_MR_PAGE_SIZE, type DmaBufMemoryRegion, registerDmaBufMr } from "../../src/rdma/dmabuf-mr.js";
import { barList, GiB, gpuTopology, importerDevice, systemList, systemMemory } from "../dmabuf/fixture.js";

const PS = DMABUF_MR_PAGE_SIZE;
const RW = IB_ACCESS_LOCAL_WRITE | IB_ACCESS_REMOTE_WRITE;
const IOVA = 0x7f00_0000_0000;

/** CPU physical address of byte `off` of `list` (what the buffer holds there). */
function physAt(list: CpuRangeList, off: number): number {
  const c = list.seek(off)!;
  return c.phys + (off - c.position);
}

/** What the HCA reaches through its DMA address for `va` (the CPU byte behind it). */
function reached(mr: DmaBufMemoryRegion, va: number): number {
  const dma = mr.dmaAddressOf(va);
  if (dma < 0) return -1;
  const t = deviceTranslate(mr.device, dma);
  return t.ok ? t.backing : -2;
}

function setup() {
  const { provider, importers, cpuAddress } = gpuTopology({ barSize: GiB });
  const memory: PhysicalMemory = systemMemory();
  memory.addRegion({ start: cpuAddress, size: GiB, kind: "bar", name: "GPU BAR2" });
  const hca = importerDevice(importers.sameSwitch!, true, "mlx5_0");
  const sys = systemList(memory, 0x10_0000, 16); // 16 scattered 4 KiB pages
  const exporter = new DmaBufExporter(sys, { name: "bo" });
  return { memory, provider, importers, hca, sys, exporter, cpuAddress };
}

describe("dma-buf MR, dynamic (ib_umem_dmabuf_get)", () => {
  it("maps the buffer's window at registration; every page reaches its own buffer byte", () => {
    const { hca, sys, exporter } = setup();
    const mr = registerDmaBufMr({
      device: hca,
      exporter,
      offset: 2 * PS + 0x10,
      length: 3 * PS,
      iova: IOVA + 0x10,
      access: RW,
    });
    expect([mr.mapped, mr.pinned, mr.pageCount, mr.attachment.dynamic]).toEqual([true, false, 4, true]);
    expect(mr.attachment.owner).toMatch(/dma-buf MR/);
    for (const d of [0, 1, PS - 0x10, 3 * PS - 1])
      expect(reached(mr, IOVA + 0x10 + d)).toBe(physAt(sys, 2 * PS + 0x10 + d));
    expect(mr.pageList().every((dma) => dma >= 0 && dma % PS === 0)).toBe(true);
    expectCode(() => mr.dmaAddressOf(IOVA + 0x10 + 3 * PS), "EFAULT");
    mr.deregister();
  });

  it("a move zaps the translation (the old DMA addresses stop working) and the next access faults it back in", () => {
    const { memory, hca, exporter } = setup();
    const mr = registerDmaBufMr({ device: hca, exporter, length: 16 * PS, iova: IOVA, access: RW });
    const oldDma = mr.dmaAddressOf(IOVA + 5 * PS);
    const moved = systemList(memory, 0x20_0000, 16);
    exporter.move(moved);
    expect([mr.mapped, mr.invalidations, mr.dmaAddressOf(IOVA + 5 * PS)]).toEqual([false, 1, -1]);
    expect(deviceTranslate(hca, oldDma).ok).toBe(false);
    expect(mr.pageList().every((d) => d === -1)).toBe(true);
    // The HCA touches the MR: a page fault maps the buffer where it is now.
    const dma = mr.resolve(IOVA + 5 * PS + 7);
    expect([mr.mapped, mr.faults]).toEqual([true, 1]);
    expect(deviceTranslate(hca, dma)).toMatchObject({ ok: true, backing: physAt(moved, 5 * PS + 7) });
    expect(mr.fault()).toBe(false); // already in place
    mr.deregister();
    expect([exporter.attachments.length, hca.outstanding().length, hca.iommu!.idle]).toEqual([0, 0, true]);
  });

  it("moves into VRAM behind the same switch: the refault hands out PCI bus addresses (no IOVA)", () => {
    const { memory, provider, hca, exporter, cpuAddress } = setup();
    const mr = registerDmaBufMr({ device: hca, exporter, length: 16 * PS, iova: IOVA, access: RW });
    exporter.move(barList(memory, provider, 16 * PS));
    expect(mr.attachment.p2p).toBe("BUS_ADDR");
    const dma = mr.resolve(IOVA + 3 * PS);
    expect(dma).toBe(cpuAddress + 3 * PS); // bus offset 0
    expect(deviceTranslate(hca, dma)).toMatchObject({ ok: true, route: "p2p", phys: cpuAddress + 3 * PS });
    mr.deregister();
    expect(hca.iommu!.idle).toBe(true);
  });

  it("a move the HCA could not follow is refused before anything changes (EREMOTEIO)", () => {
    const { memory, provider, importers, exporter } = setup();
    const far = importerDevice(importers.otherBridge!, true, "far-hca");
    const mr = registerDmaBufMr({ device: far, exporter, length: PS, iova: IOVA, access: RW });
    expectCode(() => exporter.move(barList(memory, provider, 16 * PS)), "EREMOTEIO");
    expect([mr.mapped, mr.invalidations]).toEqual([true, 0]);
    mr.deregister();
  });
});

describe("dma-buf MR, pinned (ib_umem_dmabuf_get_pinned)", () => {
  it("a static attachment: the exporter cannot move the buffer while the MR exists", () => {
    const { memory, hca, exporter } = setup();
    const mr = registerDmaBufMr({
      device: hca,
      exporter,
      length: 4 * PS,
      iova: IOVA,
      access: RW,
      pinned: true,
    });
    expect([mr.pinned, mr.attachment.dynamic]).toEqual([true, false]);
    const before = mr.pageList();
    expectCode(() => exporter.move(systemList(memory, 0x20_0000, 16)), "EBUSY");
    expect(mr.pageList()).toEqual(before);
    mr.deregister();
    exporter.move(systemList(memory, 0x20_0000, 16)); // unpinned once the MR is gone
  });
});

describe("dma-buf MR: ownership, refusals, leaks", () => {
  it("the MR owns its attachment: detach, unmap and map through the exporter are EBUSY while it is registered", () => {
    const { hca, exporter } = setup();
    const mr = registerDmaBufMr({ device: hca, exporter, length: PS, iova: IOVA, access: RW });
    const att = mr.attachment;
    expectCode(() => exporter.detach(att), "EBUSY");
    expectCode(() => exporter.unmap(att, mr.dmaList!), "EBUSY");
    expectCode(() => exporter.map(att, "bidirectional"), "EBUSY");
    expectCode(() => exporter.mappingOf(att, mr.dmaList!).unmap(), "EBUSY");
    expect([att.attached, att.mappingCount, mr.mapped]).toEqual([true, 1, true]);
    mr.deregister();
    expect([att.attached, att.owner]).toEqual([false, null]);
  });

  it("P2P memory the HCA cannot reach is refused at attach (EREMOTEIO), nothing attached", () => {
    const { memory, provider, importers } = setup();
    const vram = new DmaBufExporter(barList(memory, provider, 16 * PS), { name: "vram" });
    const far = importerDevice(importers.otherBridge!, true, "far-hca");
    expectCode(
      () => registerDmaBufMr({ device: far, exporter: vram, length: PS, iova: IOVA, access: RW }),
      "EREMOTEIO",
    );
    expect([vram.attachments.length, far.outstanding().length, far.iommu!.idle]).toEqual([0, 0, true]);
  });

  it("bad options change nothing: EINVAL for a range outside the buffer, iova/offset out of step, length 0, bad access", () => {
    const { hca, exporter } = setup();
    const base = { device: hca, exporter, iova: IOVA, access: RW };
    expectCode(() => registerDmaBufMr({ ...base, offset: 15 * PS, length: 2 * PS }), "EINVAL");
    expectCode(() => registerDmaBufMr({ ...base, offset: 0x10, length: PS }), "EINVAL");
    expectCode(() => registerDmaBufMr({ ...base, length: 0 }), "EINVAL");
    expectCode(() => registerDmaBufMr({ ...base, length: PS, access: IB_ACCESS_REMOTE_WRITE }), "EINVAL");
    expectCode(
      () => registerDmaBufMr({ ...base, length: PS, pinned: "yes" as unknown as boolean }),
      "EINVAL",
    );
    expect([exporter.attachments.length, hca.outstanding().length, hca.iommu!.idle]).toEqual([0, 0, true]);
  });

  it("deregister leaves nothing behind and is EBUSY the second time, as is every other call", () => {
    const { hca, exporter } = setup();
    const mr = registerDmaBufMr({ device: hca, exporter, length: 8 * PS, iova: IOVA, access: RW });
    mr.deregister();
    expect([mr.registered, exporter.attachments.length, hca.outstanding().length, hca.iommu!.idle]).toEqual([
      false,
      0,
      0,
      true,
    ]);
    for (const call of [
      () => mr.deregister(),
      () => mr.dmaAddressOf(IOVA),
      () => mr.resolve(IOVA),
      () => mr.fault(),
      () => mr.pageList(),
    ]) {
      expectCode(call, "EBUSY");
    }
  });

  it("property: moves, accesses and faults against a model; the HCA always reaches the buffer's current bytes; nothing leaks", () => {
    type Op =
      | { kind: "move"; to: "sys" | "vram"; first: number }
      | { kind: "access"; page: number; byte: number }
      | { kind: "fault" };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      fc.record({
        kind: fc.constant("move" as const),
        to: fc.constantFrom("sys" as const, "vram" as const),
        first: fc.nat(64),
      }),
      fc.record({ kind: fc.constant("access" as const), page: fc.nat(15), byte: fc.nat(PS - 1) }),
      fc.constant({ kind: "fault" as const }),
    );
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 25 }), fc.boolean(), fc.nat(8), (ops, lazy, startPage) => {
        const { memory, provider, importers, exporter } = setup();
        const hca = new DmaDevice({
          name: "mlx5_0",
          pci: importers.sameSwitch!,
          iommu: new IommuDomain({ strict: !lazy }),
        });
        const offset = startPage * PS;
        const length = (16 - startPage) * PS;
        const mr = registerDmaBufMr({
          device: hca,
          exporter,
          offset,
          length,
          iova: IOVA + offset,
          access: RW,
        });
        let mapped = true;
        let invalidations = 0;
        let faults = 0;
        for (const op of ops) {
          if (op.kind === "move") {
            const list =
              op.to === "sys"
                ? systemList(memory, 0x40_0000 + 64 * op.first, 16)
                : barList(memory, provider, 16 * PS, op.first * PS);
            exporter.move(list);
            if (mapped) invalidations++;
            mapped = false;
          } else if (op.kind === "access") {
            const b = Math.max(offset, op.page * PS + op.byte);
            const va = IOVA + b;
            const dma = mr.resolve(va);
            if (!mapped) faults++;
            mapped = true;
            const t = deviceTranslate(hca, dma);
            expect(t).toMatchObject({ ok: true, backing: physAt(exporter.memory, b) });
          } else {
            expect(mr.fault()).toBe(!mapped);
            if (!mapped) faults++;
            mapped = true;
          }
          expect([mr.mapped, mr.invalidations, mr.faults]).toEqual([mapped, invalidations, faults]);
          expect(mr.attachment.mappingCount).toBe(mapped ? 1 : 0);
        }
        mr.deregister();
        hca.iommu!.flushQueue?.flush();
        expect([exporter.attachments.length, hca.outstanding().length, hca.iommu!.idle]).toEqual([
          0,
          0,
          true,
        ]);
      }),
      { numRuns: 60 },
    );
  });
});

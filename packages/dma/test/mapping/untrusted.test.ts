/**
 * Untrusted devices (pci_dev->untrusted, drivers/iommu/dma-iommu.c dev_use_swiotlb()): behind the
 * IOMMU, buffers that do not start and end on an IOVA granule are bounced through swiotlb into
 * granules of their own (padding zeroed), per entry (iommu_dma_map_sg_swiotlb()), and two-step
 * links bounce their partial head and tail granules (iommu_dma_iova_link_swiotlb()).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expectCode } from "../../../../scripts/expect-code.js";
import { CpuRangeList } from "../../src/cpu/cpu-range-list.js";
import { CountdownFaults } from "../../src/iommu/faults.js";
import { IommuDomain, type IommuDomainOptions } from "../../src/iommu/iommu-domain.js";
import { DmaDevice } from "../../src/mapping/device.js";
import { deviceTranslate } from "../../src/mapping/device-view.js";
import { exposedBytes } from "../../src/mapping/exposure.js";
import { mapRangeList } from "../../src/mapping/mapper.js";
import { IO_TLB_SEGSIZE, IO_TLB_SIZE, SwiotlbPool } from "../../src/mapping/swiotlb.js";
import { iovaAlloc, iovaDestroy, iovaLink, iovaSync, iovaUnlink } from "../../src/mapping/two-step.js";
import { PhysicalMemory } from "../../src/memory/physical-memory.js";

const PS = 4096;
const POOL = 0x3000_0000;

function machine(options: { pool?: boolean; domain?: IommuDomainOptions; faults?: CountdownFaults } = {}) {
  const memory = new PhysicalMemory({ regions: [{ start: 0, size: 2 ** 32, kind: "ram" }] });
  const iommu = new IommuDomain({ ...options.domain, ...(options.faults ? { faults: options.faults } : {}) });
  const swiotlb =
    options.pool === false
      ? null
      : new SwiotlbPool({
          base: POOL,
          size: 4 * IO_TLB_SIZE * IO_TLB_SEGSIZE,
          memory,
          ...(options.faults ? { faults: options.faults } : {}),
        });
  const dev = new DmaDevice({ name: "tbt-nvme", iommu, swiotlb, untrusted: true });
  const trusted = new DmaDevice({ name: "nvme", iommu: new IommuDomain() });
  return { memory, iommu, swiotlb, dev, trusted };
}

/**
 * Sampled DMA bytes of a DMA list as [list position, phys reached, backing]: both ends of every
 * entry, both sides of every granule boundary in it, and every 97th byte.
 */
function bytesOf(dev: DmaDevice, list: { dmaAddress: number; length: number }[]) {
  const out: Array<[number, number, number]> = [];
  let pos = 0;
  for (const e of list) {
    const offs = new Set<number>([0, e.length - 1]);
    for (let i = 0; i < e.length; i += 97) offs.add(i);
    for (let b = PS - (e.dmaAddress % PS); b < e.length; b += PS) {
      offs.add(b - 1);
      offs.add(b);
    }
    for (const i of [...offs].sort((a, b) => a - b)) {
      const t = deviceTranslate(dev, e.dmaAddress + i);
      if (!t.ok) throw new Error(`fault at ${e.dmaAddress + i}`);
      out.push([pos + i, t.phys, t.backing]);
    }
    pos += e.length;
  }
  return out;
}

describe("untrusted device, streaming map", () => {
  it("granule-aligned entries are mapped in place, one IOVA window each, nothing bounced", () => {
    const { memory, iommu, swiotlb, dev } = machine();
    const list = CpuRangeList.fromPfns(memory, [0x100, 0x101, 0x300]);
    const m = mapRangeList(dev, list, { direction: "to-device" });
    expect(m.path).toBe("iommu-untrusted");
    const entries = m.list.toArray();
    expect(entries.map((e) => e.length)).toEqual([2 * PS, PS]);
    expect(swiotlb!.usedSlots).toBe(0);
    expect(deviceTranslate(dev, entries[1]!.dmaAddress + 5)).toMatchObject({
      phys: 0x300 * PS + 5,
      backing: 0x300 * PS + 5,
    });
    expect(exposedBytes(m)).toBe(0);
    m.unmap();
    expect(iommu.idle).toBe(true);
    // Strict: one invalidation per entry's window, as iommu_dma_unmap_page() per entry does.
    expect(iommu.counters.iotlbInvalidations).toBe(2);
  });

  it("an unaligned buffer is bounced into granules of its own: the device reaches only its bytes and zeros", () => {
    const { memory, iommu, swiotlb, dev, trusted } = machine();
    // Secrets around the buffer in its page, and stale data in the pool.
    memory.write(0x100 * PS, new Uint8Array(PS).fill(0xee));
    memory.write(
      0x100 * PS + 0x200,
      Uint8Array.from({ length: 0x300 }, (_, i) => i & 0xff),
    );
    memory.write(POOL, new Uint8Array(4 * PS).fill(0x5a));
    const list = new CpuRangeList(memory);
    list.appendPage(0x100, 0x200, 0x300);
    const m = mapRangeList(dev, list, { direction: "bidirectional" });
    const [e] = m.list.toArray();
    expect(e!.dmaAddress % PS).toBe(0x200); // the granule offset is kept
    const first = deviceTranslate(dev, e!.dmaAddress);
    expect(first).toMatchObject({ ok: true, route: "iommu", backing: 0x100 * PS + 0x200 });
    if (!first.ok) return;
    expect(swiotlb!.contains(first.phys)).toBe(true);
    // The whole granule the device can reach: padding reads as zeros, never 0xee or 0x5a.
    const granule = new Uint8Array(PS);
    memory.read(first.phys - 0x200, granule);
    expect(granule.subarray(0, 0x200).every((b) => b === 0)).toBe(true);
    expect([...granule.subarray(0x200, 0x205)]).toEqual([0, 1, 2, 3, 4]);
    expect(granule.subarray(0x500).every((b) => b === 0)).toBe(true);
    expect(deviceTranslate(dev, e!.dmaAddress - 1)).toMatchObject({ ok: true, backing: -1 });
    expect(exposedBytes(m)).toBe(0);
    // A trusted device mapping the same list reaches the whole page, secrets included.
    const mt = mapRangeList(trusted, list, { direction: "bidirectional" });
    expect(exposedBytes(mt)).toBe(PS - 0x300);
    mt.unmap();
    // The device writes through its mapping; unmap copies it back to the original buffer.
    memory.write(first.phys, Uint8Array.of(0xab, 0xcd));
    m.unmap();
    const back = new Uint8Array(2);
    memory.read(0x100 * PS + 0x200, back);
    expect([...back]).toEqual([0xab, 0xcd]);
    expect([iommu.idle, swiotlb!.usedSlots]).toEqual([true, 0]);
  });

  it("refusals leave nothing behind: no pool, an unaligned entry over the bounce limit, a failing allocation", () => {
    const noPool = machine({ pool: false });
    const list = new CpuRangeList(noPool.memory);
    list.appendPage(0x100, 0, PS);
    list.appendPage(0x200, 0x10, 0x100);
    expectCode(() => mapRangeList(noPool.dev, list, { direction: "to-device" }), "EIO");
    expect(noPool.iommu.idle).toBe(true);

    const big = machine();
    const huge = new CpuRangeList(big.memory);
    huge.appendPage(0x100, 0, PS);
    huge.appendPage(0x1000, 0x10, 0x40000); // 256 KiB at offset 0x10: 65 granules of bounce
    expectCode(() => mapRangeList(big.dev, huge, { direction: "to-device" }), "EIO");
    expect([big.iommu.idle, big.swiotlb!.usedSlots]).toEqual([true, 0]);

    for (let k = 0; k < 4; k++) {
      const faults = new CountdownFaults(k, ["iova", "swiotlb"], true); // sticky: the retry fails too
      const f = machine({ faults });
      const l = new CpuRangeList(f.memory);
      l.appendPage(0x100, 0x10, 0x100);
      l.appendPage(0x200, 0, PS);
      l.appendPage(0x300, 0x20, 0x100);
      expectCode(() => mapRangeList(f.dev, l, { direction: "to-device" }), "ENOMEM");
      expect([f.iommu.idle, f.swiotlb!.usedSlots, f.dev.outstanding().length]).toEqual([true, 0, 0]);
    }
  });

  it("lazy domain: each entry's window goes to the flush queue", () => {
    const { memory, iommu, dev } = machine({ domain: { strict: false } });
    const list = new CpuRangeList(memory);
    list.appendPage(0x100, 0x10, 0x100);
    list.appendPage(0x200, 0, PS);
    const m = mapRangeList(dev, list, { direction: "to-device" });
    m.unmap();
    expect(iommu.flushQueue!.queued).toBe(2);
    iommu.flushQueue!.flush();
    expect(iommu.idle).toBe(true);
  });

  it("property: every byte reaches its own CPU byte, device writes come back, nothing foreign is reachable, nothing leaks", () => {
    const entryArb = fc.record({
      slot: fc.nat(200),
      off: fc.nat(PS - 1),
      len: fc.integer({ min: 1, max: 3 * PS }),
    });
    fc.assert(
      fc.property(fc.array(entryArb, { minLength: 1, maxLength: 6 }), fc.boolean(), (raw, lazy) => {
        const { memory, iommu, swiotlb, dev } = machine({ domain: { strict: !lazy } });
        const list = new CpuRangeList(memory);
        const used = new Set<number>();
        for (const r of raw) {
          // Distinct, non-adjacent frames: entries never merge, so the CPU list is the raw list.
          const pfn = 0x1000 + 8 * r.slot;
          if (used.has(pfn)) continue;
          used.add(pfn);
          list.appendPage(pfn, r.off, r.len);
        }
        list.seal();
        const m = mapRangeList(dev, list, { direction: "from-device" });
        const cpu: number[] = [];
        list.forEachEntry((c) => {
          for (let i = 0; i < c.length; i++) cpu.push(c.phys + i);
          return true;
        });
        const seen = bytesOf(dev, m.list.toArray());
        for (const [pos, , backing] of seen) expect(backing).toBe(cpu[pos]);
        // Whatever else the device reaches in its granules is padding (backing -1) or, for an
        // aligned entry, nothing at all.
        for (const e of m.list.toArray()) {
          for (const dma of [e.dmaAddress - (e.dmaAddress % PS), e.dmaAddress + e.length]) {
            if (dma === e.dmaAddress + e.length && dma % PS === 0) continue;
            if (dma === e.dmaAddress) continue;
            const t = deviceTranslate(dev, dma);
            if (t.ok) expect(t.backing).toBe(-1);
          }
        }
        expect(exposedBytes(m)).toBe(0);
        // The device writes a pattern into the sampled bytes; after unmap it is in the CPU bytes.
        for (const [pos, phys] of seen) memory.write(phys, Uint8Array.of((pos * 7 + 1) & 0xff));
        m.unmap();
        const got = new Uint8Array(cpu.length);
        list.copyTo(got, 0);
        for (const [pos] of seen) expect(got[pos]).toBe((pos * 7 + 1) & 0xff);
        iommu.flushQueue?.flush();
        expect([iommu.idle, swiotlb!.usedSlots]).toEqual([true, 0]);
      }),
      { numRuns: 100 },
    );
  });
});

describe("untrusted device, two-step API", () => {
  it("iovaAlloc does not decline; an unaligned link bounces its head and tail granules, the middle is linked in place", () => {
    const { memory, iommu, swiotlb, dev } = machine();
    const phys = 0x100 * PS + 0xe00;
    memory.write(
      phys,
      Uint8Array.from({ length: 0x2400 }, (_, i) => (i % 251) + 1),
    );
    const state = iovaAlloc(dev, 0x2400, phys)!;
    expect(state).not.toBeNull();
    iovaLink(dev, state, phys, 0, 0x2400, "bidirectional");
    iovaSync(dev, state, 0, 0x2400);
    expect(state.usedSwiotlb).toBe(true);
    // Head: 0x200 bytes bounced; middle: 0x2000 in place; tail: 0x200 bounced.
    const at = (o: number) => deviceTranslate(dev, state.addr + o);
    expect(swiotlb!.contains((at(0) as { phys: number }).phys)).toBe(true);
    expect(at(0x200)).toMatchObject({ phys: phys + 0x200, backing: phys + 0x200 });
    expect(swiotlb!.contains((at(0x2200) as { phys: number }).phys)).toBe(true);
    for (const o of [0, 0x1ff, 0x200, 0x21ff, 0x2200, 0x23ff])
      expect(at(o)).toMatchObject({ backing: phys + o });
    expect(at(-1)).toMatchObject({ backing: -1 });
    // The device writes into both bounced ends; destroy copies them back.
    for (const o of [0x10, 0x2210]) memory.write((at(o) as { phys: number }).phys, Uint8Array.of(0xaa));
    iovaDestroy(dev, state, 0x2400, "bidirectional");
    const b = new Uint8Array(1);
    for (const o of [0x10, 0x2210]) {
      memory.read(phys + o, b);
      expect(b[0]).toBe(0xaa);
    }
    expect([iommu.idle, swiotlb!.usedSlots]).toEqual([true, 0]);
  });

  it("aligned links bounce nothing; unlink of a bounced granule copies it back; MMIO and a missing pool are refused", () => {
    const { memory, iommu, swiotlb, dev } = machine();
    const state = iovaAlloc(dev, 3 * PS, 0)!;
    iovaLink(dev, state, 0x200 * PS, 0, 2 * PS, "to-device");
    expect([state.usedSwiotlb, swiotlb!.usedSlots]).toEqual([false, 0]);
    iovaLink(dev, state, 0x300 * PS, 2 * PS, 0x80, "from-device");
    expect(state.usedSwiotlb).toBe(true);
    const t = deviceTranslate(dev, state.addr + 2 * PS);
    if (!t.ok) throw new Error("fault");
    memory.write(t.phys, Uint8Array.of(7));
    iovaUnlink(dev, state, 2 * PS, 0x80, "from-device");
    const b = new Uint8Array(1);
    memory.read(0x300 * PS, b);
    expect(b[0]).toBe(7);
    expect(swiotlb!.usedSlots).toBe(0);
    expectCode(() => iovaLink(dev, state, 0x300 * PS + 8, 2 * PS, 8, "to-device"), "EIO"); // mid-granule, not first
    expectCode(() => iovaLink(dev, state, 0x300 * PS, 2 * PS, 0x80, "to-device", { mmio: true }), "EIO");
    iovaDestroy(dev, state, 2 * PS, "to-device");
    expect(iommu.idle).toBe(true);

    const noPool = machine({ pool: false });
    const s2 = iovaAlloc(noPool.dev, PS, 0)!;
    expectCode(() => iovaLink(noPool.dev, s2, 0x100 * PS, 0, 0x10, "to-device"), "EIO");
    expect(s2.linkedBytes).toBe(0);
  });
});

/**
 * Lazy IOTLB invalidation (iommu.strict=0): the flush queue of drivers/iommu/dma-iommu.c
 * (queue_iova, fq_ring_free_locked, fq_flush_timeout), the IOTLB that keeps answering until it
 * flushes, and the exposure it reports. Exact vectors; the model-based property test is
 * flush-queue.prop.test.ts.
 */
import { describe, expect, it } from "vitest";
import { expectCode } from "../../../../scripts/expect-code.js";
import { CpuRangeList } from "../../src/cpu/cpu-range-list.js";
import {
  IOVA_DEFAULT_FQ_SIZE,
  IOVA_DEFAULT_FQ_TIMEOUT,
  IOVA_SINGLE_FQ_SIZE,
  IOVA_SINGLE_FQ_TIMEOUT,
} from "../../src/iommu/flush-queue.js";
import { IommuDomain, type IommuDomainOptions } from "../../src/iommu/iommu-domain.js";
import { Iotlb } from "../../src/iommu/iotlb.js";
import { IOMMU_READ, IOMMU_WRITE } from "../../src/iommu/page-table.js";
import { SimClock } from "../../src/iommu/sim-clock.js";
import { DmaDevice } from "../../src/mapping/device.js";
import { deviceTranslate } from "../../src/mapping/device-view.js";
import { mapRangeList } from "../../src/mapping/mapper.js";
import { iovaAlloc, iovaDestroy, iovaLink, iovaSync, iovaUnlink } from "../../src/mapping/two-step.js";
import { PhysicalMemory } from "../../src/memory/physical-memory.js";

const PS = 4096;
const memory = new PhysicalMemory({ regions: [{ start: 0, size: 2 ** 34, kind: "ram" }] });

function setup(options: IommuDomainOptions = {}) {
  const iommu = new IommuDomain(options);
  const dev = new DmaDevice({ name: "nic", iommu });
  /** Maps scattered pages (never physically adjacent, so every leaf is 4 KiB). */
  const map = (...pfns: number[]) =>
    mapRangeList(dev, CpuRangeList.fromPfns(memory, pfns), { direction: "bidirectional" });
  return { iommu, dev, map };
}

/** What the device reaches at `dma`: [phys, stale] or the fault. */
function reach(dev: DmaDevice, dma: number): [number, boolean] | string {
  const t = deviceTranslate(dev, dma);
  return t.ok ? [t.phys, t.stale] : t.fault;
}

describe("strict mode (the default)", () => {
  it("invalidates at unmap and frees the IOVA at once: nothing reachable, nothing exposed", () => {
    const { iommu, dev, map } = setup();
    expect([iommu.strict, iommu.flushQueue, iommu.iotlb]).toEqual([true, null, null]);
    const m = map(0x100, 0x300);
    expect(reach(dev, m.iova + PS + 5)).toEqual([0x300 * PS + 5, false]);
    m.unmap();
    expect(reach(dev, m.iova + PS + 5)).toBe("iommu");
    expect(iommu.idle).toBe(true);
    expect(iommu.counters.iotlbInvalidations).toBe(1);
    expect(iommu.exposure()).toMatchObject({ unmaps: 0, byteMs: 0, openBytes: 0, staleIotlbBytes: 0 });
  });
});

describe("lazy mode: unmap clears PTEs, the IOTLB keeps translating until the queue flushes", () => {
  it("a page the device used stays reachable (stale) until the 10 ms timer flushes; its IOVA is held until then", () => {
    const { iommu, dev, map } = setup({ strict: false });
    expect(iommu.flushQueue!.size).toBe(IOVA_DEFAULT_FQ_SIZE);
    expect(iommu.flushQueue!.timeoutMs).toBe(IOVA_DEFAULT_FQ_TIMEOUT);
    const m = map(0x100, 0x300, 0x500);
    // The device DMAs the first two pages (the IOTLB caches their translations), not the third.
    expect(reach(dev, m.iova)).toEqual([0x100 * PS, false]);
    expect(reach(dev, m.iova + PS)).toEqual([0x300 * PS, false]);
    m.unmap();
    // PTEs are gone (iommu_iova_to_phys), no invalidation was sent, the IOVA is parked.
    expect(iommu.translate(m.iova)).toBe(-1);
    expect(iommu.mappedPages).toBe(0);
    expect(iommu.counters.iotlbInvalidations).toBe(0);
    expect(iommu.iovad.find(m.iova / PS)?.pfnLo).toBe(m.iova / PS);
    expect(iommu.idle).toBe(false);
    // The device still reaches what it had cached; the untouched page faults.
    expect(reach(dev, m.iova + 0x10)).toEqual([0x100 * PS + 0x10, true]);
    expect(reach(dev, m.iova + PS)).toEqual([0x300 * PS, true]);
    expect(reach(dev, m.iova + 2 * PS)).toBe("iommu");
    iommu.clock.advance(9);
    expect(reach(dev, m.iova)).toEqual([0x100 * PS, true]);
    expect(iommu.exposure()).toMatchObject({
      unmaps: 1,
      unmappedBytes: 3 * PS,
      openBytes: 3 * PS,
      oldestOpenMs: 9,
      byteMs: 3 * PS * 9,
      staleIotlbEntries: 2,
      staleIotlbBytes: 2 * PS,
      queued: 1,
    });
    iommu.clock.advance(1); // fq_flush_timeout at t = 10
    expect(reach(dev, m.iova)).toBe("iommu");
    expect(iommu.idle).toBe(true);
    expect(iommu.counters.iotlbInvalidations).toBe(1);
    expect(iommu.exposure()).toEqual({
      unmaps: 1,
      unmappedBytes: 3 * PS,
      openBytes: 0,
      oldestOpenMs: 0,
      byteMs: 3 * PS * 10,
      maxWindowMs: 10,
      meanWindowMs: 10,
      flushes: { full: 0, timeout: 1, explicit: 0 },
      queued: 0,
      queuedGranules: 0,
      staleIotlbEntries: 0,
      staleIotlbBytes: 0,
    });
  });

  it("the timer is armed by the first entry only: everything queued before it fires goes at t = 10", () => {
    const { iommu, map } = setup({ strict: false });
    const a = map(0x100);
    const b = map(0x300);
    a.unmap(); // t = 0: arms the timer
    iommu.clock.advance(6);
    b.unmap(); // t = 6: timer already pending
    iommu.clock.advance(4);
    expect(iommu.exposure()).toMatchObject({
      byteMs: PS * 10 + PS * 4,
      maxWindowMs: 10,
      flushes: { timeout: 1 },
      queued: 0,
    });
    expect(iommu.clock.pendingTimers).toBe(0);
    // The next unmap arms it again.
    map(0x500).unmap();
    expect(iommu.flushQueue!.timerPending).toBe(true);
  });

  it("a full ring flushes before queueing (fq_full: size - 1 entries), freeing what it held", () => {
    const { iommu, map } = setup({ strict: false, flushQueue: { size: 4 } });
    const ms = [0x100, 0x300, 0x500, 0x700].map((pfn) => map(pfn));
    for (const m of ms.slice(0, 3)) m.unmap();
    expect(iommu.flushQueue!.queued).toBe(3);
    expect(iommu.counters.iotlbInvalidations).toBe(0);
    ms[3]!.unmap();
    expect(iommu.flushQueue!.queued).toBe(1);
    expect(iommu.exposure().flushes).toEqual({ full: 1, timeout: 0, explicit: 0 });
    for (const m of ms.slice(0, 3))
      expect(iommu.iovad.ranges()).not.toContainEqual([m.iova / PS, m.iova / PS]);
    expect(iommu.iovad.ranges()).toEqual([[ms[3]!.iova / PS, ms[3]!.iova / PS]]);
  });

  it("a parked IOVA is not handed out again before its flush; after it, the range cache gives it back", () => {
    const { iommu, map } = setup({ strict: false });
    const a = map(0x100);
    a.unmap();
    const b = map(0x300);
    expect(b.iova).not.toBe(a.iova);
    iommu.flushQueue!.flush();
    const c = map(0x500);
    expect(c.iova).toBe(a.iova);
    expect(iommu.exposure().flushes.explicit).toBe(1);
  });

  it("IOMMU-API unmaps (ODP invalidation) and dma_iova_unlink stay strict: their range is invalidated now", () => {
    const { iommu, dev } = setup({ strict: false });
    iommu.map(0x10_0000, 0x7000, PS, IOMMU_READ | IOMMU_WRITE);
    expect(reach(dev, 0x10_0000)).toEqual([0x7000, false]);
    iommu.unmap(0x10_0000, PS);
    expect(reach(dev, 0x10_0000)).toBe("iommu");
    const state = iovaAlloc(dev, 2 * PS, 0)!;
    iovaLink(dev, state, 0x9000, 0, 2 * PS, "to-device");
    iovaSync(dev, state, 0, 2 * PS);
    expect(reach(dev, state.addr + PS)).toEqual([0xa000, false]);
    iovaUnlink(dev, state, PS, PS, "to-device");
    expect(reach(dev, state.addr + PS)).toBe("iommu");
    // dma_iova_destroy queues: the device keeps the first page until the flush.
    expect(reach(dev, state.addr)).toEqual([0x9000, false]);
    iovaDestroy(dev, state, PS, "to-device");
    expect(reach(dev, state.addr)).toEqual([0x9000, true]);
    expect(iommu.flushQueue!.queued).toBe(1);
    iommu.clock.advance(10);
    expect(reach(dev, state.addr)).toBe("iommu");
    expect(iommu.idle).toBe(true);
  });

  it("an IOTLB with a capacity forgets its oldest entries, which then fault after the unmap", () => {
    const { dev, map } = setup({ strict: false, iotlbEntries: 2 });
    const m = map(0x100, 0x300, 0x500);
    for (let i = 0; i < 3; i++) reach(dev, m.iova + i * PS);
    m.unmap();
    expect([0, 1, 2].map((i) => reach(dev, m.iova + i * PS))).toEqual([
      "iommu",
      [0x300 * PS, true],
      [0x500 * PS, true],
    ]);
  });

  it("options: the kernel's presets, bad sizes and timeouts refused, clocks shared between domains", () => {
    const clock = new SimClock();
    const single = new IommuDomain({
      strict: false,
      clock,
      flushQueue: { size: IOVA_SINGLE_FQ_SIZE, timeoutMs: IOVA_SINGLE_FQ_TIMEOUT },
    });
    const other = new IommuDomain({ strict: false, clock });
    expect([single.clock, other.clock]).toEqual([clock, clock]);
    expect(single.flushQueue!.size).toBe(32768);
    for (const size of [0, 1, 3, 100, 2 ** 25, 2.5]) {
      expectCode(() => new IommuDomain({ strict: false, flushQueue: { size } }), "EINVAL");
    }
    for (const timeoutMs of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expectCode(() => new IommuDomain({ strict: false, flushQueue: { timeoutMs } }), "EINVAL");
    }
    expectCode(() => new Iotlb(-1), "EINVAL");
    for (const bad of [
      { strict: "no" },
      { strict: false, clock: {} },
      { strict: false, flushQueue: 5 },
      { strict: false, iotlbEntries: -1 },
      { iotlbEntries: 1.5 },
    ]) {
      expectCode(() => new IommuDomain(bad as unknown as IommuDomainOptions), "EINVAL");
    }
    expectCode(() => clock.setTimer(1, null as unknown as () => void), "EINVAL");
    expectCode(() => single.gatherInit("yes" as unknown as boolean), "EINVAL");
  });

  it("the IOMMU-level sequence refuses to park a range twice, or with a size it was not allocated with", () => {
    const { iommu } = setup({ strict: false });
    const iova = iommu.allocIova(2 * PS, 2 ** 48 - 1);
    iommu.map(iova, 0x7000, 2 * PS, IOMMU_READ);
    const gather = iommu.gatherInit();
    expect(gather.queued).toBe(true);
    expect(iommu.gatherInit(false).queued).toBe(false);
    iommu.unmapFast(iova, 2 * PS, gather);
    expect(gather.bytes).toBe(2 * PS);
    expectCode(() => iommu.dmaFreeIova(iova, 8 * PS, gather), "EINVAL");
    expect(iommu.flushQueue!.queued).toBe(0);
    iommu.dmaFreeIova(iova, 2 * PS, gather);
    expectCode(() => iommu.dmaFreeIova(iova, 2 * PS, iommu.gatherInit()), "EINVAL");
    expect(iommu.flushQueue!.queued).toBe(1);
    iommu.flushQueue!.flush();
    expect(iommu.idle).toBe(true);
  });

  it("a second unmap is still EBUSY and the queue unchanged", () => {
    const { iommu, map } = setup({ strict: false });
    const m = map(0x100);
    m.unmap();
    expectCode(() => m.unmap(), "EBUSY");
    expect(iommu.flushQueue!.queued).toBe(1);
  });
});

describe("SimClock", () => {
  it("fires due timers in deadline order at their deadline, ties in setting order, including ones set while firing", () => {
    const clock = new SimClock();
    const log: string[] = [];
    clock.setTimer(5, () => log.push(`a@${clock.now}`));
    clock.setTimer(2, () => {
      log.push(`b@${clock.now}`);
      clock.setTimer(1, () => log.push(`c@${clock.now}`));
    });
    clock.setTimer(5, () => log.push(`d@${clock.now}`));
    clock.advance(4);
    expect(log).toEqual(["b@2", "c@3"]);
    expect(clock.now).toBe(4);
    clock.advance(10);
    expect(log).toEqual(["b@2", "c@3", "a@5", "d@5"]);
    expect(clock.now).toBe(14);
    expectCode(() => clock.advance(-1), "EINVAL");
    expectCode(() => clock.setTimer(Number.NaN, () => {}), "EINVAL");
  });
});

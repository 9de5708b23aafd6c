/**
 * `mergePhysical`: contiguous same-provider PHYSICAL ranges merged into one entry, a deliberate
 * extension (the prototype's rlscpu_append_physical() never merges); off by default.
 */
import { describe, expect, it } from "vitest";
import { expectCode } from "../../../../scripts/expect-code.js";
import { CpuRangeList } from "../../src/cpu/cpu-range-list.js";
import { IommuDomain } from "../../src/iommu/iommu-domain.js";
import { DmaDevice } from "../../src/mapping/device.js";
import { mapRangeList } from "../../src/mapping/mapper.js";
import { PhysicalMemory } from "../../src/memory/physical-memory.js";
import { PciTopology } from "../../src/pci/topology.js";

const BAR = 0x38_0000_0000;
const SZ_2M = 0x20_0000;

/** A GPU with two BARs and a NIC behind one switch (BUS_ADDR between them). */
function machine() {
  const topo = new PciTopology();
  const rp = topo.addFunction(topo.addHostBridge(), { bdf: "0000:00:01.0", type: "root-port" });
  const sw = topo.addSwitch(rp, { upstream: "0000:01:00.0", downstream: ["0000:02:00.0", "0000:02:01.0"] });
  const gpu = topo.addFunction(sw.downstream[0]!, {
    bdf: "0000:03:00.0",
    bars: [
      { index: 0, cpuAddress: BigInt(BAR), size: 0x1000_0000, is64: true, prefetchable: true },
      { index: 2, cpuAddress: BigInt(BAR + 0x1000_0000), size: 0x1000_0000, is64: true, prefetchable: true },
    ],
  });
  const nic = new DmaDevice({
    name: "nic",
    pci: topo.addFunction(sw.downstream[1]!, { bdf: "0000:04:00.0" }),
    iommu: new IommuDomain(),
  });
  const memory = new PhysicalMemory({ regions: [{ start: 0, size: 2 ** 30, kind: "ram" }] });
  return { memory, bar0: gpu.p2pProvider(0), bar2: gpu.p2pProvider(2), nic };
}

const shape = (l: CpuRangeList) => l.toArray().map((e) => [e.phys, e.length, e.provider?.name ?? null]);

describe("CpuRangeList mergePhysical", () => {
  it("is off by default: back-to-back ranges of one BAR stay one entry each, as in the prototype", () => {
    const { memory, bar0 } = machine();
    const list = new CpuRangeList(memory);
    expect(list.mergePhysical).toBe(false);
    list.appendPhysical(BAR, SZ_2M, bar0);
    list.appendPhysical(BAR + SZ_2M, SZ_2M, bar0);
    expect(list.count).toBe(2);
  });

  it("merges a range that continues the last entry with the same provider, and nothing else", () => {
    const { memory, bar0, bar2 } = machine();
    const list = new CpuRangeList(memory, { mergePhysical: true });
    list.appendPhysical(BAR, SZ_2M, bar0);
    list.appendPhysical(BAR + SZ_2M, 0x1_0000, bar0); // contiguous, same provider: merged
    list.appendPhysical(BAR + SZ_2M + 0x2_0000, 0x1_0000, bar0); // a gap
    list.appendPhysical(BAR + 0x1000_0000, 0x1000, bar2); // next BAR: another provider, even if adjacent
    list.appendPhysical(BAR + 0x1000_1000, 0x1000, null); // same bytes, no provider: not merged
    list.appendPhysical(BAR + 0x1000_2000, 0x1000, null); // pageless, both without provider: merged
    list.appendPage(0x10, 0, 0x1000);
    list.appendPhysical(0x11000, 0x1000, null); // after a folio entry: never merged into it
    expect(shape(list)).toEqual([
      [BAR, SZ_2M + 0x1_0000, "0000:03:00.0 BAR0"],
      [BAR + SZ_2M + 0x2_0000, 0x1_0000, "0000:03:00.0 BAR0"],
      [BAR + 0x1000_0000, 0x1000, "0000:03:00.0 BAR2"],
      [BAR + 0x1000_1000, 0x2000, null],
      [0x10000, 0x1000, null],
      [0x11000, 0x1000, null],
    ]);
    expect(list.length).toBe(SZ_2M + 0x2_0000 + 0x5000);
    expect(list.providers).toEqual([bar0, bar2]);
  });

  it("does not merge across seal(); rollback undoes a merge exactly", () => {
    const { memory, bar0 } = machine();
    const list = new CpuRangeList(memory, { mergePhysical: true });
    list.appendPhysical(BAR, 0x1000, bar0);
    const m = list.mark();
    list.appendPhysical(BAR + 0x1000, 0x1000, bar0);
    expect(shape(list)).toEqual([[BAR, 0x2000, "0000:03:00.0 BAR0"]]);
    list.rollback(m);
    expect([list.count, list.length]).toEqual([1, 0x1000]);
    list.seal();
    list.appendPhysical(BAR + 0x1000, 0x1000, bar0);
    expect(list.count).toBe(2);
  });

  it("a range outside the provider's BAR is still EINVAL, with the pending entry untouched", () => {
    const { memory, bar0 } = machine();
    const list = new CpuRangeList(memory, { mergePhysical: true });
    list.appendPhysical(BAR + 0x1000_0000 - 0x1000, 0x1000, bar0);
    expectCode(() => list.appendPhysical(BAR + 0x1000_0000, 0x1000, bar0), "EINVAL");
    expect(shape(list)).toEqual([[BAR + 0x1000_0000 - 0x1000, 0x1000, "0000:03:00.0 BAR0"]]);
  });

  it("a merged dma-buf maps to one bus-address entry per run instead of one per block", () => {
    const { memory, bar0, nic } = machine();
    const blocks = [0, SZ_2M, 2 * SZ_2M, 4 * SZ_2M, 5 * SZ_2M];
    const lists = [false, true].map((mergePhysical) => {
      const l = new CpuRangeList(memory, { mergePhysical });
      for (const off of blocks) l.appendPhysical(BAR + off, SZ_2M, bar0);
      return l;
    });
    const counts = lists.map((l) => {
      const m = mapRangeList(nic, l, { direction: "to-device" });
      const n = m.list.toArray().length;
      m.unmap();
      return n;
    });
    expect(lists.map((l) => l.count)).toEqual([5, 2]);
    expect(counts).toEqual([5, 2]);
  });
});

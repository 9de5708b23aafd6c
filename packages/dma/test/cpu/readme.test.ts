/** The README's example, run. */
import { describe, expect, it } from "vitest";
import { busAddress, CpuRangeList, PciTopology, PhysicalMemory, p2pMapType } from "../../src/index.js";

describe("README example", () => {
  it("does what the README says", () => {
    const memory = new PhysicalMemory({ regions: [{ start: 0, size: 2 ** 32, kind: "ram" }] });
    const thp = memory.declareFolio(0x200, 9);
    const topo = new PciTopology();
    const rp = topo.addFunction(topo.addHostBridge(), { bdf: "0000:00:01.0", type: "root-port" });
    const sw = topo.addSwitch(rp, { upstream: "0000:01:00.0", downstream: ["0000:02:00.0", "0000:02:01.0"] });
    const gpu = topo.addFunction(sw.downstream[0]!, {
      bdf: "0000:03:00.0",
      bars: [{ index: 2, cpuAddress: 0x38_0000_0000n, size: 0x1000_0000, is64: true, prefetchable: true }],
    });
    const nvme = topo.addFunction(sw.downstream[1]!, { bdf: "0000:04:00.0" });
    const vram = gpu.p2pProvider(2);
    const list = new CpuRangeList(memory);
    list.appendFolio(thp, 0x1000, 0x3000);
    list.appendPage(0x204, 0, 0x1000);
    list.appendPhysical(0x38_0000_0000, 0x10000, vram);
    expect(list.count).toBe(2);
    expect(list.length).toBe(0x14000);
    expect(list.isPageList).toBe(true);
    expect(list.hasP2P).toBe(true);
    expect(list.providers).toEqual([vram]);
    expect(p2pMapType(vram, nvme)).toBe("BUS_ADDR");
    expect(busAddress(vram, 0x38_0000_0000)).toBe(0x38_0000_0000);
    const seen: unknown[] = [];
    const c = list.cursor();
    while (c.next()) seen.push([c.position, c.phys, c.length, c.isPhysical, c.provider?.name]);
    expect(seen).toEqual([
      [0, 0x201000, 0x4000, false, undefined],
      [0x4000, 0x38_0000_0000, 0x10000, true, "0000:03:00.0 BAR2"],
    ]);
  });
});

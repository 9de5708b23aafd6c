/**
 * The machine of the bio <-> CpuRangeList adapter tests: RAM [0, 64 MiB) and one PCI function
 * whose BARs hold 1 MiB each of ZONE_DEVICE P2P pages: BAR 0 (`p2p`) right after RAM at 64 MiB
 * (pfn 0x3fff is RAM, 0x4000 is P2P), BAR 2 (`p2pB`) at 128 MiB.
 */
import { PciTopology, PhysicalMemory } from "@rlist/dma";

export function twoBarMachine() {
  const memory = new PhysicalMemory({ regions: [{ start: 0, size: 0x400_0000, kind: "ram" }] });
  const topo = new PciTopology();
  const fn = topo.addFunction(topo.addHostBridge(), {
    bdf: "0000:00:04.0",
    bars: [
      { index: 0, cpuAddress: 0x400_0000, size: 0x10_0000 },
      { index: 2, cpuAddress: 0x800_0000, size: 0x10_0000 },
    ],
  });
  const p2p = fn.p2pProvider(0);
  const p2pB = fn.p2pProvider(2);
  memory.addP2pMemory(p2p);
  memory.addP2pMemory(p2pB);
  return { memory, p2p, p2pB };
}

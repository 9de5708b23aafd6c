import { CpuRangeList } from "../../src/cpu/cpu-range-list.js";
import { IommuDomain } from "../../src/iommu/iommu-domain.js";
import { DmaDevice } from "../../src/mapping/device.js";
import { PhysicalMemory } from "../../src/memory/physical-memory.js";
import type { HostBridgeP2p } from "../../src/pci/allowlist.js";
import type { P2pProvider } from "../../src/pci/p2p-provider.js";
import { type PciFunction, PciTopology } from "../../src/pci/topology.js";

export const GiB = 2 ** 30;

export interface GpuTopologyOptions {
  hb0?: HostBridgeP2p;
  hb1?: HostBridgeP2p;
  cpuSupportsP2p?: boolean;
  /** BAR2 size in bytes (power of two). Default 16 GiB. */
  barSize?: number;
  /** Bus address minus CPU address of the BAR. Default 0 (x86). */
  busOffset?: number;
  /** ACS redirect on the third downstream port. Default true. */
  acs?: boolean;
}

/**
 * host bridge 0000:00 ── 00:01.0 root port ── 01:00.0 switch ─┬─ 02:00.0 ── 03:00.0 GPU (BAR2)
 *                    │                                         ├─ 02:01.0 ── 04:00.0 NIC "sameSwitch"
 *                    │                                         └─ 02:02.0 (ACS redirect) ── 05:00.0 NIC "acs"
 *                    └─ 00:02.0 root port ── 06:00.0 NIC "otherPort"
 * host bridge 0001:00 ── 0001:00:01.0 root port ── 0001:01:00.0 NIC "otherBridge"
 */
export function gpuTopology(o: GpuTopologyOptions = {}) {
  const topo = new PciTopology({ cpuSupportsP2p: o.cpuSupportsP2p ?? false });
  const hb0 = topo.addHostBridge({ domain: 0, bus: 0, p2p: o.hb0 ?? "denied" });
  const hb1 = topo.addHostBridge({ domain: 1, bus: 0, p2p: o.hb1 ?? "denied" });
  const rp1 = topo.addFunction(hb0, { bdf: "0000:00:01.0", type: "root-port" });
  const sw = topo.addSwitch(rp1, {
    upstream: "0000:01:00.0",
    downstream: ["0000:02:00.0", "0000:02:01.0", "0000:02:02.0"],
  });
  const barSize = o.barSize ?? 16 * GiB;
  const cpuAddress = 0x400 * GiB; // 1 TiB, aligned to any BAR size used here
  const gpu = topo.addFunction(sw.downstream[0]!, {
    bdf: "0000:03:00.0",
    classCode: 0x030200,
    bars: [
      {
        index: 2,
        cpuAddress,
        busAddress: cpuAddress + (o.busOffset ?? 0),
        size: barSize,
        is64: true,
        prefetchable: true,
      },
    ],
  });
  const sameSwitch = topo.addFunction(sw.downstream[1]!, { bdf: "0000:04:00.0", classCode: 0x020000 });
  const acsPort = sw.downstream[2]!;
  if (o.acs ?? true) acsPort.setAcs({ requestRedirect: true, completionRedirect: true });
  const acs = topo.addFunction(acsPort, { bdf: "0000:05:00.0", classCode: 0x020000 });
  const rp2 = topo.addFunction(hb0, { bdf: "0000:00:02.0", type: "root-port" });
  const otherPort = topo.addFunction(rp2, { bdf: "0000:06:00.0", classCode: 0x020000 });
  const rpB = topo.addFunction(hb1, { bdf: "0001:00:01.0", type: "root-port" });
  const otherBridge = topo.addFunction(rpB, { bdf: "0001:01:00.0", classCode: 0x020000 });
  const provider = gpu.p2pProvider(2);
  const importers: Record<string, PciFunction | null> = {
    gpu,
    sameSwitch,
    acs,
    otherPort,
    otherBridge,
    platform: null,
  };
  return { topo, gpu, provider, importers, barSize, cpuAddress };
}

/** Physical memory with 64 GiB of RAM from 4 GiB (sparse). */
export function systemMemory(): PhysicalMemory {
  return new PhysicalMemory({ regions: [{ start: 4 * GiB, size: 64 * GiB, kind: "ram" }] });
}

/** The BAR (or `[offset, offset + size)` of it) as one PHYSICAL entry of its provider. */
export function barList(
  memory: PhysicalMemory,
  provider: P2pProvider,
  size = provider.bar.size,
  offset = 0,
): CpuRangeList {
  const list = new CpuRangeList(memory);
  list.appendPhysical(provider.bar.cpuAddress + offset, size, provider);
  return list;
}

/** `pages` order-0 system pages from `firstPfn`, every other frame (nothing merges). */
export function systemList(memory: PhysicalMemory, firstPfn: number, pages: number): CpuRangeList {
  const list = new CpuRangeList(memory);
  for (let i = 0; i < pages; i++) list.appendPage(firstPfn + 2 * i, 0, 4096);
  return list;
}

export function importerDevice(pci: PciFunction | null, iommu: boolean, name?: string): DmaDevice {
  return new DmaDevice({ pci, ...(iommu ? { iommu: new IommuDomain() } : {}), ...(name ? { name } : {}) });
}

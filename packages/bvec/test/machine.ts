/**
 * A small simulated machine for the request-mapping tests:
 * - RAM [0, 256 MiB), a 4 MiB swiotlb pool at 8 MiB (below a 24-bit mask);
 * - root port 00:01.0 -> switch -> GPU 03:00.0 (BAR 2: CPU 0xE000_0000, bus 0x1_E000_0000, 16 MiB of
 *   ZONE_DEVICE P2P pages) and the NVMe device 04:00.0: GPU memory is BUS_ADDR for it;
 * - root port 00:02.0 -> SSD 05:00.0 (BAR 0: CPU 0xD000_0000, 16 MiB of P2P pages): through the host
 *   bridge, so THRU_HOST_BRIDGE when the bridge allows it, NOT_SUPPORTED when it does not.
 */
import {
  DmaDevice,
  type HostBridgeP2p,
  IommuDomain,
  PciTopology,
  PhysicalMemory,
  SwiotlbPool,
} from "@rlist/dma";

export const RAM_SIZE = 0x1000_0000;
export const SWIOTLB_BASE = 0x80_0000;
export const SWIOTLB_SIZE = 0x40_0000;
export const GPU_BAR = 0xe000_0000;
export const GPU_BUS = 0x1_e000_0000;
export const SSD_BAR = 0xd000_0000;
export const P2P_SIZE = 0x100_0000;

export function machine(options: { hostBridgeP2p?: HostBridgeP2p } = {}) {
  const memory = new PhysicalMemory({ regions: [{ start: 0, size: RAM_SIZE, kind: "ram" }] });
  const topo = new PciTopology();
  const hb = topo.addHostBridge({ p2p: options.hostBridgeP2p ?? "denied" });
  const rp1 = topo.addFunction(hb, { bdf: "0000:00:01.0", type: "root-port" });
  const rp2 = topo.addFunction(hb, { bdf: "0000:00:02.0", type: "root-port" });
  const up = topo.addFunction(rp1, { bdf: "0000:01:00.0", type: "upstream-port" });
  const dp1 = topo.addFunction(up, { bdf: "0000:02:00.0", type: "downstream-port" });
  const dp2 = topo.addFunction(up, { bdf: "0000:02:01.0", type: "downstream-port" });
  const gpu = topo.addFunction(dp1, {
    bdf: "0000:03:00.0",
    bars: [{ index: 2, cpuAddress: GPU_BAR, busAddress: GPU_BUS, size: P2P_SIZE, is64: true }],
  });
  const nvme = topo.addFunction(dp2, { bdf: "0000:04:00.0" });
  const ssd = topo.addFunction(rp2, {
    bdf: "0000:05:00.0",
    bars: [{ index: 0, cpuAddress: SSD_BAR, size: P2P_SIZE, is64: true }],
  });
  const gpuMem = gpu.p2pProvider(2);
  const ssdMem = ssd.p2pProvider(0);
  const gpuPgmap = memory.addP2pMemory(gpuMem);
  const ssdPgmap = memory.addP2pMemory(ssdMem);
  return { memory, topo, nvme, gpuMem, ssdMem, gpuPgmap, ssdPgmap };
}

export type Machine = ReturnType<typeof machine>;

export type DeviceKind = "iommu" | "direct" | "offset" | "bounce";

/** The NVMe function as a DMA device of the given kind. */
export function nvmeDevice(m: Machine, kind: DeviceKind): DmaDevice {
  switch (kind) {
    case "iommu":
      return new DmaDevice({ pci: m.nvme, iommu: new IommuDomain() });
    case "direct":
      return new DmaDevice({ pci: m.nvme });
    case "offset":
      return new DmaDevice({ pci: m.nvme, directOffset: 0x40_0000_0000 });
    case "bounce":
      return new DmaDevice({
        pci: m.nvme,
        dmaMaskBits: 24,
        segmentation: { minAlignMask: 0xfff, segmentBoundaryMask: 0xffff_ffff, maxSegmentSize: 0xffff_ffff },
        swiotlb: new SwiotlbPool({ base: SWIOTLB_BASE, size: SWIOTLB_SIZE, memory: m.memory }),
      });
  }
}

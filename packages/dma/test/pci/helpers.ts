import { PciTopology } from "../../src/pci/topology.js";

/**
 * The kernel's P2P doc-comment picture and its neighbours:
 *
 *   host bridge 0000:00 (policy given)
 *   ├── 00:01.0 root port ── 01:00.0 switch upstream ─┬─ 02:00.0 downstream ── 03:00.0 GPU (BAR0 16M, BAR2 64-bit pref 256M) + 03:00.1 audio
 *   │                                                 └─ 02:01.0 downstream ── 04:00.0 NVMe (BAR0 16K, BAR2 64-bit CMB 1M)
 *   ├── 00:02.0 root port ── 05:00.0 NIC (BAR0 64-bit pref 32M)
 *   └── 00:1f.0 endpoint
 *   host bridge 0001:00 (policy given) ── 0001:00:01.0 root port ── 0001:01:00.0 NVMe
 */
export function buildTestTopology(
  options: {
    p2p?: "allowed" | "same-host-bridge" | "denied";
    p2p1?: "allowed" | "same-host-bridge" | "denied";
    cpuSupportsP2p?: boolean;
    busOffset?: bigint;
  } = {},
) {
  const topo = new PciTopology({ cpuSupportsP2p: options.cpuSupportsP2p ?? false });
  const hb0 = topo.addHostBridge({ domain: 0, bus: 0, p2p: options.p2p ?? "denied" });
  const hb1 = topo.addHostBridge({ domain: 1, bus: 0, p2p: options.p2p1 ?? "denied" });
  const off = options.busOffset ?? 0n;
  const rp1 = topo.addFunction(hb0, {
    bdf: "0000:00:01.0",
    type: "root-port",
    vendor: 0x8086,
    device: 0x2030,
  });
  const sw = topo.addSwitch(rp1, { upstream: "0000:01:00.0", downstream: ["0000:02:00.0", "0000:02:01.0"] });
  const gpu = topo.addFunction(sw.downstream[0]!, {
    bdf: "0000:03:00.0",
    vendor: 0x10de,
    device: 0x20b0,
    classCode: 0x030200,
    bars: [
      { index: 0, cpuAddress: 0xa000_0000, size: 0x100_0000 },
      {
        index: 2,
        cpuAddress: 0x38_0000_0000n,
        busAddress: 0x38_0000_0000n + off,
        size: 0x1000_0000,
        is64: true,
        prefetchable: true,
      },
    ],
  });
  const gpuAudio = topo.addFunction(sw.downstream[0]!, { bdf: "0000:03:00.1", classCode: 0x040300 });
  const nvme = topo.addFunction(sw.downstream[1]!, {
    bdf: "0000:04:00.0",
    classCode: 0x010802,
    bars: [
      { index: 0, cpuAddress: 0xa100_0000, size: 0x4000, is64: true },
      { index: 2, cpuAddress: 0x38_1000_0000n, size: 0x10_0000, is64: true, prefetchable: true },
    ],
  });
  const rp2 = topo.addFunction(hb0, { bdf: "0000:00:02.0", type: "root-port" });
  const nic = topo.addFunction(rp2, {
    bdf: "0000:05:00.0",
    classCode: 0x020000,
    bars: [{ index: 0, cpuAddress: 0x38_2000_0000n, size: 0x200_0000, is64: true, prefetchable: true }],
  });
  const lpc = topo.addFunction(hb0, { bdf: "0000:00:1f.0", classCode: 0x060100 });
  const rpB = topo.addFunction(hb1, { bdf: "0001:00:01.0", type: "root-port" });
  const nvmeB = topo.addFunction(rpB, {
    bdf: "0001:01:00.0",
    classCode: 0x010802,
    bars: [{ index: 0, cpuAddress: 0x40_0000_0000n, size: 0x4000, is64: true }],
  });
  return { topo, hb0, hb1, rp1, sw, gpu, gpuAudio, nvme, rp2, nic, lpc, rpB, nvmeB };
}

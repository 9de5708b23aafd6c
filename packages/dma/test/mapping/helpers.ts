import type { CpuListSource, CpuSourceCursor } from "../../src/mapping/cpu-source.js";
import type { ByteMemory } from "../../src/mapping/swiotlb.js";
import type { P2pProvider } from "../../src/pci/p2p-provider.js";
import { PciTopology } from "../../src/pci/topology.js";

export interface TestEntry {
  phys: number;
  length: number;
  provider?: P2pProvider | null;
  physical?: boolean;
}

/** A CPU list over an array (the mapper only needs the cursor). */
export class ArrayCpuList implements CpuListSource {
  constructor(readonly entries: TestEntry[]) {}

  cursor(): CpuSourceCursor {
    const entries = this.entries;
    let i = -1;
    let pos = 0;
    let prevLen = 0;
    const cur = {
      phys: 0,
      length: 0,
      position: 0,
      isPhysical: false,
      provider: null as P2pProvider | null,
      reset(): boolean {
        i = -1;
        pos = 0;
        prevLen = 0;
        return cur.next();
      },
      next(): boolean {
        pos += prevLen;
        const e = entries[++i];
        if (e === undefined) {
          prevLen = 0;
          return false;
        }
        cur.phys = e.phys;
        cur.length = e.length;
        cur.position = pos;
        cur.isPhysical = e.physical ?? false;
        cur.provider = e.provider ?? null;
        prevLen = e.length;
        return true;
      },
    };
    return cur;
  }
}

/** Sparse byte memory: 4 KiB pages created on write. */
export class SparseMemory implements ByteMemory {
  private readonly pages = new Map<number, Uint8Array>();
  read(phys: number, out: Uint8Array): void {
    for (let i = 0; i < out.length; i++) {
      const a = phys + i;
      out[i] = this.pages.get(Math.floor(a / 4096))?.[a % 4096] ?? 0;
    }
  }
  write(phys: number, data: Uint8Array): void {
    for (let i = 0; i < data.length; i++) {
      const a = phys + i;
      const p = Math.floor(a / 4096);
      let page = this.pages.get(p);
      if (!page) {
        page = new Uint8Array(4096);
        this.pages.set(p, page);
      }
      page[a % 4096] = data[i]!;
    }
  }
}

/**
 * Root port 00:01.0 -> switch (01:00.0 up, 02:00.0 / 02:01.0 down) -> GPU 03:00.0 and NIC 04:00.0;
 * root port 00:02.0 -> SSD 05:00.0. The GPU's BAR 2 sits at CPU 0xE000_0000 and bus 0x1_E000_0000
 * (bus_offset 0x1_0000_0000); the SSD's BAR 0 at CPU 0xD000_0000 (bus offset 0).
 */
export function switchTopology(
  options: { hostBridgeP2p?: "allowed" | "denied"; acsRedirect?: boolean } = {},
) {
  const topo = new PciTopology();
  const hb = topo.addHostBridge({ p2p: options.hostBridgeP2p ?? "denied" });
  const rp1 = topo.addFunction(hb, { bdf: "0000:00:01.0", type: "root-port" });
  const rp2 = topo.addFunction(hb, { bdf: "0000:00:02.0", type: "root-port" });
  const up = topo.addFunction(rp1, { bdf: "0000:01:00.0", type: "upstream-port" });
  // ACS Request Redirect on the GPU's downstream port sends GPU<->NIC traffic up to the root.
  const dp1 = topo.addFunction(up, {
    bdf: "0000:02:00.0",
    type: "downstream-port",
    ...(options.acsRedirect ? { acs: { requestRedirect: true } } : {}),
  });
  const dp2 = topo.addFunction(up, { bdf: "0000:02:01.0", type: "downstream-port" });
  const gpu = topo.addFunction(dp1, {
    bdf: "0000:03:00.0",
    bars: [{ index: 2, cpuAddress: 0xe000_0000, busAddress: 0x1_e000_0000, size: 0x1000_0000, is64: true }],
  });
  const nic = topo.addFunction(dp2, { bdf: "0000:04:00.0" });
  const ssd = topo.addFunction(rp2, {
    bdf: "0000:05:00.0",
    bars: [{ index: 0, cpuAddress: 0xd000_0000, size: 0x100_0000, is64: true }],
  });
  return { topo, gpu, nic, ssd, gpuBar: gpu.p2pProvider(2), ssdBar: ssd.p2pProvider(0) };
}

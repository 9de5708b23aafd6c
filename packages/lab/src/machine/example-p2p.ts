import {
  P2pProvider,
  PciFunction,
  PciTopology,
  type PciTopologyJson,
  PhysicalMemory,
  pciTopologyFromJson,
} from "@rlist/dma";
import { checkArray, checkInstance, checkObject, checkString } from "../args.js";
import { EXAMPLE_RAM } from "../workloads/ram.js";

const GiB = 2 ** 30;
const MiB = 2 ** 20;

/** CPU physical window of the example GPU's VRAM BAR (BAR1, 32 GiB, 64-bit prefetchable). */
export const GPU_BAR1 = { cpuAddress: 0x38_0000_0000, size: 32 * GiB };

/**
 * The example server for the P2P workload (this machine has no GPU): two Skylake-E host
 * bridges that allow P2P between them, plus one unknown root complex that does not.
 *
 * ```
 * pci0000:00 (8086:2020, allowed)
 *   00:01.0 root port
 *     01:00.0 switch upstream port
 *       02:00.0 downstream port -> 03:00.0 GPU (10de:2330), BAR1 32 GiB
 *       02:01.0 downstream port -> 04:00.0 NIC (15b3:101d), same switch as the GPU
 * pci0000:80 (8086:2020, allowed)
 *   80:01.0 root port -> 81:00.0 NIC, across host bridges
 * pci0000:c0 (unknown root complex, denied)
 *   c0:01.0 root port -> c1:00.0 NIC
 * ```
 */
export const EXAMPLE_P2P_TOPOLOGY: PciTopologyJson = {
  cpuSupportsP2p: false,
  hostBridges: [
    {
      domain: 0,
      bus: 0,
      children: [
        { bdf: "0000:00:00.0", vendor: 0x8086, device: 0x2020, classCode: 0x060000 },
        {
          bdf: "0000:00:01.0",
          type: "root-port",
          vendor: 0x8086,
          device: 0x2030,
          children: [
            {
              bdf: "0000:01:00.0",
              type: "upstream-port",
              vendor: 0x10b5,
              device: 0x9797,
              children: [
                {
                  bdf: "0000:02:00.0",
                  type: "downstream-port",
                  vendor: 0x10b5,
                  device: 0x9797,
                  children: [
                    {
                      bdf: "0000:03:00.0",
                      vendor: 0x10de,
                      device: 0x2330,
                      classCode: 0x030200,
                      bars: [
                        { index: 0, cpuAddress: 0xe000_0000, size: 16 * MiB },
                        { index: 1, ...GPU_BAR1, is64: true, prefetchable: true },
                      ],
                    },
                  ],
                },
                {
                  bdf: "0000:02:01.0",
                  type: "downstream-port",
                  vendor: 0x10b5,
                  device: 0x9797,
                  children: [nic("0000:04:00.0", 0x30_0000_0000)],
                },
              ],
            },
          ],
        },
      ],
    },
    {
      domain: 0,
      bus: 0x80,
      children: [
        { bdf: "0000:80:00.0", vendor: 0x8086, device: 0x2020, classCode: 0x060000 },
        {
          bdf: "0000:80:01.0",
          type: "root-port",
          vendor: 0x8086,
          device: 0x2030,
          children: [nic("0000:81:00.0", 0x30_1000_0000)],
        },
      ],
    },
    {
      domain: 0,
      bus: 0xc0,
      p2p: "denied",
      children: [
        {
          bdf: "0000:c0:01.0",
          type: "root-port",
          vendor: 0x1d94,
          device: 0x1452,
          children: [nic("0000:c1:00.0", 0x30_2000_0000)],
        },
      ],
    },
  ],
};

function nic(bdf: string, bar: number) {
  return {
    bdf,
    vendor: 0x15b3,
    device: 0x101d,
    classCode: 0x020000,
    bars: [{ index: 0, cpuAddress: bar, size: 32 * MiB, is64: true, prefetchable: true }],
  };
}

/** A NIC the GPU's dma-buf is mapped for, with what the report calls it. */
export interface P2pClient {
  readonly label: string;
  readonly fn: PciFunction;
}

export interface P2pMachine {
  readonly topology: PciTopology;
  /** Example RAM plus every BAR as a `bar` region. */
  readonly memory: PhysicalMemory;
  readonly gpu: PciFunction;
  /** The provider of the GPU's BAR1 (like pcim_p2pdma_provider(pdev, 1)). */
  readonly provider: P2pProvider;
  readonly clients: readonly P2pClient[];
}

/** `EINVAL` unless `m` is a {@link P2pMachine}: topology, memory, GPU, its provider and the NICs. */
export function checkP2pMachine(what: string, m: unknown): asserts m is P2pMachine {
  checkObject(what, m);
  const { topology, memory, gpu, provider, clients } = m as Partial<P2pMachine>;
  checkInstance(`${what}.topology`, topology, PciTopology);
  checkInstance(`${what}.memory`, memory, PhysicalMemory);
  checkInstance(`${what}.gpu`, gpu, PciFunction);
  checkInstance(`${what}.provider`, provider, P2pProvider);
  checkArray(`${what}.clients`, clients, (at, c) => {
    checkObject(at, c);
    checkString(`${at}.label`, (c as P2pClient).label);
    checkInstance(`${at}.fn`, (c as P2pClient).fn, PciFunction);
  });
}

/** Builds the example P2P server fresh (topologies carry caches, so each study gets its own). */
export function exampleP2pMachine(): P2pMachine {
  const topology = pciTopologyFromJson(EXAMPLE_P2P_TOPOLOGY);
  const memory = new PhysicalMemory({
    regions: EXAMPLE_RAM.map((r) => ({
      start: r.start,
      size: r.end - r.start,
      kind: "ram" as const,
      name: "System RAM",
    })),
  });
  for (const fn of topology.functions) {
    for (const bar of fn.bars)
      memory.addRegion({
        start: bar.cpuAddress,
        size: bar.size,
        kind: "bar",
        name: `${fn.bdf} BAR${bar.index}`,
      });
  }
  const gpu = topology.get("0000:03:00.0");
  return {
    topology,
    memory,
    gpu,
    provider: gpu.p2pProvider(1),
    clients: [
      { label: "NIC under the same switch", fn: topology.get("0000:04:00.0") },
      { label: "NIC across host bridges", fn: topology.get("0000:81:00.0") },
      { label: "NIC behind a denied root complex", fn: topology.get("0000:c1:00.0") },
    ],
  };
}

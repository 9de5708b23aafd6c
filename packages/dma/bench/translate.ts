/**
 * deviceTranslate() benchmark: a NIC behind a switch in a machine with `peers` GPUs / NVMe drives
 * (3 BARs each), half of them on the NIC's switch (BUS_ADDR), the rest behind other root ports.
 * Times translations of IOVAs (which hit no BAR: the BAR lookup is pure overhead before the IOMMU
 * walk) and of addresses inside peer BARs (peer-to-peer), ns per call, best of N rounds; next to
 * them the BAR lookup alone, as the indexed search deviceTranslate() uses (`BarWindows`) and as
 * the scan of every BAR it did before (kept here as the reference), side by side in one run.
 *
 * Run alone: pnpm tsx --conditions @rlist/source packages/dma/bench/translate.ts
 */
import { IommuDomain } from "../src/iommu/iommu-domain.js";
import { IOMMU_READ, IOMMU_WRITE } from "../src/iommu/page-table.js";
import { DmaDevice } from "../src/mapping/device.js";
import { deviceTranslate } from "../src/mapping/device-view.js";
import { barWindows } from "../src/pci/bar-windows.js";
import { p2pMapType } from "../src/pci/p2p-map.js";
import { type PciFunction, PciTopology } from "../src/pci/topology.js";
import { bestOfInterleaved, rng, sinkValue } from "./timing.js";

const CALLS = 1 << 16;

export interface TranslateRow {
  peers: number;
  bars: number;
  /** ns per call: an IOVA that hits no BAR (IOMMU walk), and a peer BAR address (P2P). */
  iovaNs: number;
  peerNs: number;
  /** ns per BAR lookup alone (index / scan of every BAR) of an IOVA (no hit) and of a peer address. */
  iovaIndexNs: number;
  iovaScanNs: number;
  indexNs: number;
  scanNs: number;
}

/** The lookup deviceTranslate() did before the index: every BAR of the topology, in order. */
function scanLookup(client: PciFunction, dma: number): number {
  const d = BigInt(dma);
  for (const fn of client.topology.functions) {
    for (const bar of fn.bars) {
      const bus = bar.busAddressBig;
      if (d < bus || d >= bus + bar.sizeBig) continue;
      if (p2pMapType(fn.p2pProvider(bar.index), client) !== "BUS_ADDR") continue;
      const phys = bar.cpuAddressBig + (d - bus);
      return phys <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(phys) : -1;
    }
  }
  return -1;
}

function lookupAll(client: PciFunction, addrs: Float64Array, indexed: boolean): number {
  let s = 0;
  if (indexed)
    for (let i = 0; i < addrs.length; i++) s += barWindows(client.topology).peerTarget(addrs[i]!, client);
  else for (let i = 0; i < addrs.length; i++) s += scanLookup(client, addrs[i]!);
  return s;
}

const hex2 = (n: number) => n.toString(16).padStart(2, "0");

/** Root port 00:01.0 -> switch (near peers + the NIC); root port 00:02.0 -> switch (far peers). */
function machine(peers: number) {
  const topo = new PciTopology();
  const hb = topo.addHostBridge({ p2p: "denied" });
  const near = Math.ceil(peers / 2);
  const far = peers - near;
  const switchBelow = (port: string, bus: number, ports: number) =>
    topo.addSwitch(topo.addFunction(hb, { bdf: port, type: "root-port" }), {
      upstream: `0000:${hex2(bus)}:00.0`,
      downstream: Array.from({ length: ports }, (_, i) => `0000:${hex2(bus + 1)}:${hex2(i)}.0`),
    });
  const a = switchBelow("0000:00:01.0", 0x01, near + 1);
  const b = switchBelow("0000:00:02.0", 0x40, Math.max(1, far));
  const nic = topo.addFunction(a.downstream[near]!, { bdf: `0000:${hex2(0x03 + near)}:00.0` });
  const peerBars: number[] = [];
  for (let k = 0; k < peers; k++) {
    const bars = [
      { index: 0, cpuAddress: 0xc000_0000 + k * 0x10_0000, size: 0x4_0000 },
      { index: 2, cpuAddress: 0x40_0000_0000 + k * 0x4_0000_0000, size: 0x4_0000_0000, is64: true },
      { index: 4, cpuAddress: 0x30_0000_0000 + k * 0x200_0000, size: 0x200_0000, is64: true },
    ];
    if (k < near) {
      topo.addFunction(a.downstream[k]!, { bdf: `0000:${hex2(0x03 + k)}:00.0`, bars });
      peerBars.push(bars[1]!.cpuAddress);
    } else {
      topo.addFunction(b.downstream[k - near]!, { bdf: `0000:${hex2(0x42 + k - near)}:00.0`, bars });
    }
  }
  const iommu = new IommuDomain();
  iommu.map(0x10_0000, 0x4000_0000, 0x20_0000, IOMMU_READ | IOMMU_WRITE);
  return { device: new DmaDevice({ pci: nic, iommu }), nic, peerBars, bars: 3 * peers };
}

function translateAll(device: DmaDevice, addrs: Float64Array): number {
  let s = 0;
  for (let i = 0; i < addrs.length; i++) {
    const t = deviceTranslate(device, addrs[i]!);
    if (t.ok) s += t.phys;
  }
  return s;
}

export function runTranslateBench(peerCounts: readonly number[], rounds: number): TranslateRow[] {
  const rows: TranslateRow[] = [];
  for (const peers of peerCounts) {
    const m = machine(peers);
    const r = rng(peers);
    const iovas = Float64Array.from({ length: CALLS }, () => 0x10_0000 + Math.floor(r() * 0x20_0000));
    const p2p = Float64Array.from(
      { length: CALLS },
      () => m.peerBars[Math.floor(r() * m.peerBars.length)]! + Math.floor(r() * 0x4_0000_0000),
    );
    // Check the routes once: IOVAs go through the IOMMU, peer addresses peer-to-peer.
    const a = deviceTranslate(m.device, iovas[0]!);
    const b = deviceTranslate(m.device, p2p[0]!);
    if (!(a.ok && a.route === "iommu" && b.ok && b.route === "p2p")) throw new Error("unexpected routes");
    if (lookupAll(m.nic, p2p, true) !== lookupAll(m.nic, p2p, false))
      throw new Error("index and scan differ");
    for (let i = 0; i < 3; i++) sinkValue(translateAll(m.device, iovas) + translateAll(m.device, p2p));
    const best = bestOfInterleaved(
      [
        { name: "iova", run: () => sinkValue(translateAll(m.device, iovas)) },
        { name: "peer", run: () => sinkValue(translateAll(m.device, p2p)) },
        { name: "iovaIndex", run: () => sinkValue(lookupAll(m.nic, iovas, true)) },
        { name: "iovaScan", run: () => sinkValue(lookupAll(m.nic, iovas, false)) },
        { name: "index", run: () => sinkValue(lookupAll(m.nic, p2p, true)) },
        { name: "scan", run: () => sinkValue(lookupAll(m.nic, p2p, false)) },
      ],
      rounds,
    );
    rows.push({
      peers,
      bars: m.bars,
      iovaNs: (best.get("iova")! * 1e9) / CALLS,
      peerNs: (best.get("peer")! * 1e9) / CALLS,
      iovaIndexNs: (best.get("iovaIndex")! * 1e9) / CALLS,
      iovaScanNs: (best.get("iovaScan")! * 1e9) / CALLS,
      indexNs: (best.get("index")! * 1e9) / CALLS,
      scanNs: (best.get("scan")! * 1e9) / CALLS,
    });
  }
  return rows;
}

export function translateTable(rows: readonly TranslateRow[]): string {
  const out = [
    "| peers | BARs | translate IOVA ns | translate peer BAR ns | lookup IOVA: index / scan (before) ns | lookup peer: index / scan (before) ns |",
    "|---:|---:|---:|---:|---:|---:|",
  ];
  for (const r of rows) {
    out.push(
      `| ${r.peers} | ${r.bars} | ${r.iovaNs.toFixed(0)} | ${r.peerNs.toFixed(0)} | ` +
        `${r.iovaIndexNs.toFixed(0)} / ${r.iovaScanNs.toFixed(0)} | ${r.indexNs.toFixed(0)} / ${r.scanNs.toFixed(0)} |`,
    );
  }
  return out.join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = runTranslateBench([2, 16, 48], process.env.BENCH_QUICK === "1" ? 3 : 7);
  process.stdout.write(`# deviceTranslate (Node ${process.version})\n\n${translateTable(rows)}\n`);
}

/**
 * The two users the range list was designed for, measured:
 *
 * 1. RDMA MR memory: bytes held for the life of a registration by the MR's range lists vs a
 *    `struct page *` array vs ib_umem's scatterlist, 4 KiB .. 1 TiB (arithmetic; the 1 TiB rows
 *    are computed, not allocated), plus a real 1 GiB registration measured against the model.
 * 2. RDMA MR work: register + deregister a 1 GiB MR of scattered 4 KiB pages behind an IOMMU,
 *    HW page-list walk, ODP invalidate + fault of 2 MiB.
 * 3. dma-buf: attach + map + unmap + detach of 16 / 64 GiB BARs (BUS_ADDR and through an IOMMU),
 *    range-list entries vs scatterlist entries.
 *
 * Best-of-N wall clock in one process; ratios are side by side in the same run.
 * Run: pnpm tsx --conditions @rlist/source packages/dma/bench/users.ts  (BENCH_QUICK=1: 1/16 size)
 */
import { CpuRangeList } from "../src/cpu/cpu-range-list.js";
import { DmaBufExporter } from "../src/dmabuf/exporter.js";
import { sgEntriesForDmaList } from "../src/dmabuf/scatterlist-split.js";
import { IommuDomain } from "../src/iommu/iommu-domain.js";
import { DmaDevice } from "../src/mapping/device.js";
import { PhysicalMemory } from "../src/memory/physical-memory.js";
import { PciTopology } from "../src/pci/topology.js";
import { IB_ACCESS_LOCAL_WRITE, IB_ACCESS_ON_DEMAND } from "../src/rdma/access.js";
import { registrationFootprint, registrationReport } from "../src/rdma/memory-model.js";
import { pinTable } from "../src/rdma/pin-table.js";
import { registerMemoryRegion } from "../src/rdma/registration.js";
import { bestOf } from "./timing.js";

const QUICK = process.env.BENCH_QUICK === "1";
const KiB = 1024;
const MiB = KiB * KiB;
const GiB = MiB * KiB;
const ROUNDS = QUICK ? 2 : 5;

function bytes(n: number): string {
  if (n >= GiB) return `${(n / GiB).toFixed(2)} GiB`;
  if (n >= MiB) return `${(n / MiB).toFixed(2)} MiB`;
  if (n >= KiB) return `${(n / KiB).toFixed(1)} KiB`;
  return `${n} B`;
}

function size(n: number): string {
  return n >= 1024 * GiB
    ? `${n / (1024 * GiB)} TiB`
    : n >= GiB
      ? `${n / GiB} GiB`
      : n >= MiB
        ? `${n / MiB} MiB`
        : `${n / KiB} KiB`;
}

function rate(n: number, s: number, unit: string): string {
  const r = n / s;
  return r >= 1e6 ? `${(r / 1e6).toFixed(1)} M${unit}/s` : `${(r / 1e3).toFixed(1)} k${unit}/s`;
}

function table(head: string[], rows: string[][]): void {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join("  ");
  console.log(line(head));
  for (const r of rows) console.log(line(r));
}

// ---- 1. memory -----------------------------------------------------------------------------

console.log("# RDMA MR memory held for the registration's lifetime (IOMMU: 1 DMA entry)\n");
table(
  ["layout", "MR", "range lists", "page array", "scatterlist", "page array / rl", "sg / rl"],
  registrationReport().map((r) => [
    r.layout,
    size(r.lengthBytes),
    bytes(r.rangeListBytes),
    bytes(r.pageArrayBytes),
    bytes(r.scatterlistBytes),
    (r.pageArrayBytes / r.rangeListBytes).toFixed(2),
    (r.scatterlistBytes / r.rangeListBytes).toFixed(2),
  ]),
);

const memory = new PhysicalMemory({ regions: [{ start: 4 * GiB, size: 256 * GiB, kind: "ram" }] });
const MR_BYTES = (QUICK ? 1 / 16 : 1) * GiB;
const MR_PAGES = MR_BYTES / 4096;
/** Every other 4 KiB frame: nothing merges (the worst case for every representation). */
const scattered = Float64Array.from({ length: MR_PAGES }, (_, i) => (4 * GiB) / 4096 + 2 * i);
const hca = () => new DmaDevice({ name: "hca", iommu: new IommuDomain() });
const access = IB_ACCESS_LOCAL_WRITE | IB_ACCESS_ON_DEMAND;

{
  const mr = registerMemoryRegion({
    device: hca(),
    memory,
    pages: scattered,
    iova: 0x7f00_0000_0000,
    access,
    pageSizeBitmap: 0x1000,
  });
  const rep = mr.memoryReport();
  const model = registrationFootprint({ lengthBytes: MR_BYTES, folioBytes: 4096, contiguous: false });
  console.log(
    `\nreal ${size(MR_BYTES)} MR of scattered 4 KiB pages: CPU list ${bytes(rep.cpuListBytes)} (model ${bytes(model.cpuListBytes)}),`,
  );
  console.log(
    `  DMA list ${bytes(rep.dmaListBytes)} in ${rep.dmaEntries} entry; page array ${bytes(rep.pageArrayBytes)}; scatterlist ${bytes(rep.scatterlistBytes)}`,
  );
  mr.deregister();
}

// ---- 2. MR work ----------------------------------------------------------------------------

console.log(`\n# RDMA MR work, ${size(MR_BYTES)} of scattered 4 KiB pages behind an IOMMU\n`);
const reg = bestOf(
  ROUNDS,
  () => hca(),
  (dev) =>
    registerMemoryRegion({
      device: dev,
      memory,
      pages: scattered,
      iova: 0x7f00_0000_0000,
      access,
      pageSizeBitmap: 0x1000,
    }).deregister(),
);
const mr = registerMemoryRegion({
  device: hca(),
  memory,
  pages: scattered,
  iova: 0x7f00_0000_0000,
  access,
  pageSizeBitmap: 0x1000,
});
let sink = 0;
const walk = bestOf(
  ROUNDS * 10,
  () => mr.blocks(),
  (c) => {
    for (let ok = c.reset(); ok; ok = c.next()) sink += c.dmaAddress;
  },
);
const pagesArray = Array.from(scattered, (p) => p * 4096);
const walkArray = bestOf(
  ROUNDS * 10,
  () => pagesArray,
  (a) => {
    for (let i = 0; i < a.length; i++) sink += a[i]!;
  },
);
const odp = bestOf(
  ROUNDS * 10,
  () => mr,
  (m) => {
    // A 2 MiB window in the middle of the MR, whatever its size (BENCH_QUICK shrinks it).
    const at = m.iova + Math.floor(m.lengthBytes / 2 / (2 * MiB)) * 2 * MiB;
    m.invalidate(at, 2 * MiB);
    m.fault(at, 2 * MiB);
  },
);
table(
  ["operation", "time", "rate"],
  [
    ["register + deregister", `${(reg * 1e3).toFixed(1)} ms`, rate(MR_PAGES, reg, "pages")],
    ["HW page list walk (block cursor)", `${(walk * 1e3).toFixed(2)} ms`, rate(MR_PAGES, walk, "blocks")],
    [
      "same walk over a JS number[] page array",
      `${(walkArray * 1e3).toFixed(2)} ms`,
      rate(MR_PAGES, walkArray, "pages"),
    ],
    ["ODP invalidate + fault, 2 MiB (512 pages)", `${(odp * 1e6).toFixed(1)} us`, rate(512, odp, "pages")],
  ],
);
console.log(`\nblock cursor / page array walk: ${(walkArray / walk).toFixed(2)}x the array's speed`);
mr.deregister();
if (pinTable(memory).pinnedPages !== 0) throw new Error("pins leaked");

// ---- 3. dma-buf ----------------------------------------------------------------------------

console.log("\n# dma-buf: a GPU BAR exported to a NIC (attach + map + unmap + detach)\n");
const rows: string[][] = [];
for (const barSize of [16 * GiB, 64 * GiB]) {
  const topo = new PciTopology();
  const hb = topo.addHostBridge({ p2p: "allowed" });
  const rp = topo.addFunction(hb, { bdf: "0000:00:01.0", type: "root-port" });
  const sw = topo.addSwitch(rp, { upstream: "0000:01:00.0", downstream: ["0000:02:00.0", "0000:02:01.0"] });
  const gpu = topo.addFunction(sw.downstream[0]!, {
    bdf: "0000:03:00.0",
    bars: [{ index: 2, cpuAddress: 1024 * GiB, size: barSize, is64: true, prefetchable: true }],
  });
  const nic = topo.addFunction(sw.downstream[1]!, { bdf: "0000:04:00.0" });
  const rp2 = topo.addFunction(hb, { bdf: "0000:00:02.0", type: "root-port" });
  const farNic = topo.addFunction(rp2, { bdf: "0000:05:00.0" });
  const provider = gpu.p2pProvider(2);
  const list = new CpuRangeList(memory);
  list.appendPhysical(provider.bar.cpuAddress, barSize, provider);
  const exp = new DmaBufExporter(list);
  for (const [where, dev] of [
    ["same switch, BUS_ADDR", new DmaDevice({ pci: nic })],
    ["other root port, IOMMU", new DmaDevice({ pci: farNic, iommu: new IommuDomain() })],
  ] as const) {
    let entries = 0;
    let sg = 0;
    const t = bestOf(
      ROUNDS,
      () => exp,
      (e) => {
        const att = e.attach({ device: dev });
        const dma = e.map(att, "bidirectional");
        entries = dma.count;
        sg = sgEntriesForDmaList(dma.cursor());
        e.unmap(att, dma);
        e.detach(att);
      },
    );
    rows.push([`${size(barSize)} ${where}`, `${(t * 1e6).toFixed(1)} us`, String(entries), String(sg)]);
  }
}
table(["BAR, importer", "attach..detach", "range-list entries", "scatterlist entries"], rows);
if (sink === 0.5) console.log(sink);

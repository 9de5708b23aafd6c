/**
 * @rlist/dma benchmarks, in one process:
 * 1. the CPU range list (bench/cpu-list.ts): cursors next to the raw RangeList cursor, appends,
 *    seek at 1e4 / 1e5 / 1e6 entries;
 * 2. deviceTranslate() (bench/translate.ts): the BAR window index next to the old scan;
 * 3. strict vs lazy IOTLB invalidation (bench/flush-queue.ts): map + unmap of 1M random 4 KiB
 *    pages, both modes interleaved;
 * 4. mapping: map a 4 GiB CPU list through an IOMMU device and a direct device, for 1M random
 *    4 KiB pages and for 2048 random 2 MiB folios.
 * Figures are best-of-N wall clock; ratios are taken side by side in the same run (the machine is
 * shared and noisy).
 *
 * Run: pnpm --filter @rlist/dma bench   (BENCH_QUICK=1 for a smaller, quicker run;
 * BENCH_ONLY=cpu-list|translate|flush-queue|map for one part)
 */
import { CpuRangeList } from "../src/cpu/cpu-range-list.js";
import { IommuDomain } from "../src/iommu/iommu-domain.js";
import { summarizeCpuList } from "../src/mapping/cpu-source.js";
import { DmaDevice } from "../src/mapping/device.js";
import { type DmaMapping, type MapOptions, mapRangeList } from "../src/mapping/mapper.js";
import { PhysicalMemory } from "../src/memory/physical-memory.js";
import { cpuListTable, runCpuListBench } from "./cpu-list.js";
import { flushQueueTable, runFlushQueueBench } from "./flush-queue.js";
import { bestOf, rng } from "./timing.js";
import { runTranslateBench, translateTable } from "./translate.js";

const QUICK = process.env.BENCH_QUICK === "1";
const GiB = 2 ** 30;
const LIST_BYTES = (QUICK ? 0.25 : 4) * GiB;
const RAM_BYTES = 256 * GiB;
const RAM_START = 4 * GiB;
const ROUNDS = QUICK ? 2 : 3;

function fmt(n: number, digits = 1): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(digits)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(digits)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(digits)} k`;
  return n.toFixed(digits);
}

const ONLY = process.env.BENCH_ONLY;
if (ONLY === undefined || ONLY === "cpu-list") {
  const rows = runCpuListBench(QUICK ? [1e4, 1e5] : [1e4, 1e5, 1e6], QUICK ? 3 : 7);
  process.stdout.write(
    `# CpuRangeList (Node ${process.version}, best of ${QUICK ? 3 : 7})\n\n${cpuListTable(rows)}\n\n`,
  );
}
if (ONLY === undefined || ONLY === "translate") {
  const rows = runTranslateBench([2, 16, 48], QUICK ? 3 : 7);
  process.stdout.write(`# deviceTranslate (Node ${process.version})\n\n${translateTable(rows)}\n\n`);
}
if (ONLY === undefined || ONLY === "flush-queue") {
  const pages = QUICK ? 65536 : 1 << 20;
  const rows = runFlushQueueBench(pages, QUICK ? 2 : 8, 5);
  process.stdout.write(
    `# strict vs lazy IOTLB invalidation (${(pages * 4096) / GiB} GiB of random 4 KiB pages, 1 ms simulated per map+unmap)\n\n${flushQueueTable(rows, pages)}\n\n`,
  );
}
if (ONLY !== undefined && ONLY !== "map") process.exit(0);

const memory = new PhysicalMemory({ regions: [{ start: RAM_START, size: RAM_BYTES, kind: "ram" }] });

function pageList(): CpuRangeList {
  const r = rng(42);
  const n = LIST_BYTES / 4096;
  const pfns = new Float64Array(n);
  const first = RAM_START / 4096;
  const pages = RAM_BYTES / 4096;
  for (let i = 0; i < n; i++) pfns[i] = first + Math.floor(r() * pages);
  return CpuRangeList.fromPfns(memory, pfns);
}

function folioList(): CpuRangeList {
  const r = rng(7);
  const n = LIST_BYTES / (2 * 2 ** 20);
  const list = new CpuRangeList(memory);
  const first = RAM_START / 4096;
  const slots = RAM_BYTES / (2 * 2 ** 20);
  const used = new Set<number>();
  for (let i = 0; i < n; i++) {
    let s = Math.floor(r() * slots);
    while (used.has(s)) s = (s + 1) % slots;
    used.add(s);
    const pfn = first + s * 512;
    const folio = memory.folioOrder(pfn) === 9 ? memory.folioOf(pfn)! : memory.declareFolio(pfn, 9);
    list.appendFolio(folio, 0, 2 * 2 ** 20);
  }
  return list;
}

function iterate(list: CpuRangeList): number {
  const c = list.cursor();
  let sum = 0;
  for (let ok = c.reset(); ok; ok = c.next()) sum += c.phys + c.length;
  return sum;
}

interface Row {
  list: string;
  device: string;
  path: string;
  entries: number;
  pages4k: number;
  mapS: number;
  unmapS: number;
  iterS: number;
  dmaEntries: number;
  dmaBytesPerEntry: number;
  ptPages: number;
  ptBytes: number;
}

const rows: Row[] = [];

function bench(
  name: string,
  list: CpuRangeList,
  deviceName: string,
  makeDevice: () => DmaDevice,
  opts: Partial<MapOptions> = {},
): void {
  const entries = list.count;
  const pages4k = list.length / 4096;
  // Short lists (2048 folios) are timed more often: one run is only milliseconds.
  const rounds = Math.max(ROUNDS, Math.min(25, Math.ceil(65536 / entries)));
  const iterS = bestOf(
    rounds,
    () => null,
    () => void iterate(list),
  );
  let last: { dev: DmaDevice; m: DmaMapping } | null = null;
  let unmapS = Number.POSITIVE_INFINITY;
  const mapS = bestOf(
    rounds,
    () => makeDevice(),
    (dev) => {
      last = { dev, m: mapRangeList(dev, list, { direction: "bidirectional", ...opts }) };
    },
    () => {
      const { dev, m } = last!;
      stats = {
        path: m.path,
        dma: m.list.stats(),
        pt: dev.iommu?.pageTablePages ?? 0,
        ptBytes: dev.iommu?.pageTable.reservedBytes ?? 0,
      };
      const t0 = process.hrtime.bigint();
      m.unmap();
      unmapS = Math.min(unmapS, Number(process.hrtime.bigint() - t0) / 1e9);
      if (dev.iommu && !dev.iommu.idle) throw new Error("domain not idle after unmap");
    },
  );
  const s = stats!;
  rows.push({
    list: name,
    device: deviceName,
    path: s.path,
    entries,
    pages4k,
    mapS,
    unmapS,
    iterS,
    dmaEntries: s.dma.entries,
    dmaBytesPerEntry: s.dma.bytes / Math.max(1, entries),
    ptPages: s.pt,
    ptBytes: s.ptBytes,
  });
  const r = rows[rows.length - 1]!;
  process.stderr.write(
    `${name.padEnd(14)} ${deviceName.padEnd(22)} ${r.path.padEnd(16)} map ${fmt(pages4k / mapS)} pages/s, ` +
      `${fmt(entries / mapS)} entries/s; iterate ${fmt(entries / iterS)} entries/s; ratio ${(iterS / mapS).toFixed(3)}\n`,
  );
}
let stats: { path: string; dma: { entries: number; bytes: number }; pt: number; ptBytes: number } | null =
  null;

const iommuDevice = () => new DmaDevice({ name: "iommu", iommu: new IommuDomain() });
const directDevice = () => new DmaDevice({ name: "direct" });

process.stderr.write(`building lists (${LIST_BYTES / GiB} GiB each)...\n`);
const pages = pageList();
const folios = folioList();
// The per-entry path, forced: what a list that is not a page list (or has P2P) costs.
const perEntry = (list: CpuRangeList): Partial<MapOptions> => ({
  summary: { ...summarizeCpuList(list.cursor()), isPagelist: false, hasP2p: true },
});

// Warm the cursor code up so the first side-by-side iteration figure is not a cold one.
for (let i = 0; i < 3; i++) {
  iterate(pages);
  iterate(folios);
}

bench("4K pages", pages, "IOMMU (page list)", iommuDevice);
bench("4K pages", pages, "IOMMU (per entry)", iommuDevice, perEntry(pages));
bench("4K pages", pages, "direct (identity)", directDevice);
bench("4K pages", pages, "direct (per entry)", directDevice, perEntry(pages));
bench("2M folios", folios, "IOMMU (page list)", iommuDevice);
bench("2M folios", folios, "IOMMU (per entry)", iommuDevice, perEntry(folios));
bench("2M folios", folios, "direct (identity)", directDevice);
bench("2M folios", folios, "direct (per entry)", directDevice, perEntry(folios));

// scatterlist: 32 B per entry, 128 per 4 KiB chunk, the last one a chain link (127 usable).
const sgBytesPerEntry = (n: number) => (Math.ceil(n / 127) * 4096) / n;

const out: string[] = [];
out.push(
  `# @rlist/dma mapping benchmark (${LIST_BYTES / GiB} GiB lists, best of ${ROUNDS}, Node ${process.version})`,
);
out.push("");
out.push(
  "| list | device | path | CPU entries | map pages/s | map entries/s | iterate entries/s | map / iterate | unmap s | DMA B/entry | sg B/entry | PT pages | PT MiB |",
);
out.push("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const r of rows) {
  out.push(
    `| ${r.list} | ${r.device} | ${r.path} | ${r.entries} | ${fmt(r.pages4k / r.mapS)} | ${fmt(r.entries / r.mapS)} | ` +
      `${fmt(r.entries / r.iterS)} | ${(r.iterS / r.mapS).toFixed(3)} | ${r.unmapS.toFixed(3)} | ` +
      `${r.dmaBytesPerEntry.toFixed(2)} | ${sgBytesPerEntry(r.entries).toFixed(2)} | ${r.ptPages} | ${(r.ptBytes / 2 ** 20).toFixed(1)} |`,
  );
}
out.push("");
out.push(
  "map / iterate = (time to iterate the CPU list) / (time to map it): 1.0 would mean mapping costs no more than a walk.",
);
out.push(
  "DMA B/entry = DMA-list chunk bytes per CPU entry (0: identity view or one entry for the whole list).",
);
process.stdout.write(`${out.join("\n")}\n`);

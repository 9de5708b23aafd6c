/**
 * Where each @rlist/dma kernel should take over from its TypeScript loop: both timed on CPU lists
 * of 4 to 512 random 4 KiB pages (one entry each; 512-byte chunks), interleaved call batch by call
 * batch after warming both on every size, medians of REPS batches. The kernels' fixed cost is the
 * call into wasm and reading results back; the loops' is per entry. The thresholds live in
 * src/kernels/thresholds.ts.
 *
 *   pnpm --filter @rlist/dma exec tsx --conditions @rlist/source bench/kernel-threshold.ts
 *   (or bundle it: the kernels and loops are the same code either way)
 */

import { median } from "../../../scripts/bench-stats.js";
import { CpuRangeList } from "../src/cpu/cpu-range-list.js";
import { DmaRangeList } from "../src/dma-list/dma-range-list.js";
import { pciDefaultSegmentation } from "../src/dma-list/segmentation.js";
import { IommuDomain } from "../src/iommu/iommu-domain.js";
import { kernelMinEntries } from "../src/kernels/thresholds.js";
import { summarizeCpuList } from "../src/mapping/cpu-source.js";
import { DmaDevice } from "../src/mapping/device.js";
import { mapRangeList } from "../src/mapping/mapper.js";
import { PhysicalMemory } from "../src/memory/physical-memory.js";
import { rng } from "./timing.js";

const SIZES = (process.env.SIZES ?? "1,2,4,8,16,24,32,48,64,96,128,256,512").split(",").map(Number);
const REPS = Number(process.env.REPS ?? 11);
const GiB = 2 ** 30;

const memory = new PhysicalMemory({ regions: [{ start: 4 * GiB, size: 64 * GiB, kind: "ram" }] });

function pages(n: number, seed: number): CpuRangeList {
  const r = rng(seed);
  const pfns = new Float64Array(n);
  // Every other frame at most: no two pages merge, so n pages are n entries.
  for (let i = 0; i < n; i++) pfns[i] = (4 * GiB) / 4096 + 2 * Math.floor(r() * (GiB / 4096));
  return CpuRangeList.fromPfns(memory, pfns);
}

function setAll(v: number): void {
  for (const k of Object.keys(kernelMinEntries) as (keyof typeof kernelMinEntries)[]) kernelMinEntries[k] = v;
}

let sink = 0;
const domain = new IommuDomain();
const device = new DmaDevice({ name: "iommu", iommu: domain });
const segDevice = new DmaDevice({
  name: "iommu-seg",
  iommu: new IommuDomain(),
  segmentation: pciDefaultSegmentation,
});

type Op = (l: CpuRangeList, d: DmaRangeList) => void;
const OPS: Array<[string, Op]> = [
  [
    "IOMMU page list map+unmap",
    (l) => {
      const m = mapRangeList(device, l, { direction: "to-device" });
      m.unmap();
    },
  ],
  [
    "IOMMU per entry map+unmap",
    (l) => {
      const s = summarizeCpuList(l.cursor());
      const m = mapRangeList(segDevice, l, { direction: "to-device", summary: { ...s, isPagelist: false } });
      m.unmap();
    },
  ],
  [
    "summarizeCpuList",
    (l) => {
      sink += summarizeCpuList(l.cursor()).entries;
    },
  ],
  [
    "numSegments (identity)",
    (_l, d) => {
      sink += d.numSegments(pciDefaultSegmentation);
    },
  ],
  [
    "findBestBlockSize (identity)",
    (_l, d) => {
      sink += d.findBestBlockSize({ ...pciDefaultSegmentation, blockSizes: 0x20_1000 });
    },
  ],
];

/** ns per call of `op` over a batch of calls. */
function nsPerCall(op: Op, l: CpuRangeList, d: DmaRangeList, calls: number): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) op(l, d);
  return Number(process.hrtime.bigint() - t0) / calls;
}

const lists = SIZES.map((n, i) => pages(n, 100 + i));
const views = lists.map((l) => DmaRangeList.identity(l));
// Warm both paths on every size.
for (let r = 0; r < 30; r++) {
  for (let i = 0; i < lists.length; i++) {
    for (const [, op] of OPS) {
      setAll(0);
      op(lists[i]!, views[i]!);
      setAll(Number.POSITIVE_INFINITY);
      op(lists[i]!, views[i]!);
    }
  }
}
console.log(`# kernel vs TypeScript loop, ns per call (median of ${REPS} batches), Node ${process.version}`);
console.log("| operation | entries | loop ns | kernel ns | kernel / loop |");
console.log("|---|---:|---:|---:|---:|");
for (const [name, op] of OPS) {
  for (let i = 0; i < lists.length; i++) {
    const calls = Math.max(20, Math.floor(40_000 / SIZES[i]!));
    const loop: number[] = [];
    const kern: number[] = [];
    for (let r = 0; r < REPS; r++) {
      setAll(Number.POSITIVE_INFINITY);
      loop.push(nsPerCall(op, lists[i]!, views[i]!, calls));
      setAll(0);
      kern.push(nsPerCall(op, lists[i]!, views[i]!, calls));
    }
    const a = median(loop);
    const b = median(kern);
    console.log(`| ${name} | ${SIZES[i]} | ${a.toFixed(0)} | ${b.toFixed(0)} | ${(b / a).toFixed(2)} |`);
  }
}
if (sink === 0.5) console.log(sink);

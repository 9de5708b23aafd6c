/**
 * @rlist/dma benchmarks, in one process:
 * 1. the CPU range list (bench/cpu-list.ts): cursors next to the raw RangeList cursor, appends,
 *    seek at 1e4 / 1e5 / 1e6 entries;
 * 2. deviceTranslate() (bench/translate.ts): the BAR window index next to the old scan;
 * 3. strict vs lazy IOTLB invalidation (bench/flush-queue.ts): map + unmap of 1M random 4 KiB
 *    pages, both modes interleaved;
 * 4. mapping (bench/mapping.ts): map 4 GiB CPU lists (1M random 4 KiB pages; 2048 random 2 MiB
 *    folios) through an IOMMU device and a direct device against the public-cursor walk, and
 *    24-page lists, each beside the baseline revision's code in one child process (interleaved
 *    rounds, medians with min-max).
 * Ratios are taken side by side in the same run (the machine is shared and noisy).
 *
 * Run: pnpm --filter @rlist/dma bench   (BENCH_QUICK=1 for a smaller, quicker run;
 * BENCH_ONLY=cpu-list|translate|flush-queue|map for one part)
 */
import { benchMain, parseBenchOptions } from "../../../scripts/bench-options.js";
import { cpuListTable, runCpuListBench } from "./cpu-list.js";
import { flushQueueTable, runFlushQueueBench } from "./flush-queue.js";
import { mappingTables, runMappingBench } from "./mapping.js";
import { runTranslateBench, translateTable } from "./translate.js";

// No command-line options: refuse any (a typo would otherwise start a long run) and answer --help.
benchMain(
  `
usage: pnpm --filter @rlist/dma bench   (options come from the environment)

  BENCH_QUICK=1                                  smaller lists, fewer rounds
  BENCH_ONLY=cpu-list|translate|flush-queue|map  one part
  BENCH_BASELINE=<rev>                           the revision the mapping bench compares against
  -h, --help                                     this text
`,
  (argv) => parseBenchOptions({}, argv),
);

const QUICK = process.env.BENCH_QUICK === "1";
const GiB = 2 ** 30;
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
if (ONLY === undefined || ONLY === "map") {
  const r = await runMappingBench(QUICK);
  process.stdout.write(`${mappingTables(r)}\n`);
}

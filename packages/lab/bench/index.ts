/**
 * Lab benchmark: every representation built and walked side by side in one run, on the
 * example machine (so figures compare across hosts), at 131072 input ranges, 7 interleaved rounds,
 * with the C yardstick beside the rlist when gcc is present. Prints the tables, the JS cursor /
 * kernel / C walks of the rlist, and the walk/build ratios of rlist-512 to the kernel structures.
 */
import { benchMain, parseBenchOptions } from "../../../scripts/bench-options.js";
import { exampleMachine } from "../src/machine/host.js";
import { sideBySideTable, workloadHeading, workloadTable } from "../src/render/table.js";
import { runStudy } from "../src/study/run.js";

// No command-line options: refuse any (a typo would otherwise start a long run) and answer --help.
benchMain(
  `
usage: pnpm --filter @rlist/lab bench   (options come from the environment)

  RLIST_LAB_BENCH_ENTRIES=<n>   input ranges (default 131072)
  -h, --help                    this text
`,
  (argv) => parseBenchOptions({}, argv),
);

const entries = Number(process.env.RLIST_LAB_BENCH_ENTRIES ?? 131072);
const r = runStudy({
  entries,
  seed: 1,
  chunkBytes: [128, 512, 4096],
  workloads: ["rdma", "thp", "nvme", "gpu-p2p"],
  runs: 7,
  liveBytes: 64 << 20,
  machine: exampleMachine(),
  machineLabel: "example",
  version: "bench",
  mappings: false,
  calibrateNs: 100e6,
  cYardstick: true,
  onNote: (m) => console.error(`# ${m}`),
});

const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}x` : "-");
for (const w of r.workloads) {
  console.log(workloadHeading(w));
  console.log(workloadTable(w));
  const side = sideBySideTable(w);
  if (side !== "") console.log(`\n${side}`);
  const rl = w.representations.find((x) => x.id === "rlist-512")!;
  const parts = ["bio_vec", "scatterlist", "page-array", "js-objects"].flatMap((id) => {
    const o = w.representations.find((x) => x.id === id && x.supported);
    return o
      ? [
          `${id}: kernel walk ${ratio(rl.kernelWalkEntriesPerSec, o.kernelWalkEntriesPerSec)}, JS cursor walk ${ratio(rl.jsWalkEntriesPerSec, o.jsWalkEntriesPerSec)} entries/s (medians of interleaved rounds), memory ${ratio(rl.bytes, o.bytes)}`,
        ]
      : [];
  });
  console.log(`rlist-512 vs ${parts.join("; ")}\n`);
}

import { loadMachine } from "./src/machine/host.js";
import { runStudy } from "./src/study/run.js";

const t = performance.now();
const r = runStudy({
  entries: 65536,
  seed: 1,
  chunkBytes: [128, 512, 4096],
  workloads: ["rdma", "thp", "nvme", "gpu-p2p", "live"],
  runs: 5,
  liveBytes: 64 << 20,
  machine: loadMachine(),
  machineLabel: "host",
  version: "0",
  onStep: (d, t, l) => process.stderr.write(`${d}/${t} ${l} ${Math.round(performance.now())}\n`),
});
for (const w of r.workloads) {
  console.log(w.id, w.ranges, w.pages, w.bytes);
  for (const x of w.representations)
    console.log(
      "  ",
      x.id.padEnd(14),
      x.supported
        ? [
            x.entries,
            x.bytes,
            x.bytesPerEntry.toFixed(2),
            (x.efficiency * 100).toFixed(1),
            (x.buildEntriesPerSec / 1e6).toFixed(1),
            (x.iterateBytesPerSec / 2 ** 30).toFixed(1),
            (x.iterateEntriesPerSec / 1e6).toFixed(1),
            x.measured,
          ].join(" ")
        : x.reason,
    );
}
console.log(r.findings.join("\n"));
console.log("total ms", performance.now() - t);

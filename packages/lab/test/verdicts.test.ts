import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { exampleMachine } from "../src/machine/host.js";
import type { RepresentationResult } from "../src/study/measure.js";
import type { StudyResults, WorkloadResult } from "../src/study/results.js";
import { runStudy } from "../src/study/run.js";
import { RESULTS_JSON_SCHEMA, validateResults } from "../src/study/schema.js";
import { timingOf } from "../src/study/timing.js";
import { computeVerdicts, VERDICT_IDS } from "../src/study/verdicts.js";

function study(seed: number): StudyResults {
  return runStudy({
    entries: 1024,
    seed,
    chunkBytes: [128, 512, 4096],
    workloads: ["rdma", "thp", "nvme", "gpu-p2p"],
    runs: 3,
    liveBytes: 1 << 20,
    machine: exampleMachine(),
    machineLabel: "example",
    version: "test",
    calibrateNs: 2e6,
    mapBudgetNs: 100e6,
  });
}

describe("verdicts of a real study", () => {
  const a = study(5);
  const b = study(5);

  it("measures its own noise floors: one representation built twice, and variants that came out identical", () => {
    // The control twins, or a no-merge variant whose lists equal its merging twin's.
    const pair = /^(rlist-128|(\S+) = \2\/no-merge)$/;
    for (const w of a.workloads) {
      for (const floor of [w.noise!, w.kernelNoise!]) {
        expect(floor.control).toMatch(pair);
        expect(floor.rounds).toBe(3);
        expect(floor.factor).toBeGreaterThanOrEqual(1);
      }
    }
    // nvme merges (no identical twin for the rlist), rdma cannot (scattered pages: every variant twins).
    const rdma = a.workloads.find((w) => w.id === "rdma")!;
    const nvme = a.workloads.find((w) => w.id === "nvme")!;
    expect(rdma.representations.find((r) => r.key === "rlist-512")!.checksum).toEqual(
      rdma.representations.find((r) => r.key === "rlist-512/no-merge")!.checksum,
    );
    expect(nvme.representations.find((r) => r.key === "rlist-512")!.checksum).not.toEqual(
      nvme.representations.find((r) => r.key === "rlist-512/no-merge")!.checksum,
    );
  });

  it("has every verdict, each answered with a margin and the data that decided it", () => {
    expect(a.verdicts.map((v) => v.id)).toEqual([...VERDICT_IDS]);
    for (const v of a.verdicts) {
      expect(v.answer).not.toMatch(/^Not decided/);
      expect(v.margin.length).toBeGreaterThan(10);
      expect(v.data).toEqual(["synthetic"]);
      expect(v.evidence.length).toBeGreaterThan(0);
    }
    expect(validateResults(a)).toEqual([]);
  });

  it("two runs with the same seed give the same verdicts (answers come from exact figures)", () => {
    expect(b.verdicts.map((v) => [v.id, v.answer, v.evidence, v.margin])).toEqual(
      a.verdicts.map((v) => [v.id, v.answer, v.evidence, v.margin]),
    );
    // ... although their timed figures differ from run to run.
    const walks = (r: StudyResults) =>
      r.workloads.flatMap((w) => w.representations.map((x) => x.kernelWalk?.medianNs));
    expect(walks(b)).not.toEqual(walks(a));
  });

  it("answers quote the figures: variable vs fixed entry bytes, merged vs unmerged entries", () => {
    const rdma = a.workloads.find((w) => w.id === "rdma")!;
    const v = rdma.representations.find((r) => r.key === "rlist-512")!;
    const f = rdma.representations.find((r) => r.key === "fixed16")!;
    const ef = a.verdicts.find((x) => x.id === "entry-format")!;
    expect(ef.answer).toMatch(/^Variable 8\/16\/24-byte entries: variable entries take /);
    expect(ef.answer).toContain("cannot describe gpu-p2p (synthetic)");
    expect(ef.evidence.find((e) => e.startsWith("rdma"))).toContain(
      `variable ${(f.bytes / v.bytes).toFixed(2)}x smaller`,
    );
    const nvme = a.workloads.find((w) => w.id === "nvme")!;
    const on = nvme.representations.find((r) => r.key === "rlist-512")!;
    const off = nvme.representations.find((r) => r.key === "rlist-512/no-merge")!;
    expect(off.entries).toBeGreaterThan(on.entries);
    expect(a.verdicts.find((x) => x.id === "merging")!.evidence).toContain(
      `nvme (synthetic): ${off.entries.toLocaleString("en-US")} entries unmerged, ${on.entries.toLocaleString("en-US")} merged (${(off.entries / on.entries).toFixed(2)}x); ${off.bytes.toLocaleString("en-US")} B against ${on.bytes.toLocaleString("en-US")} B`,
    );
    // P2P: the rlist with contiguous same-provider PHYSICAL ranges merged, beside the faithful one.
    const gpu = a.workloads.find((w) => w.id === "gpu-p2p")!;
    const faithful = gpu.representations.find((r) => r.key === "rlist-512")!;
    const p2pMerged = gpu.representations.find((r) => r.key === "rlist-512/p2p-merge")!;
    const sg = gpu.representations.find((r) => r.key === "scatterlist")!;
    expect(p2pMerged.entries).toBeLessThan(faithful.entries);
    expect(p2pMerged.entries).toBe(sg.entries); // same rule as sg_alloc_table_from_pages() for one pgmap
    expect(a.verdicts.find((x) => x.id === "merging")!.answer).toContain(
      `P2P: merging contiguous ranges of one provider (CpuRangeList mergePhysical) stores ${(faithful.entries / p2pMerged.entries).toFixed(2)}x fewer entries on gpu-p2p (synthetic)`,
    );
    expect(a.representations.map((r) => r.key)).toContain("rlist-512/p2p-merge");
    const cs = a.verdicts.find((x) => x.id === "chunk-size")!;
    expect(cs.answer).toMatch(/9-64 entries: 128 B chunks/);
    const p2p = a.verdicts.find((x) => x.id === "p2p")!;
    expect(p2p.answer).toMatch(/bus addresses: no IOVA.*refused \(EREMOTEIO\)/);
  });
});

describe("verdict rules", () => {
  const rep = (
    key: string,
    bytes: number,
    entries: number,
    walkNs: number[] | null = null,
    jsWalkNs: number[] | null = walkNs,
  ): RepresentationResult => ({
    id: key.split("/")[0] as RepresentationResult["id"],
    key,
    label: key,
    family: key.startsWith("rlist") ? "rlist" : "fixed16",
    merge: !key.endsWith("/no-merge"),
    supported: true,
    entries,
    bytes,
    bytesPerEntry: bytes / entries,
    efficiency: 1,
    bytesPerMiB: bytes,
    measured: false,
    build: null,
    kernelWalk: walkNs === null ? null : timingOf(walkNs),
    jsWalk: jsWalkNs === null ? null : timingOf(jsWalkNs),
    buildEntriesPerSec: 1,
    kernelWalkEntriesPerSec: 1,
    jsWalkEntriesPerSec: 1,
    checksum: null,
    c: null,
  });
  const w = (id: WorkloadResult["id"], reps: RepresentationResult[]): WorkloadResult => ({
    id,
    title: id,
    summary: "",
    data: "synthetic",
    groupNoun: "list",
    groups: 1,
    ranges: 100,
    bytes: 1 << 20,
    pages: 256,
    facts: [],
    representations: reps,
    noise: null,
    kernelNoise: null,
    findings: [],
  });

  it("exact figures within 2 % are no measurable difference; beyond, the winner is named", () => {
    const tie = computeVerdicts([w("thp", [rep("rlist-512", 1000, 10), rep("fixed16", 1015, 10)])], [])[0]!;
    expect(tie.answer).toContain("no measurable difference on thp (synthetic)");
    const win = computeVerdicts([w("thp", [rep("rlist-512", 1000, 10), rep("fixed16", 1500, 10)])], [])[0]!;
    expect(win.answer).toBe(
      "Variable 8/16/24-byte entries: variable entries take 1.50x less memory than fixed 16-byte ones on thp (synthetic).",
    );
    const lose = computeVerdicts([w("thp", [rep("rlist-512", 1500, 10), rep("fixed16", 1000, 10)])], [])[0]!;
    expect(lose.answer).toMatch(/^Fixed 16-byte entries: fixed 16-byte entries take 1.50x less/);
  });

  it("a timed difference inside the noise is called no measurable difference, outside it a winner", () => {
    const noisy = computeVerdicts(
      [w("rdma", [rep("rlist-512", 1000, 10, [10, 30, 10]), rep("fixed16", 2000, 10, [20, 15, 20])])],
      [],
    )[0]!;
    expect(noisy.timed!.answer).toContain("rdma: no measurable difference between variable and fixed 16 B");
    const clear = computeVerdicts(
      [w("rdma", [rep("rlist-512", 1000, 10, [30, 31, 29]), rep("fixed16", 2000, 10, [10, 10, 11])])],
      [],
    )[0]!;
    expect(clear.timed!.answer).toMatch(
      /rdma: fixed 16 B 3\.00x faster than variable \(per-round 2\.64x-3\.10x\)/,
    );
    // The timed observation never changes the (exact) answer.
    expect(clear.answer).toBe(noisy.answer);
    // A measured noise floor above the effect (twins differed 4x in some round) silences it.
    const rdma = w("rdma", [
      rep("rlist-512", 1000, 10, [30, 31, 29]),
      rep("fixed16", 2000, 10, [10, 10, 11]),
    ]);
    const loud = computeVerdicts(
      [{ ...rdma, kernelNoise: { control: "rlist-512", factor: 4, rounds: 3 } }],
      [],
    )[0]!;
    expect(loud.timed!.answer).toContain(
      "rdma: no measurable difference between variable and fixed 16 B (per-round 0.32x-0.38x; noise floor 4.00x)",
    );
  });

  it("walks are decided by the kernels; the JS cursors follow, labelled, and decide nothing", () => {
    // Kernels: variable 2x faster in every round; JS cursors: fixed16 3x faster.
    const v = computeVerdicts(
      [
        w("rdma", [
          rep("rlist-512", 1000, 10, [10, 10, 10], [30, 31, 29]),
          rep("fixed16", 2000, 10, [20, 20, 21], [10, 10, 11]),
        ]),
      ],
      [],
    )[0]!;
    expect(v.timed!.answer).toBe(
      "Walking every entry (WebAssembly kernels, the same work per entry): rdma: variable 2.00x faster than fixed 16 B (per-round 2.00x-2.10x). " +
        "JS cursors, for reference and not ranked (median per-round speed ratio variable / fixed 16 B): rdma 0.33x.",
    );
    // Without kernel walks (JS objects only) the line says so by leaving the kernels out.
    const jsOnly = computeVerdicts(
      [
        w("rdma", [
          rep("rlist-512", 1000, 10, null, [30, 31, 29]),
          rep("fixed16", 2000, 10, null, [10, 10, 11]),
        ]),
      ],
      [],
    )[0]!;
    expect(jsOnly.timed!.answer).toMatch(/^JS cursors, for reference and not ranked/);
  });

  it("merged and unmerged lists that came out the same are not compared by time", () => {
    const sum = { count: 10, lengthSum: "40960", baseSum: "123" };
    const on = { ...rep("rlist-512", 1000, 10, [10, 10, 10]), checksum: sum };
    const off = { ...rep("rlist-512/no-merge", 1000, 10, [20, 20, 20]), checksum: sum };
    const v = computeVerdicts([w("rdma", [on, off])], []).find((x) => x.id === "merging")!;
    expect(v.timed!.answer).toBe(
      "Walking every entry (WebAssembly kernels, the same work per entry): rdma: the same lists either way (their walks are one more A/A pair of the noise floor).",
    );
    const other = { ...off, checksum: { ...sum, count: 12 } };
    const u = computeVerdicts([w("rdma", [on, other])], []).find((x) => x.id === "merging")!;
    expect(u.timed!.answer).toContain("rdma: merged 2.00x faster than unmerged");
  });

  it("says what is missing instead of guessing", () => {
    const v = computeVerdicts([w("thp", [rep("rlist-512", 1000, 10)])], []);
    expect(v.find((x) => x.id === "chunk-size")!.answer).toMatch(/^Not decided: only one chunk size/);
    expect(v.find((x) => x.id === "merging")!.answer).toMatch(/--merge on,off/);
    expect(v.find((x) => x.id === "p2p")!.answer).toMatch(/^Not decided: the gpu-p2p workload/);
  });
});

describe("the published schema", () => {
  it("is the file shipped with the package (files and exports name it)", () => {
    const file = JSON.parse(
      readFileSync(new URL("../results.schema.json", import.meta.url), "utf8"),
    ) as unknown;
    expect(RESULTS_JSON_SCHEMA).toEqual(file);
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
      files: string[];
      exports: Record<string, unknown>;
      publishConfig: { exports: Record<string, unknown> };
    };
    expect(pkg.files).toContain("results.schema.json");
    expect(pkg.exports["./results.schema.json"]).toBe("./results.schema.json");
    expect(pkg.publishConfig.exports["./results.schema.json"]).toBe("./results.schema.json");
  });
});

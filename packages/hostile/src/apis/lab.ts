/**
 * @rlist/lab library exports: workloads, representations, the study and its figures, the
 * renderers. Their inputs are the study's own records, so the world offers real ones (a small
 * study run once per child process, handed out as fresh copies); the CLI itself is exercised
 * as a binary (cli.ts).
 */
import { fileURLToPath } from "node:url";
import * as dma from "@rlist/dma";
import * as lab from "@rlist/lab";
import { ChunkPool, RangeList } from "@rlist/list";
import type { Api, Override } from "../api.js";
import { any, array, obj, opt, str, union } from "../kinds.js";
import type { World } from "../world.js";

/** A small study, once per process (seconds); each case gets its own deep copy. */
let study: lab.StudyResults | null = null;
export function smallStudy(): lab.StudyResults {
  study ??= lab.runStudy({
    entries: 64,
    seed: 7,
    chunkBytes: [512],
    workloads: ["rdma", "nvme"],
    runs: 1,
    liveBytes: 1 << 20,
    machine: lab.exampleMachine(),
    machineLabel: "example",
    mappings: true,
    mapBudgetNs: 1e6,
    calibrateNs: 1e5,
    version: "hostile",
  });
  return structuredClone(study);
}

const io = { out: () => {}, err: () => {}, cwd: "/nonexistent-rlist-hostile" };

const SYSROOT = fileURLToPath(new URL("../../../lab/test/fixtures/sysroot/", import.meta.url));
const PAGE = 4096;
const timing = () => lab.timingOf([1000, 1200, 900]);
const MAPS =
  "55d0c0a00000-55d0c0c00000 rw-p 00000000 00:00 0    [heap]\n7f1a2b000000-7f1a2c000000 rw-p 00000000 00:00 0 \n";

/** Kernel-walk memories laid out as the walk references read them (entries from word 16). */
function bvecWords(): [Uint32Array, Uint32Array] {
  const words = new Uint32Array(64);
  words.set([0x200 * 64, 0, PAGE, 0, 0x300 * 64, 0, 512, 100], 16);
  return [words, Uint32Array.of(0, 2)];
}
function pageArrayWords(): [Uint32Array, number, number] {
  const words = new Uint32Array(64);
  words.set([128, 2, 0, 0, 2 * PAGE, 0], 16); // descriptor at byte 64: pages at byte 128
  words.set([0x200 * 64, 0, 0x201 * 64, 0], 32);
  return [words, 64, 1];
}
function sgWords(): [Uint32Array, Uint32Array] {
  const words = new Uint32Array(64);
  words.set([0x200 * 64 + 2, 0, 0, PAGE, 0, 0, PAGE, 0], 16); // one entry, marked END
  return [words, Uint32Array.of(64)];
}

/** Valid arguments that reach the success path (small, so the small run stays quick). */
const VALID: Record<string, (w: World) => unknown[] | undefined> = {
  "lab:PfnPicker#folio": () => [0],
  "lab:PfnPicker#isFree": () => [0x200],
  "lab:PfnPicker#take": () => [0x1_0000],
  "lab:RangeSetBuilder#addFolioRange": () => [0x10, 0, 0x10 * PAGE, PAGE],
  "lab:RangeSetBuilder#addPhysical": () => [0x8000_0000, PAGE, 0],
  "lab:KernelMemory#sums": () => [0],
  "lab:new KernelMemory": () => [1],
  "lab:new PfnPicker": () => [lab.EXAMPLE_RAM, lab.createRng(1)],
  "lab:new CWalkRunner": (w) => {
    const y = lab.prepareCYardstick();
    return y.ok ? [y, [{ chunkBytes: [512], lists: [w.rangeList] }], 1e4] : undefined;
  },
  "lab:appendRanges": (w) => [w.labRamSet, 0, new dma.CpuRangeList(w.labMachine.memory), [], true],
  "lab:makeList": (w) => [
    w.labRamSet,
    0,
    w.labPrepared.ctx,
    new RangeList({ pool: new ChunkPool({ chunkBytes: 512 }) }),
    true,
    false,
  ],
  "lab:firstListBytes": (w) => [w.labRamSet, w.labPrepared.ctx, 512],
  "lab:rlistRepresentation": (w) => [512, w.labPrepared.ctx, true, false],
  "lab:fixed16Representation": () => [true],
  "lab:scatterlistRepresentation": () => [false],
  "lab:barChart": () => [
    {
      title: "bytes per MiB",
      unit: "B",
      series: [{ id: "a", label: "rlist", color: "#2a7" }],
      categories: [{ label: "rdma", values: [1234] }],
    },
  ],
  "lab:bestOf": () => [2, 1e6, () => {}],
  "lab:calibrate": () => [() => {}, 1e6],
  "lab:interleaved": () => [[() => {}, () => {}], 2, { calibrateNs: 1e5 }],
  "lab:bvecWalkReference": () => bvecWords(),
  "lab:pageArrayWalkReference": () => pageArrayWords(),
  "lab:sgWalkReference": () => sgWords(),
  "lab:candidateMappings": () => [lab.parseMaps(MAPS), PAGE],
  "lab:parseMaps": () => [MAPS],
  "lab:decodePagemap": () => [new Uint8Array(64)],
  "lab:liveRanges": () => [0x1000, 3 * PAGE, Float64Array.of(0x200, -1, 0x300)],
  "lab:liveWorkload": () => [16 * PAGE],
  "lab:loadMachine": () => [SYSROOT],
  "lab:computeFindings": () => {
    const s = smallStudy();
    return [s.workloads, s.mappings];
  },
  "lab:computeVerdicts": () => {
    const s = smallStudy();
    return [s.workloads, s.mappings];
  },
  "lab:createRng": () => [1],
  "lab:mulberry32": () => [1],
  "lab:deriveSeed": () => [1, "rdma"],
  "lab:exampleMachine": () => ["a note"],
  "lab:formatValue": () => [1234.5],
  "lab:niceMax": () => [87],
  "lab:esc": () => ["<a & b>"],
  "lab:isWorkloadId": () => ["rdma"],
  "lab:rdmaWorkload": () => [{ entries: 16, seed: 1, ram: lab.EXAMPLE_RAM }],
  "lab:thpWorkload": () => [{ entries: 16, seed: 1, ram: lab.EXAMPLE_RAM }],
  "lab:nvmeWorkload": () => [{ entries: 64, seed: 1, ram: lab.EXAMPLE_RAM }],
  "lab:gpuWorkload": () => [
    {
      entries: 16,
      seed: 1,
      ram: [],
      bar: { start: 0x38_0000_0000, size: 2 ** 30, provider: 0, name: "BAR1" },
    },
  ],
  "lab:prepareWorkload": (w) => [
    "rdma",
    { entries: 16, seed: 1, liveBytes: 16 * PAGE, machine: w.labMachine, p2p: w.labP2p },
  ],
  "lab:representationsFor": (w) => [w.labPrepared, [512], ["on"]],
  "lab:mapTargets": (w) => [w.labPrepared, w.labP2p],
  "lab:mapWorkload": (w) => [w.labPrepared, w.labP2p, { rounds: 1, budgetNs: 1e6 }],
  "lab:measureAll": (w) => [
    [lab.scatterlistRepresentation()],
    w.labPrepared.workload,
    { rounds: 1, calibrateNs: 1e4 },
  ],
  "lab:measureRetainedHeap": () => [() => [1, 2, 3]],
  "lab:runStudy": () => [
    {
      entries: 16,
      seed: 1,
      chunkBytes: [512],
      workloads: ["rdma"],
      merge: ["on"],
      runs: 1,
      liveBytes: 16 * PAGE,
      machine: lab.exampleMachine(),
      machineLabel: "example",
      mappings: false,
      calibrateNs: 1e4,
      version: "hostile",
    },
  ],
  "lab:headline": () => [smallStudy().workloads[0]],
  "lab:workloadFindings": () => [smallStudy().workloads[0]],
  "lab:workloadTable": () => [smallStudy().workloads[0]],
  "lab:sideBySide": () => [smallStudy().workloads[0]],
  "lab:sideBySideTable": () => [smallStudy().workloads[0]],
  "lab:mappingTable": () => [smallStudy().mappings],
  "lab:verdictText": () => [smallStudy().verdicts],
  "lab:studyText": () => [smallStudy()],
  "lab:renderHtml": () => [smallStudy()],
  "lab:overviewCharts": () => [smallStudy()],
  "lab:validateResults": () => [smallStudy()],
  "lab:median": () => [[3, 1, 2]],
  "lab:timingOf": () => [[1000, 1200, 900]],
  "lab:msRange": () => [timing()],
  "lab:rateRange": () => [1000, timing()],
  "lab:rateWithRange": () => [1000, timing()],
  "lab:speedRatio": () => [timing(), lab.timingOf([900, 1000, 800]), null],
  "lab:speedVs": () => [timing(), lab.timingOf([900, 1000, 800])],
  "lab:noiseFloor": () => ["rlist-128", timing(), lab.timingOf([990, 1210, 905])],
  "lab:worstNoise": () => [[lab.noiseFloor("a", timing(), timing())]],
  "lab:roundsThatMustAgree": () => [5],
  "lab:sgAllocatedEntries": () => [300],
  "lab:sgChunkSizes": () => [300],
  "lab:shortName": () => [{ id: "rlist-512", key: "rlist-512/no-merge", label: "rlist variable" }],
  "lab:summarizeP2pMachine": (w) => [w.labP2p],
  "lab:summarizeTopology": (w) => [
    "example",
    w.labP2p.topology,
    [{ provider: w.labP2p.provider, client: (w.labP2p.clients[0] as lab.P2pClient).fn }],
  ],
  "lab:textTable": () => [
    [
      { title: "name", align: "left" },
      { title: "n", align: "right" },
    ],
    [["rdma", "12"], ["n/a: why"]],
  ],
  "lab:parseCWalk": () => [
    "RESULT impl=c set=0 chunk=512 lists=1 n=3 chunks=1 walk_ns=10 chk=12288/0000000000000009\n",
  ],
  "lab:prepareCYardstick": () => [{}],
  "lab:walkFileBytes": (w) => [[{ chunkBytes: [512], lists: [w.rangeList] }]],
  "lab:ramOf": (w) => [w.labMachine.memory.regions],
  "lab:biosOf": (w) => [w.labRamSet],
  "lab:pagesTouched": (w) => [w.labRamSet],
  "lab:totalBytes": (w) => [w.labRamSet],
  "lab:pageArrayObstacle": (w) => [w.labRamSet],
};
for (const name of ["bioVec", "bioVecPage", "scatterlist", "pageArray", "jsObjects"]) {
  VALID[`lab:${name}.build`] = (w) => [w.labRamSet, true];
  VALID[`lab:${name}.unsupported`] = (w) => [w.labRamSet];
}

/** Heavy calls (they time, collect garbage or run a study): the long run samples their variants. */
const SLOW = [
  "lab:runStudy",
  "lab:measureAll",
  "lab:mapWorkload",
  "lab:liveWorkload",
  "lab:bestOf",
  "lab:calibrate",
  "lab:interleaved",
  "lab:measureRetainedHeap",
  "lab:jsObjects.build",
  "lab:new CWalkRunner",
  "lab:CWalkRunner#run",
];

/** Without gcc (or the yardstick's source) there is no C yardstick to run. */
const needsGcc = () => (lab.prepareCYardstick().ok ? null : "no C compiler or yardstick source here");

export const labOverrides: Record<string, Override> = {
  // The CLI entry: argv vectors that would run a study are the CLI cases' business (cli.ts).
  // `io` has a default (the process's stdout and stderr), so `undefined` is a valid io.
  "lab:main": {
    params: [array(str), opt(obj({}))],
    valid: () => [["node", "rlist-lab", "--version"], io],
    call: (_w, _r, args) => {
      const argv = args[0];
      // argv with no command would run the default study where it is told to: not here
      if (Array.isArray(argv) && argv.length < 3 && argv.every((a) => typeof a === "string"))
        return lab.main(["node", "rlist-lab", "--version"], io);
      return lab.main(argv as string[], args[1] as lab.Io);
    },
  },
  "lab:buildProgram": { valid: () => [io] },
  // a type guard: any value is its input
  "lab:isWorkloadId": { params: [any] },
  // text, or any number's decimal form (NaN and Infinity included)
  "lab:esc": { params: [union(str, { t: "number", nonFinite: true })] },
  "lab:loadMachine": {
    extras: 2,
    extra: (_w, k) =>
      k === 0
        ? { label: "a sysroot that does not exist", args: ["/nonexistent-rlist-sysroot/"], invalid: true }
        : { label: "a sysroot without proc/iomem", args: [`${SYSROOT}sys/`], invalid: true },
  },
  "lab:new CWalkRunner": { unavailable: needsGcc },
  "lab:CWalkRunner#run": { unavailable: needsGcc },
  "lab:CWalkRunner#close": { unavailable: needsGcc },
};
for (const [name, valid] of Object.entries(VALID)) labOverrides[name] = { ...labOverrides[name], valid };
for (const name of SLOW) labOverrides[name] = { ...labOverrides[name], slow: true };

export const labAdded: Api[] = [];

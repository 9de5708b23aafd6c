import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RangeList } from "@rlist/list";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StudyResults } from "../src/study/results.js";
import { validateResults } from "../src/study/schema.js";
import {
  buildCli,
  cliPath,
  PACKAGE_DIR,
  QUICK,
  removeCli,
  runCli,
  SYSROOT,
  withoutCNote,
} from "./cli-helpers.js";
import { FAKE_PROCESSES, fakeSysroot } from "./procs-fixture.js";

const tmp = mkdtempSync(join(tmpdir(), "rlist-lab-cli-"));
beforeAll(buildCli, 60_000);
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
  removeCli();
});

describe("rlist-lab study (default command)", () => {
  const out = join(tmp, "report");
  let run: ReturnType<typeof runCli>;
  beforeAll(() => {
    run = runCli([...QUICK, "--workloads", "rdma,thp,nvme,gpu-p2p", "--out", out, "--save-lists"]);
  });

  it("exits 0 and prints one table per workload, the mappings, the findings and the report paths", () => {
    expect(withoutCNote(run.stderr)).toBe("");
    expect(run.code).toBe(0);
    for (const id of ["rdma", "thp", "nvme", "gpu-p2p"])
      expect(run.stdout).toMatch(new RegExp(`\\[${id}\\]: [\\d,]+ ranges in`));
    expect(run.stdout).toMatch(
      /^representation +entries +bytes +B\/entry +eff +B\/MiB +build Me\/s +kernel walk Me\/s +min-max +JS cursor Me\/s$/m,
    );
    // The C yardstick beside the kernels (gcc is on this machine), or the note why not.
    expect(run.stdout).toMatch(
      /^rlist walks side by side \(Me\/s\) +JS cursor +kernel +C +kernel\/C +JS cursor\/C$|so there is no C column/m,
    );
    expect(run.stdout).toMatch(/^rlist variable, 512 B chunks +256 +[\d,]+ +/m);
    expect(run.stdout).toMatch(/^bio_vec \(16 B, multi-page\) +n\/a: pageless PHYSICAL ranges/m);
    expect(run.stdout).toContain("Mappings");
    expect(run.stdout).toMatch(/NIC behind a denied root complex +NOT_SUPPORTED \/ fails: EREMOTEIO/);
    expect(run.stdout).toContain("What this says");
    // The verdicts come last, each with its question, answer and margin.
    const verdicts = run.stdout.indexOf("\nVerdicts\n");
    expect(verdicts).toBeGreaterThan(run.stdout.indexOf("What this says"));
    for (const id of ["entry-format", "chunk-size", "merging", "iommu-mapping", "iotlb-invalidation", "p2p"])
      expect(run.stdout.indexOf(`[${id}] `)).toBeGreaterThan(verdicts);
    expect(run.stdout.slice(verdicts)).toMatch(/margin: exact/);
    expect(run.stdout).toContain(`Report: ${join(out, "index.html")}`);
    expect(run.stdout).toContain(`Data:   ${join(out, "results.json")}`);
  });

  it("writes a valid results.json and a self-contained index.html, nothing else", () => {
    expect(readdirSync(out).sort()).toEqual([
      "gpu-p2p.rlist",
      "index.html",
      "nvme.rlist",
      "rdma.rlist",
      "results.json",
      "thp.rlist",
    ]);
    const r = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as StudyResults;
    expect(validateResults(r)).toEqual([]);
    expect(r.params).toMatchObject({
      entries: 256,
      seed: 1,
      runs: 1,
      machine: "example",
      workloads: ["rdma", "thp", "nvme", "gpu-p2p"],
    });
    expect(r.workloads.map((w) => w.id)).toEqual(["rdma", "thp", "nvme", "gpu-p2p"]);
    const html = readFileSync(join(out, "index.html"), "utf8");
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script|<link |src="http|href="http/);
    expect((html.match(/<svg /g) ?? []).length).toBeGreaterThanOrEqual(3 + 4);
  });

  it("the table figures are the results.json figures", () => {
    const r = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as StudyResults;
    const rdma = r.workloads.find((w) => w.id === "rdma")!;
    const sg = rdma.representations.find((x) => x.id === "scatterlist")!;
    const line = run.stdout.split("\n").find((l) => l.startsWith("scatterlist (32 B, chained 4 KiB)"))!;
    expect(line).toContain(sg.entries.toLocaleString("en-US"));
    expect(line).toContain(sg.bytes.toLocaleString("en-US"));
  });

  it("inspect reads the results back and a saved list with its hexdump", () => {
    const a = runCli(["inspect", join(out, "results.json")]);
    expect(a.code).toBe(0);
    expect(a.stdout).toContain("rlist-lab results (rlist-lab/results@3)");
    expect(a.stdout).toMatch(/\[rdma\]: 256 ranges/);
    const b = runCli(["inspect", join(out, "rdma.rlist"), "--limit", "3", "--hex"]);
    expect(b.code).toBe(0);
    expect(b.stdout).toMatch(/saved RangeList, variable codec, 512-byte chunks/);
    expect(b.stdout).toMatch(/entries 256 \(8 B: 256, 16 B: 0, 24 B: 0\)/);
    expect(b.stdout).toContain("... 253 more (use --limit)");
    expect(b.stdout).toMatch(/^0000: [0-9a-f]{8} [0-9a-f]{8} +E8 type=3 len=0x1 base=0x[0-9a-f]+/m);
    const g = runCli(["inspect", join(out, "gpu-p2p.rlist"), "--limit", "1"]);
    expect(g.stdout).toMatch(/24 B: 256\)/);
  });
});

describe("where the report goes", () => {
  it("prints report paths relative to where the command was typed", { timeout: 60_000 }, () => {
    const cwd = mkdtempSync(join(tmp, "cwd-"));
    const r = runCli([...QUICK, "--workloads", "rdma", "--out", "report"], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\nReport: report\/index\.html\nData: {3}report\/results\.json\n$/);
  });

  it("pnpm start builds quietly and shows the study first", { timeout: 120_000 }, () => {
    const cwd = mkdtempSync(join(tmp, "start-"));
    const repo = join(PACKAGE_DIR, "../..");
    const r = spawnSync(
      join(repo, "node_modules/.bin/tsx"),
      [join(repo, "scripts/lab-start.ts"), ...QUICK, "--workloads", "rdma", "--merge", "on"],
      { cwd: repo, encoding: "utf8", env: { ...process.env, INIT_CWD: cwd }, timeout: 120_000 },
    );
    expect(withoutCNote(r.stderr)).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout.split("\n")[0]).toMatch(/^RDMA MR, random 4 KiB pages \[rdma\]: 256 ranges/);
    expect(r.stdout).toContain("Report: report/index.html");
    expect(readdirSync(join(cwd, "report")).sort()).toEqual(["index.html", "results.json"]);
  });
});

describe("rlist-lab --json", () => {
  it("prints the results JSON on stdout and the paths on stderr", () => {
    const out = join(tmp, "json");
    const r = runCli([...QUICK, "--workloads", "nvme", "--json", "--out", out]);
    expect(r.code).toBe(0);
    const parsed = JSON.parse(r.stdout) as unknown;
    expect(validateResults(parsed)).toEqual([]);
    expect(r.stderr).toContain(`Report: ${join(out, "index.html")}`);
  });
});

describe("the C column", () => {
  it("--no-c-yardstick leaves it out and says so in results.json", () => {
    const r = runCli([
      ...QUICK,
      "--workloads",
      "rdma",
      "--no-c-yardstick",
      "--json",
      "--out",
      join(tmp, "no-c"),
    ]);
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout) as StudyResults;
    expect(res.cYardstick.status).toBe("off");
    expect(res.workloads[0]!.representations.every((x) => x.c === null)).toBe(true);
    expect(r.stderr).not.toMatch(/C yardstick/);
  });
});

describe("bad arguments: exit 2, a clear message, nothing written", () => {
  const cases: [string, string[], RegExp][] = [
    [
      "unknown workload",
      ["--workloads", "rdma,bogus"],
      /unknown workload "bogus" \(known: rdma, thp, nvme, gpu-p2p, live\)/,
    ],
    ["negative entries", ["--entries", "-5"], /--entries must be an integer from 1 to \d+, got "-5"/],
    ["non-integer entries", ["--entries", "1.5"], /--entries must be an integer from 1 to \d+, got "1.5"/],
    ["bad chunk size", ["--chunk-bytes", "256"], /"256" is not a chunk size/],
    ["bad merge setting", ["--merge", "on,maybe"], /--merge takes on, off or on,off, got "maybe"/],
    ["unknown option", ["--frobnicate"], /unknown option '--frobnicate'/],
  ];
  it.each(cases)("%s", (_name, args, message) => {
    const out = join(tmp, `bad-${_name.replace(/ /g, "-")}`);
    const r = runCli([...args, "--out", out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe("");
    expect(existsSync(out)).toBe(false);
  });

  it("an unwritable --out", () => {
    const file = join(tmp, "a-file");
    writeFileSync(file, "x");
    const r = runCli([...QUICK, "--out", join(file, "sub")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--out .*a-file\/sub: cannot write there \(ENOTDIR\)/);
  });

  it("inspect of a missing file is a usage error; of a broken file a failure", () => {
    const missing = runCli(["inspect", join(tmp, "nope.json")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read .*nope\.json \(ENOENT\)/);
    const broken = join(tmp, "broken.json");
    writeFileSync(broken, JSON.stringify({ schema: "rlist-lab/results@3", workloads: [] }));
    const bad = runCli(["inspect", broken]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /not a valid rlist-lab results\.json \(results\.schema\.json\):\n {2}\$: missing "generatedAt"/,
    );
  });
});

describe("help and the other commands", () => {
  it("--help lists the commands; each command has its own help", () => {
    const r = runCli(["--help"]);
    expect(r.code).toBe(0);
    for (const c of ["study", "inspect", "map", "topology", "live"])
      expect(r.stdout).toMatch(new RegExp(`^  ${c} `, "m"));
    const s = runCli(["study", "--help"]);
    expect(s.code).toBe(0);
    for (const o of ["--entries", "--seed", "--chunk-bytes", "--workloads", "--json", "--out"])
      expect(s.stdout).toContain(o);
    // the help wraps at 80 columns: compare its words
    expect(s.stdout.replace(/\s+/g, " ")).toContain(
      "--seed <n> seed of the workload generators (mulberry32): a u32, decimal or 0x hex",
    );
    const bad = runCli(["study", "--seed", "0x100000000"]);
    expect([bad.code, bad.stderr]).toEqual([
      2,
      'rlist-lab: error: --seed must be an integer from 0 to 4294967295, got "0x100000000"\n(run with --help for usage)\n',
    ]);
  });

  it("topology reads a sysroot fixture and shows the example P2P server's map types", () => {
    const r = runCli(["topology", "--sysroot", SYSROOT]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("RAM: 0x1000-0x9fbff, 0x100000-0xbfffffff, 0x100000000-0x63fffffff");
    expect(r.stdout).toMatch(/0000:00:01\.0 endpoint \[1af4:1045\] BAR0 0x4000000000\+0x80000/);
    expect(r.stdout).toMatch(/-> 0000:04:00\.0: BUS_ADDR \(distance 4/);
    expect(r.stdout).toMatch(/-> 0000:81:00\.0: THRU_HOST_BRIDGE/);
    expect(r.stdout).toMatch(/-> 0000:c1:00\.0: NOT_SUPPORTED/);
    const j = runCli(["topology", "--sysroot", SYSROOT, "--json"]);
    const parsed = JSON.parse(j.stdout) as { topologies: { hostBridges: { functions: unknown[] }[] }[] };
    expect(parsed.topologies[0]!.hostBridges[0]!.functions).toHaveLength(6);
  });

  it("map prints the mapping table for the P2P workload", () => {
    const r = runCli(["map", ...QUICK, "--workloads", "gpu-p2p"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/NIC under the same switch +BUS_ADDR \/ iommu-per-entry +0 B +256/);
    expect(r.stdout).toMatch(/NIC across host bridges +THRU_HOST_BRIDGE/);
    expect(r.stdout).toMatch(/EREMOTEIO: P2P DMA from NIC behind a denied root complex/);
  });
});

describe("live: the lab's own page frames", () => {
  const isRoot = process.getuid?.() === 0;

  it.skipIf(!isRoot)("as root, live reads real frames and reports them", () => {
    const out = join(tmp, "live");
    const r = runCli(["live", "--runs", "1", "--live-mib", "8", "--out", out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\[live\]: [\d,]+ ranges in 1 buffer, 8 MiB/);
    const res = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as StudyResults;
    expect(res.workloads.map((w) => w.id)).toEqual(["live"]);
    expect(res.skipped).toEqual([]);
  });

  // As root, drop to nobody for this one; unprivileged runs are already without CAP_SYS_ADMIN.
  const unprivileged = isRoot ? { uid: 65534, gid: 65534 } : {};

  it("without CAP_SYS_ADMIN: a clear message, and the study goes on without live", () => {
    const dir = mkdtempSync(join(tmpdir(), "rlist-lab-nobody-"));
    chmodSync(dir, 0o777);
    try {
      const live = runCli(["live", "--runs", "1", "--live-mib", "4", "--out", join(dir, "a")], unprivileged);
      expect(live.code).toBe(1);
      expect(live.stderr).toMatch(/needs root \(CAP_SYS_ADMIN\)/);
      const study = runCli([...QUICK, "--workloads", "live,rdma", "--out", join(dir, "b")], unprivileged);
      expect(study.code).toBe(0);
      expect(study.stderr).toMatch(/note: live: .*needs root \(CAP_SYS_ADMIN\)/);
      expect(study.stdout).toMatch(/skipped live: /);
      const res = JSON.parse(readFileSync(join(dir, "b", "results.json"), "utf8")) as StudyResults;
      expect(res.workloads.map((w) => w.id)).toEqual(["rdma"]);
      expect(res.skipped[0]?.id).toBe("live");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("misuse: a clear message and the documented exit code, promptly", () => {
  it("--out under /proc exits 2 at once (no endless mkdir on procfs)", { timeout: 60_000 }, () => {
    const r = runCli([...QUICK, "--out", "/proc/rlist-lab-x/report"], { timeoutMs: 20_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--out \/proc\/rlist-lab-x\/report: cannot write there \(ENOENT\)/);
    expect(r.stdout).toBe("");
  });

  it("inspect --hex piped into head ends quietly (no unhandled EPIPE)", { timeout: 60_000 }, () => {
    // Big enough that the hexdump (about 1.5 MB) overflows the pipe buffer long before it is written.
    const list = new RangeList({ chunkBytes: 512 });
    for (let i = 0; i < 20_000; i++)
      list.append({ type: 3, base: 0x100000 + 2 * i, offset: 0, length: 1, extra: 0 });
    const file = join(tmp, "big.rlist");
    writeFileSync(file, list.toBytes());
    list.clear();
    const r = spawnSync(
      "bash",
      ["-c", 'set -o pipefail; "$0" "$1" inspect "$2" --hex | head -n 3', process.execPath, cliPath(), file],
      { encoding: "utf8", timeout: 60_000 },
    );
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout.split("\n")[0]).toMatch(/big\.rlist: saved RangeList, variable codec, 512-byte chunks/);
  });

  it("an unknown command is named as one", () => {
    const r = runCli(["frobnicate", "--entries", "5"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /unknown command 'frobnicate' \(commands: study, inspect, map, topology, live\)/,
    );
    expect(r.stderr).not.toMatch(/too many arguments/);
    expect(r.stdout).toBe("");
  });

  it.each([
    ["live", ["--workloads", "rdma"], /--workloads does not apply to 'live'/],
    ["live", ["--entries", "64", "--seed", "3"], /--entries, --seed do not apply to 'live'/],
    ["map", ["--chunk-bytes", "512"], /--chunk-bytes does not apply to 'map'/],
    ["map", ["--out", "x"], /--out does not apply to 'map'/],
    ["map", ["--no-c-yardstick"], /--no-c-yardstick does not apply to 'map'/],
    ["topology", ["--entries", "5"], /--entries does not apply to 'topology'/],
    ["study", ["--limit", "5"], /--limit does not apply to 'study'/],
  ])("%s %j is refused with exit 2, not ignored", (cmd, args, message) => {
    const cwd = mkdtempSync(join(tmp, "refused-"));
    const r = runCli([cmd, ...args, "--no-host"], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe("");
    expect(readdirSync(cwd)).toEqual([]); // nothing written (no report/, no x/)
  });

  it("--sysroot that does not exist, or has no memory map, is refused (not the example machine under its name)", () => {
    for (const cmd of [
      ["topology"],
      ["map", ...QUICK.filter((a) => a !== "--no-host"), "--workloads", "rdma"],
    ]) {
      const r = runCli([...cmd, "--sysroot", "/nonexistent-rlist-root"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--sysroot \/nonexistent-rlist-root: no such directory/);
      expect(r.stdout).toBe("");
    }
    const empty = mkdtempSync(join(tmp, "empty-root-"));
    const r = runCli(["topology", "--sysroot", empty]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--sysroot .*empty-root-\w+: no memory map \(.*proc\/iomem: ENOENT/);
  });
});

describe("live --pid / --all-processes: memory no one here wrote", () => {
  const isRoot = process.getuid?.() === 0;

  it("reads a fake /proc (sysroot): one list per mapping, verdicts decided on other processes", {
    timeout: 60_000,
  }, () => {
    const root = fakeSysroot(FAKE_PROCESSES);
    try {
      const out = join(tmp, "procs-fixture");
      const r = runCli(["live", "--all-processes", "--sysroot", root, "--runs", "1", "--out", out]);
      expect(r.code).toBe(0);
      expect(r.stderr).toContain("rlist-lab: note: procs: process 300 (gone) is gone; going on without it");
      expect(r.stdout).toMatch(/other processes: 2 processes, 3 mappings \[procs\]: 11 ranges in 3 mappings/);
      const res = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as StudyResults;
      expect(validateResults(res)).toEqual([]);
      expect(res.workloads.map((w) => [w.id, w.data])).toEqual([["procs", "other processes"]]);
      expect(res.verdicts.find((v) => v.id === "merging")!.data).toEqual(["other processes"]);
      const one = runCli([
        "live",
        "--pid",
        "200",
        "--sysroot",
        root,
        "--runs",
        "1",
        "--out",
        join(tmp, "procs-one"),
      ]);
      expect(one.code).toBe(0);
      expect(one.stdout).toMatch(/other processes: 1 process, 1 mappings \[procs\]: 1 ranges/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it.skipIf(!isRoot)(
    "as root, reads this machine's processes within the budget",
    { timeout: 120_000 },
    () => {
      const out = join(tmp, "procs-real");
      const r = runCli(["live", "--all-processes", "--budget-mib", "16", "--runs", "1", "--out", out]);
      expect(r.code).toBe(0);
      const res = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as StudyResults;
      const w = res.workloads[0]!;
      expect(w.id).toBe("procs");
      expect(w.bytes).toBeLessThanOrEqual(16 * 2 ** 20);
      expect(w.bytes).toBeGreaterThan(0);
      const self = runCli([
        "live",
        "--pid",
        String(process.pid),
        "--budget-mib",
        "8",
        "--runs",
        "1",
        "--out",
        join(tmp, "procs-self"),
      ]);
      expect(self.code).toBe(0);
      expect(self.stdout).toMatch(/other processes: 1 process, \d+ mappings \[procs\]/);
    },
  );

  it("without root: a clear message and exit 1", { timeout: 60_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), "rlist-lab-nobody-procs-"));
    chmodSync(dir, 0o777);
    try {
      const r = runCli(
        ["live", "--all-processes", "--budget-mib", "4", "--runs", "1", "--out", join(dir, "a")],
        isRoot ? { uid: 65534, gid: 65534 } : {},
      );
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/needs root \(CAP_SYS_ADMIN\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("--pid and --all-processes do not apply to study, and exclude each other", () => {
    expect(runCli(["study", "--pid", "1"]).stderr).toMatch(/--pid does not apply to 'study'/);
    const both = runCli(["live", "--pid", "1", "--all-processes"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/cannot be used with/);
  });
});

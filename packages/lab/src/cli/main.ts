import { isAbsolute, join, resolve } from "node:path";
import { Command, CommanderError, Option } from "commander";
import { exampleP2pMachine } from "../machine/example-p2p.js";
import { exampleMachine, loadMachine, type Machine } from "../machine/host.js";
import { renderHtml } from "../render/html.js";
import { mappingTable, studyText } from "../render/table.js";
import { firstListBytes } from "../representations/rlist.js";
import { mapWorkload } from "../study/mapping.js";
import { type Prepared, prepareWorkload } from "../study/prepare.js";
import type { MappingResult, StudyResults } from "../study/results.js";
import { runStudy } from "../study/run.js";
import { summarizeP2pMachine, summarizeTopology } from "../study/topology.js";
import { labVersion } from "../version.js";
import { WORKLOAD_IDS, type WorkloadId } from "../workloads/workload.js";
import { InspectError, inspectFile } from "./inspect.js";
import {
  CHUNK_SIZES,
  type ChunkBytes,
  DEFAULT_ENTRIES,
  DEFAULT_LIVE_MIB,
  DEFAULT_RUNS,
  DEFAULT_SEED,
  parseChunkBytes,
  parseEntries,
  parseLiveMib,
  parseRuns,
  parseSeed,
  parseWorkloads,
} from "./options.js";
import { type OutFile, prepareOutDir, writeFilesAtomically } from "./out-dir.js";
import { createProgress } from "./progress.js";
import { UsageError } from "./usage-error.js";

/** Where output goes; injectable for tests. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Directory relative paths are resolved against. */
  cwd: string;
}

const defaultIo: Io = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  // Under `pnpm start` the script runs in packages/lab; resolve --out where the user typed it.
  cwd:
    process.env.npm_lifecycle_event === "start" && process.env.INIT_CWD
      ? process.env.INIT_CWD
      : process.cwd(),
};

interface RawCommon {
  entries: string;
  seed: string;
  workloads: string;
  chunkBytes: string;
  runs: string;
  liveMib: string;
  json?: boolean;
  host: boolean;
  sysroot?: string;
}

interface Common {
  entries: number;
  seed: number;
  workloads: WorkloadId[];
  chunkBytes: ChunkBytes[];
  runs: number;
  liveBytes: number;
  json: boolean;
  machine: Machine;
  machineLabel: string;
}

function addCommon(cmd: Command, defaults: { workloads: string }): Command {
  return cmd
    .option(
      "--entries <n>",
      "input ranges per workload (pages, folios, bio segments, BAR blocks)",
      String(DEFAULT_ENTRIES),
    )
    .option("--seed <n>", "seed of the workload generators (mulberry32)", String(DEFAULT_SEED))
    .option("--workloads <list>", `comma-separated: ${WORKLOAD_IDS.join(", ")}`, defaults.workloads)
    .option(
      "--chunk-bytes <list>",
      `rlist chunk sizes to compare: ${CHUNK_SIZES.join(", ")}`,
      CHUNK_SIZES.join(","),
    )
    .option("--runs <n>", "timing runs per figure (the best is kept)", String(DEFAULT_RUNS))
    .option("--live-mib <n>", "size of the live workload's buffer in MiB", String(DEFAULT_LIVE_MIB))
    .option("--json", "print results as JSON on stdout instead of the table")
    .option("--no-host", "use the embedded example machine instead of this machine's /proc/iomem and /sys")
    .addOption(
      new Option(
        "--sysroot <dir>",
        "read proc/iomem and sys/bus/pci/devices under <dir> (fixtures)",
      ).conflicts("host"),
    );
}

/** This machine, a sysroot, or the example machine; fallback notes go to stderr. */
function chooseMachine(
  raw: Pick<RawCommon, "host" | "sysroot">,
  io: Io,
): { machine: Machine; machineLabel: string } {
  let machine: Machine;
  let machineLabel: string;
  if (raw.sysroot !== undefined) {
    const root = resolve(io.cwd, raw.sysroot);
    machine = loadMachine(root.endsWith("/") ? root : `${root}/`);
    machineLabel = `sysroot:${raw.sysroot}`;
  } else if (raw.host) {
    machine = loadMachine("/");
    machineLabel = "host";
  } else {
    machine = exampleMachine();
    machineLabel = "example";
  }
  for (const n of machine.notes) io.err(`rlist-lab: note: ${n}\n`);
  return { machine, machineLabel };
}

/** Validates everything before any work starts; throws UsageError. */
function common(raw: RawCommon, io: Io): Common {
  const entries = parseEntries(raw.entries);
  const seed = parseSeed(raw.seed);
  const workloads = parseWorkloads(raw.workloads);
  const chunkBytes = parseChunkBytes(raw.chunkBytes);
  const runs = parseRuns(raw.runs);
  const liveBytes = parseLiveMib(raw.liveMib) * 2 ** 20;
  const { machine, machineLabel } = chooseMachine(raw, io);
  return {
    entries,
    seed,
    workloads,
    chunkBytes,
    runs,
    liveBytes,
    json: raw.json === true,
    machine,
    machineLabel,
  };
}

function study(c: Common, io: Io, onPrepared?: (p: Prepared) => void): StudyResults {
  const progress = createProgress();
  try {
    return runStudy({
      ...c,
      ...(onPrepared && { onPrepared }),
      version: labVersion(),
      onStep: (d, t, l) => progress.step(d, t, l),
      onNote: (m) => io.err(`rlist-lab: note: ${m}\n`),
    });
  } finally {
    progress.stop();
  }
}

function runStudyCommand(
  raw: RawCommon & { out: string; saveLists?: boolean },
  io: Io,
  only?: WorkloadId,
): void {
  const c = common(only ? { ...raw, workloads: only } : raw, io);
  const outDir = isAbsolute(raw.out) ? raw.out : resolve(io.cwd, raw.out);
  prepareOutDir(outDir);
  // --save-lists keeps each workload's first list as the study built it (live: the same frames).
  const lists: OutFile[] = [];
  const save = raw.saveLists
    ? (p: Prepared) =>
        lists.push({ name: `${p.workload.id}.rlist`, content: firstListBytes(p.workload.ranges, p.ctx, 512) })
    : undefined;
  const r = study(c, io, save);
  if (only && r.workloads.length === 0) {
    throw new Error(`no ${only} workload to report: ${r.skipped[0]?.reason ?? "skipped"}`);
  }
  const files: OutFile[] = [
    { name: "results.json", content: `${JSON.stringify(r, null, 2)}\n` },
    { name: "index.html", content: renderHtml(r) },
  ];
  const written = writeFilesAtomically(outDir, [...files, ...lists]);
  const report = written.find((p) => p.endsWith("index.html"))!;
  const paths = `Report: ${report}\nData:   ${join(outDir, "results.json")}\n`;
  if (c.json) {
    io.out(`${JSON.stringify(r, null, 2)}\n`);
    io.err(paths);
  } else io.out(`${studyText(r)}${paths}`);
}

function runMapCommand(raw: RawCommon, io: Io): void {
  const c = common(raw, io);
  const p2p = exampleP2pMachine();
  const maps: MappingResult[] = [];
  for (const id of c.workloads) {
    const p = prepareWorkload(id, {
      entries: c.entries,
      seed: c.seed,
      liveBytes: c.liveBytes,
      machine: c.machine,
      p2p,
    });
    if ("skipped" in p) {
      io.err(`rlist-lab: note: ${p.skipped}\n`);
      continue;
    }
    maps.push(...mapWorkload(p, p2p, { runs: c.runs, budgetNs: 150e6 }));
  }
  io.out(c.json ? `${JSON.stringify(maps, null, 2)}\n` : `${mappingTable(maps)}\n`);
}

function runTopologyCommand(raw: Pick<RawCommon, "json" | "host" | "sysroot">, io: Io): void {
  const c = { json: raw.json === true, ...chooseMachine(raw, io) };
  const topologies = [];
  if (c.machine.topology !== null)
    topologies.push(summarizeTopology(`this machine (${c.machineLabel})`, c.machine.topology));
  topologies.push(summarizeP2pMachine(exampleP2pMachine()));
  if (c.json) {
    io.out(`${JSON.stringify({ ram: c.machine.ram, notes: c.machine.notes, topologies }, null, 2)}\n`);
    return;
  }
  const lines: string[] = [];
  lines.push(
    `RAM: ${c.machine.ram.map((r) => `0x${r.start.toString(16)}-0x${(r.end - 1).toString(16)}`).join(", ")}`,
  );
  for (const t of topologies) {
    lines.push(
      "",
      `${t.label}${t.cpuSupportsP2p ? " (CPU routes P2P through any root complex, like cpu_supports_p2pdma())" : ""}`,
    );
    for (const hb of t.hostBridges) {
      lines.push(`  ${hb.name} (host bridge P2P: ${hb.p2p})`);
      for (const f of hb.functions) {
        const bars = f.bars.map((b) => ` BAR${b.index} ${b.cpuAddress}+${b.size}`).join("");
        lines.push(
          `  ${"  ".repeat(f.depth + 1)}${f.bdf} ${f.type} [${f.vendor.slice(2)}:${f.device.slice(2)}]${f.acsRedirect ? " ACS-redirect" : ""}${bars}`,
        );
      }
    }
    for (const p of t.p2p)
      lines.push(`  P2P ${p.provider} -> ${p.client}: ${p.mapType} (distance ${p.distance}; ${p.reason})`);
  }
  io.out(`${lines.join("\n")}\n`);
}

/** Builds the command tree; actions write through `io`. */
export function buildProgram(io: Io): Command {
  const program = new Command("rlist-lab")
    .description(
      "The rlist trade-off lab: builds RDMA, THP, NVMe, GPU P2P and live workloads as rlist, fixed16, bio_vec, scatterlist, page array and plain JS objects, measures memory and walk speed, maps them through a modelled IOMMU, and writes an HTML report.",
    )
    .version(labVersion())
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .exitOverride();

  const studyCmd = addCommon(new Command("study"), { workloads: WORKLOAD_IDS.join(",") })
    .description("run the study (default): table on stdout, report/index.html and report/results.json")
    .option("--out <dir>", "directory for index.html and results.json", "report")
    .option("--save-lists", "also save each workload's first list as <workload>.rlist (for inspect)")
    .action((opts: RawCommon & { out: string; saveLists?: boolean }) => runStudyCommand(opts, io));
  program.addCommand(studyCmd, { isDefault: true });

  program.addCommand(
    new Command("inspect")
      .description("show a results.json (validated) or a saved .rlist range list (entries, stats, hexdump)")
      .argument("<file>", "results.json or .rlist file")
      .option("--limit <n>", "entries to list for a .rlist file", "20")
      .option("--hex", "dump every chunk's words with decoded fields")
      .action((file: string, opts: { limit: string; hex?: boolean }) => {
        const limit = Number(opts.limit);
        if (!Number.isSafeInteger(limit) || limit < 0)
          throw new UsageError(`--limit must be an integer >= 0, got "${opts.limit}"`);
        io.out(`${inspectFile(resolve(io.cwd, file), { limit, hex: opts.hex === true })}\n`);
      }),
  );

  program.addCommand(
    addCommon(new Command("map"), { workloads: WORKLOAD_IDS.join(",") })
      .description("map each workload for its devices (IOMMU, dma-direct, P2P) and print the mapping table")
      .action((opts: RawCommon) => runMapCommand(opts, io)),
  );

  program.addCommand(
    new Command("topology")
      .description(
        "print this machine's PCI topology and memory map, and the example P2P server with its map types",
      )
      .option("--json", "print JSON")
      .option("--no-host", "do not read this machine's /proc/iomem and /sys")
      .addOption(
        new Option("--sysroot <dir>", "read proc/iomem and sys/bus/pci/devices under <dir>").conflicts(
          "host",
        ),
      )
      .action((opts: Pick<RawCommon, "json" | "host" | "sysroot">) => runTopologyCommand(opts, io)),
  );

  program.addCommand(
    addCommon(new Command("live"), { workloads: "live" })
      .description("study only this process's own buffer, from /proc/self/pagemap (needs root)")
      .option("--out <dir>", "directory for index.html and results.json", "report")
      .action((opts: RawCommon & { out: string }) => runStudyCommand(opts, io, "live")),
  );
  // addCommand() does not pass these settings down; without them a sub-command would call
  // process.exit(1) itself on a bad option instead of letting main() return 2.
  for (const cmd of program.commands) {
    cmd
      .exitOverride()
      .showHelpAfterError("(run with --help for usage)")
      .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  }
  return program;
}

/** Runs the CLI; returns the exit code (0 ok, 1 failure, 2 bad arguments). */
export function main(argv: readonly string[], io: Io = defaultIo): number {
  const program = buildProgram(io);
  try {
    program.parse(argv as string[], { from: "node" });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return 0; // --help, --version
      return 2; // commander already printed the message
    }
    if (err instanceof UsageError) {
      io.err(`rlist-lab: error: ${err.message}\n(run with --help for usage)\n`);
      return 2;
    }
    if (err instanceof InspectError) {
      io.err(`rlist-lab: error: ${err.message}\n`);
      return 1;
    }
    io.err(`rlist-lab: error: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

import { statSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import type { ChunkBytes } from "@rlist/list";
import { Command, CommanderError, Option } from "commander";
import { checkArray, checkFunction, checkObject, checkString } from "../args.js";
import { exampleP2pMachine } from "../machine/example-p2p.js";
import { exampleMachine, loadMachine, type Machine } from "../machine/host.js";
import { renderHtml } from "../render/html.js";
import { mappingTable, studyText } from "../render/table.js";
import { firstListBytes } from "../representations/rlist.js";
import { mapWorkload } from "../study/mapping.js";
import { type Prepared, prepareWorkload } from "../study/prepare.js";
import type { MappingResult, StudyResults } from "../study/results.js";
import { runStudy, type StudyOptions } from "../study/run.js";
import { summarizeP2pMachine, summarizeTopology } from "../study/topology.js";
import { labVersion } from "../version.js";
import { WORKLOAD_IDS, type WorkloadId } from "../workloads/workload.js";
import { InspectError, inspectFile } from "./inspect.js";
import {
  CHUNK_SIZES,
  DEFAULT_BUDGET_MIB,
  DEFAULT_ENTRIES,
  DEFAULT_LIVE_MIB,
  DEFAULT_RUNS,
  DEFAULT_SEED,
  parseBudgetMib,
  parseChunkBytes,
  parseEntries,
  parseLiveMib,
  parseMerge,
  parsePids,
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

/** `EINVAL` unless `io` has `out` and `err` functions and a `cwd` string. */
function checkIo(io: unknown): asserts io is Io {
  checkObject("io", io);
  checkFunction("io.out", (io as Io).out);
  checkFunction("io.err", (io as Io).err);
  checkString("io.cwd", (io as Io).cwd);
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

/** Option values as commander hands them over; an option a command does not take is undefined. */
interface RawCommon {
  entries?: string;
  seed?: string;
  workloads?: string;
  chunkBytes?: string;
  merge?: string;
  runs?: string;
  liveMib?: string;
  json?: boolean;
  host: boolean;
  sysroot?: string;
  /** false with --no-c-yardstick. */
  cYardstick?: boolean;
}

interface Common {
  entries: number;
  seed: number;
  workloads: WorkloadId[];
  chunkBytes: ChunkBytes[];
  merge: ("on" | "off")[];
  runs: number;
  liveBytes: number;
  json: boolean;
  machine: Machine;
  machineLabel: string;
  /** Walk the rlist's lists with the C yardstick too (when gcc is there). */
  cYardstick: boolean;
}

/** Every option of any command, by its attribute name; each command takes the ones it lists. */
const OPTIONS = {
  entries: () =>
    new Option(
      "--entries <n>",
      "input ranges per workload (pages, folios, bio segments, BAR blocks)",
    ).default(String(DEFAULT_ENTRIES)),
  seed: () =>
    new Option(
      "--seed <n>",
      "seed of the workload generators (mulberry32): a u32, decimal or 0x hex",
    ).default(String(DEFAULT_SEED)),
  workloads: () =>
    new Option("--workloads <list>", `comma-separated: ${WORKLOAD_IDS.join(", ")}`).default(
      WORKLOAD_IDS.join(","),
    ),
  chunkBytes: () =>
    new Option("--chunk-bytes <list>", `rlist chunk sizes to compare: ${CHUNK_SIZES.join(", ")}`).default(
      CHUNK_SIZES.join(","),
    ),
  runs: () =>
    new Option(
      "--runs <n>",
      "interleaved timing rounds (every representation once per round; median with min-max)",
    ).default(String(DEFAULT_RUNS)),
  merge: () =>
    new Option(
      "--merge <list>",
      "merge contiguous ranges: on, off or on,off (rlist, fixed16 and scatterlist also without merging)",
    ).default("on,off"),
  liveMib: () =>
    new Option("--live-mib <n>", "size of the live workload's buffer in MiB").default(
      String(DEFAULT_LIVE_MIB),
    ),
  json: () => new Option("--json", "print results as JSON on stdout instead of the table"),
  host: () =>
    new Option(
      "--no-host",
      "use the embedded example machine instead of this machine's /proc/iomem and /sys",
    ),
  sysroot: () =>
    new Option("--sysroot <dir>", "read proc/iomem and sys/bus/pci/devices under <dir> (fixtures)").conflicts(
      "host",
    ),
  out: () => new Option("--out <dir>", "directory for index.html and results.json").default("report"),
  saveLists: () =>
    new Option("--save-lists", "also save each workload's first list as <workload>.rlist (for inspect)"),
  limit: () => new Option("--limit <n>", "entries to list for a .rlist file").default("20"),
  pid: () =>
    new Option("--pid <list>", "study the memory of these processes (comma-separated pids; needs root)"),
  allProcesses: () =>
    new Option(
      "--all-processes",
      "study the memory of every process, largest resident set first, up to --budget-mib (needs root)",
    ).conflicts("pid"),
  budgetMib: () =>
    new Option("--budget-mib <n>", "stop reading other processes after this many MiB of memory").default(
      String(DEFAULT_BUDGET_MIB),
    ),
  hex: () => new Option("--hex", "dump every chunk's words with decoded fields"),
  cYardstick: () =>
    new Option(
      "--no-c-yardstick",
      "leave out the C column (by default, when gcc is present, the C yardstick packages/list/bench/c/rlist_ref.c walks the rlist's lists beside the kernels)",
    ),
} as const;
type OptionName = keyof typeof OPTIONS;

/** The options each command takes; any other option of the CLI is refused by name (exit 2). */
const COMMAND_OPTIONS: Record<string, readonly OptionName[]> = {
  study: [
    "entries",
    "seed",
    "workloads",
    "chunkBytes",
    "merge",
    "runs",
    "liveMib",
    "json",
    "host",
    "sysroot",
    "out",
    "saveLists",
    "cYardstick",
  ],
  map: ["entries", "seed", "workloads", "runs", "liveMib", "json", "host", "sysroot"],
  live: [
    "chunkBytes",
    "merge",
    "runs",
    "liveMib",
    "pid",
    "allProcesses",
    "budgetMib",
    "json",
    "host",
    "sysroot",
    "out",
    "saveLists",
    "cYardstick",
  ],
  topology: ["json", "host", "sysroot"],
  inspect: ["limit", "hex"],
};

/**
 * Adds the command's own options, and every other option of the CLI hidden, so that one given
 * where it does not apply (`live --workloads rdma`) is refused by name instead of ignored.
 */
function withOptions(cmd: Command): Command {
  const own = COMMAND_OPTIONS[cmd.name()]!;
  const foreign = (Object.keys(OPTIONS) as OptionName[]).filter((k) => !own.includes(k));
  for (const k of own) cmd.addOption(OPTIONS[k]());
  for (const k of foreign) cmd.addOption(OPTIONS[k]().default(undefined).hideHelp());
  return cmd.hook("preAction", (c) => {
    const given = foreign.filter((k) => c.getOptionValueSource(k) === "cli");
    if (given.length === 0) return;
    const flags = given.map((k) => OPTIONS[k]().long!);
    throw new UsageError(
      `${flags.join(", ")} ${flags.length === 1 ? "does" : "do"} not apply to '${c.name()}' (its options: ${own.map((k) => OPTIONS[k]().long).join(", ")})`,
    );
  });
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
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
    if (!isDirectory(root)) throw new UsageError(`--sysroot ${raw.sysroot}: no such directory`);
    try {
      machine = loadMachine(root.endsWith("/") ? root : `${root}/`);
    } catch (err) {
      throw new UsageError(`--sysroot ${raw.sysroot}: no memory map (${(err as Error).message})`);
    }
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
  const entries = parseEntries(raw.entries ?? String(DEFAULT_ENTRIES));
  const seed = parseSeed(raw.seed ?? String(DEFAULT_SEED));
  const workloads = parseWorkloads(raw.workloads ?? WORKLOAD_IDS.join(","));
  const chunkBytes = parseChunkBytes(raw.chunkBytes ?? CHUNK_SIZES.join(","));
  const merge = parseMerge(raw.merge ?? "on,off");
  const runs = parseRuns(raw.runs ?? String(DEFAULT_RUNS));
  const liveBytes = parseLiveMib(raw.liveMib ?? String(DEFAULT_LIVE_MIB)) * 2 ** 20;
  const { machine, machineLabel } = chooseMachine(raw, io);
  return {
    entries,
    seed,
    workloads,
    chunkBytes,
    merge,
    runs,
    liveBytes,
    json: raw.json === true,
    machine,
    machineLabel,
    cYardstick: raw.cYardstick !== false,
  };
}

function study(
  c: Common,
  io: Io,
  onPrepared?: (p: Prepared) => void,
  procs?: StudyOptions["procs"],
): StudyResults {
  const progress = createProgress();
  try {
    return runStudy({
      ...c,
      // Reading other processes moves the same bar (it reports processes, then the study its rounds).
      ...(procs !== undefined && { procs: { ...procs, onProgress: (d, t, l) => progress.step(d, t, l) } }),
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
  procs?: StudyOptions["procs"],
): void {
  const c = common(raw, io);
  if (only) c.workloads = [only];
  const outDir = isAbsolute(raw.out) ? raw.out : resolve(io.cwd, raw.out);
  prepareOutDir(outDir);
  // --save-lists keeps each workload's first list as the study built it (live: the same frames).
  const lists: OutFile[] = [];
  const save = raw.saveLists
    ? (p: Prepared) =>
        lists.push({ name: `${p.workload.id}.rlist`, content: firstListBytes(p.workload.ranges, p.ctx, 512) })
    : undefined;
  const r = study(c, io, save, procs);
  if (only && r.workloads.length === 0) {
    throw new Error(`no ${only} workload to report: ${r.skipped[0]?.reason ?? "skipped"}`);
  }
  const files: OutFile[] = [
    { name: "results.json", content: `${JSON.stringify(r, null, 2)}\n` },
    { name: "index.html", content: renderHtml(r) },
  ];
  const written = writeFilesAtomically(outDir, [...files, ...lists]);
  const report = written.find((p) => p.endsWith("index.html"))!;
  const paths = `Report: ${shown(io.cwd, report)}\nData:   ${shown(io.cwd, join(outDir, "results.json"))}\n`;
  if (c.json) {
    io.out(`${JSON.stringify(r, null, 2)}\n`);
    io.err(paths);
  } else io.out(`${studyText(r)}${paths}`);
}

/** A path as the user would type it: relative to where they are when it is below, else absolute. */
function shown(cwd: string, path: string): string {
  const r = relative(cwd, path);
  return r === "" || r.startsWith("..") || isAbsolute(r) ? path : r;
}

interface LiveOptions {
  pid?: string;
  allProcesses?: boolean;
  budgetMib?: string;
}

/** `live`: this process's own buffer, or (`--pid`, `--all-processes`) other processes' memory. */
function runLiveCommand(raw: RawCommon & LiveOptions & { out: string; saveLists?: boolean }, io: Io): void {
  if (raw.pid === undefined && raw.allProcesses !== true) {
    runStudyCommand(raw, io, "live");
    return;
  }
  const pids = raw.pid === undefined ? undefined : parsePids(raw.pid);
  const budgetBytes = parseBudgetMib(raw.budgetMib ?? String(DEFAULT_BUDGET_MIB)) * 2 ** 20;
  const root = raw.sysroot === undefined ? "/" : resolve(io.cwd, raw.sysroot);
  runStudyCommand(raw, io, "procs", {
    procRoot: join(root, "proc"),
    ...(pids !== undefined && { pids }),
    budgetBytes,
    onNote: (m) => io.err(`rlist-lab: note: ${m}\n`),
  });
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
    maps.push(...mapWorkload(p, p2p, { rounds: c.runs, budgetNs: 3e9 }));
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
  checkIo(io);
  const program = new Command("rlist-lab")
    .description(
      "The rlist trade-off lab: builds RDMA, THP, NVMe, GPU P2P and live workloads as rlist, fixed16, bio_vec, scatterlist, page array and plain JS objects, measures memory and walk speed, maps them through a modelled IOMMU, and writes an HTML report.",
    )
    .version(labVersion())
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .exitOverride();

  program.addCommand(
    withOptions(new Command("study"))
      .description("run the study (default): table on stdout, report/index.html and report/results.json")
      .action((opts: RawCommon & { out: string; saveLists?: boolean }) => runStudyCommand(opts, io)),
    { isDefault: true },
  );

  program.addCommand(
    withOptions(new Command("inspect"))
      .description("show a results.json (validated) or a saved .rlist range list (entries, stats, hexdump)")
      .argument("<file>", "results.json or .rlist file")
      .action((file: string, opts: { limit: string; hex?: boolean }) => {
        const limit = Number(opts.limit);
        if (!Number.isSafeInteger(limit) || limit < 0)
          throw new UsageError(`--limit must be an integer >= 0, got "${opts.limit}"`);
        io.out(`${inspectFile(resolve(io.cwd, file), { limit, hex: opts.hex === true })}\n`);
      }),
  );

  program.addCommand(
    withOptions(new Command("map"))
      .description("map each workload for its devices (IOMMU, dma-direct, P2P) and print the mapping table")
      .action((opts: RawCommon) => runMapCommand(opts, io)),
  );

  program.addCommand(
    withOptions(new Command("topology"))
      .description(
        "print this machine's PCI topology and memory map, and the example P2P server with its map types",
      )
      .action((opts: Pick<RawCommon, "json" | "host" | "sysroot">) => runTopologyCommand(opts, io)),
  );

  program.addCommand(
    withOptions(new Command("live"))
      .description(
        "study real memory (needs root): this process's own buffer from /proc/self/pagemap, or with --pid / --all-processes the memory of running processes, one list per mapping",
      )
      .action((opts: RawCommon & LiveOptions & { out: string; saveLists?: boolean }) =>
        runLiveCommand(opts, io),
      ),
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

/**
 * The first argument names a command or is an option: without this check, commander hands an
 * unknown command to the default command, which reports "too many arguments for 'study'".
 */
function unknownCommand(program: Command, args: readonly string[]): string | null {
  const first = args[0];
  if (first === undefined || first.startsWith("-")) return null;
  const known = [...program.commands.map((c) => c.name()), "help"];
  return known.includes(first)
    ? null
    : `unknown command '${first}' (commands: ${known.slice(0, -1).join(", ")})`;
}

/** Runs the CLI; returns the exit code (0 ok, 1 failure, 2 bad arguments). */
export function main(argv: readonly string[], io: Io = defaultIo): number {
  checkArray("argv", argv, checkString);
  checkIo(io);
  const program = buildProgram(io);
  const unknown = unknownCommand(program, argv.slice(2));
  if (unknown !== null) {
    io.err(`rlist-lab: error: ${unknown}\n(run with --help for usage)\n`);
    return 2;
  }
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

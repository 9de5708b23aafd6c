/**
 * `pnpm fuzz`: the long run. Every variant of every entry point (a seeded sample for slow ones),
 * one run seed after another while the time budget lasts, in child processes, then the CLI
 * cases; prints the per-API table and what it found, and exits 1 on a defect that is not marked
 * open, a stale open mark, an API never called or one whose valid call never succeeded.
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { buildCli, CLI_CASES, runCliCase } from "./cli.js";
import { findingsOf, formatFindings, isClean } from "./findings.js";
import { runSuite } from "./suite.js";
import { publicSurface } from "./surface.js";
import { addVerdict, emptyRow, formatTable, mergeRow, type Row } from "./table.js";

const USAGE = `usage: pnpm fuzz [options]

  --seed N        first run seed (default 1); run seeds N, N+1, ... follow while the budget lasts
  --seeds N       at most N run seeds (default: as many as --seconds allows)
  --seconds S     start no new run seed after S seconds (default 240; the first always completes)
  --calls N       start no new run seed after N cases
  --only PREFIX   only entry points whose name starts with PREFIX (e.g. "dma:Iotlb#", "cli:")
  --workers N     child processes running cases (default 2)
  --timeout-ms T  a case that answers nothing for T ms is a hang (default 15000)
  --no-cli        leave out the rlist-lab command lines
  --json FILE     also write the rows as JSON

Replay: a defect line ends "[run seed R, variant V]"; \`pnpm fuzz --seed R --seeds 1 --only 'API'\`
runs exactly that API's cases of that run again (each case's seed depends only on R, the API and V).`;

function fail(message: string): never {
  process.stderr.write(`pnpm fuzz: ${message}\n\n${USAGE}\n`);
  process.exit(2);
}

function count(name: string, text: string | undefined, fallback: number, min = 0): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text)) fail(`--${name} takes a whole number, got "${text}"`);
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min) fail(`--${name} must be at least ${min}, got ${text}`);
  return n;
}

let parsed: ReturnType<typeof parseOptions>;
function parseOptions() {
  return parseArgs({
    // pnpm passes a "--" through when the script is called as `pnpm fuzz -- --seed 3`
    args: process.argv.slice(2).filter((a, i) => !(i === 0 && a === "--")),
    strict: true,
    allowPositionals: false,
    options: {
      seed: { type: "string" },
      seeds: { type: "string" },
      seconds: { type: "string" },
      calls: { type: "string" },
      only: { type: "string", default: "" },
      workers: { type: "string" },
      "timeout-ms": { type: "string" },
      "no-cli": { type: "boolean", default: false },
      json: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
}
try {
  parsed = parseOptions();
} catch (err) {
  fail((err as Error).message);
}
const opt = parsed.values;
if (opt.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const firstSeed = count("seed", opt.seed, 1);
const maxSeeds = count("seeds", opt.seeds, Number.MAX_SAFE_INTEGER, 1);
const seconds = count("seconds", opt.seconds, opt.seeds === undefined ? 240 : Number.MAX_SAFE_INTEGER);
const maxCalls = count("calls", opt.calls, Number.MAX_SAFE_INTEGER, 1);
const workers = count("workers", opt.workers, 2, 1);
const timeoutMs = count("timeout-ms", opt["timeout-ms"], 15_000, 100);
const only = opt.only;
const withCli = !opt["no-cli"] && ("cli:".startsWith(only) || only.startsWith("cli:"));

const t0 = performance.now();
const elapsed = () => (performance.now() - t0) / 1000;
const surface = publicSurface();
const rows = new Map<string, Row>();
let registry: Awaited<ReturnType<typeof runSuite>>["registry"] | null = null;
let cases = 0;
const seeds: number[] = [];
for (let seed = firstSeed; seeds.length < maxSeeds; seed++) {
  if (seeds.length > 0 && (elapsed() >= seconds || cases >= maxCalls)) break;
  seeds.push(seed);
  let last = 0;
  const result = await runSuite({
    surface,
    seeds: [seed],
    small: false,
    workers,
    timeoutMs,
    include: (a) => !a.name.startsWith("canary:") && a.name.startsWith(only),
    onResult: (done, total, api) => {
      const now = performance.now();
      if (now - last > 10_000 || done === total) {
        last = now;
        process.stderr.write(`  seed ${seed}: ${done}/${total} cases, ${elapsed().toFixed(0)} s (${api})\n`);
      }
    },
  });
  registry = result.registry;
  cases += result.cases;
  for (const r of result.rows) {
    const into = rows.get(r.api);
    if (into === undefined) rows.set(r.api, r);
    else mergeRow(into, r);
  }
}

const cliRows: Row[] = [];
if (withCli) {
  const { cli, remove } = await buildCli();
  try {
    for (const c of CLI_CASES) {
      const row = emptyRow(`cli:rlist-lab ${c.args.join(" ")}${c.pipeToHead ? " | head" : ""}`);
      if (!row.api.startsWith(only) && !only.startsWith("cli:")) continue;
      addVerdict(row, runCliCase(cli, c, 120_000), "cli");
      cliRows.push(row);
    }
  } finally {
    remove();
  }
}

const byName = registry?.byName ?? new Map();
const all = [...rows.values(), ...cliRows];
const mark = (r: Row) => {
  const api = byName.get(r.api);
  if (api?.open) return { ...r, api: `${r.api} (open)` };
  if (api?.unchecked) return { ...r, api: `${r.api} (unchecked)` };
  return r;
};
console.log(
  `\nrlist hostile-input run: run seeds ${seeds.join(",")}, ${cases + cliRows.length} cases, ${elapsed().toFixed(0)} s\n`,
);
console.log(formatTable(all.map(mark)));
const found = findingsOf(all, byName);
console.log(formatFindings(found));
if (opt.json !== undefined) writeFileSync(opt.json, JSON.stringify(all, null, 1));
process.exitCode = isClean(found) ? 0 : 1;

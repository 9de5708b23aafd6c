/** The list bench's command line (`node:util` parseArgs through scripts/bench-options.ts). */
import { BenchUsageError, parseBenchOptions, positiveInteger } from "../../../scripts/bench-options.js";
import { WORKLOADS } from "./workloads.js";

export const USAGE = `
usage: pnpm --filter @rlist/list bench [options]

  -n, --entries N        entries per list (default 1000000)
  -r, --reps N           walks timed per process (default 3)
  -q, --queries N        seek queries (default 1000000)
  -w, --workloads a,b    workloads to run (default ${WORKLOADS.join(",")})
      --rounds N         rounds, each a fresh C and TS process per workload (default 3)
      --no-c             skip the C reference (no gcc needed)
      --no-baseline      skip the baseline revision
      --no-scaling       skip the scaling table
  -h, --help             this text
`;

export interface Args {
  n: number;
  reps: number;
  queries: number;
  rounds: number;
  workloads: string[];
  c: boolean;
  baseline: boolean;
  scaling: boolean;
}

/** Parses the bench's arguments; throws BenchUsageError / BenchHelp (see bench-options.ts). */
export function parseBenchArgs(argv: readonly string[]): Args {
  const v = parseBenchOptions(
    {
      entries: { type: "string", short: "n" },
      reps: { type: "string", short: "r" },
      queries: { type: "string", short: "q" },
      workloads: { type: "string", short: "w" },
      rounds: { type: "string" },
      "no-c": { type: "boolean" },
      "no-baseline": { type: "boolean" },
      "no-scaling": { type: "boolean" },
    },
    argv,
  );
  const workloads = v.workloads === undefined ? [...WORKLOADS] : v.workloads.split(",");
  for (const w of workloads) {
    if (!(WORKLOADS as readonly string[]).includes(w)) {
      throw new BenchUsageError(`unknown workload ${JSON.stringify(w)} (known: ${WORKLOADS.join(", ")})`);
    }
  }
  return {
    n: positiveInteger("-n", v.entries ?? "1000000"),
    reps: positiveInteger("-r", v.reps ?? "3"),
    queries: positiveInteger("-q", v.queries ?? "1000000"),
    rounds: positiveInteger("--rounds", v.rounds ?? "3"),
    workloads,
    c: v["no-c"] !== true,
    baseline: v["no-baseline"] !== true,
    scaling: v["no-scaling"] !== true,
  };
}

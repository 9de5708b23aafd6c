/**
 * Command-line options of the benchmarks, parsed by `node:util`'s `parseArgs` in strict mode: an
 * unknown option, a missing value or a stray argument stops the bench with its usage before
 * anything slow runs, and `--help` / `-h` prints the usage.
 *
 *   const args = benchMain(USAGE, (argv) => {
 *     const v = parseBenchOptions({ rounds: { type: "string" } }, argv);
 *     return { rounds: positiveInteger("--rounds", v.rounds ?? "3") };
 *   });
 */
import { type ParseArgsConfig, parseArgs } from "node:util";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** A refused command line; `benchMain` prints it with the usage and exits 2. */
export class BenchUsageError extends Error {
  override name = "BenchUsageError";
}

/** `--help` was given; `benchMain` prints the usage and exits 0. */
export class BenchHelp extends Error {
  override name = "BenchHelp";
}

/** The values `parseArgs` gives for `options` (strict, no positionals). */
export type BenchValues<T extends Options> = ReturnType<
  typeof parseArgs<{ options: T; strict: true; allowPositionals: false }>
>["values"];

/**
 * Parses `argv` against `options` plus `--help`/`-h` (a leading `--`, which pnpm passes on, is
 * skipped). Throws {@link BenchHelp} on `--help` and {@link BenchUsageError} for anything
 * `parseArgs` refuses.
 */
export function parseBenchOptions<T extends Options>(options: T, argv: readonly string[]): BenchValues<T> {
  const args = argv[0] === "--" ? argv.slice(1) : [...argv];
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({
      args,
      options: { ...options, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new BenchUsageError((err as Error).message);
  }
  if (values.help === true) throw new BenchHelp("help");
  delete values.help;
  return values as BenchValues<T>;
}

/** `value` as a positive safe integer, or a {@link BenchUsageError} naming `option`. */
export function positiveInteger(option: string, value: string): number {
  const n = Number(value);
  if (!(/^\d+(e\d+)?$/i.test(value) && Number.isSafeInteger(n) && n > 0)) {
    throw new BenchUsageError(`${option} takes a positive integer, not ${JSON.stringify(value)}`);
  }
  return n;
}

/**
 * Runs `parse` over this process's arguments: returns what it returns; prints `usage` and exits 0
 * on `--help`; prints the refusal and the usage to stderr and exits 2 on a {@link BenchUsageError}.
 */
export function benchMain<R>(
  usage: string,
  parse: (argv: readonly string[]) => R,
  argv: readonly string[] = process.argv.slice(2),
): R {
  try {
    return parse(argv);
  } catch (err) {
    if (err instanceof BenchHelp) {
      process.stdout.write(`${usage.trim()}\n`);
      process.exit(0);
    }
    if (err instanceof BenchUsageError) {
      process.stderr.write(`${err.message}\n\n${usage.trim()}\n`);
      process.exit(2);
    }
    throw err;
  }
}

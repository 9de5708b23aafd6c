/** The benches' strict option parsing (scripts/bench-options.ts). */
import { describe, expect, it } from "vitest";
import { BenchHelp, BenchUsageError, parseBenchOptions, positiveInteger } from "./bench-options.js";

const options = { rounds: { type: "string" }, quick: { type: "boolean", short: "q" } } as const;

describe("parseBenchOptions", () => {
  it("gives the values parseArgs reads, skipping the -- pnpm passes on", () => {
    expect(parseBenchOptions(options, [])).toEqual({});
    expect(parseBenchOptions(options, ["--", "--rounds", "5", "-q"])).toEqual({ rounds: "5", quick: true });
    expect(parseBenchOptions(options, ["--rounds=7"])).toEqual({ rounds: "7" });
  });

  it("refuses unknown options, missing values and stray arguments with a BenchUsageError", () => {
    for (const argv of [["--round", "5"], ["--rounds"], ["-x"], ["extra"], ["--quick=yes"]]) {
      expect(() => parseBenchOptions(options, argv), argv.join(" ")).toThrow(BenchUsageError);
    }
  });

  it("answers --help and -h with BenchHelp", () => {
    expect(() => parseBenchOptions(options, ["--help"])).toThrow(BenchHelp);
    expect(() => parseBenchOptions({}, ["-h"])).toThrow(BenchHelp);
  });
});

describe("positiveInteger", () => {
  it("reads decimal and exponent forms, refuses the rest", () => {
    expect(positiveInteger("-n", "1000")).toBe(1000);
    expect(positiveInteger("-n", "1e6")).toBe(1_000_000);
    for (const bad of ["0", "-1", "1.5", "", "abc", "0x10", "1e300"]) {
      expect(() => positiveInteger("-n", bad), bad).toThrow(/-n takes a positive integer/);
    }
  });
});

/** The list bench's command line (bench/options.ts): same option names, strict parseArgs. */
import { describe, expect, it } from "vitest";
import { BenchHelp, BenchUsageError } from "../../../scripts/bench-options.js";
import { parseBenchArgs } from "../bench/options.js";
import { WORKLOADS } from "../bench/workloads.js";

describe("list bench arguments", () => {
  it("defaults", () => {
    expect(parseBenchArgs([])).toEqual({
      n: 1_000_000,
      reps: 3,
      queries: 1_000_000,
      rounds: 3,
      workloads: [...WORKLOADS],
      c: true,
      baseline: true,
      scaling: true,
    });
  });

  it("reads every option, short and long", () => {
    const wl = WORKLOADS.slice(0, 2).join(",");
    const short = [
      "--",
      "-n",
      "1000",
      "-r",
      "2",
      "-q",
      "50",
      "-w",
      wl,
      "--rounds",
      "4",
      "--no-c",
      "--no-baseline",
      "--no-scaling",
    ];
    const long = [
      "--entries",
      "1000",
      "--reps",
      "2",
      "--queries",
      "50",
      "--workloads",
      wl,
      "--rounds=4",
      "--no-c",
      "--no-baseline",
      "--no-scaling",
    ];
    const want = {
      n: 1000,
      reps: 2,
      queries: 50,
      rounds: 4,
      workloads: WORKLOADS.slice(0, 2),
      c: false,
      baseline: false,
      scaling: false,
    };
    expect(parseBenchArgs(short)).toEqual(want);
    expect(parseBenchArgs(long)).toEqual(want);
  });

  it("refuses unknown options, bad counts and unknown workloads before anything runs", () => {
    for (const argv of [
      ["--n", "5"],
      ["-n"],
      ["-n", "0"],
      ["--rounds", "1.5"],
      ["-w", "nope"],
      ["--no-c=1"],
      ["5"],
    ]) {
      expect(() => parseBenchArgs(argv), argv.join(" ")).toThrow(BenchUsageError);
    }
    expect(() => parseBenchArgs(["-h"])).toThrow(BenchHelp);
  });
});

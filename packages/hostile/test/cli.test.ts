/**
 * The `rlist-lab` binary under a few hostile command lines (the long run takes all of
 * src/cli.ts's cases): documented exit codes, a message instead of a stack trace, no hang.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCli, CLI_CASES, runCliCase } from "../src/cli.js";

const SMALL = [
  "bogus",
  "study --entries NaN",
  "study --out /proc/rlist-hostile",
  "study --sysroot /nonexistent",
  "live --workloads rdma",
  "inspect {corrupt}",
  "inspect --hex {list}",
];

let cli: Awaited<ReturnType<typeof buildCli>> | null = null;

beforeAll(async () => {
  cli = await buildCli();
}, 120_000);

afterAll(() => cli?.remove());

describe("rlist-lab under hostile command lines", () => {
  const cases = CLI_CASES.filter((c) => SMALL.some((s) => c.args.join(" ").startsWith(s)));

  it("runs the small set (one per sort of misuse)", () => {
    expect(cases.length).toBe(SMALL.length);
  });

  it.each(cases.map((c) => [c.args.join(" ") + (c.pipeToHead ? " | head" : ""), c] as const))(
    "rlist-lab %s",
    (_label, c) => {
      const v = runCliCase(cli?.cli as string, c, 60_000);
      expect(
        v.r === "ok" || v.r === "typed" ? "as documented" : `${v.r}: ${"detail" in v ? v.detail : ""}`,
      ).toBe("as documented");
    },
  );
});

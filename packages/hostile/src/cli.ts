/**
 * The `rlist-lab` binary under hostile command lines: each case runs the real bundled CLI (the
 * bundle `pnpm start` runs) in a scratch directory with a time budget and checks the documented
 * exit code (0 done, 1 failed, 2 bad arguments) and that stderr carries a message, not a stack
 * trace. A run past the budget is a hang; death by a signal is a crash.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ChunkPool, RangeList } from "@rlist/list";
import { bundleLabCli, LAB_DIR } from "../../../scripts/lab-cli-bundle.js";
import type { Verdict } from "./runner.js";

export interface CliCase {
  /** Arguments after `rlist-lab`; `{list}` / `{corrupt}` name a saved .rlist file, `{dir}` the scratch dir. */
  args: string[];
  /** Exit codes the README documents for this command line. */
  exits: number[];
  /** Pipe stdout into `head -c 64` (the reader goes away early). */
  pipeToHead?: boolean;
  /** Only in the long run (a study takes seconds). */
  slow?: boolean;
}

const QUICK = ["--entries", "64", "--runs", "1", "--no-host", "--live-mib", "1"];

export const CLI_CASES: readonly CliCase[] = [
  { args: ["--version"], exits: [0] },
  { args: ["--help"], exits: [0] },
  { args: ["bogus"], exits: [2] },
  { args: ["study", "--bogus"], exits: [2] },
  { args: ["study", "--entries", "NaN"], exits: [2] },
  { args: ["study", "--entries", "-1"], exits: [2] },
  { args: ["study", "--entries", "1e300"], exits: [2] },
  { args: ["study", "--entries", "99999999999999999999"], exits: [2] },
  // a u32 in decimal or 0x hex (--help says so; 0x10 runs a study): above 2^32-1 is refused
  { args: ["study", "--seed", "0x100000000"], exits: [2] },
  { args: ["study", "--seed", "-1"], exits: [2] },
  { args: ["study", "--chunk-bytes", "1000"], exits: [2] },
  { args: ["study", "--workloads", ""], exits: [2] },
  { args: ["study", "--workloads", "rdma,bogus"], exits: [2] },
  { args: ["study", "--out", "/proc/rlist-hostile", ...QUICK], exits: [2] },
  { args: ["study", "--out", "/dev/null/x", ...QUICK], exits: [2] },
  { args: ["study", "--sysroot", "/nonexistent", ...QUICK], exits: [2] },
  { args: ["live", "--workloads", "rdma"], exits: [2] },
  { args: ["map", "--out", "x"], exits: [2] },
  { args: ["inspect"], exits: [2] },
  { args: ["inspect", "/nonexistent.rlist"], exits: [1, 2] },
  { args: ["inspect", "{corrupt}"], exits: [1] },
  { args: ["inspect", "{list}"], exits: [0] },
  { args: ["inspect", "--hex", "{list}"], exits: [0], pipeToHead: true },
  { args: ["study", "--seed", "0x10", "--out", "{dir}/report", ...QUICK], exits: [0], slow: true },
];

/** Bundles the CLI once (under packages/lab, so its dependencies resolve); returns its path. */
export async function buildCli(): Promise<{ cli: string; remove(): void }> {
  const out = `${LAB_DIR}node_modules/.cache/rlist-hostile-${process.pid}`;
  const cli = await bundleLabCli(out);
  return { cli, remove: () => rmSync(out, { recursive: true, force: true }) };
}

const STACK = /^\s+at .+\(.+:\d+:\d+\)$/m;

/** Runs one case; `ok` when the exit code is documented and stderr has no stack trace. */
export function runCliCase(cli: string, c: CliCase, timeoutMs: number): Verdict {
  const dir = mkdtempSync(join(tmpdir(), "rlist-hostile-cli-"));
  try {
    const pool = new ChunkPool({ chunkBytes: 512 });
    const list = new RangeList({ pool });
    for (let i = 0; i < 4000; i++)
      list.append({ type: i & 3, length: 4096, base: i * 7, offset: 0, extra: 0 });
    const bytes = list.toBytes();
    writeFileSync(join(dir, "list.rlist"), bytes);
    const corrupt = bytes.slice();
    corrupt[60] = (corrupt[60] as number) ^ 0xff;
    writeFileSync(join(dir, "corrupt.rlist"), corrupt);
    const args = c.args.map((a) =>
      a
        .replace("{list}", join(dir, "list.rlist"))
        .replace("{corrupt}", join(dir, "corrupt.rlist"))
        .replace("{dir}", dir),
    );
    const quoted = [process.execPath, cli, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
    const r = c.pipeToHead
      ? spawnSync("bash", ["-c", `${quoted} | head -c 64 >/dev/null; exit "\${PIPESTATUS[0]}"`], {
          cwd: dir,
          encoding: "utf8",
          timeout: timeoutMs,
        })
      : spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: "utf8", timeout: timeoutMs });
    const label = `rlist-lab ${c.args.join(" ")}${c.pipeToHead ? " | head" : ""}`;
    if (r.error && (r.error as NodeJS.ErrnoException).code === "ETIMEDOUT") {
      return { r: "hang", detail: `${label}: still running after ${timeoutMs} ms` };
    }
    if (r.signal !== null) return { r: "crash", detail: `${label}: killed by ${r.signal}` };
    const stderr = r.stderr ?? "";
    if (STACK.test(stderr) || /EPIPE/.test(stderr)) {
      return {
        r: "other",
        detail: `${label}: exit ${r.status}, a stack trace on stderr: ${stderr.slice(0, 200)}`,
      };
    }
    if (!c.exits.includes(r.status ?? -1)) {
      return {
        r: "other",
        detail: `${label}: exit ${r.status}, documented ${c.exits.join("/")}: ${stderr.slice(0, 200)}`,
      };
    }
    if (r.status !== 0 && stderr.trim() === "")
      return { r: "other", detail: `${label}: exit ${r.status} with no message` };
    return r.status === 0 ? { r: "ok" } : { r: "typed", code: `exit ${r.status}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

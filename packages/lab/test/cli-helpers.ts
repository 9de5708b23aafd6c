import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { bundleLabCli } from "../../../scripts/lab-cli-bundle.js";

export const PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));
export const SYSROOT = fileURLToPath(new URL("fixtures/sysroot", import.meta.url));

let built: string | null = null;

/**
 * Builds the real `rlist-lab` binary (src/cli.ts bundled with the @rlist packages from source,
 * shebang kept; the same bundle `pnpm start` runs) into a per-process directory under
 * node_modules/.cache, so commander, cli-progress and ajv resolve as they do for the published
 * bin. Call in `beforeAll`.
 */
export async function buildCli(): Promise<string> {
  if (built !== null) return built;
  built = await bundleLabCli(`${PACKAGE_DIR}node_modules/.cache/rlist-lab-test-${process.pid}`);
  return built;
}

/** Path of the binary built by {@link buildCli}. */
export function cliPath(): string {
  if (built === null) throw new Error("call buildCli() in beforeAll first");
  return built;
}

/** Removes the binary built by {@link buildCli}. Call in `afterAll`. */
export function removeCli(): void {
  if (built !== null) rmSync(built.slice(0, built.lastIndexOf("/")), { recursive: true, force: true });
  built = null;
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built binary as a user would (`node dist/cli.js ...`); stdio is not a TTY, so no progress bar. */
export function runCli(
  args: readonly string[],
  options: { uid?: number; gid?: number; cwd?: string; timeoutMs?: number } = {},
): CliRun {
  if (built === null) throw new Error("call buildCli() in beforeAll first");
  const r: SpawnSyncReturns<string> = spawnSync(process.execPath, [built, ...args], {
    cwd: options.cwd ?? PACKAGE_DIR,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
    timeout: options.timeoutMs ?? 120_000,
    ...(options.uid !== undefined && { uid: options.uid }),
    ...(options.gid !== undefined && { gid: options.gid }),
  });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Small, quick, reproducible study arguments (example machine, one timing run). */
export const QUICK = ["--entries", "256", "--runs", "1", "--no-host", "--live-mib", "4"];

/**
 * stderr without the note of a missing C compiler (`rlist-lab: note: C yardstick: ...`): where
 * gcc is not installed the study says so on stderr and goes on, which these tests allow.
 */
export function withoutCNote(stderr: string): string {
  return stderr.replace(/^rlist-lab: note: C yardstick: .*\n/m, "");
}

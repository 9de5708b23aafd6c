/**
 * `pnpm start`: builds the lab CLI quietly (its output only if the build fails) and runs the
 * study where the user typed the command, passing any arguments on (`pnpm start --entries 4096`).
 */
import { spawnSync } from "node:child_process";
import { bundleLabCli, LAB_DIR } from "./lab-cli-bundle.js";

let cli: string;
try {
  cli = await bundleLabCli(`${LAB_DIR}node_modules/.cache/rlist-lab-start`);
} catch (err) {
  console.error(
    `rlist-lab: the build failed:\n${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
  );
  process.exit(1);
}
// pnpm runs scripts in the repo root and says in INIT_CWD where the user typed the command.
// biome-ignore lint/suspicious/noUndeclaredEnvVars: set by pnpm for this script, not a turbo task input
const where = process.env.INIT_CWD ?? process.cwd();
const r = spawnSync(process.execPath, [cli, ...process.argv.slice(2)], {
  cwd: where,
  stdio: "inherit",
});
process.exit(r.status ?? 1);

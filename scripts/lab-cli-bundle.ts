/**
 * Bundles the `rlist-lab` CLI (packages/lab/src/cli.ts) into one ES module with the @rlist
 * packages taken from source (the `@rlist/source` export condition): esbuild only, no type
 * declarations, about a second cold. commander, cli-progress and ajv stay imports, resolved from
 * packages/lab as for the published bin. Used by `pnpm start` and by the lab's CLI tests.
 */
import { fileURLToPath } from "node:url";
import { build } from "tsup";

export const LAB_DIR = fileURLToPath(new URL("../packages/lab/", import.meta.url));

/** Writes `<outDir>/cli.js` (outDir must be under packages/lab so the bin's imports resolve); returns its path. */
export async function bundleLabCli(outDir: string): Promise<string> {
  await build({
    entry: { cli: `${LAB_DIR}src/cli.ts` },
    format: ["esm"],
    outDir,
    noExternal: [/^@rlist\//],
    external: ["commander", "cli-progress", "ajv"],
    esbuildOptions(o) {
      o.conditions = ["@rlist/source"];
    },
    target: "node20",
    splitting: false,
    dts: false,
    sourcemap: false,
    clean: true,
    silent: true,
    config: false,
  });
  return `${outDir}/cli.js`;
}

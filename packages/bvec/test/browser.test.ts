/**
 * encoding + list + dma + bvec bundle for the browser (esbuild, platform "browser": no Node
 * built-in may be imported, the WebAssembly kernels come embedded) and run in headless Chromium:
 * a list walk, checksum() through the kernel, a bio adapter and an IOMMU map + unmap, with the
 * same results as in Node. Skipped when Chromium is missing, except in CI (.ci/run installs it).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build, type Plugin } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
import { runScenario } from "./browser/scenario.js";

const here = new URL(".", import.meta.url).pathname;

function findChromium(): string | null {
  for (const p of ["/usr/bin/chromium", "/usr/bin/chromium-browser"]) if (existsSync(p)) return p;
  const which = spawnSync("sh", ["-c", "command -v chromium || command -v chromium-browser"], {
    encoding: "utf8",
  });
  return which.status === 0 && which.stdout.trim() !== "" ? which.stdout.trim() : null;
}

const chromium = findChromium();
const inCi = process.env.CI !== undefined && process.env.CI !== "" && process.env.CI !== "false";
if (chromium === null && !inCi) {
  console.warn("SKIPPED browser bundle test: chromium not found (apt-get install -y chromium to run it).");
}

/** Fails the build on any Node built-in, `node:` prefixed or bare, with the importer named. */
const noNodeBuiltins: Plugin = {
  name: "no-node-builtins",
  setup(b) {
    const bare = /^(fs|path|os|child_process|url|util|crypto|module|worker_threads|v8|vm|buffer)(\/.*)?$/;
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.path.startsWith("node:") || bare.test(args.path)) {
        return { errors: [{ text: `Node built-in "${args.path}" imported by ${args.importer}` }] };
      }
      return undefined;
    });
  },
};

/** Bundles `entry` for the browser from the packages' sources (the @rlist/source condition). */
async function bundle(entry: string): Promise<{ js: string; inputs: string[] }> {
  const r = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    platform: "browser",
    format: "iife",
    target: "es2022",
    conditions: ["@rlist/source"],
    metafile: true,
    logLevel: "silent",
    plugins: [noNodeBuiltins],
  });
  return { js: r.outputFiles[0]!.text, inputs: Object.keys(r.metafile.inputs) };
}

const tmp = mkdtempSync(join(tmpdir(), "rlist-bundle-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("browser bundle of encoding + list + dma + bvec", () => {
  it("bundles with no Node built-in, the four packages from source", async () => {
    const { js, inputs } = await bundle(join(here, "browser/entry.ts"));
    for (const pkg of ["encoding", "list", "dma", "bvec"]) {
      expect(inputs.some((f) => f.includes(`packages/${pkg}/src/`))).toBe(true);
    }
    expect(inputs.some((f) => f.endsWith("sysfs.ts"))).toBe(false);
    expect(js).toContain("AGFzbQ"); // the kernel bytes (base64 of "\0asm") are embedded
  });

  it("the check bites: @rlist/dma/node does not bundle for a browser", async () => {
    // Resolved from this package's node_modules, like any consumer's import.
    const copy = join(here, "browser", "node-entry.tmp.ts");
    writeFileSync(
      copy,
      'import { pciTopologyFromSysfs } from "@rlist/dma/node";\nconsole.log(pciTopologyFromSysfs);\n',
    );
    try {
      await expect(bundle(copy)).rejects.toThrow(/Node built-in "node:fs"/);
    } finally {
      rmSync(copy, { force: true });
    }
  });

  describe.skipIf(chromium === null && !inCi)("in headless Chromium", () => {
    it("chromium is there (CI must run this test)", () => {
      expect(chromium).not.toBeNull();
    });

    it("walks, checksums, adapts a bio and maps + unmaps through an IOMMU like Node does", async () => {
      const { js } = await bundle(join(here, "browser/entry.ts"));
      writeFileSync(join(tmp, "bundle.js"), js);
      const html = join(tmp, "index.html");
      writeFileSync(
        html,
        '<!doctype html><meta charset="utf-8"><body><script src="bundle.js"></script></body>',
      );
      const profile = mkdtempSync(join(tmpdir(), "rlist-chromium-"));
      let r: ReturnType<typeof spawnSync>;
      try {
        r = spawnSync(
          chromium!,
          [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            `--user-data-dir=${profile}`,
            "--allow-file-access-from-files",
            "--dump-dom",
            `file://${html}`,
          ],
          { encoding: "utf8", timeout: 90_000 },
        );
      } finally {
        rmSync(profile, { recursive: true, force: true });
      }
      expect(r.status).toBe(0);
      const m = /<pre id="result">([\s\S]*?)<\/pre>/.exec(String(r.stdout));
      expect(m).not.toBeNull();
      const text = m![1]!
        .replaceAll("&quot;", '"')
        .replaceAll("&amp;", "&")
        .replaceAll("&lt;", "<")
        .replaceAll("&gt;", ">");
      const inBrowser = JSON.parse(text) as Record<string, unknown>;
      expect(inBrowser.error).toBeUndefined();
      const inNode = JSON.parse(JSON.stringify(runScenario())) as Record<string, unknown>;
      expect(inBrowser).toEqual(inNode);
      // what the scenario is about, so a scenario that silently did nothing cannot pass
      expect(inNode.sharedMemory).toBe(true);
      expect(inNode.idleAfterUnmap).toBe(true);
      expect((inNode.walk as { count: number }).count).toBe(5000);
      expect((inNode.checksum as { count: number }).count).toBe(5000);
      expect((inNode.mapped as { path: string }).path).toBe("iommu-linear");
    }, 120_000);
  });
});

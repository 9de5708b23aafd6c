/**
 * The API reference builds without a warning: every type a public signature names is exported,
 * every {@link} resolves. CI builds the site with `pnpm run docs`; this runs the same checks
 * without writing it, so `pnpm test` catches a dangling public type before it lands.
 */
import { execFile } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const run = promisify(execFile);

describe("API reference (typedoc)", () => {
  it("converts every package with no warning", { timeout: 300_000 }, async () => {
    const typedoc = join(root, "node_modules", ".bin", "typedoc");
    const args = ["--emit", "none", "--skipErrorChecking", "--treatWarningsAsErrors", "--logLevel", "Warn"];
    const result = await run(typedoc, args, { cwd: root, env: { ...process.env, NO_COLOR: "1" } }).then(
      (r) => ({ code: 0, output: r.stdout + r.stderr }),
      (e: { code?: number; stdout?: string; stderr?: string }) => ({
        code: e.code ?? 1,
        output: `${e.stdout ?? ""}${e.stderr ?? ""}`,
      }),
    );
    expect(result.output.split("\n").filter((l) => /warning|error/i.test(l))).toEqual([]);
    expect(result.code).toBe(0);
  });
});

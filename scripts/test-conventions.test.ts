/** The test tree keeps the conventions CONTRIBUTING.md writes down. */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

function walk(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === "dist") continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, out);
    else if (entry.name.endsWith(".test.ts")) out.push(relative(root, path));
  }
  return out;
}

const testFiles = [
  ...readdirSync(join(root, "packages")).flatMap((pkg) => {
    try {
      return walk(join(root, "packages", pkg, "test"));
    } catch {
      return []; // a package without tests
    }
  }),
  ...walk(join(root, "scripts")),
].sort();

describe("test file names", () => {
  it("finds the test tree", () => {
    expect(testFiles.length).toBeGreaterThan(50);
  });

  it("property-test files use the one suffix, .prop.test.ts", () => {
    const otherSuffix = testFiles.filter(
      (f) => /propert|[.-]props?[.-]/i.test(f) && !f.endsWith(".prop.test.ts"),
    );
    expect(otherSuffix).toEqual([]);
  });

  it("every .prop.test.ts file runs fast-check properties", () => {
    const noProperty = testFiles.filter(
      (f) => f.endsWith(".prop.test.ts") && !/from "fast-check"/.test(readFileSync(join(root, f), "utf8")),
    );
    expect(noProperty).toEqual([]);
  });
});

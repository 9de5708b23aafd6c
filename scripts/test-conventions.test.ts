/** The test tree keeps the conventions CONTRIBUTING.md writes down. */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

function walk(dir: string, suffix: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === "dist") continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, suffix, out);
    else if (entry.name.endsWith(suffix)) out.push(relative(root, path));
  }
  return out;
}

/** Every `*<suffix>` file under the packages' test/ folders and scripts/. */
function testTree(suffix: string): string[] {
  return [
    ...readdirSync(join(root, "packages")).flatMap((pkg) => {
      try {
        return walk(join(root, "packages", pkg, "test"), suffix);
      } catch {
        return []; // a package without tests
      }
    }),
    ...walk(join(root, "scripts"), suffix),
  ].sort();
}

const testFiles = testTree(".test.ts");

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

describe("error-code assertions", () => {
  const sources = testTree(".ts").filter((f) => f !== "scripts/expect-code.ts");
  const read = (f: string) => readFileSync(join(root, f), "utf8");

  it("one expectCode and one codeOf (scripts/expect-code.ts): no file defines its own", () => {
    const own = sources.filter((f) =>
      /\b(function|const|let)\s+(expectCode|codeOf|expectRlist\w*|toThrowCode)\b/.test(read(f)),
    );
    expect(own).toEqual([]);
  });

  it("no test matches an error by a bare code property (an asymmetric matcher): use expectCode", () => {
    const loose = sources.filter((f) => /objectContaining\(\{\s*code\b/.test(read(f)));
    expect(loose).toEqual([]);
  });
});

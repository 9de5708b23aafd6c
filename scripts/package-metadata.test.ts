/** Every package carries the same licence and the metadata a registry page needs. */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const read = (p: string) => readFileSync(join(root, p), "utf8");
const rootPkg = JSON.parse(read("package.json"));
const dirs = readdirSync(join(root, "packages")).sort();

describe("package metadata", () => {
  it("the root declares MIT and has the LICENSE file it names", () => {
    expect(rootPkg.license).toBe("MIT");
    expect(read("LICENSE")).toMatch(/^MIT License\n/);
  });

  it.each(dirs)("packages/%s: license, LICENSE, repository, homepage, keywords", (dir) => {
    const pkg = JSON.parse(read(`packages/${dir}/package.json`));
    expect(pkg.license).toBe("MIT");
    expect(read(`packages/${dir}/LICENSE`)).toBe(read("LICENSE"));
    expect(pkg.repository).toEqual({ ...rootPkg.repository, directory: `packages/${dir}` });
    const repoUrl = rootPkg.repository.url.replace(/^git\+/, "").replace(/\.git$/, "");
    expect(pkg.homepage).toBe(`${repoUrl}/tree/main/packages/${dir}#readme`);
    expect(pkg.bugs).toEqual(rootPkg.bugs);
    expect(pkg.keywords).toEqual(expect.arrayContaining(["rlist", "linux-kernel"]));
    expect(pkg.name).toBe(`@rlist/${dir}`);
  });
});

import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseChunkBytes, parseEntries, parseSeed, parseWorkloads } from "../src/cli/options.js";
import { prepareOutDir, writeFilesAtomically } from "../src/cli/out-dir.js";
import { UsageError } from "../src/cli/usage-error.js";

describe("option parsing", () => {
  it("accepts positive integers and rejects the rest with the flag in the message", () => {
    expect(parseEntries("64")).toBe(64);
    expect(parseSeed("0x10")).toBe(16);
    for (const bad of ["-5", "0", "1.5", "abc", "", "1e3", String(2 ** 30)]) {
      expect(() => parseEntries(bad)).toThrow(UsageError);
      expect(() => parseEntries(bad)).toThrow(/--entries must be an integer/);
    }
    expect(() => parseSeed(String(2 ** 32))).toThrow(/--seed/);
    // the seed is a u32 written in decimal or 0x hex (as --help says), nothing else
    expect([parseSeed("0"), parseSeed("4294967295"), parseSeed("0xffffffff")]).toEqual([
      0,
      2 ** 32 - 1,
      2 ** 32 - 1,
    ]);
    for (const bad of ["-1", "1e3", "1.5", "0x", "0x1_0", "0o17", "0b1", "16n", "", "0x100000000"])
      expect(() => parseSeed(bad), bad).toThrow(/--seed must be an integer from 0 to 4294967295/);
  });

  it("parses workload lists in canonical order and names unknown ones", () => {
    expect(parseWorkloads("nvme, rdma,rdma")).toEqual(["rdma", "nvme"]);
    expect(() => parseWorkloads("rdma,bogus")).toThrow(
      'unknown workload "bogus" (known: rdma, thp, nvme, gpu-p2p, live)',
    );
    expect(() => parseWorkloads(" , ")).toThrow(/needs one or more/);
  });

  it("parses chunk sizes", () => {
    expect(parseChunkBytes("4096,128")).toEqual([128, 4096]);
    expect(() => parseChunkBytes("256")).toThrow(/"256" is not a chunk size/);
  });
});

describe("output directory", () => {
  const root = mkdtempSync(join(tmpdir(), "rlist-lab-out-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("creates the directory and leaves no probe behind", () => {
    const dir = join(root, "a", "b");
    prepareOutDir(dir);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("refuses a path under a regular file", () => {
    const file = join(root, "plain");
    writeFileSync(file, "x");
    expect(() => prepareOutDir(join(file, "sub"))).toThrow(/cannot write there \(ENOTDIR\)/);
  });

  it("writes all files or none", () => {
    const dir = join(root, "atomic");
    prepareOutDir(dir);
    const written = writeFilesAtomically(dir, [
      { name: "x.json", content: "{}" },
      { name: "y.html", content: "<p>" },
    ]);
    expect(written.map((p) => p.slice(dir.length + 1))).toEqual(["x.json", "y.html"]);
    expect(readdirSync(dir).sort()).toEqual(["x.json", "y.html"]);
    // A name that cannot be created (a directory of that name exists) fails before any rename.
    prepareOutDir(join(dir, "taken"));
    expect(() =>
      writeFilesAtomically(dir, [
        { name: "z.json", content: "{}" },
        { name: "taken/", content: "" },
      ]),
    ).toThrow();
    expect(readdirSync(dir).sort()).toEqual(["taken", "x.json", "y.html"]);
  });
});

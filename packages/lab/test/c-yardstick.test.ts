import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PhysicalMemory } from "@rlist/dma";
import { ChunkPool, RangeList } from "@rlist/list";
import { afterAll, describe, expect, it } from "vitest";
import { expectCode } from "../../../scripts/expect-code.js";
import { exampleMachine } from "../src/machine/host.js";
import {
  CWalkRunner,
  defaultCSource,
  parseCWalk,
  prepareCYardstick,
  walkFileBytes,
} from "../src/native/c-yardstick.js";
import { studyText } from "../src/render/table.js";
import { rlistRepresentation } from "../src/representations/rlist.js";
import { measureAll } from "../src/study/measure.js";
import { runStudy } from "../src/study/run.js";
import { validateResults } from "../src/study/schema.js";
import type { Workload } from "../src/workloads/workload.js";
import { pages } from "./helpers.js";

function hasGcc(): boolean {
  try {
    execFileSync("gcc", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
const gcc = hasGcc();
if (!gcc) console.warn("c-yardstick.test: gcc is not installed, the C yardstick's own runs are skipped");

const scratch = mkdtempSync(join(tmpdir(), "rlist-lab-c-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("the C yardstick: finding and compiling it", () => {
  it("without the compiler there is no C column, and a note says why", () => {
    const y = prepareCYardstick({ compiler: join(scratch, "no-such-gcc"), cacheDir: scratch });
    expect(y).toEqual({
      ok: false,
      note: expect.stringMatching(/no-such-gcc was not found, so there is no C column/),
    });
  });

  it("without its source (a published install) neither", () => {
    const y = prepareCYardstick({ source: join(scratch, "missing.c"), cacheDir: scratch });
    expect(y).toMatchObject({ ok: false, note: expect.stringMatching(/source .* is not in this install/) });
  });

  it("a source that is a directory is EINVAL with the file system's error as its cause", () => {
    const err = expectCode(() => prepareCYardstick({ source: scratch, cacheDir: scratch }), "EINVAL");
    expect((err.cause as { code?: string }).code).toBe("EISDIR");
  });

  it.runIf(gcc)("a cache directory whose name is too long is EINVAL, nothing made", () => {
    const long = join(scratch, "x".repeat(100_000));
    const err = expectCode(() => prepareCYardstick({ cacheDir: long }), "EINVAL");
    expect((err.cause as { code?: string }).code).toBe("ENAMETOOLONG");
    expect(err.message.length).toBeLessThan(1000);
    const inFile = join(scratch, "plain-file");
    writeFileSync(inFile, "");
    const notDir = expectCode(() => prepareCYardstick({ cacheDir: join(inFile, "cache") }), "EINVAL");
    expect((notDir.cause as { code?: string }).code).toBe("ENOTDIR");
  });

  it("this checkout has the source", () => {
    expect(defaultCSource()).toMatch(/packages\/list\/bench\/c\/rlist_ref\.c$/);
  });

  it.runIf(gcc)("a source that does not compile is a note, not a crash", () => {
    const bad = join(scratch, "bad.c");
    writeFileSync(bad, "int main(void) { return oops; }\n");
    const y = prepareCYardstick({ source: bad, cacheDir: scratch });
    expect(y).toMatchObject({ ok: false, note: expect.stringMatching(/could not compile/) });
  });

  it.runIf(gcc)("compiles once per source: the second study takes the cached binary", () => {
    const dir = join(scratch, "cache");
    const a = prepareCYardstick({ cacheDir: dir });
    if (!a.ok) throw new Error(a.note);
    expect(a.compiler).toMatch(/gcc/);
    const mtime = statSync(a.binary).mtimeMs;
    const b = prepareCYardstick({ cacheDir: dir });
    expect(b).toEqual(a);
    expect(statSync(a.binary).mtimeMs).toBe(mtime);
  });
});

describe("the C yardstick: walking the lab's lists", () => {
  const pool = new ChunkPool({ chunkBytes: 512 });
  /** Two lists with every entry form (8, 16 and 24 bytes) and one empty list. */
  const lists = () => {
    const a = new RangeList({ pool });
    for (let i = 0; i < 200; i++) a.append({ type: 3, base: 0x1000 + 3 * i, length: 1, offset: 0, extra: 0 });
    a.append({ type: 0, base: 2 ** 40, length: 0x900, offset: 0x800, extra: 0 });
    a.append({ type: 1, base: 2 ** 45, length: 2 ** 33, offset: 0, extra: 7 });
    const b = new RangeList({ pool });
    for (let i = 0; i < 70; i++)
      b.append({ type: 1, base: 2 ** 44 + i * 2 ** 20, length: 65536, offset: 0, extra: 3 });
    return [a, b, new RangeList({ pool })];
  };

  it("parses RESULT lines and refuses one it cannot read", () => {
    const line =
      "RESULT impl=c set=0 chunk=512 lists=3 n=272 chunks=9 walk_ns=812.5 reps=2462 chk=8590045185/0000f0000001c26c";
    expect(parseCWalk(`noise\n${line}\n`)).toEqual([
      {
        set: 0,
        chunkBytes: 512,
        lists: 3,
        entries: 272,
        chunks: 9,
        walkNs: 812.5,
        lengthSum: 8590045185n,
        baseSum: 0xf0000001c26cn,
      },
    ]);
    expect(() => parseCWalk(line.replace("chk=8590045185/", "chk=x/"))).toThrow(/chk=/);
  });

  it.runIf(gcc)("builds the same lists at every chunk size: C's chk= and chunks equal the lab's", () => {
    const y = prepareCYardstick({ cacheDir: join(scratch, "cache") });
    if (!y.ok) throw new Error(y.note);
    const ls = lists();
    const runner = new CWalkRunner(y, [{ chunkBytes: [128, 512, 4096], lists: ls }], 1e5);
    try {
      const out = runner.run();
      let count = 0;
      let len = 0n;
      let base = 0n;
      for (const l of ls) {
        const s = l.checksum();
        count += s.count;
        len += s.lengthSum;
        base += s.baseSum;
      }
      expect(out.map((r) => r.chunkBytes)).toEqual([128, 512, 4096]);
      for (const r of out) {
        expect(r).toMatchObject({
          lists: 3,
          entries: count,
          lengthSum: BigInt.asUintN(64, len),
          baseSum: base,
        });
        expect(r.walkNs).toBeGreaterThan(0);
      }
      // 512-byte chunks: the lab's own chunk count (each list's chunks, as RangeList keeps them).
      expect(out[1]!.chunks).toBe(ls.reduce((a, l) => a + l.chunkCount, 0));
    } finally {
      runner.close();
      for (const l of ls) l.clear();
    }
  });

  it.runIf(gcc)("C refuses a file that is not its format", () => {
    const y = prepareCYardstick({ cacheDir: join(scratch, "cache") });
    if (!y.ok) throw new Error(y.note);
    const bytes = walkFileBytes([{ chunkBytes: [512], lists: lists() }]);
    const bad = join(scratch, "bad.rlwalk");
    writeFileSync(bad, bytes.subarray(0, bytes.length - 5));
    expect(() => execFileSync(y.binary, ["-i", bad], { stdio: "pipe" })).toThrow();
  });
});

describe("the C column in a study", () => {
  const memory = new PhysicalMemory({ regions: [{ start: 0, size: 2 ** 34, kind: "ram" }] });
  const set = pages(...Array.from({ length: 300 }, (_, i) => 0x1000 + 2 * i));
  const workload: Workload = {
    id: "rdma",
    title: "t",
    summary: "s",
    data: "synthetic",
    groupNoun: "MR",
    ranges: set,
    bytes: 300 * 4096,
    facts: [],
  };

  it("a C figure whose chk= differs from the kernel walk's is refused, with the reason", () => {
    // A stand-in for the yardstick that walks nothing and prints a wrong checksum.
    const fake = join(scratch, "fake-c");
    writeFileSync(
      fake,
      '#!/bin/sh\necho "RESULT impl=c set=0 chunk=512 lists=1 n=300 chunks=5 walk_ns=100.0 reps=1 chk=300/0000000000000001"\n',
    );
    chmodSync(fake, 0o755);
    const m = measureAll([rlistRepresentation(512, { memory, providers: [] })], workload, {
      rounds: 2,
      calibrateNs: 2e6,
      c: { binary: fake },
    });
    const c = m.representations[0]!.c!;
    expect(c.walk).toBeNull();
    expect(c.walkEntriesPerSec).toBe(0);
    expect(c.error).toMatch(/^C's chk= \(300 entries, 300\/1, 5 chunks\) differs from the kernel walk's/);
    expect(c.error).toMatch(/no C figure$/);
  });

  it("a yardstick that fails is reported on every rlist variant, and the study goes on", () => {
    const m = measureAll([rlistRepresentation(512, { memory, providers: [] })], workload, {
      rounds: 2,
      calibrateNs: 2e6,
      c: { binary: "/bin/false" },
    });
    expect(m.representations[0]!.c).toMatchObject({ walk: null, error: expect.stringMatching(/failed/) });
    expect(m.representations[0]!.kernelWalk).not.toBeNull();
  });

  const study = (cYardstick: boolean) =>
    runStudy({
      entries: 512,
      seed: 3,
      chunkBytes: [128, 512],
      workloads: ["rdma", "nvme", "gpu-p2p"],
      runs: 2,
      liveBytes: 1 << 22,
      machine: exampleMachine(),
      machineLabel: "example",
      version: "test",
      calibrateNs: 2e6,
      mappings: false,
      cYardstick,
    });

  it.runIf(gcc)(
    "runs beside the kernels on every rlist variant, with the same checksums",
    { timeout: 60_000 },
    () => {
      const r = study(true);
      expect(validateResults(r)).toEqual([]);
      expect(r.cYardstick).toMatchObject({ status: "ran", flags: "-O2", note: null });
      for (const w of r.workloads) {
        for (const x of w.representations) {
          if (x.family !== "rlist") {
            expect(x.c).toBeNull();
            continue;
          }
          expect(x.c!.error).toBeNull();
          expect(x.c!.checksum).toEqual(x.checksum);
          expect(x.c!.walk!.samplesNs).toHaveLength(2);
          expect(x.c!.walkEntriesPerSec).toBeGreaterThan(0);
        }
      }
      const text = studyText(r);
      expect(text).toContain("rlist walks side by side (Me/s)");
      expect(text).toMatch(/Side by side: the same lists walked by the JS cursor, the WebAssembly kernel/);
    },
  );

  it("without gcc the study goes on without the C column and says so", () => {
    const notes: string[] = [];
    const r = runStudy({
      ...{
        entries: 256,
        seed: 3,
        chunkBytes: [512] as const,
        workloads: ["rdma"] as const,
        runs: 1,
        liveBytes: 1 << 22,
        machine: exampleMachine(),
        machineLabel: "example",
        version: "test",
        calibrateNs: 2e6,
        mappings: false,
      },
      cYardstick: { compiler: join(scratch, "no-such-gcc") },
      onNote: (n) => notes.push(n),
    });
    expect(validateResults(r)).toEqual([]);
    expect(r.cYardstick.status).toBe("skipped");
    expect(notes).toEqual([r.cYardstick.note]);
    expect(r.workloads[0]!.representations.every((x) => x.c === null)).toBe(true);
    expect(studyText(r)).toContain("so there is no C column");
    expect(studyText(r)).not.toContain("side by side (Me/s)");
  });
});

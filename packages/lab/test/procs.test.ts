import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadMachine } from "../src/machine/host.js";
import { listProcesses, procsWorkload } from "../src/workloads/procs.js";
import { FAKE_PROCESSES, fakeSysroot } from "./procs-fixture.js";

const root = fakeSysroot(FAKE_PROCESSES, { thpPfns: [0x10000, 0x10001] });
const hidden = fakeSysroot(FAKE_PROCESSES, { hidePfns: true });
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(hidden, { recursive: true, force: true });
});
const memory = loadMachine(`${root}/`).memory;

describe("other processes' memory from a fake /proc", () => {
  it("lists processes largest resident set first", () => {
    expect(listProcesses(join(root, "proc")).map((p) => [p.pid, p.name])).toEqual([
      [100, "big"],
      [300, "gone"],
      [200, "small"],
    ]);
  });

  it("builds one list per mapping from the present RAM frames, says what it left out and goes on past a vanished process", () => {
    const notes: string[] = [];
    const progress: number[] = [];
    const r = procsWorkload({
      procRoot: join(root, "proc"),
      budgetBytes: 1 << 30,
      memory,
      onNote: (m) => notes.push(m),
      onProgress: (d) => progress.push(d),
    });
    if (!r.ok) throw new Error(r.reason);
    const w = r.workload;
    expect(w.data).toBe("other processes");
    expect(w.ranges.groups).toBe(3);
    expect([...w.ranges.groupStart]).toEqual([0, 8, 10, 11]);
    expect([...w.ranges.phys].map((p) => p / 4096)).toEqual([
      0x10000, 0x10001, 0x10002, 0x10003, 0x10004, 0x10005, 0x10006, 0x10007, 0x20000, 0x20100, 0x30000,
    ]);
    expect(w.bytes).toBe(11 * 4096);
    expect(Object.fromEntries(w.facts.map((f) => [f.label, f.value]))).toMatchObject({
      processes: 2,
      mappings: 3,
      "present pages": 11,
      "THP pages": 2,
      "frames outside System RAM (left out)": 1,
      "processes skipped": 1,
    });
    expect(notes).toEqual(["procs: process 300 (gone) is gone; going on without it"]);
    expect(progress.at(-1)).toBe(3);
  });

  it("stops at the byte budget and says so", () => {
    const r = procsWorkload({ procRoot: join(root, "proc"), budgetBytes: 4 * 4096, memory });
    if (!r.ok) throw new Error(r.reason);
    expect(r.workload.ranges.count).toBe(4);
    expect(r.workload.facts).toContainEqual({ label: "note", value: "byte budget (0 MiB) reached" });
  });

  it("reads only the processes asked for", () => {
    const r = procsWorkload({ procRoot: join(root, "proc"), pids: [200], budgetBytes: 1 << 30, memory });
    if (!r.ok) throw new Error(r.reason);
    expect(r.workload.ranges.count).toBe(1);
  });

  it("without CAP_SYS_ADMIN (every PFN reads 0) says it needs root", () => {
    const r = procsWorkload({ procRoot: join(hidden, "proc"), budgetBytes: 1 << 30, memory });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/needs root \(CAP_SYS_ADMIN\)/);
  });
});

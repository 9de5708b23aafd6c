/**
 * Issue 12 item 12: the byte total of a CPU list is a `number`, so the append that would take it
 * past 2^53 - 1 fails with ERANGE and changes nothing (the kernel's total is a u64; ours stays exact
 * or refuses).
 */
import { describe, expect, it } from "vitest";
import { expectCode } from "../../../../scripts/expect-code.js";
import { CpuRangeList } from "../../src/cpu/cpu-range-list.js";
import { summarizeCpuList } from "../../src/mapping/cpu-source.js";
import { PhysicalMemory } from "../../src/memory/physical-memory.js";
import { ArrayCpuList } from "../mapping/helpers.js";

const memory = new PhysicalMemory({ regions: [{ start: 0, size: 2 ** 34, kind: "ram" }] });
const HUGE = 2 ** 52 + 1;

const look = (l: CpuRangeList) =>
  JSON.stringify([l.count, l.length, l.toArray().map((e) => [e.phys, e.length])]);

describe("CpuRangeList.length never passes 2^53 - 1 (issue 12 item 12)", () => {
  it("three appendPhysical(0, 2**52 + 1): the second is ERANGE and the list is as after the first", () => {
    const l = new CpuRangeList(memory);
    l.appendPhysical(0, HUGE);
    const before = look(l);
    expectCode(() => l.appendPhysical(0, HUGE), "ERANGE");
    expect(look(l)).toBe(before);
    expectCode(() => l.appendPhysical(0, HUGE), "ERANGE");
    expect(l.length).toBe(HUGE);
    expect(Number.isSafeInteger(l.length)).toBe(true);
    // Exactly up to the limit is fine.
    l.appendPhysical(0, Number.MAX_SAFE_INTEGER - HUGE);
    expect(l.length).toBe(Number.MAX_SAFE_INTEGER);
    expectCode(() => l.appendPhysical(0, 1), "ERANGE");
    expect(l.length).toBe(Number.MAX_SAFE_INTEGER);
  });

  it("a merging folio append that would overflow is refused too", () => {
    const l = new CpuRangeList(memory);
    l.appendPhysical(0, Number.MAX_SAFE_INTEGER - 0x1000);
    l.appendPage(0x100, 0, 0x1000);
    const before = look(l);
    expectCode(() => l.appendPage(0x101, 0, 0x1000), "ERANGE"); // would merge into the page before
    expect(look(l)).toBe(before);
  });

  it("summarizeCpuList refuses a source whose total passes 2^53 - 1", () => {
    const src = new ArrayCpuList([
      { phys: 0, length: HUGE },
      { phys: 0, length: HUGE },
    ]);
    expectCode(() => summarizeCpuList(src.cursor()), "ERANGE");
  });
});

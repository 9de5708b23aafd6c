import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  candidateMappings,
  decodePagemap,
  liveRanges,
  liveWorkload,
  parseMaps,
} from "../src/workloads/live.js";
import { PAGE_SIZE, totalBytes } from "../src/workloads/range-set.js";

const maps = readFileSync(new URL("fixtures/maps.txt", import.meta.url), "utf8");

/** One pagemap entry: present bit 63 and a PFN in bits 0-54. */
function entry(present: boolean, pfn: number): number[] {
  const bytes = new Uint8Array(8);
  const v = new DataView(bytes.buffer);
  v.setUint32(0, pfn % 2 ** 32, true);
  v.setUint32(4, Math.floor(pfn / 2 ** 32) | (present ? 0x8000_0000 : 0) | (1 << 29), true); // bit 61 file/shared noise
  return [...bytes];
}

describe("/proc/self/maps", () => {
  it("parses lines, anonymous candidates exclude [heap]/[stack] and file mappings", () => {
    const m = parseMaps(maps);
    expect(m).toHaveLength(6);
    expect(m[2]).toEqual({ start: 0x7f0a37fff000, end: 0x7f0a3c000000, perms: "rw-p", inode: 0, path: "" });
    const c = candidateMappings(m, 64 * 2 ** 20);
    expect(c.map((x) => x.start)).toEqual([0x7f0a37fff000]);
    expect(candidateMappings(m, 4096).map((x) => x.start)).toEqual([0x7f0a37fff000, 0x7f0a3c000000]);
  });
});

describe("pagemap decoding", () => {
  it("reads present bits and 55-bit PFNs, counts hidden (zero) PFNs", () => {
    const raw = new Uint8Array([
      ...entry(true, 0x11ac64),
      ...entry(false, 0),
      ...entry(true, 2 ** 40 + 5),
      ...entry(true, 0),
    ]);
    const d = decodePagemap(raw);
    expect([...d.pfns]).toEqual([0x11ac64, -1, 2 ** 40 + 5, 0]);
    expect(d.present).toBe(3);
    expect(d.zeroPfn).toBe(1);
  });

  it("turns an unaligned buffer's pages into ranges: partial head and tail, holes skipped", () => {
    const va = 0x7f0000001010;
    const bytes = 3 * PAGE_SIZE;
    const pfns = new Float64Array([100, 50, -1, 7]); // 4 pages touched
    const set = liveRanges(va, bytes, pfns).finish();
    expect(set.count).toBe(3);
    expect([...set.phys]).toEqual([100 * PAGE_SIZE + 0x10, 50 * PAGE_SIZE, 7 * PAGE_SIZE]);
    expect([...set.length]).toEqual([PAGE_SIZE - 0x10, PAGE_SIZE, 0x10]);
    expect(totalBytes(set)).toBe(bytes - PAGE_SIZE);
  });
});

describe("live workload on this machine", () => {
  it("either reads real frames or explains why not", () => {
    const r = liveWorkload(4 * 2 ** 20);
    if (!r.ok) {
      expect(r.reason).toMatch(/^live: /);
      return;
    }
    const w = r.workload;
    expect(w.id).toBe("live");
    expect(w.bytes).toBe(4 * 2 ** 20);
    expect(w.ranges.count).toBeGreaterThanOrEqual(1024);
    for (let i = 0; i < w.ranges.count; i++) expect(w.ranges.folioPfn[i]!).toBeGreaterThan(0);
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expectCode } from "../../../scripts/expect-code.js";
import { createRng } from "../src/rng.js";
import { gpuWorkload } from "../src/workloads/gpu.js";
import { NVME_BIO_BYTES, nvmeWorkload } from "../src/workloads/nvme.js";
import { EXAMPLE_RAM, PfnPicker } from "../src/workloads/ram.js";
import { NO_FOLIO, PAGE_SIZE, type RangeSet, RangeSetBuilder } from "../src/workloads/range-set.js";
import { rdmaWorkload } from "../src/workloads/rdma.js";
import { thpWorkload } from "../src/workloads/thp.js";

const ram = EXAMPLE_RAM;
const bar = { start: 0x38_0000_0000, size: 16 * 2 ** 30, provider: 0, name: "GPU BAR1" };

function inRam(phys: number, len: number): boolean {
  return ram.some((r) => phys >= r.start && phys + len <= r.end);
}

function eachRange(set: RangeSet, fn: (i: number) => void): void {
  for (let i = 0; i < set.count; i++) fn(i);
}

describe("RangeSetBuilder", () => {
  it("keeps groups, grows past its initial capacity and rejects ranges outside their folio", () => {
    const b = new RangeSetBuilder();
    b.beginGroup();
    for (let i = 0; i < 3000; i++) b.addFolioRange(i, 0, i * PAGE_SIZE, PAGE_SIZE);
    b.beginGroup();
    b.beginGroup();
    b.addPhysical(0x1000, 10, 2);
    const set = b.finish();
    expect(set.count).toBe(3001);
    expect([...set.groupStart]).toEqual([0, 3000, 3000, 3001]);
    expect(set.phys[2999]).toBe(2999 * PAGE_SIZE);
    expect(set.folioPfn[3000]).toBe(NO_FOLIO);
    expectCode(() => b.addFolioRange(4, 0, 5 * PAGE_SIZE, 1), "EINVAL");
    expectCode(() => b.addFolioRange(4, 1, 4 * PAGE_SIZE + 100, 2 * PAGE_SIZE), "EINVAL");
    expectCode(() => b.addPhysical(0, 0, 1), "ERANGE");
    // the provider column is an Int16Array: an index past it is refused, not wrapped
    expectCode(() => b.addPhysical(0, 1, 0x8000), "ERANGE");
    expect(b.count).toBe(3001);
  });
});

describe("PfnPicker", () => {
  it("returns aligned folios inside RAM", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.constantFrom(0, 2, 4, 9, 18), (seed, order) => {
        const p = new PfnPicker(ram, createRng(seed));
        for (let i = 0; i < 20; i++) {
          const pfn = p.folio(order);
          // 16 GiB holds only ~14 free 1 GiB folios; the first draw always succeeds.
          if (pfn < 0 && i > 0 && order === 18) break;
          expect(pfn % 2 ** order).toBe(0);
          expect(inRam(pfn * PAGE_SIZE, PAGE_SIZE * 2 ** order)).toBe(true);
        }
      }),
      { numRuns: 50 },
    );
  });

  it("never hands out overlapping folios and reports exhaustion with -1", () => {
    const small = [{ start: 0x10_0000, end: 0x10_0000 + 4 * 2 ** 20 }]; // 1024 pages
    const p = new PfnPicker(small, createRng(3));
    const seen = new Set<number>();
    const take = (order: number) => {
      const pfn = p.folio(order);
      if (pfn < 0) return false;
      for (let k = 0; k < 2 ** order; k++) {
        expect(seen.has(pfn + k)).toBe(false);
        seen.add(pfn + k);
      }
      return true;
    };
    expect(take(9)).toBe(true);
    let n = 0;
    while (take(0)) n++;
    expect(n).toBe(1024 - 512);
    expect(p.folio(0)).toBe(-1);
    expect(p.folio(9)).toBe(-1);
    expect(p.isFree(0x100)).toBe(false);
  });

  it("take() claims a free page once", () => {
    const p = new PfnPicker(ram, createRng(1));
    expect(p.isFree(0x200)).toBe(true);
    p.take(0x200);
    expect(p.isFree(0x200)).toBe(false);
    expectCode(() => p.take(0x200), "EBUSY");
    expectCode(() => p.take(0), "EINVAL");
    expect(p.isFree(0)).toBe(false); // below RAM
  });

  it("needs some RAM", () => {
    expect(() => new PfnPicker([{ start: 0, end: 4096 }], createRng(1))).toThrow(/no RAM/);
  });
});

describe("generators", () => {
  const opts = { entries: 2000, seed: 42, ram };

  it("are deterministic per seed", () => {
    for (const gen of [rdmaWorkload, thpWorkload, nvmeWorkload]) {
      const a = gen(opts);
      const b = gen(opts);
      const c = gen({ ...opts, seed: 43 });
      expect([...a.ranges.phys]).toEqual([...b.ranges.phys]);
      expect([...a.ranges.phys]).not.toEqual([...c.ranges.phys]);
    }
    expect([...gpuWorkload({ ...opts, bar }).ranges.phys]).toEqual([
      ...gpuWorkload({ ...opts, bar }).ranges.phys,
    ]);
  });

  it("rdma: N whole random pages in one MR", () => {
    const w = rdmaWorkload(opts);
    expect(w.ranges.count).toBe(2000);
    expect(w.ranges.groups).toBe(1);
    expect(w.bytes).toBe(2000 * PAGE_SIZE);
    eachRange(w.ranges, (i) => {
      expect(w.ranges.phys[i]! % PAGE_SIZE).toBe(0);
      expect(inRam(w.ranges.phys[i]!, PAGE_SIZE)).toBe(true);
    });
  });

  it("thp: whole folios inside, partial only at the ends", () => {
    const w = thpWorkload(opts);
    const s = w.ranges;
    expect(s.count).toBe(2000);
    const orders = new Set<number>();
    eachRange(s, (i) => {
      const size = PAGE_SIZE * 2 ** s.folioOrder[i]!;
      orders.add(s.folioOrder[i]!);
      expect(s.folioPfn[i]! % 2 ** s.folioOrder[i]!).toBe(0);
      if (i > 0 && i < s.count - 1) {
        expect(s.phys[i]).toBe(s.folioPfn[i]! * PAGE_SIZE);
        expect(s.length[i]).toBe(size);
      }
      expect(inRam(s.phys[i]!, s.length[i]!)).toBe(true);
    });
    expect([...orders].sort((a, b) => a - b)).toEqual([0, 2, 4, 9]);
  });

  it("nvme: 128 KiB bios, one list each, 32 or 33 segments", () => {
    const w = nvmeWorkload(opts);
    const s = w.ranges;
    expect(s.groups).toBe(Math.round(2000 / 32));
    let unaligned = 0;
    for (let g = 0; g < s.groups; g++) {
      const from = s.groupStart[g]!;
      const to = s.groupStart[g + 1]!;
      let bytes = 0;
      for (let i = from; i < to; i++) bytes += s.length[i]!;
      expect(bytes).toBe(NVME_BIO_BYTES);
      expect([32, 33]).toContain(to - from);
      if (to - from === 33) {
        unaligned++;
        expect(s.phys[from]! % PAGE_SIZE).toBe(512);
        expect(s.length[to - 1]).toBe(512);
      }
    }
    expect(w.facts.find((f) => f.label === "unaligned bios")?.value).toBe(unaligned);
    expect(unaligned).toBeGreaterThan(0);
  });

  it("gpu-p2p: ascending PHYSICAL ranges inside the BAR with the BAR's provider", () => {
    const w = gpuWorkload({ ...opts, bar });
    const s = w.ranges;
    expect(s.count).toBe(2000);
    let prevEnd = bar.start;
    eachRange(s, (i) => {
      expect(s.provider[i]).toBe(0);
      expect(s.folioPfn[i]).toBe(NO_FOLIO);
      expect(s.phys[i]!).toBeGreaterThanOrEqual(prevEnd);
      expect(s.length[i]! % 65536).toBe(0);
      prevEnd = s.phys[i]! + s.length[i]!;
    });
    expect(prevEnd).toBeLessThanOrEqual(bar.start + bar.size);
  });

  it("generators stop when RAM is full and say so", () => {
    const tiny = [{ start: 0x10_0000, end: 0x10_0000 + 4 * 2 ** 20 }];
    const w = rdmaWorkload({ entries: 5000, seed: 1, ram: tiny });
    expect(w.ranges.count).toBe(1024);
    expect(w.facts.some((f) => String(f.value) === "RAM full after 1024 of 5000 pages")).toBe(true);
    const n = nvmeWorkload({ entries: 5000, seed: 1, ram: tiny });
    expect(n.ranges.groups).toBeLessThan(1024 / 32 + 1);
    for (let g = 0; g < n.ranges.groups; g++)
      expect(n.ranges.groupStart[g + 1]! - n.ranges.groupStart[g]!).toBeGreaterThanOrEqual(32);
    expect(thpWorkload({ entries: 5000, seed: 1, ram: tiny }).facts.some((f) => f.label === "note")).toBe(
      true,
    );
  });

  it("pages of a workload never repeat", () => {
    for (const w of [rdmaWorkload(opts), thpWorkload(opts), nvmeWorkload(opts)]) {
      const seen = new Set<number>();
      eachRange(w.ranges, (i) => {
        const first = Math.floor(w.ranges.phys[i]! / PAGE_SIZE);
        const last = Math.floor((w.ranges.phys[i]! + w.ranges.length[i]! - 1) / PAGE_SIZE);
        for (let p = first; p <= last; p++) {
          expect(seen.has(p)).toBe(false);
          seen.add(p);
        }
      });
    }
  });

  it("gpu-p2p stops when the BAR is full and says so", () => {
    const w = gpuWorkload({ ...opts, bar: { ...bar, size: 64 * 2 ** 20 } });
    expect(w.ranges.count).toBeLessThan(2000);
    expect(w.facts.some((f) => String(f.value).includes("BAR full"))).toBe(true);
  });
});

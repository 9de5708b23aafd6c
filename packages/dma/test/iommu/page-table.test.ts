import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CountdownFaults } from "../../src/iommu/faults.js";
import { IOMMU_READ, IOMMU_WRITE, IoPageTable } from "../../src/iommu/page-table.js";

const K4 = 0x1000;
const M2 = 0x20_0000;
const G1 = 0x4000_0000;
const RW = IOMMU_READ | IOMMU_WRITE;

describe("IoPageTable", () => {
  it("maps with the largest page size that alignment allows", () => {
    const pt = new IoPageTable();
    // 4K head, one 2M page, 4K tail.
    pt.map(M2 - K4, 0x4000_0000 - K4, M2 + 2 * K4, RW);
    expect(pt.leaves().map(([iova, phys, size]) => [iova, phys, size])).toEqual([
      [M2 - K4, G1 - K4, K4],
      [M2, G1, M2],
      [2 * M2, G1 + M2, K4],
    ]);
    expect(pt.mappedLeaves.slice(0, 3)).toEqual([2, 1, 0]);
    expect(pt.translate(M2 + 0x12345)).toBe(G1 + 0x12345);
    expect(pt.translate(3 * M2)).toBe(-1);
    // A 1 GiB leaf when both sides are 1 GiB aligned.
    pt.map(4 * G1, 8 * G1, G1, IOMMU_READ);
    expect(pt.mappedLeaves[2]).toBe(1);
    expect(pt.translate(4 * G1 + 0x3456789)).toBe(8 * G1 + 0x3456789);
  });

  it("falls back to 4K leaves when phys and IOVA disagree modulo 2M, or 2M is not supported", () => {
    const pt = new IoPageTable();
    pt.map(0, K4, M2, RW);
    expect(pt.mappedLeaves[0]).toBe(512);
    const small = new IoPageTable({ pageSizes: K4 });
    small.map(0, 0, M2, RW);
    expect(small.mappedLeaves.slice(0, 2)).toEqual([512, 0]);
  });

  it("refuses overlapping maps with EBUSY and leaves nothing of the failed call", () => {
    const pt = new IoPageTable();
    pt.map(0x10000, 0x50000, K4, RW);
    expect(() => pt.map(0xe000, 0x90000, 4 * K4, RW)).toThrow(/EBUSY/);
    expect(pt.leaves()).toEqual([[0x10000, 0x50000, K4, RW]]);
    pt.map(M2, M2, M2, RW);
    expect(() => pt.map(M2 + K4, 0, K4, RW)).toThrow(/EBUSY/);
  });

  it("unmap stops at the first hole, refuses to split a large page, and frees empty tables", () => {
    const pt = new IoPageTable();
    expect(pt.tablePages).toBe(1);
    pt.map(M2, M2, M2, RW);
    pt.map(2 * M2, 0x1000_0000, 2 * K4, RW);
    expect(pt.tablePages).toBe(4); // root, level-2, level-1, one leaf table
    expect(() => pt.unmap(M2, K4)).toThrow(/EINVAL/);
    expect(pt.unmap(M2, M2 + 4 * K4)).toBe(M2 + 2 * K4);
    expect(pt.leaves()).toEqual([]);
    expect(pt.tablePages).toBe(1);
    expect(pt.unmap(0, K4)).toBe(0);
  });

  it("the 4K fast path validates like the slow one", () => {
    const pt = new IoPageTable();
    expect(() => pt.map(-0x1000, 0, K4, RW)).toThrow(/ERANGE/);
    pt.map(0x20_0000, 0x1000, K4, RW);
    expect(() => pt.map(0x20_1000, 0x800, K4, RW)).toThrow(/ERANGE/);
    expect(() => pt.map(0x20_0000, 0x2000, K4, RW)).toThrow(/EBUSY/);
    pt.map(0x20_1000, 2 ** 51, K4, RW);
    expect(pt.translate(0x20_1010)).toBe(2 ** 51 + 0x10);
    expect(() => pt.map(0x20_2000, 2 ** 52, K4, RW)).toThrow(/ERANGE/);
    expect(pt.mappedLeaves[0]).toBe(2);
  });

  it("rejects unaligned or out-of-aperture ranges", () => {
    const pt = new IoPageTable({ levels: 3 });
    expect(() => pt.map(0x800, 0, K4, RW)).toThrow(/EINVAL/);
    expect(() => pt.map(2 ** 39, 0, K4, RW)).toThrow(/ERANGE/);
    expect(() => pt.map(0, 0x800, K4, RW)).toThrow(/ERANGE/);
    expect(pt.translate(2 ** 39)).toBe(-1);
  });

  it("stores physical addresses above 4 GiB exactly", () => {
    const pt = new IoPageTable();
    const phys = 2 ** 45 + 0x1234_5000;
    pt.map(0x8000_0000, phys, K4, RW);
    expect(pt.translate(0x8000_0abc)).toBe(phys + 0xabc);
    // Bit 31 of the low word set: must not read back negative.
    pt.map(0x9000_0000, 0xd000_1000, K4, RW);
    expect(pt.translate(0x9000_0005)).toBe(0xd000_1005);
    expect(pt.leaves()[1]).toEqual([0x9000_0000, 0xd000_1000, K4, RW]);
  });

  it("a table allocation failure part-way rolls back the whole call", () => {
    const faults = new CountdownFaults(3, ["pgtable"]);
    const pt = new IoPageTable({ faults });
    // Crossing a 1 GiB boundary needs new level-1 and level-0 tables on the far side.
    expect(() => pt.map(G1 - 2 * K4, 0, 4 * K4, RW)).toThrow(/ENOMEM/);
    expect(pt.leaves()).toEqual([]);
    expect(pt.tablePages).toBe(1);
  });

  it("property: agrees with a per-4K reference map through maps and unmaps", () => {
    const opArb = fc.record({
      map: fc.boolean(),
      page: fc.nat(2048),
      pages: fc.integer({ min: 1, max: 1100 }),
      phys: fc.nat(4096),
    });
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 25 }), (ops) => {
        const pt = new IoPageTable();
        const ref = new Map<number, number>();
        const mappedRanges: Array<[number, number]> = [];
        for (const op of ops) {
          if (op.map) {
            const iova = op.page * K4;
            const size = op.pages * K4;
            const phys = op.phys * K4;
            let clash = false;
            for (let p = 0; p < op.pages; p++) if (ref.has(op.page + p)) clash = true;
            if (clash) {
              expect(() => pt.map(iova, phys, size, RW)).toThrow(/EBUSY/);
            } else {
              pt.map(iova, phys, size, RW);
              for (let p = 0; p < op.pages; p++) ref.set(op.page + p, phys + p * K4);
              mappedRanges.push([iova, size]);
            }
          } else if (mappedRanges.length > 0) {
            const [iova, size] = mappedRanges.splice(op.page % mappedRanges.length, 1)[0]!;
            expect(pt.unmap(iova, size)).toBe(size);
            for (let p = 0; p < size / K4; p++) ref.delete(iova / K4 + p);
          }
          expect(pt.mappedBytes).toBe(ref.size * K4);
        }
        for (let page = 0; page < 3200; page += 7) {
          expect(pt.translate(page * K4 + 5)).toBe(ref.has(page) ? ref.get(page)! + 5 : -1);
        }
        for (const [iova, size] of mappedRanges) pt.unmap(iova, size);
        expect(pt.tablePages).toBe(1);
      }),
      { numRuns: 60 },
    );
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PageIntervalSet } from "../../src/rdma/page-intervals.js";

describe("PageIntervalSet", () => {
  it("merges touching intervals and splits on removal", () => {
    const s = new PageIntervalSet();
    expect(s.add(10, 20)).toBe(10);
    expect(s.add(20, 25)).toBe(5);
    expect(s.add(0, 2)).toBe(2);
    expect(s.toArray()).toEqual([
      [0, 2],
      [10, 25],
    ]);
    expect(s.add(5, 12)).toBe(5);
    expect(s.remove(11, 15)).toBe(4);
    expect(s.toArray()).toEqual([
      [0, 2],
      [5, 11],
      [15, 25],
    ]);
    expect(s.size).toBe(18);
    expect(s.has(10)).toBe(true);
    expect(s.has(11)).toBe(false);
    expect(s.add(3, 3)).toBe(0);
    expect(s.remove(30, 40)).toBe(0);
  });

  it("matches a boolean-array model under any add/remove sequence", () => {
    const N = 64;
    const op = fc.tuple(fc.boolean(), fc.nat(N), fc.nat(N));
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), fc.nat(N), fc.nat(N), (ops, qa, qb) => {
        const s = new PageIntervalSet();
        const model = new Array<boolean>(N).fill(false);
        for (const [add, a, b] of ops) {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          let changed = 0;
          for (let p = lo; p < hi; p++) {
            if (model[p] !== add) changed++;
            model[p] = add;
          }
          expect(add ? s.add(lo, hi) : s.remove(lo, hi)).toBe(changed);
        }
        expect(s.size).toBe(model.filter(Boolean).length);
        for (let p = 0; p < N; p++) expect(s.has(p)).toBe(model[p]);
        // Intervals are sorted, disjoint and never adjacent.
        const iv = s.toArray();
        for (let i = 1; i < iv.length; i++) expect(iv[i]![0]).toBeGreaterThan(iv[i - 1]![1]);
        // forEachIn / forEachGapIn partition a query range.
        const [lo, hi] = qa <= qb ? [qa, qb] : [qb, qa];
        const seen = new Array<number>(N).fill(0);
        s.forEachIn(lo, hi, (a, b) => {
          for (let p = a; p < b; p++) {
            expect(model[p]).toBe(true);
            seen[p]!++;
          }
        });
        s.forEachGapIn(lo, hi, (a, b) => {
          for (let p = a; p < b; p++) {
            expect(model[p]).toBe(false);
            seen[p]!++;
          }
        });
        for (let p = 0; p < N; p++) expect(seen[p]).toBe(p >= lo && p < hi ? 1 : 0);
        expect(s.intersects(lo, hi)).toBe(model.slice(lo, hi).some(Boolean));
      }),
      { numRuns: 150 },
    );
  });
});

import { describe, expect, it } from "vitest";
import { median, medianRange } from "./bench-stats.js";

describe("bench statistics", () => {
  it("median takes the middle sample, or the mean of the middle two, without reordering", () => {
    const xs = [5, 1, 4, 2];
    expect(median(xs)).toBe(3);
    expect(xs).toEqual([5, 1, 4, 2]);
    expect(median([3, 9, 1])).toBe(3);
    expect(median([7])).toBe(7);
    expect(median([])).toBeNaN();
  });

  it("medianRange prints median (min-max) with the given decimals", () => {
    expect(medianRange([1.234, 0.5, 2], 2)).toBe("1.23 (0.50-2.00)");
  });
});

import fc from "fast-check";
import { PAGE_SIZE, type RangeSet, RangeSetBuilder } from "../src/workloads/range-set.js";

/** One range of an arbitrary set: RAM folio range or PHYSICAL provider range. */
export interface RangeSpec {
  readonly pfn: number;
  readonly order: number;
  /** Byte offset inside the folio and length (RAM), or inside the BAR (physical). */
  readonly offset: number;
  readonly length: number;
  readonly provider: number;
}

/** Builds a set from plain specs: groups is a list of lists. */
export function setOf(groups: readonly (readonly RangeSpec[])[]): RangeSet {
  const b = new RangeSetBuilder();
  for (const g of groups) {
    b.beginGroup();
    for (const r of g) {
      if (r.provider >= 0) b.addPhysical(r.pfn * PAGE_SIZE + r.offset, r.length, r.provider);
      else b.addFolioRange(r.pfn, r.order, r.pfn * PAGE_SIZE + r.offset, r.length);
    }
  }
  return b.finish();
}

/** Whole order-0 pages at the given PFNs, one list. */
export function pages(...pfns: number[]): RangeSet {
  return setOf([pfns.map((pfn) => ({ pfn, order: 0, offset: 0, length: PAGE_SIZE, provider: -1 }))]);
}

/**
 * Page-granular RAM ranges that often touch each other (so merging rules are exercised),
 * with an optional partial first/last page per list.
 */
export const arbPageSet: fc.Arbitrary<RangeSet> = fc
  .array(
    fc.record({
      runs: fc.array(
        fc.record({ jump: fc.integer({ min: 0, max: 3 }), pages: fc.integer({ min: 1, max: 3 }) }),
        {
          minLength: 0,
          maxLength: 40,
        },
      ),
      head: fc.integer({ min: 0, max: PAGE_SIZE - 1 }),
      tail: fc.integer({ min: 0, max: PAGE_SIZE - 1 }),
    }),
    { minLength: 1, maxLength: 4 },
  )
  .map((groups) => {
    const b = new RangeSetBuilder();
    let pfn = 0x1000;
    for (const g of groups) {
      b.beginGroup();
      g.runs.forEach((run, i) => {
        pfn += run.jump === 0 ? 0 : run.jump * 7;
        for (let p = 0; p < run.pages; p++) {
          const first = i === 0 && p === 0;
          const last = i === g.runs.length - 1 && p === run.pages - 1;
          const start = first ? Math.min(g.head, PAGE_SIZE - 1) : 0;
          const end = last ? Math.max(start + 1, PAGE_SIZE - g.tail) : PAGE_SIZE;
          b.addFolioRange(pfn, 0, pfn * PAGE_SIZE + start, end - start);
          pfn++;
        }
      });
    }
    return b.finish();
  });

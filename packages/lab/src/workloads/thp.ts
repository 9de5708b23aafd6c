import { createRng, deriveSeed, type Rng } from "../rng.js";
import { PfnPicker } from "./ram.js";
import { PAGE_SIZE, RangeSetBuilder, totalBytes } from "./range-set.js";
import { checkGenerateOptions, type GenerateOptions, ramFullFact, type Workload } from "./workload.js";

/** Folio orders and their odds: order-0 pages, 16 KiB and 64 KiB mTHP, 2 MiB THP. */
export const THP_ORDER_MIX: readonly { order: number; weight: number }[] = [
  { order: 0, weight: 0.55 },
  { order: 2, weight: 0.25 },
  { order: 4, weight: 0.12 },
  { order: 9, weight: 0.08 },
];

function pickOrder(rng: Rng): number {
  let x = rng.next();
  for (const { order, weight } of THP_ORDER_MIX) {
    if (x < weight) return order;
    x -= weight;
  }
  return THP_ORDER_MIX[THP_ORDER_MIX.length - 1]!.order;
}

/**
 * A user buffer backed by a mix of folio sizes (order 0, 16/64 KiB mTHP, 2 MiB THP), as GUP
 * sees it on a kernel with large anonymous folios. The buffer starts and ends mid-folio, so
 * the first and last ranges are partial; every inner range is a whole folio.
 */
export function thpWorkload(o: GenerateOptions): Workload {
  checkGenerateOptions(o);
  const rng = createRng(deriveSeed(o.seed, "thp"));
  const pick = new PfnPicker(o.ram, rng);
  const b = new RangeSetBuilder();
  b.beginGroup();
  const perOrder = new Map<number, number>();
  let folios = 0;
  for (; folios < o.entries; folios++) {
    const order = pickOrder(rng);
    const pfn = pick.folio(order);
    if (pfn < 0) break;
    perOrder.set(order, (perOrder.get(order) ?? 0) + 1);
    const pages = 2 ** order;
    const skip = folios === 0 ? rng.below(pages) : 0;
    const keep = folios === o.entries - 1 ? rng.between(1, pages - skip) : pages - skip;
    b.addFolioRange(pfn, order, (pfn + skip) * PAGE_SIZE, keep * PAGE_SIZE);
  }
  const ranges = b.finish();
  const bytes = totalBytes(ranges);
  return {
    id: "thp",
    title: "THP / large-folio mix",
    summary:
      "GUP on a buffer backed by order-0 pages, 16 KiB and 64 KiB mTHP and 2 MiB THP folios; each folio is one range.",
    data: "synthetic",
    groupNoun: "buffer",
    ranges,
    bytes,
    facts: [
      { label: "folios", value: folios },
      ...THP_ORDER_MIX.map(({ order }) => ({
        label: `order-${order} folios`,
        value: perOrder.get(order) ?? 0,
      })),
      ...ramFullFact(folios, o.entries, "folios"),
    ],
  };
}

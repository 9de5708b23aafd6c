import { createRng, deriveSeed } from "../rng.js";
import { PfnPicker } from "./ram.js";
import { PAGE_SIZE, RangeSetBuilder, totalBytes } from "./range-set.js";
import { checkGenerateOptions, type GenerateOptions, ramFullFact, type Workload } from "./workload.js";

/**
 * An RDMA memory region pinned from anonymous memory that the buddy allocator handed out
 * one 4 KiB page at a time: every page lands at a random PFN, so almost nothing merges.
 * This is the worst case for any range-based list and the best case for a page array.
 */
export function rdmaWorkload(o: GenerateOptions): Workload {
  checkGenerateOptions(o);
  const rng = createRng(deriveSeed(o.seed, "rdma"));
  const pick = new PfnPicker(o.ram, rng);
  const b = new RangeSetBuilder();
  b.beginGroup();
  let pages = 0;
  for (; pages < o.entries; pages++) {
    const pfn = pick.folio(0);
    if (pfn < 0) break;
    b.addFolioRange(pfn, 0, pfn * PAGE_SIZE, PAGE_SIZE);
  }
  const ranges = b.finish();
  return {
    id: "rdma",
    title: "RDMA MR, random 4 KiB pages",
    summary:
      "ib_umem_get() on memory whose pages came from a fragmented buddy allocator: one order-0 folio per page, scattered over System RAM.",
    data: "synthetic",
    groupNoun: "MR",
    ranges,
    bytes: totalBytes(ranges),
    facts: [
      { label: "pages", value: pages },
      { label: "MRs", value: 1 },
      ...ramFullFact(pages, o.entries, "pages"),
    ],
  };
}

import { createRng, deriveSeed } from "../rng.js";
import { PfnPicker } from "./ram.js";
import { PAGE_SIZE, RangeSetBuilder, totalBytes } from "./range-set.js";
import { checkGenerateOptions, type GenerateOptions, ramFullFact, type Workload } from "./workload.js";

/** Bytes per bio. */
export const NVME_BIO_BYTES = 128 * 1024;
/** Odds that a bio is an O_DIRECT buffer aligned only to the 512-byte logical block. */
export const NVME_UNALIGNED_ODDS = 1 / 8;
/** Odds that the next page is the physical successor of the previous one (a page-cache run). */
export const NVME_RUN_ODDS = 0.25;
/** Start offset of an unaligned bio's buffer within its first page. */
export const NVME_UNALIGNED_OFFSET = 512;

/**
 * NVMe-style bios of 128 KiB built from 4 KiB segments (one bio_vec per page as
 * bio_add_page() sees them). Pages come from the page cache: mostly scattered, sometimes in
 * short physically contiguous runs. One bio in eight is an O_DIRECT buffer that starts 512
 * bytes into a page, so it has 33 segments and a 512-byte tail. Each bio is its own list.
 */
export function nvmeWorkload(o: GenerateOptions): Workload {
  checkGenerateOptions(o);
  const rng = createRng(deriveSeed(o.seed, "nvme"));
  const pick = new PfnPicker(o.ram, rng);
  const b = new RangeSetBuilder();
  const pagesPerBio = NVME_BIO_BYTES / PAGE_SIZE;
  const bios = Math.max(1, Math.round(o.entries / pagesPerBio));
  let unaligned = 0;
  let made = 0;
  generate: for (; made < bios; made++) {
    // Draw the bio's pages first so a bio is never cut short when RAM runs out.
    const offset = rng.chance(NVME_UNALIGNED_ODDS) ? NVME_UNALIGNED_OFFSET : 0;
    const segs = offset === 0 ? pagesPerBio : pagesPerBio + 1;
    const pfns: number[] = [];
    for (let seg = 0; seg < segs; seg++) {
      const prev = pfns[seg - 1] ?? -1;
      let pfn: number;
      if (prev >= 0 && rng.chance(NVME_RUN_ODDS) && pick.isFree(prev + 1)) {
        pfn = prev + 1;
        pick.take(pfn);
      } else pfn = pick.folio(0);
      if (pfn < 0) break generate;
      pfns.push(pfn);
    }
    b.beginGroup();
    if (offset !== 0) unaligned++;
    let left = NVME_BIO_BYTES;
    pfns.forEach((pfn, seg) => {
      const start = seg === 0 ? offset : 0;
      const len = Math.min(PAGE_SIZE - start, left);
      b.addFolioRange(pfn, 0, pfn * PAGE_SIZE + start, len);
      left -= len;
    });
  }
  const ranges = b.finish();
  return {
    id: "nvme",
    title: "NVMe bios, 128 KiB of 4 KiB segments",
    summary:
      "128 KiB bios of single-page segments from the page cache, one in eight an O_DIRECT buffer at a 512-byte offset; one list per bio.",
    data: "synthetic",
    groupNoun: "bio",
    ranges,
    bytes: totalBytes(ranges),
    facts: [
      { label: "bios", value: made },
      { label: "unaligned bios", value: unaligned },
      { label: "segments", value: ranges.count },
      ...ramFullFact(made, bios, "bios"),
    ],
  };
}

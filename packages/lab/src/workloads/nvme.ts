import { createRng, deriveSeed } from "../rng.js";
import { PfnPicker } from "./ram.js";
import { PAGE_SIZE, RangeSetBuilder, totalBytes } from "./range-set.js";
import type { GenerateOptions, Workload } from "./workload.js";

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
  const rng = createRng(deriveSeed(o.seed, "nvme"));
  const pick = new PfnPicker(o.ram, rng);
  const b = new RangeSetBuilder();
  const pagesPerBio = NVME_BIO_BYTES / PAGE_SIZE;
  const bios = Math.max(1, Math.round(o.entries / pagesPerBio));
  let unaligned = 0;
  for (let bio = 0; bio < bios; bio++) {
    b.beginGroup();
    const offset = rng.chance(NVME_UNALIGNED_ODDS) ? NVME_UNALIGNED_OFFSET : 0;
    if (offset !== 0) unaligned++;
    let left = NVME_BIO_BYTES;
    let pfn = -1;
    for (let seg = 0; left > 0; seg++) {
      pfn = pfn >= 0 && rng.chance(NVME_RUN_ODDS) && pick.isRam(pfn + 1) ? pfn + 1 : pick.folio(0);
      const start = seg === 0 ? offset : 0;
      const len = Math.min(PAGE_SIZE - start, left);
      b.addFolioRange(pfn, 0, pfn * PAGE_SIZE + start, len);
      left -= len;
    }
  }
  const ranges = b.finish();
  return {
    id: "nvme",
    title: "NVMe bios, 128 KiB of 4 KiB segments",
    summary:
      "128 KiB bios of single-page segments from the page cache, one in eight an O_DIRECT buffer at a 512-byte offset; one list per bio.",
    groupNoun: "bio",
    ranges,
    bytes: totalBytes(ranges),
    facts: [
      { label: "bios", value: bios },
      { label: "unaligned bios", value: unaligned },
      { label: "segments", value: ranges.count },
    ],
  };
}

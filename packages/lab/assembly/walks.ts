/**
 * Walk kernels of @rlist/lab (AssemblyScript), compiled by scripts/build-kernels.ts into
 * src/generated/walks.wasm.ts. Each one walks one list of one representation in the
 * representation's own memory and does the same work per entry as the rlist's checksum()
 * kernel and the C yardstick's rl_sum(): count it, add its length and its address to two
 * sums mod 2^64. So the lab's walk figures compare the data structures, not a JIT's luck
 * with one loop or another.
 *
 * Memory layout (src/kernels/memory.ts): bytes [0, 16) are the results (u64 length sum at 0,
 * u64 address sum at 8), the representation's data starts at byte 64. A `struct page *` is
 * modelled as vmemmap + pfn * 64 (sizeof(struct page)) with vmemmap at 0, so page_to_phys(page)
 * is `page << 6` and the low bits of a pointer are free for the scatterlist's tag bits, as in
 * the kernel. Each kernel has a TypeScript reference next to the representation that lays the
 * data out (src/representations/*.ts); property tests prove them equal.
 *
 * The kernels never allocate (stub runtime) and trust the layout the lab wrote.
 */

const OUT_LENGTH_SUM: usize = 0;
const OUT_BASE_SUM: usize = 8;

/** page_to_phys() of a modelled `struct page *`: (page / 64) << PAGE_SHIFT (inlined by -O3). */
function pageToPhys(page: u64): u64 {
  return page << 6;
}

/**
 * `n` bio_vecs from byte `at`, 16 bytes each: u64 bv_page, u32 bv_len, u32 bv_offset
 * (include/linux/bvec.h). Adds bv_len and bvec_phys() = page_to_phys(bv_page) + bv_offset.
 * Returns the entry count.
 */
export function walkBvecs(at: usize, n: u32): u32 {
  let sumLen: u64 = 0;
  let sumBase: u64 = 0;
  const end = at + ((<usize>n) << 4);
  let p = at;
  // Two at a time, like the rlist kernel's runs of 8- and 16-byte entries.
  while (p + 32 <= end) {
    sumLen += <u64>load<u32>(p, 8) + <u64>load<u32>(p, 24);
    sumBase +=
      pageToPhys(load<u64>(p)) + <u64>load<u32>(p, 12) + pageToPhys(load<u64>(p, 16)) + <u64>load<u32>(p, 28);
    p += 32;
  }
  if (p < end) {
    sumLen += <u64>load<u32>(p, 8);
    sumBase += pageToPhys(load<u64>(p)) + <u64>load<u32>(p, 12);
  }
  store<u64>(OUT_LENGTH_SUM, sumLen);
  store<u64>(OUT_BASE_SUM, sumBase);
  return n;
}

const SG_CHAIN: u64 = 1;
const SG_END: u64 = 2;
const SG_PAGE_MASK: u64 = ~(<u64>3);

/**
 * One chained sg_table from its first entry at `sg`: 32-byte `struct scatterlist` entries (u64
 * page_link with the CHAIN / END tag bits, u32 offset, u32 length, u64 dma_address, u32
 * dma_length, u32 dma_flags; include/linux/scatterlist.h), stepped like sg_next(): after an
 * entry marked END the table ends, a CHAIN entry points to the next array. Adds length and
 * sg_phys() (page_to_phys(sg_page()) + offset), or sg_dma_address() for a pageless dma-buf
 * entry (NULL page). Returns the entry count (chain links are not entries).
 */
export function walkSgTable(sg: usize): u32 {
  let count: u32 = 0;
  let sumLen: u64 = 0;
  let sumBase: u64 = 0;
  for (;;) {
    // Two plain entries in a row (neither a chain link nor the last): both at once.
    let l0 = load<u64>(sg);
    let l1 = load<u64>(sg, 32);
    while (((l0 | l1) & 3) === 0) {
      sumLen += <u64>load<u32>(sg, 12) + <u64>load<u32>(sg, 44);
      // A page entry has no DMA address yet, a pageless one no page: one of the terms is 0.
      sumBase +=
        pageToPhys(l0) +
        <u64>load<u32>(sg, 8) +
        load<u64>(sg, 16) +
        pageToPhys(l1) +
        <u64>load<u32>(sg, 40) +
        load<u64>(sg, 48);
      count += 2;
      sg += 64;
      l0 = load<u64>(sg);
      l1 = load<u64>(sg, 32);
    }
    if ((l0 & SG_CHAIN) !== 0) {
      sg = <usize>(l0 & SG_PAGE_MASK); // sg_chain_ptr()
      continue;
    }
    sumLen += <u64>load<u32>(sg, 12);
    sumBase += pageToPhys(l0 & SG_PAGE_MASK) + <u64>load<u32>(sg, 8) + load<u64>(sg, 16);
    count++;
    if ((l0 & SG_END) !== 0) break; // sg_is_last()
    sg += 32;
  }
  store<u64>(OUT_LENGTH_SUM, sumLen);
  store<u64>(OUT_BASE_SUM, sumBase);
  return count;
}

/**
 * One pinned page array, described at `desc` by u32 address of its first `struct page *`, u32
 * page count, u32 offset into the first page, u32 0, u64 byte size (what pin_user_pages() +
 * sg_alloc_table_from_pages() take: pages, offset, size). Walks the pages as a driver does: the
 * first from `offset`, every piece clamped to what is left. Adds each piece's length and
 * page_to_phys(page) + offset. Returns the pages walked.
 */
export function walkPageArray(desc: usize): u32 {
  let p = <usize>load<u32>(desc);
  const end = p + ((<usize>load<u32>(desc, 4)) << 3);
  let left = load<u64>(desc, 16);
  let sumLen: u64 = 0;
  let sumBase: u64 = 0;
  if (p < end && left > 0) {
    // The first page from `offset`.
    const off = <u64>load<u32>(desc, 8);
    const len = min<u64>(left, 4096 - off);
    sumBase += pageToPhys(load<u64>(p)) + off;
    sumLen += len;
    left -= len;
    p += 8;
  }
  // Whole pages, two at a time.
  while (p + 16 <= end && left >= 8192) {
    sumBase += pageToPhys(load<u64>(p)) + pageToPhys(load<u64>(p, 8));
    sumLen += 8192;
    left -= 8192;
    p += 16;
  }
  while (p < end && left > 0) {
    const len = min<u64>(left, 4096);
    sumBase += pageToPhys(load<u64>(p));
    sumLen += len;
    left -= len;
    p += 8;
  }
  store<u64>(OUT_LENGTH_SUM, sumLen);
  store<u64>(OUT_BASE_SUM, sumBase);
  return <u32>((p - <usize>load<u32>(desc)) >>> 3);
}
